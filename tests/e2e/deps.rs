//! Hash-pinned dependencies through real BuildKit. The locked wheels are served by a stdlib HTTP
//! server on 127.0.0.1 (fetched once from PyPI into a cache dir); BuildKit fetches them as
//! checksummed HTTP sources, and the install step has no network.

use std::path::{Path, PathBuf};
use std::process::Command;

use fleet_e2e::mirror::{wheel_cache, Mirror};
use fleet_e2e::{copy_tree, env, example, example_variant, root, run, shared, Container, Env, Net, TempDir};

mod uv;

fn web_copy(tag: &str) -> TempDir {
    example("web", tag)
}

/// Builds `--target web` of the copy in `dir`.
fn build(e: &Env, dir: &Path, extra: &[&str]) -> fleet_e2e::Run {
    e.build_target(&dir.join("fleet.toml"), dir, "web", extra)
}

#[test]
fn locked_wheels_are_fetched_checked_and_installed_without_network() {
    let Some(e) = env() else { return };
    let _d = shared();
    let dir = web_copy("web");
    let mirror = Mirror::of_lock(&dir.0.join("uv.lock"));
    let image = format!("fleet-e2e/web:{}", std::process::id());
    let r = build(&e, &dir.0, &["--build-arg", &mirror.url(), "--load", "-t", &image]);
    assert!(r.ok, "{}", r.text);
    assert!(r.text.contains("[web] uv install bucket-"), "{}", r.text);
    assert!(r.text.contains("[web] fetch fastapi-"), "{}", r.text);
    let c = Container::start(&e, &format!("fleet-e2e-web-{}", std::process::id()), &image);
    c.health(18181);
    let (status, body) = fleet_e2e::wait_for(std::time::Duration::from_secs(30), || {
        fleet_e2e::http_get(18180, "/").ok().filter(|(s, _)| *s == 200)
    })
    .unwrap_or_else(|| panic!("no FastAPI answer; logs:\n{}", e.docker_ok(&["logs", &c.name])));
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["uid"], 10001);
    assert!(v["pydantic"].as_str().is_some_and(|p| p.starts_with("2.")), "{body}");
    // Only the install prefix reaches the image: no wheels, no pip cache.
    let leftovers = c.exec(&[
        "sh",
        "-c",
        "find /opt /app /root /tmp -name '*.whl' 2>/dev/null | head -3; ls /root/.cache 2>/dev/null | head -1",
    ]);
    assert!(leftovers.trim().is_empty(), "wheels or caches in the image: {leftovers}");
    drop(c);
    let _ = e.docker_ok(&["rmi", "-f", &image]);
}

#[test]
fn a_wheel_whose_bytes_differ_from_the_lock_fails_the_build() {
    let Some(e) = env() else { return };
    // Alone: BuildKit keys an HTTP source with a checksum by that checksum, so a concurrent
    // build fetching the genuine wheel would be merged with this failing fetch.
    let _d = fleet_e2e::exclusive();
    let dir = web_copy("tampered");
    let cache = wheel_cache(&dir.0.join("uv.lock"));
    let served = TempDir::new("tampered-wheels");
    copy_tree(&cache, &served.0);
    let victim = std::fs::read_dir(&served.0)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .find(|n| n.starts_with("idna-"))
        .expect("idna wheel");
    let mut bytes = std::fs::read(served.0.join(&victim)).expect("read");
    bytes.extend_from_slice(b"tampered");
    std::fs::write(served.0.join(&victim), bytes).expect("write");
    let mirror = Mirror::start(&served.0);
    let image = format!("fleet-e2e/tampered:{}", std::process::id());
    let r = build(&e, &dir.0, &["--build-arg", &mirror.url(), "--no-cache", "--load", "-t", &image]);
    assert!(!r.ok, "{}", r.text);
    assert!(r.text.contains(&victim) || r.text.contains("idna"), "the message names the package:\n{}", r.text);
    assert!(r.text.to_lowercase().contains("digest") || r.text.contains("checksum"), "{}", r.text);
    assert!(!e.image_exists(&image), "no image may be produced");
}

