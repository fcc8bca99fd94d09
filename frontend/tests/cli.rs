//! Runs the real `fleet-frontend` binary (`check`, `llb`) on manifests in temp dirs: bad inputs must give `file:line:col:` errors and exit 1, never panic.

use std::fs;
use std::path::Path;
use std::process::Output;

use llb_graphs::llb::pb;
use prost::Message;

mod common;

use common::{run_in, text, Sandbox, GOOD};

/// Appended to [`GOOD`]: a second service, `[services.other]` on line 10, its ports on line 14.
const OTHER: &str = r#"
[services.other]
family = "base-python"
source = "app"
command = ["python3", "app.py"]
ports = { service = 9000, health = 9001 }
"#;

/// Exit code 1, and neither a panic nor a Rust backtrace on stderr.
fn assert_fails_cleanly(what: &str, out: &Output) {
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: panicked:\n{stderr}");
    assert_eq!(out.status.code(), Some(1), "{what}: exit code; stdout:\n{}\nstderr:\n{stderr}", text(&out.stdout));
}

/// [`GOOD`] with the first `from` replaced by `to` (bytes, so non-UTF-8 edits work).
fn edit(from: &str, to: &[u8]) -> Vec<u8> {
    let at = GOOD.find(from).unwrap_or_else(|| panic!("`{from}` not in GOOD"));
    [&GOOD.as_bytes()[..at], to, &GOOD.as_bytes()[at + from.len()..]].concat()
}

fn good_plus(extra: &str) -> Vec<u8> {
    format!("{GOOD}{extra}").into_bytes()
}

/// One bad input: manifest bytes, a change to the context, and the diagnostic it must give.
struct Bad {
    manifest: Vec<u8>,
    setup: fn(&Path),
    /// Exact position prefix, e.g. `fleet.toml:5:1:`.
    at: &'static str,
    /// Parts the diagnostic line must contain (message, help).
    says: &'static [&'static str],
}

