//! `docker buildx build --progress=rawjson` read back: a stream of indented JSON `SolveStatus`
//! objects on stderr (buildx 0.13 util/progress: each opens with a `{` line and closes with a `}`
//! line), whose `vertexes` are merged by digest into one record each.

use std::collections::BTreeMap;

use serde_json::Value;

/// One vertex of a solve, its updates merged.
#[derive(Debug, Default, Clone)]
pub struct Vertex {
    /// Its progress name, e.g. `[web] uv install bucket-3 (2 locked wheels)`.
    pub name: String,
    /// Reported `cached: true` at least once.
    pub cached: bool,
    /// Its start time (RFC 3339).
    pub started: Option<String>,
    /// Its completion time (RFC 3339).
    pub completed: Option<String>,
    /// Its error, when it failed.
    pub error: Option<String>,
}

impl Vertex {
    /// True when it did work: not CACHED and busy for at least 1 ms. BuildKit reports an input
    /// it did not need (its consumer was cached) as started and completed within microseconds,
    /// without `cached` (the same rule as bench/benchtool.py `rawjson`).
    pub fn ran(&self) -> bool {
        !self.cached && self.seconds() >= 0.001
    }

    /// Seconds from start to completion: infinite when it never completed, 0 when it never
    /// started.
    pub fn seconds(&self) -> f64 {
        match (self.started.as_deref().and_then(unix), self.completed.as_deref().and_then(unix)) {
            (Some(a), Some(b)) => b - a,
            (Some(_), None) => f64::INFINITY,
            _ => 0.0,
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.frac]Z` as Unix seconds (days from the civil date, Howard Hinnant's
/// algorithm), `None` when it has another shape.
fn unix(t: &str) -> Option<f64> {
    let (date, time) = t.trim_end_matches('Z').split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut hms = time.splitn(3, ':');
    let (h, mi) = (hms.next()?.parse::<f64>().ok()?, hms.next()?.parse::<f64>().ok()?);
    let sec = hms.next()?.parse::<f64>().ok()?;
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(days as f64 * 86_400.0 + h * 3_600.0 + mi * 60.0 + sec)
}

/// The top-level JSON objects of `text`, skipping lines outside them (the CLI's own messages).
fn objects(text: &str) -> Vec<Value> {
    let (mut out, mut cur) = (vec![], None::<String>);
    for line in text.lines() {
        match cur.as_mut() {
            None if line == "{" => cur = Some(String::from("{\n")),
            None => {}
            Some(buf) => buf.push_str(&format!("{line}\n")),
        }
        if line == "}" {
            out.extend(cur.take().and_then(|b| serde_json::from_str::<Value>(&b).ok()));
        }
    }
    out
}

/// Every vertex of the rawjson progress in `text`, by digest.
pub fn vertices(text: &str) -> BTreeMap<String, Vertex> {
    let mut out: BTreeMap<String, Vertex> = BTreeMap::new();
    for status in objects(text) {
        for v in status["vertexes"].as_array().into_iter().flatten() {
            let Some(digest) = v["digest"].as_str() else { continue };
            let cur = out.entry(digest.to_string()).or_default();
            if let Some(n) = v["name"].as_str() {
                cur.name = n.to_string();
            }
            cur.cached |= v["cached"].as_bool() == Some(true);
            for (key, slot) in [("started", &mut cur.started), ("completed", &mut cur.completed)] {
                if let Some(t) = v[key].as_str() {
                    *slot = Some(t.to_string());
                }
            }
            if let Some(e) = v["error"].as_str().filter(|e| !e.is_empty()) {
                cur.error = Some(e.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vertex_busy_for_microseconds_did_not_run_and_one_busy_for_a_second_did() {
        let at = |s: &str, c: &str| Vertex { started: Some(s.into()), completed: Some(c.into()), ..Vertex::default() };
        assert!(!at("2026-12-01T23:35:33.240475352Z", "2026-12-01T23:35:33.240490921Z").ran());
        assert!(at("2026-12-31T23:59:59.5Z", "2027-01-01T00:00:00.5Z").ran());
        assert_eq!(unix("1970-01-02T00:00:01Z"), Some(86_401.0));
        assert!(!Vertex { cached: true, ..at("2026-12-01T00:00:00Z", "2026-12-01T00:00:09Z") }.ran());
    }
}
