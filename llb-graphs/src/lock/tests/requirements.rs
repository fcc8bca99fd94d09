//! Requirements files: accepted syntax, and every fail-closed form with its exact `line:col`.

use super::*;

const A: &str = "0a30ef8f5322a4173720ae6712dc9a5e58f5a19868f3f167b4b5778db066c2b5";
const B: &str = "6bc31bbbec6dfaaedc1676dbc11dbda96fe22a2b5c400e9ebad113fec44a9dc6";

#[test]
fn accepted_syntax_is_collected() {
    let text = format!(
        "# generated\r\n--index-url https://pypi.org/simple\r\n--extra-index-url=https://example.org/simple\n\
         -f /wheels\n--require-hashes\n\n\
         Flask[async,dotenv]==2.0.1 ; python_version >= \"3.8\" and sys_platform == 'linux' \\\n    \
         --hash=sha256:{B} \\\n    --hash sha256:{A}  # trailing comment\n    # via -r requirements.in\n\
         zope.interface==6.0 --hash=sha256:{A}\n"
    );
    let lock = parse_named("requirements.txt", &text).expect("parses");
    assert_eq!(lock.index_urls, ["https://pypi.org/simple", "https://example.org/simple"]);
    assert_eq!(lock.find_links, ["/wheels"]);
    let flask = &lock.packages[0];
    assert_eq!((flask.name.as_str(), flask.version.as_str()), ("flask", "2.0.1"));
    assert_eq!(flask.marker.as_deref(), Some("python_version >= \"3.8\" and sys_platform == 'linux'"));
    assert_eq!(flask.hashes, [A, B], "sorted, both continuation forms");
    assert_eq!(lock.packages[1].name, "zope-interface");
    let f = SourceFile::new("requirements.txt", text.as_str());
    assert_eq!(f.position(flask.span.start), (7, 1));
    assert_eq!(
        &text[flask.span.clone()],
        "Flask[async,dotenv]==2.0.1 ; python_version >= \"3.8\" and sys_platform == 'linux'"
    );
}

#[test]
fn forks_with_different_markers_may_share_a_name() {
    let text = format!(
        "click==8.1.8 ; python_version < '3.10' --hash=sha256:{A}\nclick==8.5.1 ; python_version >= '3.10' --hash=sha256:{B}\n"
    );
    let lock = parse_named("r.txt", &text).expect("parses");
    assert_eq!(lock.packages.len(), 2);
    let sel = select_named("r.txt", &text, &AMD64).expect("selects");
    assert_eq!(sel.len(), 1);
    assert_eq!(sel[0].version, "8.5.1");
}

/// One bad line at line 3, after a comment and a good requirement.
fn bad(line: &str) -> String {
    let text = format!("# header\nok==1.0 --hash=sha256:{A}\n{line}\n");
    one_error("requirements.txt", &text)
}

