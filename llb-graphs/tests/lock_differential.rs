//! Differential test: for every lock and selection of `tests/lock-differential/cases.txt` and
//! every target, the (name, version) set `lock::select` installs equals the set uv installs
//! (`expected/*.txt`, computed by `expect.py` from `uv export` and `packaging`; see the
//! corpus README). Packages uv would install from a URL or a local path, and markers that
//! depend on the Python patch level, must be refused instead. Within each package, the file
//! chosen equals the one pip's own evaluator picks among the lock's files (`expected/*.files.txt`,
//! computed by `files.py` with `pip._internal`).

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

type Outcome = Result<BTreeSet<String>, (String, usize)>;

/// A case line of `cases.txt`: name, lock directory, selection flags.
fn cases() -> Vec<(String, String, Selection)> {
    let text = std::fs::read_to_string(corpus().join("cases.txt")).expect("cases.txt");
    let lines = text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    lines
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            (words[0].to_string(), words[1].to_string(), selection(&words[2..]))
        })
        .collect()
}

fn render(d: llb_graphs::diag::Diagnostics) -> (String, usize) {
    (d.to_string(), d.0.len())
}

/// What the frontend installs from a parsed lock for `env`: (name==version)s, or the rendered
/// errors (from parsing or selecting) and how many there were.
fn install(
    file: &SourceFile,
    parsed: &Result<lock::LockFile, (String, usize)>,
    env: &TargetEnv,
    sel: &Selection,
) -> Outcome {
    let lock = parsed.as_ref().map_err(Clone::clone)?;
    if !lock::check_selection(lock, sel).is_empty() {
        return Err((format!("{}: selection refused", file.name), 1));
    }
    let chosen = lock::select(lock, file, env, sel).map_err(render)?;
    Ok(chosen.iter().map(|s| format!("{}=={}", s.name, s.version)).collect())
}

/// The files the frontend installs: `name==version filename` per selected package.
fn files(file: &SourceFile, env: &TargetEnv, sel: &Selection) -> Result<BTreeSet<String>, String> {
    let lock = lock::parse(file).map_err(|d| d.to_string())?;
    let chosen = lock::select(&lock, file, env, sel).map_err(|d| d.to_string())?;
    Ok(chosen.iter().map(|s| format!("{}=={} {}", s.name, s.version, s.artifact.filename)).collect())
}

/// Compares one install with uv's expectation lines for one target; a difference is pushed.
fn compare(what: &str, got: Outcome, want: &BTreeSet<&str>, out: &mut Vec<String>) {
    let refused: Vec<&&str> =
        want.iter().filter(|w| ["refused ", "undecided ", "excluded "].iter().any(|p| w.starts_with(p))).collect();
    match (got, refused.is_empty()) {
        (Ok(got), true) => {
            let got: BTreeSet<&str> = got.iter().map(String::as_str).collect();
            if got != *want {
                let extra: Vec<_> = got.difference(want).collect();
                let missing: Vec<_> = want.difference(&got).collect();
                out.push(format!("{what}: extra {extra:?}, missing {missing:?}"));
            }
        }
        (Err((text, count)), false) => {
            let why = |w: &&&str| match w.split(' ').next() {
                Some("excluded") => text.contains("the lockfile requires Python") && count == 1,
                Some("undecided") => text.contains("patch version"),
                _ => text.contains("sources are not supported"),
            };
            if !refused.iter().all(why) {
                out.push(format!("{what}: refused for another reason: {text}"));
            }
        }
        (Ok(_), false) => out.push(format!("{what}: accepted, uv installs {refused:?}")),
        (Err((text, _)), true) => out.push(format!("{what}: {text}")),
    }
}

#[test]
fn selected_packages_equal_uvs_for_every_case_and_target() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (case, dir, sel) in cases() {
        let lock_path = format!("{dir}/uv.lock");
        let text = std::fs::read_to_string(corpus().join(&lock_path)).expect("uv.lock");
        let expected = std::fs::read_to_string(corpus().join(format!("expected/{case}.txt"))).expect("expected");
        // uv bakes the selection into an exported pylock.toml: it is read with none.
        let pylock_path = format!("expected/{case}.pylock.toml");
        let pylock =
            std::fs::read_to_string(corpus().join(&pylock_path)).ok().map(|t| SourceFile::new("pylock.toml", t));
        let pylock = pylock.map(|f| {
            let parsed = lock::parse(&f).map_err(render);
            (f, parsed)
        });
        let file = SourceFile::new(lock_path, text);
        let parsed = lock::parse(&file).map_err(render);
        for (target, python, platform) in TARGETS {
            let want: BTreeSet<&str> =
                expected.lines().filter_map(|l| l.strip_prefix(target).and_then(|r| r.strip_prefix(' '))).collect();
            let env = TargetEnv { python: *python, platform: *platform, libc: Libc::Glibc(2, 28) };
            compare(&format!("{case} {target}"), install(&file, &parsed, &env, &sel), &want, &mut failures);
            checked += 1;
            if let Some((pf, pl)) = &pylock {
                let got = install(pf, pl, &env, &Selection::default());
                compare(&format!("{case} {target} (pylock.toml)"), got, &want, &mut failures);
                checked += 1;
            }
        }
    }
    assert!(checked >= 100, "only {checked} lock × target pairs");
    assert!(failures.is_empty(), "{} of {checked} differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn chosen_files_equal_pips_for_every_case_and_target() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (case, dir, sel) in cases() {
        let lock_path = format!("{dir}/uv.lock");
        let text = std::fs::read_to_string(corpus().join(&lock_path)).expect("uv.lock");
        let file = SourceFile::new(lock_path, text);
        let expected = std::fs::read_to_string(corpus().join(format!("expected/{case}.files.txt"))).expect("files.txt");
        for (target, python, platform) in TARGETS {
            let want: BTreeSet<&str> =
                expected.lines().filter_map(|l| l.strip_prefix(target).and_then(|r| r.strip_prefix(' '))).collect();
            let env = TargetEnv { python: *python, platform: *platform, libc: Libc::Glibc(2, 28) };
            // Refusals are the other test's business; pip's `none` must be one of them.
            let Ok(got) = files(&file, &env, &sel) else { continue };
            let got: BTreeSet<&str> = got.iter().map(String::as_str).collect();
            checked += got.len();
            if got != want {
                let extra: Vec<_> = got.difference(&want).collect();
                let missing: Vec<_> = want.difference(&got).collect();
                failures.push(format!("{case} {target}: ours {extra:?}, pip's {missing:?}"));
            }
        }
    }
    assert!(checked >= 1000, "only {checked} files compared");
    assert!(failures.is_empty(), "{} differ:\n{}", failures.len(), failures.join("\n"));
}
