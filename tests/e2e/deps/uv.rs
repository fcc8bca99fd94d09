//! uv as the installer and the install groups, through real BuildKit (a module of `deps`, for its
//! lock edits and example copies): uv and pip install the same tree, one package added to the
//! lock re-runs one group, a big wheel is a group of its own.

use std::collections::BTreeMap;

use fleet_e2e::ran;

use super::*;

/// Prints `{path: [mode, sha256 or text]}` of every file under the install prefix; RECORD,
/// INSTALLER and console scripts as text, so their known differences can be compared.
const TREE: &str = r#"import hashlib, json, os, sys
top = "/opt/fleet/site"
out = {}
for d, dirs, files in os.walk(top):
    for n in files:
        p = os.path.join(d, n)
        rel = os.path.relpath(p, top)
        st = os.lstat(p)
        data = open(p, "rb").read()
        text = rel.endswith(("/RECORD", "/INSTALLER")) or rel.startswith("bin/")
        out[rel] = [oct(st.st_mode & 0o777), data.decode() if text else hashlib.sha256(data).hexdigest()]
json.dump(out, sys.stdout, sort_keys=True)
"#;

fn tree(e: &Env, image: &str) -> BTreeMap<String, (String, String)> {
    let v: BTreeMap<String, (String, String)> = serde_json::from_str(&e.python(image, TREE)).expect("tree json");
    assert!(v.len() > 100, "a tree of {} files", v.len());
    v
}

/// RECORD as `{path: hash}`, pip's paths outside the prefix (`../../bin/x`: relative to a
/// site-packages that `--target` never used) made relative to the prefix as uv writes them.
fn record(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.rsplitn(3, ',');
            let (_size, hash, path) = (f.next()?, f.next()?, f.next()?);
            Some((path.trim_start_matches("../../").to_string(), hash.to_string()))
        })
        .filter(|(p, _)| !p.ends_with("/INSTALLER") && !p.starts_with("bin/"))
        .collect()
}

/// The shebang and the `from X import Y` line of a console script.
fn script_core(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("#!") || l.starts_with("from ")).collect()
}

fn set_installer(dir: &Path, installer: &str) {
    let text = std::fs::read_to_string(dir.join("fleet.toml")).expect("read");
    let text = text.replace("[fleet]\n", &format!("[fleet]\ninstaller = \"{installer}\"\n"));
    std::fs::write(dir.join("fleet.toml"), text).expect("write");
}

#[test]
fn uv_and_pip_install_the_same_files() {
    let Some(e) = env() else { return };
    let _d = shared();
    let (uv_dir, pip_dir) = (web_copy("uv-tree"), web_copy("pip-tree"));
    set_installer(&pip_dir.0, "pip");
    let mirror = Mirror::of_lock(&uv_dir.0.join("uv.lock"));
    let id = std::process::id();
    let (uv_img, pip_img) = (format!("fleet-e2e/uv-tree:{id}"), format!("fleet-e2e/pip-tree:{id}"));
    let r = build(&e, &uv_dir.0, &["--build-arg", &mirror.url(), "--load", "-t", &uv_img]);
    assert!(r.ok, "{}", r.text);
    assert!(r.text.contains(&format!("unpack uv from uv-{}-", llb_graphs::lower::UV_VERSION)), "{}", r.text);
    assert!(r.text.contains("[web] uv install bucket-"), "{}", r.text);
    let r = build(&e, &pip_dir.0, &["--build-arg", &mirror.url(), "--load", "-t", &pip_img]);
    assert!(r.ok, "{}", r.text);
    assert!(r.text.contains("[web] pip install bucket-") && !r.text.contains("unpack uv"), "{}", r.text);
    let (u, p) = (tree(&e, &uv_img), tree(&e, &pip_img));
    let _ = e.docker_ok(&["rmi", "-f", &uv_img, &pip_img]);
    assert_eq!(u.keys().collect::<Vec<_>>(), p.keys().collect::<Vec<_>>(), "same file set");
    assert!(!u.keys().any(|k| k.ends_with(".pyc") || k.ends_with("uv_cache.json") || k == ".lock"), "{u:?}");
    for (path, (umode, ucontent)) in &u {
        let (pmode, pcontent) = &p[path];
        assert_eq!(umode, pmode, "mode of {path}");
        if path.ends_with("/INSTALLER") {
            assert_eq!((ucontent.trim(), pcontent.trim()), ("uv", "pip"), "{path}");
        } else if path.ends_with("/RECORD") {
            assert_eq!(record(ucontent), record(pcontent), "{path}");
        } else if path.starts_with("bin/") {
            assert_eq!(script_core(ucontent), script_core(pcontent), "{path}");
        } else {
            assert_eq!(ucontent, pcontent, "content of {path}");
        }
    }
}

