//! The image config returned as `containerimage.config`: the base image's config with the fleet
//! runtime contract applied (uid 10001, tini, Cmd, ports, healthcheck, labels, env, workdir).
//! OCI types come from `oci-spec`; `Healthcheck` is a Docker extension the OCI spec lacks, so it
//! is added to the serialised JSON (moby/docker-image-spec `HealthcheckConfig`).

use std::collections::{BTreeMap, HashMap};

use oci_spec::image::{Arch, ConfigBuilder, HistoryBuilder, ImageConfiguration, Os, RootFsBuilder};
use serde_json::{json, Value};

use super::base::ResolvedImage;
use super::LowerOptions;
use crate::plan::{ServicePlan, TargetKind, APP_UID};

/// The init every service runs as PID 1.
pub const TINI: &str = "/usr/bin/tini";

/// Why an image config could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageConfigError {
    /// The base image's config JSON does not decode.
    #[error("base image {image}: config is not a valid image config: {source}")]
    BadBaseConfig { image: String, source: serde_json::Error },
    /// oci-spec refused a value.
    #[error("image config: {0}")]
    Oci(#[from] oci_spec::OciSpecError),
    /// The artifact mirror (`FLEET_ARTIFACT_MIRROR`) is outside the artifact URL policy.
    #[error("artifact mirror `{url}` {message} [UnsafeArtifactUrl]")]
    UnsafeMirror { url: String, message: String },
    /// Serialising failed.
    #[error("image config: {0}")]
    Json(#[from] serde_json::Error),
    /// A lock needs more dependency layers than the budget (rule `LayerBudget`).
    #[error("{0}")]
    LayerBudget(Box<crate::diag::Diagnostic>),
}

impl From<Box<crate::diag::Diagnostic>> for ImageConfigError {
    fn from(d: Box<crate::diag::Diagnostic>) -> Self {
        Self::LayerBudget(d)
    }
}

/// The healthcheck probe (`["CMD", ...]`, no shell): a fixed stdlib Python program, so images
/// need no curl. The URL is its `sys.argv[1]`, data and never program text; healthy means HTTP
/// 200 with a JSON object body whose `status` is `"ok"` (the fleet's `/health` contract).
pub const HEALTH_PROBE: &str = concat!(
    "import json,sys,urllib.request as u\n",
    "try:\n",
    " r=u.urlopen(sys.argv[1],timeout=3);b=json.load(r)\n",
    " ok=r.status==200 and isinstance(b,dict) and b.get('status')=='ok'\n",
    "except Exception:\n",
    " ok=False\n",
    "sys.exit(0 if ok else 1)\n",
);

/// The HEALTHCHECK test: [`HEALTH_PROBE`] with the URL as its argument. `path` was checked by
/// the manifest validator (URL path characters only).
pub fn healthcheck_command(port: u16, path: &str) -> Vec<String> {
    let url = format!("http://127.0.0.1:{port}{path}");
    vec!["CMD".into(), "python3".into(), "-c".into(), HEALTH_PROBE.into(), url]
}

/// `layers`: one history text per layer the build adds to the base's, in order
/// ([`super::Layered`]).
pub(super) fn lower_image_config(
    plan: &ServicePlan,
    base: &ResolvedImage,
    sites: &[String],
    layers: &[String],
    opts: &LowerOptions,
) -> Result<Value, ImageConfigError> {
    let mut img: ImageConfiguration = if base.config.is_null() {
        ImageConfiguration::default()
    } else {
        serde_json::from_value(base.config.clone())
            .map_err(|source| ImageConfigError::BadBaseConfig { image: base.reference.to_string(), source })?
    };
    let base_cfg = img.config().clone().unwrap_or_default();
    let ports = [plan.service_port.value, plan.health_port.value];
    let mut cfg = if plan.kind == TargetKind::Family {
        family_config(&base_cfg, plan, base, sites, opts)
    } else {
        ConfigBuilder::default()
            .user(format!("{APP_UID}:{APP_UID}"))
            .entrypoint(vec![TINI.to_string(), "--".to_string()])
            .cmd(plan.command.value.clone())
            .exposed_ports(ports.iter().map(|p| format!("{p}/tcp")).collect::<Vec<_>>())
            .env(merged_env(base, plan, sites, opts))
            .working_dir(plan.workdir.clone())
            .labels(labels(plan, opts))
            .build()?
    };
    if let Some(sig) = base_cfg.stop_signal() {
        cfg.set_stop_signal(Some(sig.clone()));
    }
    img.set_config(Some(cfg));
    img.set_architecture(Arch::from(opts.platform.architecture.as_str()));
    img.set_os(Os::from(opts.platform.os.as_str()));
    img.set_variant(Some(opts.platform.variant.clone()).filter(|v| !v.is_empty()));
    // No clock in the config: without SOURCE_DATE_EPOCH the exporter derives `created` from
    // the history; with it, both carry that time (reproducible-builds.org/specs/source-date-epoch).
    let created = opts.source_date_epoch.map(rfc3339);
    img.set_created(created.clone());
    img.set_rootfs(RootFsBuilder::default().typ("layers").diff_ids(Vec::<String>::new()).build()?);
    // One entry per layer (none marked empty): BuildKit then adds no entry of its own.
    let mut history = img.history().clone().unwrap_or_default();
    for step in layers {
        let mut h = HistoryBuilder::default().created_by(format!("fleet-frontend: {step}")).build()?;
        h.set_created(created.clone());
        history.push(h);
    }
    img.set_history(Some(history));
    let mut v = serde_json::to_value(&img)?;
    if plan.kind == TargetKind::Family {
        return Ok(v);
    }
    v["config"]["Healthcheck"] = json!({
        "Test": healthcheck_command(plan.health_port.value, &plan.health_path),
        // Go time.Duration: integer nanoseconds.
        "Interval": 10_000_000_000u64,
        "Timeout": 5_000_000_000u64,
        "StartPeriod": 30_000_000_000u64,
        "StartInterval": 1_000_000_000u64,
        "Retries": 3,
    });
    Ok(v)
}

/// Base env, then family and service env, then the ports the app must bind. Keys keep the
/// base's order; a later value for a key replaces it in place.
/// A family image keeps its base's Entrypoint, Cmd and WorkingDir; it runs as 10001 once a
/// family in its chain created that user.
fn family_config(
    base_cfg: &oci_spec::image::Config,
    plan: &ServicePlan,
    base: &ResolvedImage,
    sites: &[String],
    opts: &LowerOptions,
) -> oci_spec::image::Config {
    let mut cfg = base_cfg.clone();
    cfg.set_env(Some(merged_env(base, plan, sites, opts)));
    let mut l = labels(plan, opts);
    l.remove("health_check_port");
    l.insert("fleet.family".into(), plan.family.name.clone());
    cfg.set_labels(Some(l));
    if plan.family.chain.iter().any(|f| f.user.is_some()) {
        cfg.set_user(Some(format!("{APP_UID}:{APP_UID}")));
    }
    cfg
}

fn merged_env(base: &ResolvedImage, plan: &ServicePlan, sites: &[String], opts: &LowerOptions) -> Vec<String> {
    let with_deps = !sites.is_empty();
    let mut out: Vec<(String, String)> = base
        .env()
        .iter()
        .map(|e| e.split_once('=').map_or((e.clone(), String::new()), |(k, v)| (k.into(), v.into())))
        .collect();
    let mut extra: BTreeMap<String, String> = BTreeMap::new();
    if let Some(p) = &opts.profile {
        extra.extend(p.env.clone());
    }
    extra.extend(plan.env.clone());
    // The runtime contract's env after the profile's and the manifest's: they cannot replace it.
    if plan.kind == TargetKind::Service {
        extra.insert("SERVICE_NAME".into(), plan.name.clone());
        extra.insert("PORT".into(), plan.service_port.value.to_string());
        extra.insert("HEALTH_PORT".into(), plan.health_port.value.to_string());
        extra.insert("HEALTH_PATH".into(), plan.health_path.clone());
    }
    if with_deps {
        // `pip install --target` leaves packages and console scripts under SITE.
        let path = out
            .iter()
            .find(|(k, _)| k == "PATH")
            .map_or(super::base::DEFAULT_PATH[5..].to_string(), |(_, v)| v.clone());
        let bins: Vec<String> = sites.iter().map(|s| format!("{s}/bin")).collect();
        extra.insert("PATH".into(), format!("{}:{path}", bins.join(":")));
        // Keep what the base already imports (a published family image's sites).
        let mut path: Vec<String> = sites.to_vec();
        if let Some((_, old)) = out.iter().find(|(k, _)| k == "PYTHONPATH") {
            path.extend(old.split(':').filter(|p| !p.is_empty() && !sites.iter().any(|s| s == p)).map(String::from));
        }
        extra.insert("PYTHONPATH".into(), path.join(":"));
    }
    if let Some(p) = &opts.profile {
        extra.insert("FLEET_MACHINE".into(), p.name.clone());
    }
    // Base keys keep their position, new ones follow in key order; an index keeps this linear
    // in the number of env entries (issue #11: 100,000 manifest env entries).
    let mut at: HashMap<String, usize> = out.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)).collect();
    for (k, v) in extra {
        match at.get(&k) {
            Some(&i) => out[i].1 = v,
            None => {
                at.insert(k.clone(), out.len());
                out.push((k, v));
            }
        }
    }
    out.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
}

