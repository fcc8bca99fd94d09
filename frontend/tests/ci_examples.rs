//! The CI examples stay true to the product: `examples/github-actions/fleet.yml` is clean under
//! actionlint, runs its CLI steps (`check`, `matrix`, `bake`) from the frontend image pinned by
//! digest, and those steps succeed on this repository; it has one job per wave the matrix prints,
//! each with a registry cache of its own target, and the bake job's groups exist.

mod common;

use std::path::Path;
use std::process::Command;

use common::repo as root;
use serde_yaml_ng::Value;

const WORKFLOW: &str = "examples/github-actions/fleet.yml";
/// How every CLI step runs the binary: the frontend image, the checkout mounted at /src.
const CLI: &str = r#"docker run --rm -v "$PWD:/src" -w /src "$FLEET_FRONTEND" "#;

fn bin(args: &[String]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::run_in(&root(), &args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8")
}

fn workflow() -> Value {
    let text = std::fs::read_to_string(root().join(WORKFLOW)).expect("read workflow");
    serde_yaml_ng::from_str(&text).expect("valid YAML")
}

fn steps(wf: &Value) -> Vec<Value> {
    let jobs = wf["jobs"].as_mapping().expect("jobs");
    jobs.values().flat_map(|j| j["steps"].as_sequence().cloned().unwrap_or_default()).collect()
}

/// The CLI arguments of a `run:` that calls the frontend image: the words after [`CLI`] up to a
/// redirection or the end of a `$(...)`, with `"$VAR"` replaced by the workflow's env.
fn cli_args(run: &str, env: &Value) -> Option<Vec<String>> {
    let rest = &run[run.find(CLI)? + CLI.len()..];
    let rest = rest.split([')', '>']).next().unwrap_or_default();
    let words = rest.split_whitespace().map(|w| {
        let w = w.trim_matches('"');
        match w.strip_prefix('$') {
            Some(var) => env[var].as_str().unwrap_or_else(|| panic!("${var} is not in the workflow env")).to_string(),
            None => w.to_string(),
        }
    });
    Some(words.collect())
}

#[test]
fn the_github_actions_example_runs_the_cli_from_the_pinned_frontend_image() {
    let wf = workflow();
    let env = &wf["env"];
    let frontend = env["FLEET_FRONTEND"].as_str().expect("env.FLEET_FRONTEND");
    let digest = frontend.split_once("@sha256:").map(|(_, d)| d).expect("pinned by digest, not a tag");
    assert!(digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()), "{frontend}");
    let runs: Vec<String> = steps(&wf).iter().filter_map(|s| s["run"].as_str().map(String::from)).collect();
    assert!(!runs.iter().any(|r| r.contains("cargo install")), "the image is the CLI: {runs:?}");
    let mut seen = Vec::new();
    for run in &runs {
        let Some(args) = cli_args(run, env) else { continue };
        // Every CLI step must work on this repository as written (stdout is JSON for all three).
        let out = bin(&args);
        serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|e| panic!("{args:?} printed no JSON: {e}"));
        seen.push(args[0].clone());
    }
    seen.sort();
    assert_eq!(seen, ["bake", "check", "matrix"], "{runs:?}");
}

