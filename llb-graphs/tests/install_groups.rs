//! LLB-level checks of the install groups (`lower::groups`, `lower::layers`): which exec ops a
//! lock change touches, big wheels alone, the layer budget, sharing between services, and
//! the installer choice. Locks are written here; digests come from the marshalled LLB.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use llb_graphs::diag::SourceFile;
use llb_graphs::llb::{render, MarshalOptions};
use llb_graphs::lower::{lower_service_with, ImageConfigError, LowerOptions, ResolvedImage};
use llb_graphs::{manifest, plan};

const MANIFEST: &str = r#"[fleet]
python = "3.11"
FLEET_EXTRA
[families.base-python]
base = "localhost:5000/python:3.11-slim"

[services.a]
family = "base-python"
source = "app"
lock = "a/uv.lock"
command = ["python3", "main.py"]
ports = { service = 8080, health = 8081 }

[services.b]
family = "base-python"
source = "app"
lock = "b/uv.lock"
command = ["python3", "main.py"]
ports = { service = 8090, health = 8091 }
"#;

/// A uv.lock of `(name, size)` packages, one py3-none-any wheel each.
fn lock(pkgs: &[(&str, u64)]) -> String {
    let mut s = String::from("version = 1\nrequires-python = \">=3.11\"\n");
    // The project, depending on every package (uv.lock is walked from it).
    s.push_str("\n[[package]]\nname = \"proj\"\nversion = \"0\"\nsource = { virtual = \".\" }\ndependencies = [\n");
    for (name, _) in pkgs {
        s.push_str(&format!("    {{ name = \"{name}\" }},\n"));
    }
    s.push_str("]\n");
    for (i, (name, size)) in pkgs.iter().enumerate() {
        let file = name.replace('-', "_");
        s.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"1.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n\
             wheels = [\n    {{ url = \"https://files.pythonhosted.org/packages/{file}-1.0-py3-none-any.whl\", hash = \"sha256:{:064x}\", size = {size} }},\n]\n",
            i + 1
        ));
    }
    s
}