fn labels(plan: &ServicePlan, opts: &LowerOptions) -> HashMap<String, String> {
    let mut l: BTreeMap<String, String> = BTreeMap::new();
    if let Some(d) = &plan.description {
        l.insert("org.opencontainers.image.description".into(), d.clone());
    }
    if let Some(src) = &plan.repo_url {
        l.insert("org.opencontainers.image.source".into(), src.clone());
    }
    if let Some(rev) = &opts.revision {
        l.insert("org.opencontainers.image.revision".into(), rev.clone());
    }
    l.extend(plan.labels.clone());
    l.extend(opts.labels.clone());
    // The runtime contract's labels last: no manifest or build label replaces them.
    l.insert("health_check_port".into(), plan.health_port.value.to_string());
    l.insert("org.opencontainers.image.title".into(), plan.name.clone());
    if let Some(p) = &opts.profile {
        l.insert("fleet.machine".into(), p.name.clone());
    }
    // serde_json sorts object keys (no preserve_order), so the HashMap order never leaks.
    l.into_iter().collect()
}

/// Unix seconds as RFC 3339 UTC (`1970-01-01T00:00:00Z`), without a date library: days to
/// civil date by Howard Hinnant's `civil_from_days` algorithm.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn epoch_seconds_format_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_764_547_199), "2025-11-30T23:59:59Z");
    }
}
