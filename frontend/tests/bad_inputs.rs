//! The bad-input corpus, `tests/bad-inputs/<case>/`, run through the real `fleet-frontend`
//! binary: every case must exit 1, never panic, and print exactly its `expected.txt`.
//! `UPDATE_BAD_INPUTS=1` rewrites the expected files (review the diff by eye).
//!
//! A case directory holds (see tests/bad-inputs/README.md):
//! - `args`: the command line after `fleet-frontend`, split on whitespace (`llb fleet.toml
//!   --target hello`, `check fleet.toml`, ...), run in a fresh temp dir, the build context;
//! - `fleet.toml`: the manifest bytes (absent when `setup` generates it or the case is about a
//!   missing file);
//! - `context/` (optional): copied into the temp dir, which always starts with an empty `app/`;
//! - `setup` (optional): one step per line, applied after that: `mkdir P`, `file P`, `rm P`,
//!   `symlink LINK TARGET` (links are made here, never committed), `generate KIND [FILE]`
//!   (writes `fleet.toml` or FILE: huge, many-services, deep-arrays, deep-inline-tables,
//!   deep-dotted-keys, deep-table-header, deep-family-chain; deep-marker, long-marker are
//!   requirements files);
//! - `expected.txt`: stdout then stderr, exactly. `{..}` matches any text on one line; only
//!   cases of known bugs (which have a `bug` file and an `#[ignore]` here) use it, because
//!   their expected text is the behaviour required, written by hand, not recorded.
//!
//! The same file replays `fuzz/regressions/<target>/*` through the fuzz targets' bodies.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The gateway's option parser (binary crate), for the `options` fuzz regressions.
#[path = "../src/gateway/options.rs"]
#[allow(dead_code)]
mod options;

/// The fuzz targets' bodies; they call `crate::options`.
#[path = "../../fuzz/src/targets.rs"]
mod fuzz_targets;

mod common;

use common::{copy_tree, repo, Sandbox, BIN, GOOD};

/// A case that takes longer than this is a hang (the huge cases take well under a second).
const CASE_TIMEOUT: Duration = Duration::from_secs(60);

fn corpus() -> PathBuf {
    repo().join("tests/bad-inputs")
}

