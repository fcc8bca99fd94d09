//! End-to-end (issue 14): a locked service built with an SBOM request and `--provenance=mode=max`
//! to an OCI layout carries the frontend's SPDX document, listing exactly the locked packages with
//! their hashes; every wheel's URL and sha256 is a provenance material; no scanner image is
//! involved; and `fleet-frontend verify` agrees with the image's own `.dist-info` directories.
//!
//! buildx 0.13.1 refuses `--sbom=true` together with `--attest type=sbom,...` ("duplicate
//! attestation field sbom"), so the request is `--attest type=sbom,generator=<loopback name that
//! does not exist>`: the same `attest:sbom` option, and if the frontend's SBOM were missing
//! BuildKit would fail locally resolving that name instead of pulling its scanner from Docker Hub.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use fleet_e2e::{copy_tree, env, exclusive, root, run, shared, TempDir};
use llb_graphs::diag::SourceFile;
use llb_graphs::lock::{self, Libc, Platform, TargetEnv};
use serde_json::Value;

const NO_SCANNER: &str = "type=sbom,generator=localhost:5000/no-scanner:none";
const STAND_IN: &str = "python:3.11-slim-bookworm=docker-image://localhost:5000/python:3.11-slim";

fn frontend_bin() -> PathBuf {
    let target_dir = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| root().join("target"), PathBuf::from);
    target_dir.join("debug/fleet-frontend")
}

/// `(name, version, sha256, file name, URL)` the lock selects for CPython 3.11 on linux/amd64.
fn locked(lock_path: &Path) -> Vec<(String, String, String, String, String)> {
    let f = SourceFile::new("uv.lock", std::fs::read_to_string(lock_path).expect("read lock"));
    let l = lock::parse(&f).expect("lock parses");
    let env = TargetEnv { python: (3, 11), platform: Platform::LinuxAmd64, libc: Libc::Glibc(2, 28) };
    let sel = lock::select(&l, &f, &env, &lock::Selection::default()).expect("lock selects");
    sel.into_iter()
        .map(|s| (s.name, s.version, s.artifact.sha256, s.artifact.filename, s.artifact.url.expect("url")))
        .collect()
}

/// `python3 -m http.server` on 127.0.0.1 serving the lock's wheels (downloaded once with curl).
struct Mirror(Child, u16);

