//! uv.lock as a graph: roots, edge markers, extras, groups, conflicts, workspaces, and the
//! located refusals of reached packages. Expected sets follow `uv export --frozen --no-dev`
//! (the differential corpus checks real locks against uv itself).

use super::*;

const A: &str = "0a30ef8f5322a4173720ae6712dc9a5e58f5a19868f3f167b4b5778db066c2b5";
const PYPI: &str = "source = { registry = \"https://pypi.org/simple\" }";

/// A registry package `name` `version` with one pure wheel, plus `extra` lines.
fn pkg(name: &str, version: &str, extra: &str) -> String {
    format!(
        "[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n{PYPI}\n\
         wheels = [{{ url = \"https://x/{}-{version}-py3-none-any.whl\", hash = \"sha256:{A}\" }}]\n{extra}\n",
        name.replace('-', "_")
    )
}

/// A lock: header, the virtual project `app` with `project` lines, then `rest`.
fn lock(project: &str, rest: &str) -> String {
    format!(
        "version = 1\nrevision = 3\nrequires-python = \">=3.10\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
         source = {{ virtual = \".\" }}\n{project}\n\n{rest}"
    )
}

fn names(text: &str, env: &TargetEnv, sel: &Selection) -> Vec<String> {
    let sel = select_with("uv.lock", text, env, sel).unwrap_or_else(|e| panic!("{e:#?}"));
    sel.into_iter().map(|s| format!("{}=={}", s.name, s.version)).collect()
}

fn sel(extras: &[&str], groups: Option<&[&str]>) -> Selection {
    let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    Selection { extras: own(extras), groups: groups.map(own), package: None }
}

#[test]
fn edges_markers_extras_and_groups_decide_what_is_reached() {
    let project = "dependencies = [\n    { name = \"click\" },\n    { name = \"colorama\", marker = \"sys_platform == 'win32'\" },\n    \
         { name = \"uvloop\", marker = \"platform_machine == 'x86_64'\" },\n]\n\n\
         [package.optional-dependencies]\nhttp = [{ name = \"requests\", extra = [\"socks\"] }]\n\n\
         [package.dev-dependencies]\ndev = [{ name = \"pytest\" }]\nlint = [{ name = \"ruff\" }]";
    let rest = [
        pkg("click", "8.1.8", ""),
        pkg("colorama", "0.4.6", ""),
        pkg("uvloop", "0.21.0", ""),
        pkg("pytest", "8.3.5", "dependencies = [{ name = \"colorama\", marker = \"sys_platform == 'win32'\" }]\n"),
        pkg("ruff", "0.11.2", ""),
        pkg("requests", "2.32.3", "dependencies = [{ name = \"idna\" }]\n\n[package.optional-dependencies]\nsocks = [{ name = \"pysocks\" }]\n"),
        pkg("idna", "3.10", ""),
        pkg("pysocks", "1.7.1", ""),
        // Unreached: a git package and a broken entry are never looked at.
        "[[package]]\nname = \"devtool\"\nversion = \"1.0\"\nsource = { git = \"https://github.com/x/devtool?rev=main#abc\" }\n\n".into(),
        "[[package]]\nname = \"broken\"\nversion = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\" }\nwheels = [{ url = \"https://x/broken-1.0-py3-none-any.whl\", hash = \"md5:00\" }]\n".into(),
    ]
    .concat();
    let text = lock(project, &rest);
    let arm = TargetEnv { platform: Platform::LinuxArm64, ..AMD64 };
    assert_eq!(names(&text, &AMD64, &Selection::default()), ["click==8.1.8", "uvloop==0.21.0"]);
    assert_eq!(names(&text, &arm, &Selection::default()), ["click==8.1.8"]);
    assert_eq!(
        names(&text, &arm, &sel(&["http"], Some(&["lint", "dev"]))),
        ["click==8.1.8", "idna==3.10", "pysocks==1.7.1", "pytest==8.3.5", "requests==2.32.3", "ruff==0.11.2"]
    );
    assert_eq!(names(&text, &arm, &sel(&[], Some(&[]))), ["click==8.1.8"]);
}

#[test]
fn conflict_markers_follow_the_activated_extras() {
    // As uv writes them for `conflicts = [[{ extra = "cpu" }, { extra = "gpu" }]]`: torch from
    // PyPI unless `gpu` is on. `meta` turns `gpu` on through an `app[gpu]` edge, which only
    // the first pass sees before the plain dependency is walked.
    let not_gpu = "extra != 'extra-3-app-gpu'";
    let gpu = "extra == 'extra-3-app-gpu'";
    let project =
        format!("dependencies = [{{ name = \"torch\", version = \"2.5.1\", {PYPI}, marker = \"{not_gpu}\" }}]");
    let project = format!(
        "{project}\n\n[package.optional-dependencies]\ncpu = [{{ name = \"torch\", version = \"2.5.1\", {PYPI} }}]\n\
         gpu = [{{ name = \"torch\", version = \"2.5.1+cu124\", source = {{ registry = \"https://download.pytorch.org/whl/cu124\" }}, marker = \"{gpu}\" }}]\n\
         meta = [{{ name = \"app\", extra = [\"gpu\"] }}]"
    );
    let cu = "[[package]]\nname = \"torch\"\nversion = \"2.5.1+cu124\"\nsource = { registry = \"https://download.pytorch.org/whl/cu124\" }\n\
              wheels = [{ url = \"https://x/torch-2.5.1%2Bcu124-cp311-cp311-linux_x86_64.whl\", hash = \"sha256:".to_string() + A + "\" }]\n\n";
    let text = lock(&project, &(pkg("torch", "2.5.1", "") + &cu));
    assert_eq!(names(&text, &AMD64, &sel(&["cpu"], None)), ["torch==2.5.1"]);
    assert_eq!(names(&text, &AMD64, &sel(&["gpu"], None)), ["torch==2.5.1+cu124"]);
    assert_eq!(names(&text, &AMD64, &sel(&["meta"], None)), ["torch==2.5.1+cu124"]);
    assert_eq!(names(&text, &AMD64, &Selection::default()), ["torch==2.5.1"]);
    let both = select_with("uv.lock", &text, &AMD64, &sel(&["cpu", "gpu"], None)).expect_err("two torches");
    assert!(both[0].contains("package `torch` is reached in two versions for CPython 3.11 on linux/amd64"), "{both:?}");
    assert!(both[0].contains("2.5.1 by app → torch and 2.5.1+cu124 by app → torch"), "{both:?}");
}

#[test]
fn reached_non_index_packages_are_refused_with_their_path() {
    let project = "dependencies = [{ name = \"web\" }]";
    let rest = pkg("web", "1.0", "dependencies = [{ name = \"helper\" }]\n")
        + "[[package]]\nname = \"helper\"\nversion = \"0.3\"\nsource = { git = \"https://github.com/x/helper?rev=v0.3#abc\" }\n";
    let e = select_with("uv.lock", &lock(project, &rest), &AMD64, &Selection::default()).expect_err("git");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("uv.lock:21:10: error: package `helper` (app → web → helper) for CPython 3.11 on linux/amd64 (glibc 2.36): `git` sources are not supported"),
        "{e:?}"
    );
    // A file problem of a reached package is reported at the file.
    let bad = lock(project, &pkg("web", "1.0", "").replace(&format!("sha256:{A}"), "md5:00"));
    let e = select_with("uv.lock", &bad, &AMD64, &Selection::default()).expect_err("md5");
    assert!(e[0].contains("hash `md5:00` is not `sha256:<digest>`"), "{e:?}");
    // No wheel for the target: the error names the path.
    let win = lock(project, &pkg("web", "1.0", "").replace("py3-none-any", "cp311-cp311-win_amd64"));
    let e = select_with("uv.lock", &win, &AMD64, &Selection::default()).expect_err("win only");
    assert!(e[0].contains("package `web` 1.0 (app → web): no wheel fits CPython 3.11 on linux/amd64"), "{e:?}");
}

#[test]
fn a_requires_python_that_excludes_the_target_is_the_only_error() {
    let project = "dependencies = [{ name = \"helper\" }]";
    let rest =
        "[[package]]\nname = \"helper\"\nversion = \"0.3\"\nsource = { git = \"https://github.com/x/helper\" }\n";
    let py39 = TargetEnv { python: (3, 9), ..AMD64 };
    let e = select_with("uv.lock", &lock(project, rest), &py39, &Selection::default()).expect_err("3.9");
    assert_eq!(e, ["uv.lock:3:19: error: the lockfile requires Python `>=3.10`; the target is CPython 3.9 on linux/amd64 (glibc 2.36)"]);
}

#[test]
fn workspace_roots_members_and_unknown_selections() {
    let text = "version = 1\nrequires-python = \">=3.10\"\n\n[manifest]\nmembers = [\"api\", \"lib\", \"demo\"]\n\n\
        [[package]]\nname = \"api\"\nversion = \"1\"\nsource = { editable = \".\" }\ndependencies = [{ name = \"lib\" }]\n\
        [package.optional-dependencies]\nfast = [{ name = \"orjson\" }]\n\n\
        [[package]]\nname = \"lib\"\nversion = \"1\"\nsource = { editable = \"packages/lib\" }\ndependencies = [{ name = \"six\" }]\n\n\
        [[package]]\nname = \"demo\"\nversion = \"1\"\nsource = { editable = \"examples/demo\" }\ndependencies = [{ name = \"lib\" }, { name = \"certifi\" }]\n\n"
        .to_string()
        + &pkg("six", "1.17.0", "")
        + &pkg("certifi", "2025.1.31", "")
        + &pkg("orjson", "3.10.16", "");
    assert_eq!(names(&text, &AMD64, &Selection::default()), ["six==1.17.0"]);
    let demo = Selection { package: Some("demo".into()), ..Selection::default() };
    assert_eq!(names(&text, &AMD64, &demo), ["certifi==2025.1.31", "six==1.17.0"]);
    let f = SourceFile::new("uv.lock", text.as_str());
    let parsed = parse(&f).expect("parses");
    let bad = Selection { extras: vec!["fsat".into()], groups: Some(vec!["dev".into()]), package: None };
    let problems = check_selection(&parsed, &bad);
    let got: Vec<(SelectionKey, &str, &[String])> =
        problems.iter().map(|p| (p.key, p.message.as_str(), p.known.as_slice())).collect();
    assert_eq!(
        got,
        [
            (SelectionKey::Extras, "uv.lock declares no extra `fsat`", &["fast".to_string()][..]),
            (SelectionKey::Groups, "uv.lock declares no dependency group `dev`", &[][..]),
        ]
    );
    let typo = Selection { package: Some("dmeo".into()), ..Selection::default() };
    let p = &check_selection(&parsed, &typo)[0];
    assert_eq!((p.key, p.message.as_str()), (SelectionKey::Package, "uv.lock has no workspace member `dmeo`"));
    assert_eq!(p.known, ["api", "lib", "demo"]);
}

#[test]
fn uv_lock_header_problems_fail_closed() {
    let e = one_error("uv.lock", "version = 2\n");
    assert!(e.starts_with("uv.lock:1:11: error: uv.lock version 2 is not supported"), "{e}");
    let e = one_error("uv.lock", "version = 1\n[[package]]\nname = \"-x\"\n");
    assert!(e.starts_with("uv.lock:3:8: error: `-x` is not a valid package name"), "{e}");
    let none = "version = 1\n".to_string() + &pkg("six", "1.17.0", "");
    let e = select_named("uv.lock", &none, &AMD64).expect_err("no project");
    assert!(e[0].contains("uv.lock has no project"), "{e:?}");
}