/// `(exec digest, progress name)` of every op of service `target` whose name contains `needle`.
fn ops(
    fleet_extra: &str,
    target: &str,
    lock_text: &str,
    needle: &str,
) -> Result<Vec<(String, String)>, ImageConfigError> {
    let text = MANIFEST.replace("FLEET_EXTRA", fleet_extra);
    let file = manifest::source_file("fleet.toml", text.as_bytes()).unwrap();
    let m = manifest::parse(&file).unwrap();
    let p = plan::plan_service(&file, &m, Some(target)).unwrap();
    let lock_file = SourceFile::new(format!("{target}/uv.lock"), lock_text.to_string());
    let platform = llb_graphs::llb::Platform::linux_amd64();
    let deps = plan::plan_deps(&file, &p, &lock_file, &platform, false).unwrap();
    let base = ResolvedImage::unresolved(p.family.base.value.clone());
    let lowered = lower_service_with(&file, &p, &base, &[deps], &LowerOptions::default())?;
    let def = lowered.state.marshal(&MarshalOptions { source_infos: vec![], allowed_caps: None }).unwrap();
    let v = render::definition_json(&def.definition);
    Ok(v["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["digest"].as_str().unwrap().to_string(), o["metadata"]["name"].as_str().unwrap_or("").to_string()))
        .filter(|(_, n)| n.contains(needle))
        .collect())
}

fn digests(v: &[(String, String)]) -> BTreeSet<String> {
    v.iter().map(|(d, _)| d.clone()).collect()
}

fn small(n: usize) -> Vec<(String, u64)> {
    (0..n).map(|i| (format!("pkg-{i}"), 20_000)).collect()
}

fn refs(v: &[(String, u64)]) -> Vec<(&str, u64)> {
    v.iter().map(|(n, s)| (n.as_str(), *s)).collect()
}

#[test]
fn one_package_added_changes_exactly_one_group_exec() {
    let before = small(30);
    let mut after = before.clone();
    after.push(("newcomer".into(), 20_000));
    let a = ops("", "a", &lock(&refs(&before)), "uv install").unwrap();
    let b = ops("", "a", &lock(&refs(&after)), "uv install").unwrap();
    assert_eq!(a.len(), 8, "{a:?}");
    let (da, db) = (digests(&a), digests(&b));
    assert_eq!(da.difference(&db).count(), 1, "{a:?}\n{b:?}");
    assert_eq!(db.difference(&da).count(), 1);
    let changed: Vec<_> = b.iter().filter(|(d, _)| !da.contains(d)).collect();
    assert!(changed[0].1.contains("newcomer"), "{changed:?}");
}

#[test]
fn a_big_wheel_is_a_group_of_its_own() {
    let mut pkgs = small(5);
    pkgs.push(("torch".into(), 755_000_000));
    let v = ops("", "a", &lock(&refs(&pkgs)), "uv install").unwrap();
    assert!(v.iter().any(|(_, n)| n == "[a] uv install torch: 1 locked wheel (hash-checked)"), "{v:?}");
    assert!(v.iter().filter(|(_, n)| n.contains("bucket-")).all(|(_, n)| !n.contains("torch")), "{v:?}");
}

#[test]
fn more_layers_than_the_budget_is_a_located_error() {
    let big: Vec<(String, u64)> = (0..33).map(|i| (format!("big-{i}"), 60_000_000)).collect();
    match ops("", "a", &lock(&refs(&big)), "uv install") {
        Err(ImageConfigError::LayerBudget(d)) => {
            let s = d.to_string();
            assert!(s.starts_with("fleet.toml:10:8: error:") && s.contains("33 dependency layers"), "{s}");
            assert_eq!(d.rule.map(|r| r.id), Some("LayerBudget"));
        }
        other => panic!("expected a LayerBudget error, got {other:?}"),
    }
    let at_budget: Vec<(String, u64)> = (0..32).map(|i| (format!("big-{i}"), 60_000_000)).collect();
    assert_eq!(ops("", "a", &lock(&refs(&at_budget)), "uv install").unwrap().len(), 32);
}

#[test]
fn two_services_with_the_same_wheels_share_every_install_step() {
    let text = lock(&refs(&small(12)));
    let (a, b) = (ops("", "a", &text, "install").unwrap(), ops("", "b", &text, "install").unwrap());
    assert!(!a.is_empty());
    assert_eq!(digests(&a), digests(&b), "the lock path and the service stay out of the group steps");
}

#[test]
fn installer_pip_and_a_pinned_uv() {
    let text = lock(&refs(&small(3)));
    let pip = ops("installer = \"pip\"\n", "a", &text, "pip install").unwrap();
    assert!(!pip.is_empty(), "{pip:?}");
    assert!(ops("installer = \"pip\"\n", "a", &text, "fetch uv-").unwrap().is_empty());
    assert!(ops("installer = \"pip\"\n", "a", &text, "uv install").unwrap().is_empty());
    let sha = "ab".repeat(32);
    let pin = format!(
        "[fleet.uv]\nversion = \"0.9.0\"\namd64 = {{ url = \"https://example.org/uv-0.9.0-py3-none-musllinux_1_1_x86_64.whl\", sha256 = \"{sha}\" }}\n\
         arm64 = {{ url = \"https://example.org/uv-0.9.0-py3-none-musllinux_1_1_aarch64.whl\", sha256 = \"{sha}\" }}\n"
    );
    let fetched = ops(&pin, "a", &text, "fetch uv-").unwrap();
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert_eq!(fetched[0].1, "[a] fetch uv-0.9.0-py3-none-musllinux_1_1_x86_64.whl");
    let default = ops("", "a", &text, "fetch uv-").unwrap();
    assert!(default[0].1.contains(llb_graphs::lower::UV_VERSION), "{default:?}");
}
