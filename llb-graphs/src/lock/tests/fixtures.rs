//! Real tool outputs: every fixture parses (or fails where it must), and the tools agree.

use std::collections::BTreeSet;

use super::*;

macro_rules! fixture {
    ($path:literal) => {
        ($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lock/", $path)))
    };
}

const PIP_COMPILE_WEB: (&str, &str) = fixture!("pip-compile/web.txt");
const PIP_COMPILE_MARKER: (&str, &str) = fixture!("pip-compile/marker.txt");
const UV_PIP_COMPILE_WEB: (&str, &str) = fixture!("uv-pip-compile/web.txt");
const UV_PIP_COMPILE_WEB_UNIVERSAL: (&str, &str) = fixture!("uv-pip-compile/web-universal.txt");
const UV_PIP_COMPILE_MARKER: (&str, &str) = fixture!("uv-pip-compile/marker.txt");
const UV_PIP_COMPILE_MARKER_UNIVERSAL: (&str, &str) = fixture!("uv-pip-compile/marker-universal.txt");
const UV_EXPORT_WEB: (&str, &str) = fixture!("uv-export/web.txt");
const UV_EXPORT_MARKER: (&str, &str) = fixture!("uv-export/marker.txt");
const UV_EXPORT_PKG: (&str, &str) = fixture!("uv-export/pkg.txt");
const UV_EXPORT_PKG_NO_PROJECT: (&str, &str) = fixture!("uv-export/pkg-no-project.txt");
const UV_LOCK_WEB: (&str, &str) = fixture!("uv-lock/web/uv.lock");
const UV_LOCK_MARKER: (&str, &str) = fixture!("uv-lock/marker/uv.lock");
const UV_LOCK_PKG: (&str, &str) = fixture!("uv-lock/pkg/uv.lock");
const PYLOCK_UV_WEB: (&str, &str) = fixture!("uv-export-pylock/pylock.web.toml");
const PYLOCK_UV_MARKER: (&str, &str) = fixture!("uv-export-pylock/pylock.marker.toml");
const PYLOCK_UV_PKG: (&str, &str) = fixture!("uv-export-pylock/pylock.pkg.toml");
const PYLOCK_PIP_WEB: (&str, &str) = fixture!("pip-lock/pylock.web.toml");
const PYLOCK_PIP_MARKER: (&str, &str) = fixture!("pip-lock/pylock.marker.toml");
const PYLOCK_PIP_WEB_PROJECT: (&str, &str) = fixture!("pip-lock/pylock.web-project.toml");

/// The `(name, version)` pairs of the web project resolved for CPython 3.11 (pip-compile).
const WEB_311: &[(&str, &str)] = &[
    ("annotated-doc", "0.0.7"),
    ("annotated-types", "0.8.0"),
    ("anyio", "4.16.0"),
    ("click", "8.5.1"),
    ("fastapi", "0.165.0"),
    ("h11", "0.16.0"),
    ("idna", "3.20"),
    ("opentelemetry-api", "1.45.2"),
    ("pydantic", "2.14.4"),
    ("pydantic-core", "2.50.5"),
    ("starlette", "1.10.0"),
    ("typing-extensions", "4.16.0"),
    ("typing-inspection", "0.4.5"),
    ("uvicorn", "0.54.0"),
];

fn pins(sel: &[Selected]) -> Vec<(&str, &str)> {
    sel.iter().map(|s| (s.name.as_str(), s.version.as_str())).collect()
}

fn selected(f: (&str, &str), env: &TargetEnv) -> Vec<Selected> {
    select_named(f.0, f.1, env).unwrap_or_else(|e| panic!("{}: {e:#?}", f.0))
}

#[test]
fn every_good_fixture_parses_with_sorted_hashed_packages() {
    let good = [
        (PIP_COMPILE_WEB, LockKind::Requirements, 14),
        (PIP_COMPILE_MARKER, LockKind::Requirements, 1),
        (UV_PIP_COMPILE_WEB, LockKind::Requirements, 14),
        (UV_PIP_COMPILE_WEB_UNIVERSAL, LockKind::Requirements, 14),
        (UV_PIP_COMPILE_MARKER, LockKind::Requirements, 1),
        (UV_PIP_COMPILE_MARKER_UNIVERSAL, LockKind::Requirements, 2),
        (UV_EXPORT_WEB, LockKind::Requirements, 18),
        (UV_EXPORT_MARKER, LockKind::Requirements, 6),
        (UV_EXPORT_PKG_NO_PROJECT, LockKind::Requirements, 2),
        (UV_LOCK_WEB, LockKind::UvLock, 18),
        (UV_LOCK_MARKER, LockKind::UvLock, 6),
        (UV_LOCK_PKG, LockKind::UvLock, 2),
        (PYLOCK_UV_WEB, LockKind::PyLock, 18),
        (PYLOCK_UV_MARKER, LockKind::PyLock, 6),
        (PYLOCK_PIP_WEB, LockKind::PyLock, 14),
        (PYLOCK_PIP_MARKER, LockKind::PyLock, 1),
    ];
    for ((name, text), kind, count) in good {
        let lock = parse_named(name, text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(lock.kind, kind, "{name}");
        assert_eq!(
            lock.packages.len(),
            count,
            "{name}: {:?}",
            lock.packages.iter().map(|p| &p.name).collect::<Vec<_>>()
        );
        let names: Vec<&str> = lock.packages.iter().map(|p| p.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "{name}: packages sorted by name");
        for p in &lock.packages {
            assert!(!p.hashes.is_empty() || !p.artifacts.is_empty(), "{name}: {} has no hashes", p.name);
            assert!(p.artifacts.iter().all(|a| a.sha256.len() == 64 && a.url.is_some()), "{name}: {}", p.name);
        }
    }
}

#[test]
fn every_tool_resolves_the_web_project_alike_for_cpython_311() {
    for f in [PIP_COMPILE_WEB, UV_PIP_COMPILE_WEB, UV_PIP_COMPILE_WEB_UNIVERSAL, UV_EXPORT_WEB, PYLOCK_UV_WEB] {
        for env in [AMD64, ARM64_MUSL] {
            assert_eq!(pins(&selected(f, &env)), WEB_311, "{} on {env}", f.0);
        }
    }
    assert_eq!(pins(&selected(PYLOCK_PIP_WEB, &AMD64)), WEB_311);
    // uv.lock is walked from the project with edge markers, so anyio's
    // `exceptiongroup; python_full_version < '3.11'` is not reached on 3.11: the set
    // `uv export --frozen --no-dev` gives (fixtures README).
    for env in [AMD64, ARM64_MUSL] {
        assert_eq!(pins(&selected(UV_LOCK_WEB, &env)), WEB_311, "{env}");
    }
}

#[test]
fn universal_locks_pick_the_fork_of_the_target_python() {
    let py310 = TargetEnv { python: (3, 10), ..AMD64 };
    for f in [UV_EXPORT_WEB, UV_LOCK_WEB, PYLOCK_UV_WEB] {
        let sel = selected(f, &py310);
        let got: BTreeSet<(&str, &str)> = pins(&sel).into_iter().collect();
        assert!(got.contains(&("annotated-doc", "0.0.6")), "{}: {got:?}", f.0);
        assert!(got.contains(&("exceptiongroup", "1.3.2")), "{}: {got:?}", f.0);
        assert!(got.contains(&("fastapi", "0.162.5")), "{}: {got:?}", f.0);
    }
}

#[test]
fn wheel_digests_agree_with_the_exported_requirements_hashes() {
    let txt = parse_named(UV_EXPORT_WEB.0, UV_EXPORT_WEB.1).expect("parses");
    for f in [UV_LOCK_WEB, PYLOCK_UV_WEB, PYLOCK_PIP_WEB] {
        for s in selected(f, &AMD64) {
            let allowed = txt
                .packages
                .iter()
                .find(|p| p.name == s.name && p.version == s.version)
                .map(|p| p.hashes.clone())
                .unwrap_or_default();
            assert!(allowed.contains(&s.artifact.sha256), "{}: {} {}", f.0, s.name, s.artifact.filename);
        }
    }
}

#[test]
fn binary_wheels_follow_the_target_platform() {
    let table = [
        (AMD64, "pydantic_core-2.50.5-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"),
        (ARM64_MUSL, "pydantic_core-2.50.5-cp311-cp311-musllinux_1_1_aarch64.whl"),
    ];
    for f in [UV_LOCK_WEB, PYLOCK_UV_WEB] {
        for (env, want) in &table {
            let sel = selected(f, env);
            let core = sel.iter().find(|s| s.name == "pydantic-core").expect("pydantic-core selected");
            assert_eq!(core.artifact.filename, *want, "{} on {env}", f.0);
        }
    }
}

#[test]
fn pip_lock_is_for_the_locking_machine_only() {
    // `pip lock` records only the wheels of the machine it ran on (x86_64 glibc).
    let e = select_named(PYLOCK_PIP_WEB.0, PYLOCK_PIP_WEB.1, &ARM64_MUSL).expect_err("no arm64 wheels");
    assert_eq!(
        e,
        ["pip-lock/pylock.web.toml:104:8: error: package `pydantic-core` 2.50.5: no wheel fits CPython 3.11 on \
          linux/arm64 (musl 1.2) and there is no sdist (available wheel tags: \
          cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64)"]
    );
}

#[test]
fn requirements_pins_select_as_hashes_only() {
    let sel = selected(PIP_COMPILE_WEB, &AMD64);
    let click = sel.iter().find(|s| s.name == "click").expect("click");
    assert_eq!(click.artifact.filename, "");
    assert_eq!(click.artifact.url, None);
    let ArtifactKind::HashesOnly(h) = &click.artifact.kind else { panic!("{:?}", click.artifact.kind) };
    assert_eq!(h.len(), 2);
    assert_eq!(click.artifact.sha256, h[0]);
    let f = SourceFile::new(PIP_COMPILE_WEB.0, PIP_COMPILE_WEB.1);
    assert_eq!(f.position(click.span.start), (21, 1));
}

#[test]
fn marker_project_skips_packages_of_other_environments() {
    let py39 = TargetEnv { python: (3, 9), ..AMD64 };
    let old = ["click", "exceptiongroup", "tomli", "typing-extensions"];
    for f in [UV_EXPORT_MARKER, PYLOCK_UV_MARKER] {
        assert_eq!(pins(&selected(f, &AMD64)), [("click", "8.5.1")], "{}", f.0);
        let names: Vec<String> = selected(f, &py39).into_iter().map(|s| s.name).collect();
        assert_eq!(names, old, "{}", f.0);
    }
    // uv.lock: the edge markers decide, as `uv export` says (3.11: click only; 3.10: click and
    // the backports; the Windows-only colorama never).
    assert_eq!(pins(&selected(UV_LOCK_MARKER, &AMD64)), [("click", "8.5.1")]);
    let py310 = TargetEnv { python: (3, 10), ..AMD64 };
    let names: Vec<String> = selected(UV_LOCK_MARKER, &py310).into_iter().map(|s| s.name).collect();
    assert_eq!(names, old);
}

#[test]
fn uv_lock_skips_the_editable_project_and_records_the_index() {
    let lock = parse_named(UV_LOCK_PKG.0, UV_LOCK_PKG.1).expect("parses");
    let names: Vec<&str> = lock.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["colorama", "markupsafe"]);
    assert_eq!(lock.index_urls, ["https://pypi.org/simple"]);
    assert_eq!(lock.requires_python.as_ref().map(|r| r.text.as_str()), Some(">=3.11"));
    let want = [
        (AMD64, "markupsafe-3.0.4-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl"),
        (ARM64_MUSL, "markupsafe-3.0.4-cp311-cp311-musllinux_1_2_aarch64.whl"),
    ];
    for (env, file) in want {
        // colorama is reached only under `sys_platform == 'win32'`.
        let sel = selected(UV_LOCK_PKG, &env);
        assert_eq!(pins(&sel), [("markupsafe", "3.0.4")]);
        assert_eq!(sel[0].artifact.filename, file, "{env}");
        assert!(sel[0].artifact.size.is_some());
    }
}

#[test]
fn projects_in_lockfiles_are_skipped_or_fail_closed_at_their_line() {
    let e = one_error(UV_EXPORT_PKG.0, UV_EXPORT_PKG.1);
    assert!(e.starts_with("uv-export/pkg.txt:3:1: error: editable requirement is not supported"), "{e}");
    assert!(e.contains("uv export --no-emit-project"), "{e}");
    // PEP 751 locks name the project as `directory = { path = "." }` (uv: editable): it is the
    // code being built, skipped like the uv.lock project; the rest selects as uv/pip would.
    assert_eq!(pins(&selected(PYLOCK_UV_PKG, &AMD64)), [("markupsafe", "3.0.4")]);
    assert_eq!(pins(&selected(PYLOCK_PIP_WEB_PROJECT, &AMD64)), WEB_311);
    let other = PYLOCK_UV_PKG.1.replace("path = \".\", editable", "path = \"../lib\", editable");
    let e = one_error(PYLOCK_UV_PKG.0, &other);
    assert!(
        e.starts_with("uv-export-pylock/pylock.pkg.toml:17:13: error: package `demo-pkg`: directory sources"),
        "{e}"
    );
}

#[test]
fn too_old_a_python_is_refused_with_the_lock_requirement() {
    let py39 = TargetEnv { python: (3, 9), ..AMD64 };
    let e = select_named(UV_LOCK_WEB.0, UV_LOCK_WEB.1, &py39).expect_err("3.9 < 3.10");
    assert_eq!(
        e,
        ["uv-lock/web/uv.lock:3:19: error: the lockfile requires Python `>=3.10`; the target is CPython 3.9 on linux/amd64 (glibc 2.36)"]
    );
}