#[test]
fn adding_one_package_fetches_only_that_artifact() {
    let Some(e) = env() else { return };
    // Alone: a concurrent build of the same checksummed wheel from another test's mirror has
    // made BuildKit re-fetch it here (seen with idna once every e2e module shared one binary).
    let _d = fleet_e2e::exclusive();
    let dir = web_copy("add-one");
    let full = std::fs::read_to_string(dir.0.join("uv.lock")).expect("lock");
    let mirror = Mirror::of_lock(&dir.0.join("uv.lock"));
    // The same lock without one leaf package: its [[package]] block and the edges to it removed
    // (the lock is walked as a graph: an edge to a missing package is an error).
    let without: String = full
        .split("\n[[package]]\n")
        .filter(|b| !b.starts_with("name = \"typing-inspection\""))
        .collect::<Vec<_>>()
        .join("\n[[package]]\n")
        .lines()
        .filter(|l| l.trim() != "{ name = \"typing-inspection\" },")
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(without, full);
    std::fs::write(dir.0.join("uv.lock"), &without).expect("write");
    let first = build(&e, &dir.0, &["--build-arg", &mirror.url()]);
    assert!(first.ok, "{}", first.text);
    mirror.take_fetched();
    std::fs::write(dir.0.join("uv.lock"), &full).expect("write");
    let r = build(&e, &dir.0, &["--build-arg", &mirror.url()]);
    assert!(r.ok, "{}", r.text);
    let fetched = mirror.take_fetched();
    assert!(
        fetched.iter().all(|f| f.starts_with("typing_inspection-")),
        "re-fetched more than the new wheel: {fetched:?}"
    );
    assert!(r.text.contains("[web] fetch typing_inspection-"), "{}", r.text);
    // Layers by group: one install step is new (the new package's bucket; whether it runs depends
    // on what this daemon built before), and every step of the first build is CACHED.
    let (before, after) = (install_steps(&first.text), install_steps(&r.text));
    let new: Vec<&String> = after.difference(&before).collect();
    assert!(after.len() > 2 && before.intersection(&after).count() + 1 == after.len(), "{before:?}\n{after:?}");
    assert!(new.len() == 1 && new[0].contains("typing-inspection"), "new install steps {new:?}:\n{}", r.text);
    let reran: Vec<String> =
        fleet_e2e::ran(&r.text, "] uv install ").into_iter().filter(|n| before.contains(n)).collect();
    assert!(reran.is_empty(), "install steps of the first build ran again: {reran:?}\n{}", r.text);
}

/// The names of the `[web] uv install ...` steps in plain progress.
fn install_steps(progress: &str) -> std::collections::BTreeSet<String> {
    progress
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(id, rest)| id.starts_with('#') && rest.starts_with("[web] uv install "))
        .map(|(_, name)| name.to_string())
        .collect()
}

#[test]
fn an_unhashed_requirement_fails_before_any_download_at_its_line() {
    let Some(e) = env() else { return };
    let _d = shared();
    let dir = web_copy("unhashed");
    std::fs::write(dir.0.join("requirements.txt"), "# pinned by hand\nsix==1.16.0\n").expect("write");
    let edited = std::fs::read_to_string(dir.0.join("fleet.toml"))
        .expect("read")
        .replace("lock = \"uv.lock\"", "lock = \"requirements.txt\"");
    std::fs::write(dir.0.join("fleet.toml"), edited).expect("write");
    let mirror = Mirror::start(&TempDir::new("empty-mirror").0);
    let r = build(&e, &dir.0, &["--build-arg", &mirror.url()]);
    assert!(!r.ok, "{}", r.text);
    assert!(r.text.contains("requirements.txt:2"), "{}", r.text);
    assert!(r.text.contains(">>> six==1.16.0"), "box on the lockfile line:\n{}", r.text);
    assert!(r.text.contains(">>> lock = \"requirements.txt\""), "note at the manifest key:\n{}", r.text);
    assert!(mirror.take_fetched().is_empty(), "nothing may be downloaded");
}

