//! The CI examples stay true to the product: `examples/github-actions/fleet.yml` parses as YAML,
//! runs `matrix` and `bake` on a manifest that exists, has one job per wave the matrix prints,
//! and every `--target`-like value it names is a real target.

mod common;

use common::repo as root;

fn bin(args: &[&str]) -> String {
    let out = common::run_in(&root(), args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8")
}

#[test]
fn the_github_actions_example_parses_and_covers_every_wave() {
    let text = std::fs::read_to_string(root().join("examples/github-actions/fleet.yml")).expect("read workflow");
    let wf: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
    let env = &wf["env"];
    let manifest = env["MANIFEST"].as_str().expect("env.MANIFEST");
    let context = env["CONTEXT"].as_str().expect("env.CONTEXT");
    assert!(root().join(manifest).exists() && root().join(context).is_dir());
    let runs: Vec<String> = wf["jobs"]
        .as_mapping()
        .expect("jobs")
        .values()
        .flat_map(|j| j["steps"].as_sequence().cloned().unwrap_or_default())
        .filter_map(|s| s["run"].as_str().map(String::from))
        .collect();
    assert!(runs.iter().any(|r| r.contains("fleet-frontend matrix \"$MANIFEST\"")), "{runs:?}");
    assert!(runs.iter().any(|r| r.contains("fleet-frontend bake \"$MANIFEST\"")), "{runs:?}");
    assert!(runs.iter().any(|r| r.contains("fleet-frontend check \"$MANIFEST\"")), "{runs:?}");

    let matrix: serde_json::Value = serde_json::from_str(&bin(&["matrix", manifest])).expect("matrix JSON");
    let waves = matrix["waves"].as_array().expect("waves").len();
    assert!(waves >= 3, "families and services give several waves");
    for w in 0..waves {
        let job = &wf["jobs"][format!("wave-{w}").as_str()];
        let m = job["strategy"]["matrix"].as_str().expect("wave job has a matrix");
        assert!(m.contains(&format!("waves[{w}]")), "wave-{w} reads its own wave: {m}");
        for e in matrix["waves"][w]["include"].as_array().expect("include") {
            assert!(e["target"].is_string() && e["image"].as_str().is_some_and(|i| i.contains(':')));
        }
    }
    assert!(wf["jobs"][format!("wave-{waves}").as_str()].is_null(), "no job for a wave that does not exist");
    // The bake job's groups exist in the generated bake file.
    let bake: serde_json::Value =
        serde_json::from_str(&bin(&["bake", manifest, "--frontend", "x", "--context", context])).expect("bake JSON");
    let bake_run = runs.iter().find(|r| r.starts_with("docker buildx bake")).expect("bake step");
    for group in bake_run.split_whitespace().filter(|w| w.starts_with("wave-")) {
        assert!(bake["group"][group].is_object(), "{group} missing from the bake file");
    }
}
