//! Shared by the `lower` (criterion) and `scaling` benches: generated fleets and the
//! manifest → plan → lowered → marshalled pipeline, through the public API only.
//!
//! The base image is "resolved" the way the gateway resolves it (pinned by digest, with a config),
//! so the lowering does the same work as inside a real build; lockfile deps are `None` (the
//! dependency lowering needs a lockfile read through the gateway and is timed by hack/bench.sh).

#![allow(dead_code, clippy::unwrap_used)]

use std::fmt::Write as _;

use llb_graphs::diag::SourceFile;
use llb_graphs::llb::{MarshalOptions, Marshalled};
use llb_graphs::lower::{lower_service, LowerOptions, ResolvedImage};
use llb_graphs::manifest::{self, Manifest};
use llb_graphs::plan;

/// Digest and config standing in for what `ResolveImageConfig` returns for the dev base image.
pub const BASE_DIGEST: &str = "sha256:86159081ca33f6324e449088be7f088e6dcd61a3afed0e17461d76e25e8054ed";
pub const BASE_CONFIG: &str = r#"{"architecture":"amd64","os":"linux","created":"2026-01-01T00:00:00Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8","PYTHONUNBUFFERED=1"],
 "Cmd":["python3"]},"rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},
 "history":[{"created":"2026-01-01T00:00:00Z","comment":"debootstrap bookworm minbase + python3"}]}"#;

/// Number of families in generated fleets.
pub const FAMILIES: usize = 9;

/// `examples/hello/fleet.toml`, read at compile time.
pub const HELLO: &str = include_str!("../../../examples/hello/fleet.toml");

/// A fleet of `services` services spread round-robin over [`FAMILIES`] families, every family on
/// `localhost:5000/python:3.11-slim`, unique ports (service 10000+i, health 30000+i), a `source`
/// per service and a mix of the optional keys. 10,000 services come to about 2.4 MB of TOML,
/// under the 4 MiB manifest limit.
pub fn generated_fleet(services: usize) -> String {
    assert!(services <= 20_000, "ports would collide past 20,000 services");
    let mut s = String::with_capacity(120 + FAMILIES * 160 + services * 260);
    s.push_str("[fleet]\norg = \"example\"\nregistry = \"ghcr.io\"\npython = \"3.11\"\n");
    s.push_str("source = \"https://github.com/example/fleet\"\n");
    for f in 0..FAMILIES {
        let _ = write!(
            s,
            "\n[families.family-{f}]\nbase = \"localhost:5000/python:3.11-slim\"\n\
             description = \"generated family {f}\"\nenv = {{ TZ = \"UTC\", FAMILY = \"family-{f}\" }}\n"
        );
    }
    for i in 0..services {
        let _ = write!(
            s,
            "\n[services.svc-{i:05}]\nfamily = \"family-{}\"\nsource = \"services/svc-{i:05}\"\n\
             command = [\"python3\", \"/app/main.py\"]\nports = {{ service = {}, health = {} }}\n\
             env = {{ HOST = \"127.0.0.1\", WORKERS = \"{}\" }}\n",
            i % FAMILIES,
            10_000 + i,
            30_000 + i,
            1 + i % 4
        );
        if i % 3 == 0 {
            s.push_str("writable = [\"data\", \"cache\"]\n");
        }
        if i % 2 == 0 {
            let _ = writeln!(s, "description = \"generated service {i}\"");
        }
        if i % 5 == 0 {
            s.push_str("labels = { \"com.example.team\" = \"ml\" }\n");
        }
    }
    s
}

/// A parsed manifest and the options every target is lowered with.
pub struct Fleet {
    pub file: SourceFile,
    pub manifest: Manifest,
    pub targets: Vec<String>,
    pub base: ResolvedImage,
    pub opts: LowerOptions,
}

/// Step 1: text → validated manifest (`source_file` + `parse`) and the target list.
pub fn load(name: &str, text: &str) -> Fleet {
    let file = manifest::source_file(name, text.as_bytes()).unwrap();
    let m = manifest::parse(&file).unwrap_or_else(|d| panic!("generated manifest is invalid: {:?}", d.0));
    let targets = plan::targets(&m);
    // Every generated family and examples/hello use the same base, so one resolution serves all
    // (the gateway resolves a base once per build, too).
    let first = plan::plan_service(&file, &m, targets.first().map(String::as_str)).unwrap();
    let base =
        ResolvedImage::image(first.family.base.value.pinned(BASE_DIGEST), serde_json::from_str(BASE_CONFIG).unwrap());
    let opts = LowerOptions { session_id: Some("SESSION".into()), ..Default::default() };
    Fleet { file, manifest: m, targets, base, opts }
}

/// Steps 2–4 for one target: plan → lower → marshal.
pub fn build_target(f: &Fleet, target: &str) -> Marshalled {
    let p = plan::plan_service(&f.file, &f.manifest, Some(target)).unwrap();
    let lowered = lower_service(&f.file, &p, &f.base, None, &f.opts).unwrap();
    lowered.state.marshal(&MarshalOptions::default()).unwrap()
}

/// The whole pipeline over every target; returns the number of ops emitted (so nothing is
/// optimised away).
pub fn build_all(name: &str, text: &str) -> usize {
    let f = load(name, text);
    f.targets.iter().map(|t| build_target(&f, t).definition.def.len()).sum()
}

/// The lowered (not yet marshalled) state of `target`, for timing `State::marshal` alone.
pub fn lowered_state(f: &Fleet, target: &str) -> llb_graphs::llb::State {
    let p = plan::plan_service(&f.file, &f.manifest, Some(target)).unwrap();
    lower_service(&f.file, &p, &f.base, None, &f.opts).unwrap().state
}