/// A PEP 503 "simple" index on loopback: `simple/<name>/<wheel>`, listed by http.server.
fn simple_index(wheels: &[PathBuf]) -> (TempDir, Vec<(String, String, String)>) {
    let dir = TempDir::new("simple");
    let mut pins = vec![];
    for w in wheels {
        let file = w.file_name().and_then(|f| f.to_str()).expect("name").to_string();
        let mut parts = file.split('-');
        let (name, version) =
            (parts.next().expect("name").replace('_', "-").to_lowercase(), parts.next().expect("version").to_string());
        let pkg = dir.0.join("simple").join(&name);
        std::fs::create_dir_all(&pkg).expect("mkdir");
        std::fs::copy(w, pkg.join(&file)).expect("copy");
        let sum = run(Command::new("sha256sum").arg(w));
        let hash = sum.text.split_whitespace().next().expect("sha256").to_string();
        pins.push((name, version, hash));
    }
    (dir, pins)
}

fn cached_wheels(prefixes: &[&str]) -> Vec<PathBuf> {
    let cache = wheel_cache(&root().join("examples/web/uv.lock"));
    prefixes
        .iter()
        .map(|p| {
            std::fs::read_dir(&cache)
                .expect("cache")
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|f| f.file_name().is_some_and(|n| n.to_string_lossy().starts_with(p)))
                .unwrap_or_else(|| panic!("no {p} wheel in the cache"))
        })
        .collect()
}

/// examples/hello (a stdlib app) whose service locks `lock_name` holding `body`, with
/// `fleet_extra` added to `[fleet]`.
fn locked_service(tag: &str, fleet_extra: &str, lock_name: &str, body: &str) -> TempDir {
    let dir = example_variant("hello", tag, |text| {
        text.replace("[fleet]\n", &format!("[fleet]\n{fleet_extra}"))
            .replace("writable = [\"data\"]", &format!("lock = \"{lock_name}\""))
    });
    std::fs::write(dir.0.join(lock_name), body).expect("write");
    dir
}

fn requirements_service(tag: &str, fleet_extra: &str, body: &str) -> TempDir {
    locked_service(tag, fleet_extra, "requirements.txt", body)
}

fn build_host(e: &Env, dir: &Path, extra: &[&str]) -> fleet_e2e::Run {
    e.build_on(Net::Host, &dir.join("fleet.toml"), dir, "hello", extra)
}

#[test]
fn a_requirements_file_without_urls_is_fetched_by_pip_with_hashes_checked() {
    let Some(e) = env() else { return };
    let _d = shared();
    let (index, pins) = simple_index(&cached_wheels(&["idna-", "h11-"]));
    let mirror = Mirror::start(&index.0);
    let mut body = format!("--index-url http://127.0.0.1:{}/simple\n", mirror.port);
    for (n, v, h) in &pins {
        body.push_str(&format!("{n}=={v} \\\n    --hash=sha256:{h}\n"));
    }
    let dir = requirements_service("pip-download", "", &body);
    // Without a network the frontend refuses up front, naming the fix.
    let r = e.build_target(&dir.0.join("fleet.toml"), &dir.0, "hello", &[]);
    assert!(!r.ok && r.text.contains("build with --network=host"), "{}", r.text);
    let image = format!("fleet-e2e/pip-download:{}", std::process::id());
    let r = build_host(&e, &dir.0, &["--load", "-t", &image]);
    assert!(r.ok, "{}", r.text);
    // idna and h11 fall into two install groups: each downloads its own.
    let steps: std::collections::BTreeSet<&str> = r
        .text
        .lines()
        .filter_map(|l| l.split_once(' ').filter(|(_, n)| *n == "[hello] download 1 locked package (hash-checked)"))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(steps.len(), 2, "{}", r.text);
    let fetched = mirror.take_fetched();
    assert!(fetched.iter().any(|f| f.contains("idna-")) && fetched.iter().any(|f| f.contains("h11-")), "{fetched:?}");
    let out = e.python(&image, "import idna, h11; print(idna.__file__)");
    assert!(out.contains("/opt/fleet/site/idna/"), "{out}");
    let _ = e.docker_ok(&["rmi", "-f", &image]);
}

