//! Differential test: for every lock and selection of `tests/lock-differential/cases.txt` and
//! every target, the (name, version) set `lock::select` installs equals the set uv installs
//! (`expected/*.txt`, computed by `expect.py` from `uv export` and `packaging`; see the
//! corpus README). Packages uv would install from a URL or a local path, and markers that
//! depend on the Python patch level, must be refused instead.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use llb_graphs::diag::SourceFile;
use llb_graphs::lock::{self, Libc, Platform, Selection, TargetEnv};

const TARGETS: &[(&str, (u32, u32), Platform)] = &[
    ("cp311-linux-amd64", (3, 11), Platform::LinuxAmd64),
    ("cp310-linux-amd64", (3, 10), Platform::LinuxAmd64),
    ("cp311-linux-arm64", (3, 11), Platform::LinuxArm64),
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lock-differential")
}

/// `--extra X --group G --package P` as the manifest's selection.
fn selection(flags: &[&str]) -> Selection {
    let mut sel = Selection::default();
    for pair in flags.chunks(2) {
        let value = pair.get(1).expect("flag with a value").to_string();
        match pair[0] {
            "--extra" => sel.extras.push(value),
            "--group" => sel.groups.get_or_insert_with(Vec::new).push(value),
            "--package" => sel.package = Some(value),
            other => panic!("cases.txt: unknown flag {other}"),
        }
    }
    sel
}

#[test]
fn selected_packages_equal_uvs_for_every_case_and_target() {
    let cases = std::fs::read_to_string(corpus().join("cases.txt")).expect("cases.txt");
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in cases.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (case, dir, flags) = (words[0], words[1], &words[2..]);
        let lock_path = format!("{dir}/uv.lock");
        let text = std::fs::read_to_string(corpus().join(&lock_path)).expect("uv.lock");
        let expected = std::fs::read_to_string(corpus().join(format!("expected/{case}.txt"))).expect("expected");
        let file = SourceFile::new(lock_path, text);
        let lock = lock::parse(&file).unwrap_or_else(|e| panic!("{case}: {e}"));
        let sel = selection(flags);
        assert!(lock::check_selection(&lock, &sel).is_empty(), "{case}: selection refused");
        for (target, python, platform) in TARGETS {
            let want: BTreeSet<&str> =
                expected.lines().filter_map(|l| l.strip_prefix(target).and_then(|r| r.strip_prefix(' '))).collect();
            let env = TargetEnv { python: *python, platform: *platform, libc: Libc::Glibc(2, 28) };
            let got = lock::select(&lock, &file, &env, &sel);
            checked += 1;
            let refused: Vec<&&str> = want
                .iter()
                .filter(|w| ["refused ", "undecided ", "excluded "].iter().any(|p| w.starts_with(p)))
                .collect();
            match (got, refused.is_empty()) {
                (Ok(sel), true) => {
                    let got: BTreeSet<String> = sel.iter().map(|s| format!("{}=={}", s.name, s.version)).collect();
                    let got: BTreeSet<&str> = got.iter().map(String::as_str).collect();
                    if got != want {
                        let extra: Vec<_> = got.difference(&want).collect();
                        let missing: Vec<_> = want.difference(&got).collect();
                        failures.push(format!("{case} {target}: extra {extra:?}, missing {missing:?}"));
                    }
                }
                (Err(e), false) => {
                    let text = e.to_string();
                    let why = |w: &&&str| match w.split(' ').next() {
                        Some("excluded") => text.contains("the lockfile requires Python") && e.0.len() == 1,
                        Some("undecided") => text.contains("patch version"),
                        _ => text.contains("sources are not supported"),
                    };
                    let ok = refused.iter().all(why);
                    if !ok {
                        failures.push(format!("{case} {target}: refused for another reason: {text}"));
                    }
                }
                (Ok(_), false) => failures.push(format!("{case} {target}: accepted, uv installs {refused:?}")),
                (Err(e), true) => failures.push(format!("{case} {target}: {e}")),
            }
        }
    }
    assert!(checked >= 60, "only {checked} lock × target pairs");
    assert!(failures.is_empty(), "{} of {checked} differ:\n{}", failures.len(), failures.join("\n"));
}
