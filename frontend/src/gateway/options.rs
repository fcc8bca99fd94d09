//! Frontend options from `BUILDKIT_FRONTEND_OPT_*` (buildkit-gateway.md §1.2, §4.1), parsed into
//! a typed value. Values may hold `=`, `,` and newlines: split on the first `=` only.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use llb_graphs::build::BuildArgs;
use llb_graphs::llb::{NetMode, Platform};

/// Options this frontend understands.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Every raw option, for keys read elsewhere.
    pub raw: BTreeMap<String, String>,
    /// Manifest path inside the `dockerfile` local (`filename`).
    pub filename: String,
    /// Local the manifest comes from (`dockerfilekey`, default `dockerfile`).
    pub manifest_local: String,
    /// `target`.
    pub target: Option<String>,
    /// `platform`, parsed; empty = the worker's default.
    pub platforms: Vec<Platform>,
    /// `build-arg:*`.
    pub build_args: BTreeMap<String, String>,
    /// `label:*`.
    pub labels: BTreeMap<String, String>,
    /// `no-cache` present: `Some(vec![])` = every target, `Some(names)` = only those.
    pub no_cache: Option<Vec<String>>,
    /// `add-hosts`: `host=ip` entries for `/etc/hosts` in every step.
    pub add_hosts: Vec<(String, String)>,
    /// More than one platform, or `multi-platform=true`: return a `Refs` map.
    pub multi_platform: bool,
    /// The build-args this frontend reads, typed (`llb_graphs::build::BuildArgs`).
    pub args: BuildArgs,
    /// `image-resolve-mode`.
    pub image_resolve_mode: Option<String>,
    /// `force-network-mode`.
    pub network: NetMode,
    /// `requestid` (subrequests).
    pub request_id: Option<String>,
    /// `cache-imports`, forwarded into the final Solve.
    pub cache_imports: Vec<(String, BTreeMap<String, String>)>,
}

/// Reads the options from the process environment.
pub fn from_env() -> anyhow::Result<Options> {
    let raw = std::env::vars().filter(|(k, _)| k.starts_with("BUILDKIT_FRONTEND_OPT_")).map(|(_, v)| v);
    parse(raw)
}

/// Parses `key=value` option strings.
pub fn parse(entries: impl IntoIterator<Item = String>) -> anyhow::Result<Options> {
    let mut raw = BTreeMap::new();
    for e in entries {
        let (k, v) = e.split_once('=').unwrap_or((e.as_str(), ""));
        raw.insert(k.to_string(), v.to_string());
    }
    let mut o = Options { raw: raw.clone(), ..Default::default() };
    o.filename = raw.get("filename").cloned().unwrap_or_else(|| "fleet.toml".into());
    o.manifest_local = raw.get("dockerfilekey").cloned().unwrap_or_else(|| "dockerfile".into());
    o.target = raw.get("target").cloned().filter(|t| !t.is_empty());
    // Present-but-empty means every target (dockerui config.go; §9 item 23).
    o.no_cache =
        raw.get("no-cache").map(|v| v.split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect());
    for entry in raw.get("add-hosts").map(String::as_str).unwrap_or("").split(',').filter(|e| !e.trim().is_empty()) {
        let (host, ip) = entry
            .split_once('=')
            .or_else(|| entry.split_once(':'))
            .with_context(|| format!("add-hosts entry {entry:?}: expected host=ip"))?;
        let ip_ok = ip.parse::<std::net::IpAddr>().is_ok();
        if host.is_empty() || !ip_ok {
            bail!("add-hosts entry {entry:?}: expected host=ip with a valid IP address");
        }
        o.add_hosts.push((host.to_string(), ip.to_string()));
    }
    o.request_id = raw.get("requestid").cloned().filter(|r| !r.is_empty());
    o.image_resolve_mode = raw.get("image-resolve-mode").cloned().filter(|m| !m.is_empty());
    if let Some(m) = &o.image_resolve_mode {
        if !["default", "pull", "local"].contains(&m.as_str()) {
            bail!("image-resolve-mode {m:?}: expected default, pull or local");
        }
    }
    o.network = match raw.get("force-network-mode").map(String::as_str) {
        None | Some("") | Some("none") => NetMode::None,
        Some("host") => NetMode::Host,
        Some("sandbox") | Some("default") => NetMode::Sandbox,
        Some(other) => bail!("force-network-mode {other:?}: expected none, host or sandbox"),
    };
    if let Some(p) = raw.get("platform").filter(|p| !p.is_empty()) {
        for one in p.split(',') {
            o.platforms
                .push(Platform::parse(one).with_context(|| format!("platform {one:?}: expected os/arch[/variant]"))?);
        }
    }
    for (k, v) in &raw {
        if let Some(name) = k.strip_prefix("build-arg:") {
            o.build_args.insert(name.to_string(), v.clone());
        } else if let Some(name) = k.strip_prefix("label:") {
            o.labels.insert(name.to_string(), v.clone());
        }
    }
    o.multi_platform = o.platforms.len() > 1
        || raw.get("multi-platform").is_some_and(|v| v == "true")
        || o.build_args.get("BUILDKIT_MULTI_PLATFORM").is_some_and(|v| v == "1" || v == "true");
    o.args = BuildArgs::parse(&o.build_args)?;
    if let Some(ci) = raw.get("cache-imports").filter(|c| !c.is_empty()) {
        o.cache_imports = parse_cache_imports(ci)?;
    }
    Ok(o)
}