#[test]
fn the_github_actions_example_covers_every_wave_with_a_cache_per_target() {
    let wf = workflow();
    let env = &wf["env"];
    let manifest = env["MANIFEST"].as_str().expect("env.MANIFEST");
    let context = env["CONTEXT"].as_str().expect("env.CONTEXT");
    assert!(root().join(manifest).exists() && root().join(context).is_dir());
    let matrix: serde_json::Value =
        serde_json::from_str(&bin(&["matrix".into(), manifest.into()])).expect("matrix JSON");
    let waves = matrix["waves"].as_array().expect("waves").len();
    assert!(waves >= 3, "families and services give several waves");
    for w in 0..waves {
        let job = &wf["jobs"][format!("wave-{w}").as_str()];
        let m = job["strategy"]["matrix"].as_str().expect("wave job has a matrix");
        assert!(m.contains(&format!("waves[{w}]")), "wave-{w} reads its own wave: {m}");
        for e in matrix["waves"][w]["include"].as_array().expect("include") {
            assert!(e["target"].is_string() && e["image"].as_str().is_some_and(|i| i.contains(':')));
        }
        let steps = job["steps"].as_sequence().expect("steps");
        let build = steps
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("docker/build-push-action@")))
            .expect("a build-push-action step");
        let with = &build["with"];
        assert_eq!(
            with["build-args"].as_str().map(|a| a.contains("BUILDKIT_SYNTAX=${{ env.FLEET_FRONTEND }}")),
            Some(true)
        );
        let from = with["cache-from"].as_str().expect("cache-from");
        assert_eq!(from, "type=registry,ref=${{ env.CACHE }}:cache-${{ matrix.target }}", "wave-{w}");
        let to = with["cache-to"].as_str().expect("cache-to");
        assert!(
            to.contains("type=registry,ref={0}:cache-{1},mode=max") && to.contains("env.CACHE, matrix.target"),
            "{to}"
        );
    }
    assert!(wf["jobs"][format!("wave-{waves}").as_str()].is_null(), "no job for a wave that does not exist");
}

#[test]
fn the_bake_job_builds_groups_of_the_generated_file_with_its_cache() {
    let wf = workflow();
    let env = &wf["env"];
    let run = steps(&wf)
        .iter()
        .filter_map(|s| s["run"].as_str().map(String::from))
        .find(|r| r.contains(r#""$FLEET_FRONTEND" bake"#))
        .expect("a bake step");
    let bake: serde_json::Value = serde_json::from_str(&bin(&cli_args(&run, env).unwrap())).expect("bake JSON");
    let action = steps(&wf)
        .into_iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("docker/bake-action@")))
        .expect("a bake-action step");
    assert_eq!(action["with"]["files"].as_str(), Some("docker-bake.json"));
    assert!(run.ends_with("> docker-bake.json"), "{run}");
    let groups = action["with"]["targets"].as_str().expect("targets");
    for group in groups.split(',') {
        assert!(bake["group"][group].is_object(), "{group} missing from the bake file");
    }
    let cache = env["CACHE"].as_str().unwrap();
    for (name, t) in bake["target"].as_object().expect("targets") {
        assert_eq!(t["cache-from"][0], format!("type=registry,ref={cache}:cache-{name}"));
        assert_eq!(t["cache-to"][0], format!("type=registry,ref={cache}:cache-{name},mode=max"));
    }
    let manifest = env["MANIFEST"].as_str().unwrap().to_string();
    let plain: serde_json::Value = serde_json::from_str(&bin(&["bake".into(), manifest])).unwrap();
    assert!(
        plain["target"].as_object().unwrap().values().all(|t| t.get("cache-from").is_none()),
        "no cache unless asked"
    );
}

/// actionlint (`hack/lint.sh` installs it; hack/requirements-lint.txt) finds nothing in the
/// example, and does find the deprecated node20 majors it had before, so it really checks.
#[test]
fn actionlint_finds_nothing_in_the_github_actions_example() {
    let Ok(v) = Command::new("actionlint").arg("--version").output() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have actionlint: hack/lint.sh installs it");
        eprintln!("SKIP actionlint_finds_nothing_in_the_github_actions_example: actionlint is not on PATH (pip install --require-hashes -r hack/requirements-lint.txt)");
        return;
    };
    assert!(v.status.success());
    let lint = |path: &Path| {
        Command::new("actionlint").arg("-no-color").arg(path).current_dir(root()).output().expect("run actionlint")
    };
    let out = lint(&root().join(WORKFLOW));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && report.trim().is_empty(),
        "actionlint findings:\n{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let text = std::fs::read_to_string(root().join(WORKFLOW)).unwrap();
    let old = text.replace("actions/checkout@v6", "actions/checkout@v4");
    let tmp = std::env::temp_dir().join(format!("fleet-ci-example-{}.yml", std::process::id()));
    std::fs::write(&tmp, old).unwrap();
    let out = lint(&tmp);
    let _ = std::fs::remove_file(&tmp);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stdout).contains("actions/checkout@v4"));
}