#[test]
fn a_private_index_secret_reaches_pip_but_no_layer_or_config() {
    let Some(e) = env() else { return };
    let _d = shared();
    let (index, pins) = simple_index(&cached_wheels(&["idna-"]));
    let mirror = Mirror::start(&index.0);
    let (n, v, h) = &pins[0];
    let dir = requirements_service("secret", "index_secret = \"pypi\"\n", &format!("{n}=={v} --hash=sha256:{h}\n"));
    let token = format!("s3cr3t-{}", std::process::id());
    let out = TempDir::new("secret-out");
    let dest = format!("type=oci,dest={}", out.0.join("img.tar").display());
    let mut c = e.buildx(Net::Host, &dir.0.join("fleet.toml"));
    c.env("FLEET_TEST_PIP_INDEX", format!("http://fleet:{token}@127.0.0.1:{}/simple", mirror.port));
    c.args(["--no-cache", "--secret", "id=pypi,env=FLEET_TEST_PIP_INDEX"]);
    c.args(["--target", "hello", "--build-arg", &e.syntax_arg(), "--provenance=false", "-o", &dest]).arg(&dir.0);
    let r = run(&mut c);
    assert!(r.ok, "{}", r.text);
    assert!(mirror.take_fetched().iter().any(|f| f.contains("idna-")), "pip used the secret's index");
    // Every blob of the exported image, layers decompressed, must be free of the token.
    let layout = fleet_e2e::oci::Layout::unpack(&out.0.join("img.tar"));
    let mut scanned = 0;
    for blob in layout.blob_files() {
        let raw = std::fs::read(&blob).expect("blob");
        let plain = run(Command::new("sh").arg("-c").arg(format!(
            "gzip -dc '{}' 2>/dev/null || cat '{}'",
            blob.display(),
            blob.display()
        )));
        let haystack = format!("{}{}", String::from_utf8_lossy(&raw), plain.text);
        assert!(!haystack.contains(&token), "secret found in blob {}", blob.display());
        scanned += 1;
    }
    assert!(scanned >= 4, "scanned {scanned} blobs");
}

#[test]
fn an_sdist_only_package_is_built_offline_from_its_hash_checked_archive() {
    let Some(e) = env() else { return };
    let _d = shared();
    let lock = root().join("tests/fixtures/sdist/uv.lock");
    let mirror = Mirror::of_lock(&lock);
    let dir = locked_service("sdist", "", "uv.lock", &std::fs::read_to_string(&lock).expect("read lock"));
    let image = format!("fleet-e2e/sdist:{}", std::process::id());
    // --no-cache: the assertions below need the fetch and the build to happen now.
    let extra = ["--no-cache", "--build-arg", &mirror.url(), "--load", "-t", &image];
    let r = e.build_target(&dir.0.join("fleet.toml"), &dir.0, "hello", &extra);
    assert!(r.ok, "{}", r.text);
    assert!(r.text.contains("[hello] build docopt 0.6.2 from its sdist (hash-checked)"), "{}", r.text);
    assert!(mirror.take_fetched().iter().any(|f| f == "docopt-0.6.2.tar.gz"), "the sdist came from the mirror");
    let out = e.python(&image, "import docopt; print(docopt.__file__)");
    assert!(out.contains("/opt/fleet/site/docopt"), "{out}");
    let _ = e.docker_ok(&["rmi", "-f", &image]);
}