/// `lock` with every recorded size of package `name` set to `size`.
fn with_size(lock: &str, name: &str, size: u64) -> String {
    lock.split("\n[[package]]\n")
        .map(|b| {
            if !b.starts_with(&format!("name = \"{name}\"")) {
                return b.to_string();
            }
            b.split("size = ")
                .enumerate()
                .map(|(i, part)| {
                    if i == 0 {
                        part.to_string()
                    } else {
                        format!("size = {size}{}", part.trim_start_matches(|c: char| c.is_ascii_digit()))
                    }
                })
                .collect()
        })
        .collect::<Vec<_>>()
        .join("\n[[package]]\n")
}

/// Writes `fleetprobe-<version>-py3-none-any.whl` (one module) into `dir` with python3's
/// zipfile; returns its `[[package]]` block for uv.lock. A new version per test run, so the
/// group it joins cannot be in the build cache already.
fn probe_wheel(dir: &Path, version: &str) -> String {
    const MAKE: &str = r#"import base64, hashlib, os, sys, zipfile
d, v = sys.argv[1], sys.argv[2]
name = "fleetprobe-%s-py3-none-any.whl" % v
info = "fleetprobe-%s.dist-info" % v
files = {
    "fleetprobe/__init__.py": "VERSION = %r\n" % v,
    info + "/METADATA": "Metadata-Version: 2.1\nName: fleetprobe\nVersion: %s\n" % v,
    info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: fleet-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
def h(b):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
record = "".join("%s,%s,%d\n" % (p, h(t.encode()), len(t.encode())) for p, t in files.items()) + info + "/RECORD,,\n"
files[info + "/RECORD"] = record
with zipfile.ZipFile(os.path.join(d, name), "w") as z:
    for p, t in files.items():
        z.writestr(zipfile.ZipInfo(p, (2020, 1, 1, 0, 0, 0)), t)
data = open(os.path.join(d, name), "rb").read()
print(name, hashlib.sha256(data).hexdigest(), len(data))
"#;
    let out = run(Command::new("python3").args(["-c", MAKE]).arg(dir).arg(version));
    assert!(out.ok, "{}", out.text);
    let f: Vec<&str> = out.text.split_whitespace().collect();
    format!(
        "name = \"fleetprobe\"\nversion = \"{version}\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n\
         wheels = [\n    {{ url = \"https://files.pythonhosted.org/packages/{}\", hash = \"sha256:{}\", size = {} }},\n]\n",
        f[0], f[1], f[2]
    )
}

#[test]
fn one_package_added_reruns_one_group_and_a_big_wheel_installs_alone() {
    let Some(e) = env() else { return };
    // Alone, like deps::adding_one_package_fetches_only_that_artifact: it asserts cache reuse,
    // which concurrent builds of the same wheels from other mirrors have disturbed.
    let _d = fleet_e2e::exclusive();
    let dir = web_copy("groups");
    let served = TempDir::new("groups-wheels");
    copy_tree(&wheel_cache(&dir.0.join("uv.lock")), &served.0);
    let version = format!(
        "0.{}.{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis())
    );
    let probe = probe_wheel(&served.0, &version);
    let mirror = Mirror::start(&served.0);
    // pydantic-core recorded as 60 MB: a group of its own.
    let before = with_size(&std::fs::read_to_string(dir.0.join("uv.lock")).expect("lock"), "pydantic-core", 60_000_000);
    std::fs::write(dir.0.join("uv.lock"), &before).expect("write");
    let r = build(&e, &dir.0, &["--build-arg", &mirror.url()]);
    assert!(r.ok, "{}", r.text);
    assert!(r.text.contains("[web] uv install pydantic-core: 1 locked wheel (hash-checked)"), "{}", r.text);
    // The probe joins the lock as a dependency of the project (uv.lock is walked from it).
    let project_deps = "source = { virtual = \".\" }\ndependencies = [\n";
    assert!(before.contains(project_deps), "the web lock's project");
    let after = before.replacen(project_deps, &format!("{project_deps}    {{ name = \"fleetprobe\" }},\n"), 1);
    let after = format!("{after}\n[[package]]\n{probe}");
    std::fs::write(dir.0.join("uv.lock"), &after).expect("write");
    let r = build(&e, &dir.0, &["--build-arg", &mirror.url()]);
    assert!(r.ok, "{}", r.text);
    let reran = ran(&r.text, "[web] uv install ");
    assert_eq!(reran.len(), 1, "exactly one group re-runs: {reran:?}\n{}", r.text);
    assert!(reran[0].contains("fleetprobe"), "{reran:?}");
}