fn bad(manifest: Vec<u8>, at: &'static str, says: &'static [&'static str]) -> Bad {
    Bad { manifest, setup: |_| {}, at, says }
}

impl Bad {
    fn with_context(self, setup: fn(&Path)) -> Self {
        Self { setup, ..self }
    }
}

/// `check` prints the diagnostic on stdout; `llb --target hello` prints the same lines on stderr
/// and no Definition bytes. Both exit 1 without panicking.
fn assert_rejected(test: &str, case: Bad) {
    let sb = Sandbox::with_manifest(test, &case.manifest);
    (case.setup)(&sb.0);
    let want = format!("{} error: ", case.at);

    let check = sb.run(&["check", "fleet.toml"]);
    assert_fails_cleanly("check", &check);
    let lines: Vec<String> = text(&check.stdout).lines().map(str::to_owned).collect();
    assert!(!lines.is_empty(), "check printed no problem; stderr:\n{}", text(&check.stderr));
    for l in &lines {
        let finding = l.contains(": error: ") || l.contains(": warning: ");
        assert!(l.starts_with("fleet.toml:") && finding, "check: not a file:line:col line: {l:?}");
        assert!(l.ends_with(']') && l.contains(" ["), "check: no rule id on {l:?}");
    }
    // `check` also runs the warning rules; `llb` stops at the errors.
    let lines: Vec<String> = lines.into_iter().filter(|l| l.contains(": error: ")).collect();
    assert!(
        lines.iter().any(|l| l.starts_with(&want) && case.says.iter().all(|s| l.contains(s))),
        "check: no line starting with {want:?} containing {:?}; got:\n{}",
        case.says,
        lines.join("\n")
    );

    let llb = sb.run(&["llb", "fleet.toml", "--target", "hello"]);
    assert_fails_cleanly("llb", &llb);
    assert!(llb.stdout.is_empty(), "llb wrote {} bytes to stdout on a bad manifest", llb.stdout.len());
    let llb_lines: Vec<String> = text(&llb.stderr).lines().map(str::to_owned).collect();
    assert_eq!(llb_lines, lines, "llb stderr must carry the same diagnostics as check stdout");
}

/// One `#[test]` per row, so each states its behaviour and a known bug can be `#[ignore]`d alone.
macro_rules! rejects {
    ($($(#[$attr:meta])* $name:ident: $case:expr;)*) => {$(
        $(#[$attr])*
        #[test]
        fn $name() {
            assert_rejected(stringify!($name), $case);
        }
    )*};
}

fn replace_app_with_file(ctx: &Path) {
    fs::remove_dir(ctx.join("app")).expect("rm app");
    fs::write(ctx.join("app"), "not a directory\n").expect("write app");
}

#[cfg(unix)]
fn replace_app_with_link_to_root(ctx: &Path) {
    fs::remove_dir(ctx.join("app")).expect("rm app");
    std::os::unix::fs::symlink("/", ctx.join("app")).expect("symlink app");
}

#[cfg(unix)]
fn add_link_to_root_inside_app(ctx: &Path) {
    std::os::unix::fs::symlink("/", ctx.join("app/up")).expect("symlink app/up");
}

rejects! {
    unknown_key_is_an_error_with_did_you_mean_hint:
        bad(edit("family =", b"famly ="), "fleet.toml:5:1:", &["unknown key `famly`", "(did you mean `family`?)"]);
    unknown_port_key_is_an_error_with_did_you_mean_hint:
        bad(edit("health = 8081", b"helth = 8081"), "fleet.toml:8:27:", &["unknown key `helth`", "did you mean `health`?"]);
    string_port_is_a_wrong_type_error_at_the_value:
        bad(edit("service = 8080", b"service = \"8080\""), "fleet.toml:8:21:", &["wrong type", "expected an integer"]);
    string_command_is_a_wrong_type_error:
        bad(edit(r#"["python3", "app.py"]"#, b"\"python3 app.py\""), "fleet.toml:7:11:", &["wrong type", "expected an array"]);
    port_zero_is_out_of_range:
        bad(edit("service = 8080", b"service = 0"), "fleet.toml:8:21:", &["service port 0 is out of range (1-65535)"]);
    port_70000_is_out_of_range:
        bad(edit("health = 8081", b"health = 70000"), "fleet.toml:8:36:", &["health port 70000 is out of range (1-65535)"]);
    two_services_on_one_port_is_an_error_at_the_second:
        bad(good_plus(&OTHER.replace("service = 9000", "service = 8080")), "fleet.toml:14:21:",
            &["service `other`: service port 8080 is already the service port of service `hello`"]);
    health_port_equal_to_service_port_is_an_error:
        bad(edit("health = 8081", b"health = 8080"), "fleet.toml:8:36:", &["health port 8080 equals its service port"]);
    missing_source_dir_is_an_error:
        bad(edit(r#""app""#, br#""nope""#), "fleet.toml:6:10:", &["source directory `nope` does not exist in the build context"]);
    dotdot_source_escaping_the_context_is_an_error:
        bad(edit(r#""app""#, br#""../x""#), "fleet.toml:6:10:", &["source `../x` escapes the build context"]);
    absolute_source_is_an_error:
        bad(edit(r#""app""#, br#""/etc""#), "fleet.toml:6:10:", &["source `/etc` is absolute"]);
    unknown_family_is_an_error_with_did_you_mean_hint:
        bad(edit(r#""base-python""#, br#""base-pyton""#), "fleet.toml:5:10:",
            &["unknown family `base-pyton`", "(did you mean `base-python`?)"]);
    empty_file_is_an_error_at_1_1:
        bad(Vec::new(), "fleet.toml:1:1:", &["manifest is empty"]);
    whitespace_only_file_is_an_error_at_1_1:
        bad(b"\n   \n\t\n".to_vec(), "fleet.toml:1:1:", &["manifest is empty"]);
    non_utf8_file_is_an_error_at_the_bad_byte:
        bad(edit(r#""python3""#, b"\"py\xff\""), "fleet.toml:7:15:", &["not valid UTF-8", "0xff"]);
    toml_syntax_error_is_reported_at_its_position:
        bad(edit("[services.hello]", b"[services.hello"), "fleet.toml:4:16:", &["expected `]`"]);
    source_that_is_a_file_is_an_error:
        bad(GOOD.into(), "fleet.toml:6:10:", &["source directory `app` is a file; it must be a directory"])
            .with_context(replace_app_with_file);
    #[cfg(unix)]
    source_symlink_pointing_outside_the_context_is_an_error:
        bad(GOOD.into(), "fleet.toml:6:10:", &["source directory `app` is (or passes through) a symlink"]).with_context(replace_app_with_link_to_root);
    #[cfg(unix)]
    source_through_a_symlinked_parent_outside_the_context_is_an_error:
        bad(edit(r#""app""#, br#""app/up/etc""#), "fleet.toml:6:10:", &["`app/up/etc` is (or passes through) a symlink"]).with_context(add_link_to_root_inside_app);
    workdir_with_a_dot_component_is_an_error:
        bad(good_plus("workdir = \"/.\"\n"), "fleet.toml:9:11:", &["workdir `/.`"]);
    workdir_of_only_slashes_is_an_error:
        bad(good_plus("workdir = \"//\"\n"), "fleet.toml:9:11:", &["workdir `//`"]);
}

#[test]
fn base_manifest_of_the_table_passes_check_and_llb() {
    let sb = Sandbox::with_manifest("base_manifest", GOOD.as_bytes());
    let check = sb.run(&["check", "fleet.toml"]);
    assert_eq!(check.status.code(), Some(0), "check:\n{}{}", text(&check.stdout), text(&check.stderr));
    assert_eq!(text(&check.stderr).trim(), "fleet.toml: ok");
    let llb = sb.run(&["llb", "fleet.toml", "--target", "hello"]);
    assert_eq!(llb.status.code(), Some(0), "llb:\n{}", text(&llb.stderr));
    assert!(!llb.stdout.is_empty());
}

#[test]
fn llb_unknown_or_missing_target_lists_the_valid_targets() {
    let sb = Sandbox::with_manifest("unknown_target", good_plus(OTHER));
    let out = sb.run(&["llb", "fleet.toml", "--target", "nope"]);
    assert_fails_cleanly("llb --target nope", &out);
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr).trim(),
        "fleet.toml:4:11: error: unknown target `nope` (valid targets: hello, other, base-python) [UnknownTarget]"
    );

    // A near miss gets a hint; no --target with several services asks for one.
    for (target, want) in [
        (&["--target", "helo"][..], "fleet.toml:4:11: error: unknown target `helo` (did you mean `hello`? valid targets: hello, other, base-python) [UnknownTarget]"),
        (&[][..], "fleet.toml:4:11: error: no target given and the manifest has several services (pass --target with one of: hello, other, base-python) [UnknownTarget]"),
    ] {
        let out = sb.run(&[&["llb", "fleet.toml"][..], target].concat());
        assert_fails_cleanly("llb", &out);
        assert_eq!(text(&out.stderr).trim(), want);
    }
}

#[test]
fn context_flag_replaces_the_manifest_dir_as_build_context() {
    let sb = Sandbox::new("context_flag");
    let manifests = sb.0.join("manifests");
    fs::create_dir_all(&manifests).expect("mkdir");
    fs::write(manifests.join("fleet.toml"), GOOD).expect("write");
    let ctx = sb.0.to_str().expect("utf-8 temp path");
    // Default context is manifests/, which has no app/.
    let out = sb.run(&["check", "manifests/fleet.toml"]);
    assert_fails_cleanly("check without --context", &out);
    assert!(text(&out.stdout).starts_with("manifests/fleet.toml:6:10: error: "), "{}", text(&out.stdout));
    let out = sb.run(&["check", "manifests/fleet.toml", "--context", ctx]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = sb.run(&["llb", "manifests/fleet.toml", "--target", "hello", "--context", ctx]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn check_json_gives_line_and_column_of_each_problem() {
    let sb = Sandbox::with_manifest("check_json", edit("family =", b"famly ="));
    let out = sb.run(&["check", "fleet.toml", "--format", "json"]);
    assert_fails_cleanly("check --format json", &out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check --format json prints JSON");
    let p = &v["problems"][0];
    assert_eq!(p["line"], 5, "{v}");
    assert_eq!(p["column"], 1, "{v}");
    assert_eq!(p["file"], "fleet.toml");
    assert_eq!(p["severity"], "error");
    assert_eq!(p["rule"], "UnknownKey", "{v}");
    assert!(p["message"].as_str().is_some_and(|m| m.contains("famly")), "{v}");
}

#[test]
fn check_json_has_rule_and_severity_of_errors_and_warnings() {
    let text = format!("{GOOD}user = \"root\"\n[families.spare]\nbase = \"python\"\n");
    let sb = Sandbox::with_manifest("check_json_rules", text.as_bytes());
    let out = sb.run(&["check", "fleet.toml", "--format", "json"]);
    assert_fails_cleanly("check --format json", &out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let got: Vec<(String, String, u64)> = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["rule"].as_str().unwrap_or("").into(),
                p["severity"].as_str().unwrap_or("").into(),
                p["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let want = [("RootUser", "error", 9), ("UnusedFamily", "warning", 10), ("FloatingBaseReference", "warning", 11)];
    let want: Vec<(String, String, u64)> = want.iter().map(|(r, s, l)| (r.to_string(), s.to_string(), *l)).collect();
    assert_eq!(got, want, "{v}");
}

#[test]
fn check_list_rules_names_every_rule_once() {
    let out = run_in(Path::new(env!("CARGO_MANIFEST_DIR")), &["check", "--list-rules", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let ids: Vec<&str> = v["rules"].as_array().expect("rules").iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), llb_graphs::rules::ALL.len());
    for id in ["DuplicatePort", "RootUser", "NonFleetUser", "UnhashedLock", "CudaWithoutGpu", "FamilyCycle"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

// ----- the shipped example -----

fn example_manifest() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello/fleet.toml");
    p.canonicalize().expect("examples/hello/fleet.toml exists").to_str().expect("utf-8 path").to_owned()
}

fn example(args: &[&str]) -> Output {
    let m = example_manifest();
    let mut all = vec![args[0], m.as_str()];
    all.extend_from_slice(&args[1..]);
    let out = run_in(Path::new(env!("CARGO_MANIFEST_DIR")), &all);
    assert_eq!(out.status.code(), Some(0), "{all:?}: stderr:\n{}", text(&out.stderr));
    out
}

#[test]
fn check_accepts_the_hello_example() {
    let out = example(&["check"]);
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(text(&out.stderr).trim_end().ends_with("fleet.toml: ok"), "{}", text(&out.stderr));
}

#[test]
fn llb_of_the_example_decodes_and_is_byte_identical_across_runs() {
    let a = example(&["llb", "--target", "hello"]).stdout;
    let b = example(&["llb", "--target", "hello"]).stdout;
    assert!(!a.is_empty(), "llb printed nothing");
    assert!(a == b, "two runs differ ({} vs {} bytes)", a.len(), b.len());
    let def = pb::Definition::decode(a.as_slice()).expect("stdout is a marshalled pb.Definition");
    assert!(!def.def.is_empty(), "Definition has no ops");
    assert!(def.def.iter().all(|op| !op.is_empty()));
}

#[test]
fn llb_json_of_the_example_ends_in_a_single_input_terminal_op() {
    let out = example(&["llb", "--target", "hello", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("llb --format json prints JSON");
    let ops = v["ops"].as_array().expect("`ops` is an array");
    let last = ops.last().expect("`ops` is not empty");
    let inputs = last["inputs"].as_array().expect("terminal op has `inputs`");
    assert_eq!(inputs.len(), 1, "terminal op: {last}");
}

#[test]
fn schema_prints_the_committed_manifest_schema() {
    let out = run_in(&common::repo(), &["schema"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let committed = fs::read_to_string(common::repo().join("images/fleet.schema.json")).expect("read schema");
    assert_eq!(text(&out.stdout), committed, "fleet-frontend schema > images/fleet.schema.json");
}