fn parse_cache_imports(s: &str) -> anyhow::Result<Vec<(String, BTreeMap<String, String>)>> {
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Type")]
        typ: String,
        #[serde(rename = "Attrs", default)]
        attrs: BTreeMap<String, String>,
    }
    let entries: Vec<Entry> =
        serde_json::from_str(s).context("cache-imports: expected a JSON array of {Type, Attrs}")?;
    Ok(entries.into_iter().map(|e| (e.typ, e.attrs)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(v: &[&str]) -> anyhow::Result<Options> {
        parse(v.iter().map(|s| s.to_string()))
    }

    #[test]
    fn splits_on_the_first_equals_only() {
        let o = opts(&["build-arg:FOO=a=b,c", "label:x=1", "filename=app.toml", "no-cache="]).unwrap();
        assert_eq!(o.build_args["FOO"], "a=b,c");
        assert_eq!(o.labels["x"], "1");
        assert_eq!(o.filename, "app.toml");
        assert_eq!(o.no_cache, Some(vec![]));
        let o = opts(&["no-cache=api,worker", "add-hosts=db=127.0.0.1,api:127.0.0.2", "build-arg:SOURCE_DATE_EPOCH=0"])
            .unwrap();
        assert_eq!(o.no_cache, Some(vec!["api".to_string(), "worker".to_string()]));
        assert_eq!(
            o.add_hosts,
            [("db".to_string(), "127.0.0.1".to_string()), ("api".to_string(), "127.0.0.2".to_string())]
        );
        assert_eq!(o.args.source_date_epoch, Some(0));
    }

    #[test]
    fn network_and_platforms() {
        let o = opts(&["force-network-mode=host", "platform=linux/amd64,linux/arm64/v8"]).unwrap();
        assert_eq!(o.network, NetMode::Host);
        assert_eq!(o.platforms.iter().map(Platform::id).collect::<Vec<_>>(), ["linux/amd64", "linux/arm64"]);
        assert_eq!(opts(&[]).unwrap().network, NetMode::None);
    }

    #[test]
    fn malformed_options_are_errors_not_panics() {
        assert!(opts(&["force-network-mode=bridge"]).is_err());
        assert!(opts(&["platform=linux"]).is_err());
        assert!(opts(&["image-resolve-mode=sometimes"]).is_err());
        assert!(opts(&["cache-imports=[{"]).is_err());
        assert!(opts(&["add-hosts=db"]).is_err());
        assert!(opts(&["add-hosts=db=not-an-ip"]).is_err());
        assert!(opts(&["build-arg:SOURCE_DATE_EPOCH=yesterday"]).is_err());
        assert!(opts(&["build-arg:FLEET_FAMILIES=sometimes"]).is_err());
        let o = opts(&[r#"cache-imports=[{"Type":"registry","Attrs":{"ref":"localhost:5000/c"}}]"#]).unwrap();
        assert_eq!(o.cache_imports[0].0, "registry");
    }
}