impl Mirror {
    fn start(lock_path: &Path) -> Self {
        let dir = std::env::var("FLEET_STATE_DIR")
            .map_or_else(|_| PathBuf::from("/var/lib/fleet-dev"), PathBuf::from)
            .join("wheels");
        std::fs::create_dir_all(&dir).expect("wheel dir");
        for (.., file, url) in locked(lock_path) {
            if !dir.join(&file).exists() {
                let part = dir.join(format!("{file}.sbom-part"));
                let ok = Command::new("curl").args(["-fsSL", "--retry", "3", "-o"]).arg(&part).arg(&url).status();
                assert!(ok.is_ok_and(|s| s.success()), "download {url}");
                std::fs::rename(&part, dir.join(&file)).expect("rename");
            }
        }
        let serve = "import functools, http.server, sys\n\
            h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n\
            s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)\n\
            print(s.server_address[1], flush=True)\ns.serve_forever()\n";
        let mut child = Command::new("python3")
            .args(["-c", serve])
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("http.server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("port");
        Self(child, line.trim().parse().expect("port number"))
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Unpacks an OCI tar and returns `(SPDX predicate, provenance predicate)` of its only platform.
fn attestations(tar: &Path, into: &Path) -> (Value, Value) {
    let r = run(Command::new("tar").arg("-xf").arg(tar).arg("-C").arg(into));
    assert!(r.ok, "{}", r.text);
    let blob = |d: &str| -> Value {
        let p = into.join("blobs").join(d.replacen(':', "/", 1));
        serde_json::from_slice(&std::fs::read(p).expect("blob")).expect("json blob")
    };
    let index: Value = serde_json::from_slice(&std::fs::read(into.join("index.json")).expect("index")).expect("json");
    let inner = blob(index["manifests"][0]["digest"].as_str().expect("digest"));
    let att = inner["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["annotations"]["vnd.docker.reference.type"] == "attestation-manifest")
        .expect("an attestation manifest");
    let am = blob(att["digest"].as_str().expect("digest"));
    let (mut spdx, mut prov) = (Value::Null, Value::Null);
    for l in am["layers"].as_array().into_iter().flatten() {
        let stmt = blob(l["digest"].as_str().expect("digest"));
        match stmt["predicateType"].as_str().unwrap_or_default() {
            "https://spdx.dev/Document" => spdx = stmt["predicate"].clone(),
            t if t.starts_with("https://slsa.dev/provenance") => prov = stmt["predicate"].clone(),
            _ => {}
        }
    }
    (spdx, prov)
}

fn spdx_python(doc: &Value) -> BTreeSet<(String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    doc["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["externalRefs"][0]["referenceLocator"].as_str().is_some_and(|r| r.starts_with("pkg:pypi/")))
        .map(|p| {
            (s(&p["name"]), s(&p["versionInfo"]), s(&p["checksums"][0]["checksumValue"]), s(&p["downloadLocation"]))
        })
        .collect()
}

fn materials(prov: &Value) -> BTreeSet<(String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    prov["materials"].as_array().into_iter().flatten().map(|m| (s(&m["uri"]), s(&m["digest"]["sha256"]))).collect()
}

/// Builds, then checks the attestations against `want` (`(name, version, sha256, URL)`) and
/// runs `fleet-frontend verify` on the layout.
fn build_and_check(cmd: &mut Command, tmp: &TempDir, want: &BTreeSet<(String, String, String, String)>) {
    let tar = tmp.0.join("image.tar");
    let r = run(cmd
        .args(["--attest", NO_SCANNER, "--provenance=mode=max", "-o"])
        .arg(format!("type=oci,dest={}", tar.display())));
    assert!(r.ok, "{}", r.text);
    assert!(!r.text.contains("syft") && !r.text.contains("no-scanner"), "a scanner was involved:\n{}", r.text);
    assert!(r.text.contains("write SBOM sbom.spdx.json"), "{}", r.text);
    let out = tmp.0.join("layout");
    std::fs::create_dir_all(&out).expect("mkdir");
    let (spdx, prov) = attestations(&tar, &out);
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3", "{spdx}");
    assert_eq!(&spdx_python(&spdx), want);
    let mats = materials(&prov);
    for (name, _, sha, url) in want {
        assert!(mats.contains(&(url.clone(), sha.clone())), "{name}: {url} sha256:{sha} not among {mats:?}");
    }
    let v = run(Command::new(frontend_bin()).arg("verify").arg(&tar));
    assert!(v.ok && v.text.contains(&format!("OK: {} packages agree", want.len())), "{}", v.text);
}

#[test]
fn web_sbom_lists_the_lock_and_provenance_every_mirrored_wheel() {
    let Some(e) = env() else { return };
    let _d = shared();
    let tmp = TempDir::new("sbom-web");
    let dir = tmp.0.join("ctx");
    copy_tree(&root().join("examples/web"), &dir);
    let mirror = Mirror::start(&dir.join("uv.lock"));
    let url = format!("http://127.0.0.1:{}/", mirror.1);
    let want = locked(&dir.join("uv.lock")).into_iter().map(|(n, v, h, f, _)| (n, v, h, format!("{url}{f}"))).collect();
    let mut c = Command::new(&e.docker);
    c.args(["buildx", "build", "--progress=plain", "--network=none", "-f"]).arg(dir.join("fleet.toml"));
    c.args(["--target", "web", "--build-arg", &format!("BUILDKIT_SYNTAX={}", e.frontend)]);
    c.args(["--build-arg", &format!("FLEET_ARTIFACT_MIRROR={url}")]).arg(&dir);
    build_and_check(&mut c, &tmp, &want);
}

#[test]
fn cpu_family_sbom_lists_both_family_locks_and_verify_agrees() {
    let Some(e) = env() else { return };
    // apt and PyPI downloads: alone, as tests/fleet.rs builds this chain.
    let _d = exclusive();
    let tmp = TempDir::new("sbom-cpu");
    let want = locked(&root().join("images/fleet/locks/base-cpu-pydeps/uv.lock"))
        .into_iter()
        .map(|(n, v, h, _, u)| (n, v, h, u))
        .collect();
    let mut c = Command::new(&e.docker);
    c.args(["buildx", "build", "--progress=plain", "--network=host", "-f"]).arg(root().join("images/fleet.toml"));
    c.args(["--target", "base-cpu-pydeps", "--build-arg", &format!("BUILDKIT_SYNTAX={}", e.frontend)]);
    c.args(["--build-context", STAND_IN]).arg(root().join("images"));
    build_and_check(&mut c, &tmp, &want);
}