/// A sha256 digest for generated lockfiles.
const HASH: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// Manifests (and lockfiles) too big or too regular to commit, made by `generate KIND [FILE]`.
fn generate(kind: &str) -> Vec<u8> {
    const LIMIT: usize = 4 << 20; // llb_graphs::manifest::MAX_MANIFEST_BYTES
    match kind {
        // One byte over the limit: a valid manifest padded with comment lines.
        "huge" => {
            let mut s = GOOD.to_string();
            let line = format!("# {}\n", "x".repeat(77));
            while s.len() + line.len() <= LIMIT {
                s.push_str(&line);
            }
            s.push_str(&"#".repeat(LIMIT + 1 - s.len() - 1));
            s.push('\n');
            assert_eq!(s.len(), LIMIT + 1);
            s.into_bytes()
        }
        // 4000 valid services (~0.6 MiB), the last one's service port taken by the first.
        "many-services" => {
            let mut s = "[families.base-python]\nbase = \"python:3.11-slim\"\n".to_string();
            for i in 0..4000u32 {
                let (service, health) = (if i == 3999 { 10_000 } else { 10_000 + 2 * i }, 10_001 + 2 * i);
                s.push_str(&format!(
                    "\n[services.s{i:04}]\nfamily = \"base-python\"\nsource = \"app\"\n\
                     command = [\"python3\", \"app.py\"]\nports = {{ service = {service}, health = {health} }}\n"
                ));
            }
            s.into_bytes()
        }
        // Line 9 of each: 10,000 levels of the same construct.
        "deep-arrays" => format!("{GOOD}description = {}{}\n", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
        "deep-inline-tables" => {
            format!("{GOOD}labels = {}\"v\"{}\n", "{ a = ".repeat(10_000), " }".repeat(10_000)).into_bytes()
        }
        "deep-dotted-keys" => format!("{GOOD}labels{} = \"v\"\n", ".a".repeat(10_000)).into_bytes(),
        "deep-table-header" => format!("{GOOD}\n[services.hello.labels{}]\n", ".a".repeat(10_000)).into_bytes(),
        // A requirements line whose marker is 10,000 parentheses deep (20 KB).
        "deep-marker" => format!(
            "six==1.16.0 ; {}os_name == 'posix'{} --hash=sha256:{HASH}\n",
            "(".repeat(10_000),
            ")".repeat(10_000)
        )
        .into_bytes(),
        // A valid marker of 20,000 `and` terms (~0.5 MB): evaluated without recursion.
        "long-marker" => {
            format!("six==1.16.0 ; {} --hash=sha256:{HASH}\n", vec!["os_name == 'posix'"; 20_000].join(" and "))
                .into_bytes()
        }
        // A parent chain near the 4 MiB limit whose root points back at its leaf: one cycle
        // through every family, found in linear time.
        "deep-family-chain" => {
            let mut s = String::new();
            let n = 90_000;
            for i in 0..n {
                s.push_str(&format!("[families.f{i}]\nparent = \"f{}\"\n", (i + 1) % n));
            }
            s.push_str("\n[services.hello]\nfamily = \"f0\"\nsource = \"app\"\ncommand = [\"x\"]\nports = { service = 8080, health = 8081 }\n");
            assert!(s.len() <= LIMIT, "{}", s.len());
            s.into_bytes()
        }
        other => panic!("setup: unknown generator `{other}`"),
    }
}

/// Applies one `setup` line inside the sandbox.
fn setup_step(dir: &Path, line: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        [] => {}
        [c, ..] if c.starts_with('#') => {}
        ["mkdir", p] => fs::create_dir_all(dir.join(p)).expect("setup mkdir"),
        ["file", p] => fs::write(dir.join(p), "a regular file\n").expect("setup file"),
        ["rm", p] => {
            let p = dir.join(p);
            match fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => fs::remove_dir_all(&p).expect("setup rm dir"),
                Ok(_) => fs::remove_file(&p).expect("setup rm file"),
                Err(e) => panic!("setup rm {}: {e}", p.display()),
            }
        }
        #[cfg(unix)]
        ["symlink", link, target] => std::os::unix::fs::symlink(target, dir.join(link)).expect("setup symlink"),
        ["generate", kind] => fs::write(dir.join("fleet.toml"), generate(kind)).expect("setup generate"),
        ["generate", kind, file] => fs::write(dir.join(file), generate(kind)).expect("setup generate"),
        _ => panic!("setup: cannot read line {line:?}"),
    }
}

