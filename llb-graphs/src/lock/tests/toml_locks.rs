//! `pylock.toml`: fail-closed forms with exact `line:col`, and PEP 751 selections.

use super::*;

const A: &str = "0a30ef8f5322a4173720ae6712dc9a5e58f5a19868f3f167b4b5778db066c2b5";
const B: &str = "6bc31bbbec6dfaaedc1676dbc11dbda96fe22a2b5c400e9ebad113fec44a9dc6";

/// A pylock.toml whose one package is `click` with the given extra lines (from line 7 on).
fn pylock(package_lines: &str) -> String {
    format!(
        "lock-version = \"1.0\"\ncreated-by = \"test\"\nrequires-python = \">=3.10\"\n\n[[packages]]\nname = \"click\"\n{package_lines}\n"
    )
}

fn wheel(url_file: &str, hashes: &str) -> String {
    format!("wheels = [{{ url = \"https://files.example/p/{url_file}\", hashes = {{ {hashes} }} }}]")
}

#[test]
fn pylock_accepts_wheels_sdist_and_explicit_names() {
    let text = pylock(&format!(
        "version = \"8.1.7\"\nmarker = \"os_name == 'posix'\"\nindex = \"https://pypi.org/simple\"\n\
         sdist = {{ url = \"https://files.example/click-8.1.7.tar.gz\", size = 10, hashes = {{ sha256 = \"{A}\" }} }}\n\
         [[packages.wheels]]\nname = \"click-8.1.7-py3-none-any.whl\"\nurl = \"https://files.example/download?id=7\"\n\
         upload-time = 2024-01-01T00:00:00Z\n[packages.wheels.hashes]\nsha256 = \"{B}\"\nblake2b = \"ff\"\n"
    ));
    let lock = parse_named("pylock.toml", &text).expect("parses");
    assert_eq!(lock.index_urls, ["https://pypi.org/simple"]);
    let p = &lock.packages[0];
    assert_eq!(p.artifacts.len(), 2);
    assert_eq!(p.artifacts[0].filename, "click-8.1.7-py3-none-any.whl");
    assert_eq!(p.artifacts[1].size, Some(10));
    let sel = select_named("pylock.toml", &text, &AMD64).expect("selects");
    assert_eq!(sel[0].artifact.sha256, B);
}

#[test]
fn pylock_bad_forms_fail_closed() {
    let ok_wheel = wheel("click-8.1.7-py3-none-any.whl", &format!("sha256 = \"{A}\""));
    let table: Vec<(String, &str)> = vec![
        ("version = \"8.1.7\"\nvcs = { type = \"git\", url = \"https://github.com/x/y\", commit-id = \"abc\" }".into(),
            "8:7: error: package `click`: VCS sources are not supported"),
        ("version = \"8.1.7\"\narchive = { url = \"https://x/click.zip\", hashes = { sha256 = \"a\" } }".into(),
            "8:11: error: package `click`: archive sources are not supported"),
        ("[packages.directory]\npath = \"../click\"\neditable = true".into(), "7:1: error: package `click`: directory sources are not supported"),
        (ok_wheel.clone(), "6:8: error: package `click` has no `version`"),
        ("version = \"8.1.7\"".into(), "6:8: error: package `click` has no `wheels` and no `sdist`"),
        (format!("version = \"8.1.7\"\nwheels = [{{ path = \"dist/click-8.1.7-py3-none-any.whl\", hashes = {{ sha256 = \"{A}\" }} }}]"),
            "8:20: error: package `click`: local file `dist/click-8.1.7-py3-none-any.whl` is not supported"),
        ("version = \"8.1.7\"\nwheels = [{ url = \"https://x/click-8.1.7-py3-none-any.whl\" }]".into(),
            "8:11: error: package `click`: file `https://x/click-8.1.7-py3-none-any.whl` has no `hashes`"),
        (format!("version = \"8.1.7\"\n{}", wheel("click-8.1.7-py3-none-any.whl", "sha512 = \"ab\"")),
            "8:84: error: package `click`: no sha256 hash (have: sha512)"),
        (format!("version = \"8.1.7\"\n{}", wheel("click-8.1.7-py3-none-any.whl", &format!("sha256 = \"{}\"", A.to_uppercase()))),
            "8:95: error: package `click`: sha256 digest `0A30"),
        (format!("version = \"8.1.7\"\n{}", wheel("flask-2.0-py3-none-any.whl", &format!("sha256 = \"{A}\""))),
            "8:19: error: package `click` 8.1.7: wheel `flask-2.0-py3-none-any.whl` is for `flask` 2.0"),
        (format!("version = \"8.1.7\"\n{}", wheel("click-8.1.7.whl", &format!("sha256 = \"{A}\""))),
            "8:19: error: package `click`: wheel filename `click-8.1.7.whl` does not have the form"),
        (format!("version = \"8.1.7\"\nsdist = {{ url = \"https://x/click-8.1.7.exe\", hashes = {{ sha256 = \"{A}\" }} }}"),
            "8:17: error: package `click`: sdist `click-8.1.7.exe` is not a `.tar.gz` or `.zip` file"),
        (format!("version = \"8.1.7\"\nmarker = \"os_nam == 'posix'\"\n{ok_wheel}"),
            "8:11: error: marker `os_nam == 'posix'`: unknown marker variable `os_nam` (known variables: python_version,"),
        (format!("version = \"8.1.7\"\nrequires-python = \">=3.10, 3.11\"\n{ok_wheel}"),
            "8:28: error: requires-python `>=3.10, 3.11`: `3.11` does not start with a comparison operator"),
    ];
    for (lines, want) in table {
        let got = one_error("pylock.toml", &pylock(&lines));
        let want = format!("pylock.toml:{want}");
        assert!(got.starts_with(&want), "{lines}\n got: {got}\nwant: {want}");
    }
}