#[test]
fn every_bad_form_is_one_error_at_its_token() {
    let h = format!("--hash=sha256:{A}");
    let table: Vec<(String, &str)> = vec![
        (format!("flask>=2.0 {h}"), "3:6: error: requirement `flask>=2.0` is not pinned with `==`"),
        (format!("flask {h}"), "3:1: error: requirement `flask` is not pinned with `==`"),
        (format!("flask[async] {h}"), "3:1: error: requirement `flask` is not pinned with `==`"),
        (format!("flask==2.* {h}"), "3:6: error: `flask==2.*` is a wildcard, not an exact pin"),
        (format!("flask===2.0 {h}"), "3:6: error: requirement `flask===2.0` is not pinned with `==`"),
        (format!("flask==2.0,>=1 {h}"), "3:6: error: `flask==2.0,>=1` has several version clauses"),
        ("flask==2.0".into(), "3:1: error: requirement `flask==2.0` has no `--hash`"),
        ("flask==2.0 # --hash=sha256:x".into(), "3:1: error: requirement `flask==2.0` has no `--hash`"),
        (format!("flask==2.0 \\\n    --hash=sha256:{}", A.to_uppercase()), "4:12: error: sha256 digest `0A30EF"),
        ("flask==2.0 --hash=md5:abcd".into(), "3:19: error: hash `md5:abcd` uses `md5`; only sha256 is supported"),
        ("flask==2.0 --hash=sha256:abc".into(), "3:19: error: sha256 digest `abc` has 3 characters, expected 64"),
        ("flask==2.0 --hash=abc".into(), "3:19: error: hash `abc` is not of the form `sha256:<digest>`"),
        ("-e ./src".into(), "3:1: error: editable requirement is not supported"),
        ("--editable=git+https://github.com/x/y#egg=y".into(), "3:1: error: editable requirement is not supported"),
        (
            "git+https://github.com/pallets/flask@main#egg=flask".into(),
            "3:1: error: VCS requirement `git+https://github.com/pallets/flask@main#egg=flask` is not supported",
        ),
        (
            "flask @ git+https://github.com/pallets/flask".into(),
            "3:9: error: VCS requirement `git+https://github.com/pallets/flask` is not supported",
        ),
        (
            format!("flask @ https://example.org/flask-2.0.tar.gz {h}"),
            "3:9: error: URL requirement `https://example.org/flask-2.0.tar.gz` is not supported",
        ),
        ("flask@file:///src/flask".into(), "3:7: error: local path requirement `file:///src/flask` is not supported"),
        ("./pkg".into(), "3:1: error: local path requirement `./pkg` is not supported"),
        (
            format!("wheels/flask-2.0-py3-none-any.whl {h}"),
            "3:1: error: local path requirement `wheels/flask-2.0-py3-none-any.whl`",
        ),
        (format!("flask-2.0-py3-none-any.whl {h}"), "3:1: error: local path requirement `flask-2.0-py3-none-any.whl`"),
        (
            "https://example.org/flask.whl".into(),
            "3:1: error: URL requirement `https://example.org/flask.whl` is not supported",
        ),
        ("-r other.txt".into(), "3:1: error: `-r` includes are not supported"),
        ("--constraint constraints.txt".into(), "3:1: error: `--constraint` includes are not supported"),
        (
            "--trusted-host example.org".into(),
            "3:1: error: option `--trusted-host` is not supported in a hashed lockfile",
        ),
        ("--index-url".into(), "3:1: error: option `--index-url` needs a value"),
        ("--index-url https://a https://b".into(), "3:23: error: unexpected `https://b` after option"),
        (
            format!("flask==2.0 --config-settings=x {h}"),
            "3:12: error: option `--config-settings=x` is not supported on a requirement line",
        ),
        (
            format!("flask==2.0 ; sys_platfrom == 'linux' {h}"),
            "3:14: error: marker `sys_platfrom == 'linux'`: unknown marker variable `sys_platfrom`",
        ),
        (
            format!("flask==2.0 ; python_version >> '3' {h}"),
            "3:30: error: marker `python_version >> '3'`: expected a marker variable",
        ),
        (format!("ok==1.1 {h}"), "3:1: error: package `ok` is pinned twice: `==1.1` here, `==1.0` at line 2"),
        (format!("OK==1.0 {h}"), "3:1: error: package `ok` is listed twice (first at line 2)"),
        (format!("ok==1.1 ; sys_platform == 'linux' {h}"), "3:1: error: package `ok` is pinned twice"),
        // pip's optparse reads `-flask==1` as `-f lask==1`; the hash is then left over.
        (format!("-flask==1 {h}"), "3:11: error: unexpected `--hash=sha256:"),
    ];
    for (line, want) in table {
        let got = bad(&line);
        let want = format!("requirements.txt:{want}");
        assert!(got.starts_with(&want), "line {line:?}\n got: {got}\nwant: {want}");
    }
}

#[test]
fn every_problem_in_a_file_is_reported() {
    let text = "a>=1\n-e .\nb==1\n";
    let errs = parse_named("r.txt", text).expect_err("three problems");
    let lines: Vec<usize> = errs.0.iter().map(|d| d.line).collect();
    assert_eq!(lines, [1, 2, 3]);
}

#[test]
fn lockfile_kind_comes_from_the_file_name() {
    let table = [
        ("requirements.txt", Some(LockKind::Requirements)),
        ("deps/prod.txt", Some(LockKind::Requirements)),
        ("uv.lock", Some(LockKind::UvLock)),
        ("app/uv.lock", Some(LockKind::UvLock)),
        ("pylock.toml", Some(LockKind::PyLock)),
        ("pylock.api.toml", Some(LockKind::PyLock)),
        ("pylock.a.b.toml", None),
        ("pylock..toml", None),
        ("poetry.lock", None),
        ("Pipfile.lock", None),
    ];
    for (name, want) in table {
        assert_eq!(LockKind::detect(name), want, "{name}");
    }
    let e = one_error("poetry.lock", "");
    assert!(e.starts_with("poetry.lock:1:1: error: cannot tell the lockfile format of `poetry.lock`"), "{e}");
}

#[test]
fn names_normalise_per_pep_503() {
    for (raw, want) in [
        ("Flask", "flask"),
        ("zope.interface", "zope-interface"),
        ("a__b--c..d", "a-b-c-d"),
        ("typing_extensions", "typing-extensions"),
    ] {
        assert_eq!(normalize_name(raw), want);
    }
}