/// What one run printed.
struct Outcome {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs the binary in `dir`, killing it after [`CASE_TIMEOUT`].
fn run_bin(dir: &Path, args: &[&str]) -> Outcome {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run fleet-frontend");
    let (mut out, mut err) = (child.stdout.take().expect("stdout"), child.stderr.take().expect("stderr"));
    let out_t = std::thread::spawn(move || {
        let mut b = vec![];
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = vec![];
        let _ = err.read_to_end(&mut b);
        b
    });
    let deadline = Instant::now() + CASE_TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("fleet-frontend {args:?} still running after {CASE_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Outcome { code: status.code(), stdout: out_t.join().expect("stdout"), stderr: err_t.join().expect("stderr") }
}

/// `expected` with `{..}` wildcards (each matching any text within one line) against `actual`.
fn matches(expected: &str, actual: &str) -> bool {
    let (el, al): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    el.len() == al.len()
        && el.iter().zip(&al).all(|(e, a)| {
            let parts: Vec<&str> = e.split("{..}").collect();
            if parts.len() == 1 {
                return e == a;
            }
            let (first, last) = (parts[0], parts[parts.len() - 1]);
            if !a.starts_with(first) || !a[first.len()..].ends_with(last) || a.len() < first.len() + last.len() {
                return false;
            }
            let mut rest = &a[first.len()..a.len() - last.len()];
            for p in &parts[1..parts.len() - 1] {
                match rest.find(p) {
                    Some(i) => rest = &rest[i + p.len()..],
                    None => return false,
                }
            }
            true
        })
}

/// Runs case `name` and checks it.
fn check_case(name: &str) {
    let case = corpus().join(name);
    assert!(case.is_dir(), "no case directory {}", case.display());
    let sb = Sandbox::new(name);
    if case.join("context").is_dir() {
        copy_tree(&case.join("context"), &sb.0);
    }
    if case.join("fleet.toml").is_file() {
        fs::copy(case.join("fleet.toml"), sb.0.join("fleet.toml")).expect("copy manifest");
    }
    if let Ok(setup) = fs::read_to_string(case.join("setup")) {
        for line in setup.lines() {
            setup_step(&sb.0, line);
        }
    }
    let args_text = fs::read_to_string(case.join("args")).expect("every case has an `args` file");
    let args: Vec<&str> = args_text.split_whitespace().collect();
    let out = run_bin(&sb.0, &args);

    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let actual = format!("{stdout}{stderr}");
    assert!(!actual.contains("panicked"), "{name}: fleet-frontend panicked:\n{actual}");
    // A case of a warning-only rule says `0` in its `exit` file; every other case exits 1.
    let want_code =
        fs::read_to_string(case.join("exit")).map_or(1, |t| t.trim().parse().expect("`exit` holds a number"));
    assert_eq!(out.code, Some(want_code), "{name}: exit code; output:\n{actual}");
    if args.first() == Some(&"llb") {
        assert!(out.stdout.is_empty(), "{name}: llb wrote {} bytes to stdout on a bad input", out.stdout.len());
    }
    let expected_path = case.join("expected.txt");
    let known_bug = case.join("bug").exists();
    if std::env::var("UPDATE_BAD_INPUTS").is_ok_and(|v| v == "1") && !known_bug {
        fs::write(&expected_path, &actual).expect("write expected.txt");
        return;
    }
    let expected = fs::read_to_string(&expected_path)
        .unwrap_or_else(|e| panic!("{name}: {e}: run with UPDATE_BAD_INPUTS=1 and review {}", expected_path.display()));
    assert!(
        if known_bug { matches(&expected, &actual) } else { expected == actual },
        "{name}: output differs from {}\n--- expected\n{expected}--- actual\n{actual}---\n\
         (UPDATE_BAD_INPUTS=1 rewrites it; review the diff)",
        expected_path.display()
    );
}

/// One `#[test]` per case directory, so each can be run, named and `#[ignore]`d alone.
macro_rules! cases {
    ($($(#[$attr:meta])* $test:ident: $dir:literal;)*) => {
        $(
            $(#[$attr])*
            #[test]
            fn $test() {
                check_case($dir);
            }
        )*

        /// Every directory under tests/bad-inputs/ has a test above, and every test a directory.
        #[test]
        fn every_case_directory_has_a_test() {
            let mut listed: Vec<&str> = vec![$($dir),*];
            listed.sort_unstable();
            let mut dirs: Vec<String> = fs::read_dir(corpus())
                .expect("tests/bad-inputs")
                .map(|e| e.expect("entry"))
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            dirs.sort_unstable();
            assert_eq!(listed, dirs, "add the new case directory to `cases!` in frontend/tests/bad_inputs.rs");
        }
    };
}

cases! {
    // TOML syntax
    syntax_unclosed_table_header: "syntax-unclosed-table-header";
    syntax_unterminated_string: "syntax-unterminated-string";
    syntax_missing_value: "syntax-missing-value";
    syntax_bare_word_value: "syntax-bare-word-value";
    syntax_unclosed_array: "syntax-unclosed-array";
    syntax_unclosed_inline_table: "syntax-unclosed-inline-table";
    syntax_invalid_escape: "syntax-invalid-escape";
    syntax_key_without_equals: "syntax-key-without-equals";
    syntax_table_redefined: "syntax-table-redefined";
    // wrong types
    type_port_string: "type-port-string";
    type_port_float: "type-port-float";
    type_command_string: "type-command-string";
    type_command_element_integer: "type-command-element-integer";
    type_family_inline_table: "type-family-inline-table";
    type_services_array_of_tables: "type-services-array-of-tables";
    type_env_value_integer: "type-env-value-integer";
    type_writable_string: "type-writable-string";
    type_fleet_string: "type-fleet-string";
    type_ports_array: "type-ports-array";
    // unknown keys at each level
    unknown_key_root: "unknown-key-root";
    unknown_key_fleet: "unknown-key-fleet";
    unknown_key_family: "unknown-key-family";
    unknown_key_service: "unknown-key-service";
    unknown_key_ports: "unknown-key-ports";
    unknown_key_no_suggestion: "unknown-key-no-suggestion";
    // duplicate keys
    duplicate_key_in_table: "duplicate-key-in-table";
    duplicate_key_in_inline_table: "duplicate-key-in-inline-table";
    // ports
    port_zero: "port-zero";
    port_65536: "port-65536";
    port_negative: "port-negative";
    port_huge_integer: "port-huge-integer";
    port_health_equals_service: "port-health-equals-service";
    port_shared_between_services: "port-shared-between-services";
    port_health_of_one_is_service_of_other: "port-health-of-one-is-service-of-other";
    port_missing_health: "port-missing-health";
    // families
    family_unknown_with_suggestion: "family-unknown-with-suggestion";
    family_unknown_without_suggestion: "family-unknown-without-suggestion";
    family_unknown_none_defined: "family-unknown-none-defined";
    family_missing_base: "family-missing-base";
    // paths in the build context
    source_dotdot: "source-dotdot";
    source_absolute: "source-absolute";
    source_inner_dotdot: "source-inner-dotdot";
    source_windows_absolute: "source-windows-absolute";
    source_symlink_outside: "source-symlink-outside";
    source_through_symlinked_parent: "source-through-symlinked-parent";
    source_symlink_inside_context: "source-symlink-inside-context";
    source_missing: "source-missing";
    source_is_a_file: "source-is-a-file";
    writable_dotdot: "writable-dotdot";
    writable_absolute: "writable-absolute";
    writable_whole_workdir: "writable-whole-workdir";
    // command, health_path, workdir
    command_missing: "command-missing";
    command_empty: "command-empty";
    command_blank_program: "command-blank-program";
    health_path_relative: "health-path-relative";
    health_path_with_space: "health-path-with-space";
    workdir_relative: "workdir-relative";
    workdir_dotdot: "workdir-dotdot";
    workdir_root: "workdir-root";
    // names
    env_name_with_dash: "env-name-with-dash";
    env_name_leading_digit: "env-name-leading-digit";
    env_name_empty: "env-name-empty";
    service_name_invalid: "service-name-invalid";
    family_name_invalid: "family-name-invalid";
    // base references
    base_uppercase: "base-uppercase";
    builder_bad_image: "builder-bad-image";
    builder_unknown_key: "builder-unknown-key";
    base_bad_digest: "base-bad-digest";
    base_empty: "base-empty";
    base_empty_tag: "base-empty-tag";
    base_with_space: "base-with-space";
    // the file as a whole
    huge_manifest: "huge-manifest";
    many_services_with_a_clash_at_the_end: "many-services-with-a-clash-at-the-end";
    deep_nesting_arrays: "deep-nesting-arrays";
    deep_nesting_inline_tables: "deep-nesting-inline-tables";
    deep_nesting_dotted_keys: "deep-nesting-dotted-keys";
    deep_nesting_table_header: "deep-nesting-table-header";
    non_utf8_in_a_string: "non-utf8-in-a-string";
    non_utf8_first_byte: "non-utf8-first-byte";
    empty_file: "empty-file";
    whitespace_only: "whitespace-only";
    comments_only: "comments-only";
    no_services: "no-services";
    manifest_file_missing: "manifest-file-missing";
    // targets and platforms
    target_unknown: "target-unknown";
    target_unknown_near_miss: "target-unknown-near-miss";
    target_missing_with_several_services: "target-missing-with-several-services";
    cuda_family_on_arm64: "cuda-family-on-arm64";
    platform_malformed: "platform-malformed";
    several_problems_in_file_order: "several-problems-in-file-order";
    // one case (or more) per rule of the fleet validator, through `check`
    rule_invalid_check_directive: "rule-invalid-check-directive";
    check_skip_unused_family: "check-skip-unused-family";
    check_error_true: "check-error-true";
    check_error_true_llb: "check-error-true-llb";
    rule_cuda_without_gpu: "rule-cuda-without-gpu";
    rule_duplicate_port: "rule-duplicate-port";
    rule_family_cycle: "rule-family-cycle";
    rule_family_root: "rule-family-root";
    rule_floating_base_reference: "rule-floating-base-reference";
    rule_health_port_equals_service_port: "rule-health-port-equals-service-port";
    rule_invalid_apt_package: "rule-invalid-apt-package";
    rule_invalid_lock: "rule-invalid-lock";
    rule_invalid_installer: "rule-invalid-installer";
    rule_layer_budget: "rule-layer-budget";
    rule_invalid_lock_missing_file: "rule-invalid-lock-missing-file";
    rule_invalid_profile: "rule-invalid-profile";
    rule_invalid_python: "rule-invalid-python";
    rule_invalid_user_name: "rule-invalid-user-name";
    rule_missing_health_path: "rule-missing-health-path";
    rule_missing_health_port: "rule-missing-health-port";
    rule_missing_health_port_no_ports: "rule-missing-health-port-no-ports";
    rule_no_matching_artifact: "rule-no-matching-artifact";
    lock_unknown_extra: "lock-unknown-extra";
    rule_invalid_glibc: "rule-invalid-glibc";
    lock_extras_on_requirements: "lock-extras-on-requirements";
    lock_reached_git_package: "lock-reached-git-package";
    lock_selection_without_lock: "lock-selection-without-lock";
    rule_non_fleet_user: "rule-non-fleet-user";
    rule_non_fleet_user_name: "rule-non-fleet-user-name";
    rule_root_user: "rule-root-user";
    rule_root_user_numeric_group: "rule-root-user-numeric-group";
    rule_unhashed_lock: "rule-unhashed-lock";
    rule_unknown_family_parent: "rule-unknown-family-parent";
    rule_unused_family: "rule-unused-family";
    health_path_bad_percent: "health-path-bad-percent";
    health_path_code_injection: "health-path-code-injection";
    machine_not_a_name: "machine-not-a-name";
    machine_not_a_name_check: "machine-not-a-name-check";
    profiles_dir_symlink: "profiles-dir-symlink";
    reserved_env_in_family: "reserved-env-in-family";
    rule_invalid_label: "rule-invalid-label";
    rule_invalid_workdir_system_tree: "rule-invalid-workdir-system-tree";
    rule_invalid_writable: "rule-invalid-writable";
    rule_reserved_contract_key: "rule-reserved-contract-key";
    workdir_control_character: "workdir-control-character";
    workdir_usr_local: "workdir-usr-local";
    lock_filename_newline: "lock-filename-newline";
    lock_filename_percent_encoded: "lock-filename-percent-encoded";
    lock_url_other_source_types: "lock-url-other-source-types";
    lock_version_injects_requirements_line: "lock-version-injects-requirements-line";
    lock_version_trailing_space: "lock-version-trailing-space";
    lockfile_not_utf8: "lockfile-not-utf8";
    mirror_unsafe: "mirror-unsafe";
    requirements_index_url_credentials: "requirements-index-url-credentials";
    rule_unsafe_artifact_name: "rule-unsafe-artifact-name";
    rule_unsafe_artifact_url: "rule-unsafe-artifact-url";
    family_chain_near_limit: "family-chain-near-limit";
    marker_long_and_chain: "marker-long-and-chain";
    marker_nested_too_deeply: "marker-nested-too-deeply";
}

/// "`check` has a test per rule": every rule id of the validator is the tag of a line in some
/// case's `expected.txt`, so a rule nobody can trigger (or whose id changed) fails here.
#[test]
fn every_rule_has_a_case() {
    let mut expected = String::new();
    for e in fs::read_dir(corpus()).expect("tests/bad-inputs") {
        let dir = e.expect("entry").path();
        if let Ok(t) = fs::read_to_string(dir.join("expected.txt")) {
            expected.push_str(&t);
        }
    }
    let missing: Vec<&str> = llb_graphs::rules::ALL
        .iter()
        .map(|r| r.id)
        .filter(|id| !expected.lines().any(|l| l.ends_with(&format!(" [{id}]"))))
        .collect();
    assert!(missing.is_empty(), "rules without a case in tests/bad-inputs: {missing:?}");
}

// ----- fuzz regressions -----

/// Every file under `fuzz/regressions/<target>/` through that target's body (panics fail the
/// test); manifest inputs also through `fleet-frontend check`, which must exit 0 or 1.
#[test]
fn fuzz_regressions_replay_without_panicking() {
    type Target = fn(&[u8]);
    let targets: [(&str, Target); 4] = [
        ("manifest", fuzz_targets::manifest),
        ("options", fuzz_targets::options),
        ("lockfile", fuzz_targets::lockfile),
        ("writers", fuzz_targets::writers),
    ];
    let mut replayed = 0;
    for (target, body) in targets {
        let dir = repo().join("fuzz/regressions").join(target);
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for e in entries {
            let path = e.expect("entry").path();
            if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            let bytes = fs::read(&path).expect("read regression input");
            let r = std::panic::catch_unwind(|| body(&bytes));
            assert!(r.is_ok(), "fuzz/regressions/{target}/{} panics again", path.display());
            if target == "manifest" {
                let sb = Sandbox::empty("fuzz-regression");
                fs::write(sb.0.join("fleet.toml"), &bytes).expect("write");
                let out = run_bin(&sb.0, &["check", "fleet.toml"]);
                let text = String::from_utf8_lossy(&out.stderr);
                assert!(!text.contains("panicked") && matches!(out.code, Some(0 | 1)), "{}: {text}", path.display());
            }
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} fuzz regression inputs");
}

/// The committed manifests of this corpus go through the manifest fuzz target's body too, so
/// its invariants (a located diagnostic, or a target that lowers and marshals) hold for them.
#[test]
fn corpus_manifests_keep_the_fuzz_invariants() {
    for e in fs::read_dir(corpus()).expect("tests/bad-inputs") {
        let p = e.expect("entry").path().join("fleet.toml");
        if let Ok(bytes) = fs::read(&p) {
            fuzz_targets::manifest(&bytes);
        }
    }
    fuzz_targets::manifest(GOOD.as_bytes());
}

/// `--platform` values BuildKit would refuse (containerd's `platforms.Parse` allows only
/// `[A-Za-z0-9_-]` in each part) must be option errors, not platforms sent to the daemon.
#[test]
fn bad_platform_strings_are_rejected() {
    for p in ["linux/amd64/", "linux/amd 64", "linux/amd64\t/x", "linux/amd64!/v8", "linux/arm64/v8/x"] {
        let r = options::parse([format!("platform={p}")]);
        assert!(r.is_err(), "platform={p:?} was accepted as {:?}", r.map(|o| o.platforms));
    }
}

/// `docker.io/python` is `docker.io/library/python` (distribution/reference normalisation), so
/// the LLB source and the names `--build-context` matches must use the long form.
#[test]
fn docker_hub_official_images_normalise_to_library() {
    let sb = Sandbox::with_manifest(
        "docker-io-library",
        GOOD.replace("\"python:3.11-slim\"", "\"docker.io/python:3.11-slim\""),
    );
    let out = run_bin(&sb.0, &["llb", "fleet.toml", "--target", "hello", "--format", "json"]);
    assert_eq!(out.code, Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(json.contains("docker-image://docker.io/library/python:3.11-slim"), "{json}");
}