#[test]
fn pylock_header_problems_fail_closed() {
    let body = format!(
        "[[packages]]\nname = \"click\"\nversion = \"1\"\n{}\n",
        wheel("click-1-py3-none-any.whl", &format!("sha256 = \"{A}\""))
    );
    let e = one_error("pylock.toml", &format!("lock-version = \"2.0\"\n{body}"));
    assert!(e.starts_with("pylock.toml:1:16: error: lock-version `2.0` is not supported"), "{e}");
    let e = one_error("pylock.toml", &body);
    assert!(e.starts_with("pylock.toml:1:1: error: missing `lock-version`"), "{e}");
    let e = one_error("pylock.toml", "lock-version = \"1.0\"\n[[packages]]\nversion = \"1\"\n");
    assert!(e.starts_with("pylock.toml:2:1: error: invalid lockfile: missing field `name`"), "{e}");
    let text = format!("lock-version = \"1.0\"\nenvironments = [\"sys_platform == 'win32'\"]\n{body}");
    let e = select_named("pylock.toml", &text, &AMD64).expect_err("not windows");
    assert_eq!(e, ["pylock.toml:2:17: error: no entry of `environments` matches CPython 3.11 on linux/amd64 (glibc 2.36) (re-lock for this target, or build for one of the locked environments)"]);
}

#[test]
fn pylock_extras_and_groups_markers_follow_the_selection() {
    let w = |name: &str| wheel(&format!("{name}-1.0-py3-none-any.whl"), &format!("sha256 = \"{A}\""));
    let pkg = |name: &str, marker: &str| {
        format!("[[packages]]\nname = \"{name}\"\nversion = \"1.0\"\nmarker = \"{marker}\"\n{}\n\n", w(name))
    };
    let text = format!(
        "lock-version = \"1.0\"\nextras = [\"gpu\", \"http\"]\ndependency-groups = [\"dev\", \"prod\"]\ndefault-groups = [\"prod\"]\n\n\
         [[packages]]\nname = \"app\"\ndirectory = {{ path = \".\", editable = true }}\n\n\
         [[packages]]\nname = \"click\"\nversion = \"1.0\"\n{}\n\n{}{}{}{}",
        w("click"),
        pkg("cupy", "'gpu' in extras and platform_machine == 'x86_64'"),
        pkg("pytest", "'dev' in dependency_groups"),
        pkg("gunicorn", "'prod' in dependency_groups"),
        pkg("colorama", "'http' not in extras"),
    );
    let names = |sel: &Selection| -> Vec<String> {
        select_with("pylock.toml", &text, &AMD64, sel).expect("selects").into_iter().map(|s| s.name).collect()
    };
    let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(names(&Selection::default()), ["click", "colorama", "gunicorn"]);
    let sel = Selection { extras: own(&["gpu", "http"]), groups: Some(own(&["dev"])), package: None };
    assert_eq!(names(&sel), ["click", "cupy", "pytest"]);
    let none = Selection { groups: Some(vec![]), ..Selection::default() };
    assert_eq!(names(&none), ["click", "colorama"]);
    let f = SourceFile::new("pylock.toml", text.as_str());
    let lock = parse(&f).expect("parses");
    let bad = Selection { extras: own(&["gpus"]), groups: Some(own(&["prd"])), package: Some("x".into()) };
    let msgs: Vec<String> = check_selection(&lock, &bad).into_iter().map(|p| p.message).collect();
    assert_eq!(
        msgs,
        [
            "only a uv.lock has workspace members",
            "the lock declares no extra `gpus`",
            "the lock declares no dependency group `prd`"
        ]
    );
    // A set variable compared like a string is an error at the marker, not a silent false.
    let eq = text.replace("'dev' in dependency_groups", "dependency_groups == 'dev'");
    let e = select_named("pylock.toml", &eq, &AMD64).expect_err("set compared as a string");
    assert!(
        e[0].contains("`dependency_groups` is a set of names: compare it only as `'name' in dependency_groups`"),
        "{e:?}"
    );
}
