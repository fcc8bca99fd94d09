//! uv as the installer, pinned like a locked wheel: the static (musllinux) uv wheel from PyPI
//! for the target platform is an LLB HTTP source checked against the sha256 the frontend
//! carries (or `[fleet.uv]` pins), unpacked once by `python3 -m zipfile`-style code on the
//! base (cached by the wheel's checksum and the base), and run with no network:
//! `uv pip install --offline --no-index --no-deps --require-hashes --target ...`.

use crate::llb::{Exec, HttpSource, Mount, NetMode, OpMeta, State};
use crate::plan::{Installer, UvWheel};

use super::Cx;

/// The uv the frontend pins: 0.13.9, sha256 from `https://pypi.org/pypi/uv/0.13.9/json`.
const UV_VERSION: &str = "0.13.9";
const UV_AMD64: (&str, &str) = (
    "https://files.pythonhosted.org/packages/fe/fe/794884de0efd3ac77a427cab21aa72c0483e100c55a42cd5cbb02c141b84/uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl",
    "2c45530751517d6c3bbc69a19473f6effe47cce047bede01ffd8af7ea7b36b25",
);
const UV_ARM64: (&str, &str) = (
    "https://files.pythonhosted.org/packages/57/15/94b6cd62ac3ff6550288328e8035288875197cbc183f51554b266a69877b/uv-0.13.9-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl",
    "5435c5ce14a56431208ca0996416d310f1598e8c2c8ba707688985a16bb82dbe",
);

/// Where the unpacked uv binary is mounted in install steps.
pub(super) const UV_DIR: &str = "/fleet/uv";
const WHEEL_DIR: &str = "/fleet/uv-wheel";
const OUT: &str = "/fleet/out";

/// Writes the one `*.data/scripts/uv` member of wheel `$1` to `$2`, mode 0755. Paths come in
/// as argv, never as program text.
const UNPACK: &str = r#"import os, sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as z:
    names = [n for n in z.namelist() if n.endswith(".data/scripts/uv")]
    if len(names) != 1:
        sys.exit("fleet-frontend: %s holds no single uv binary" % src)
    data = z.read(names[0])
with open(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755), "wb") as f:
    f.write(data)
"#;

/// Runs argv[2:] (uv) for this very interpreter (`--python sys.executable`: the path pip writes
/// into script shebangs, where uv's own search of `python3` may find another name such as
/// `/usr/local/bin/python`), then removes what uv leaves that depends on the time of the install
/// (`*.dist-info/uv_cache.json`, with its RECORD line) and its `.lock` in target `$1`, so a
/// group's layer depends on its wheels only.
pub(super) const UV_WRAP: &str = r#"import glob, os, subprocess, sys
target = sys.argv[1]
rc = subprocess.call(sys.argv[2:] + ["--python", sys.executable])
if rc:
    sys.exit(rc)
if os.path.exists(os.path.join(target, ".lock")):
    os.remove(os.path.join(target, ".lock"))
for info in sorted(glob.glob(os.path.join(glob.escape(target), "*.dist-info"))):
    extra = os.path.join(info, "uv_cache.json")
    if not os.path.exists(extra):
        continue
    os.remove(extra)
    record = os.path.join(info, "RECORD")
    prefix = os.path.basename(info) + "/uv_cache.json,"
    with open(record, encoding="utf-8") as f:
        lines = [l for l in f.read().splitlines(True) if not l.startswith(prefix)]
    with open(record, "w", encoding="utf-8") as f:
        f.write("".join(lines))
"#;

/// The uv wheel for the build's platform, or `None` when the installer is pip or uv has no
/// static wheel pinned for the architecture (then pip installs).
pub(super) fn wheel_for(cx: &Cx<'_>) -> Option<UvWheel> {
    let arm = cx.opts.platform.architecture == "arm64";
    if !(arm || cx.opts.platform.architecture == "amd64") {
        return None;
    }
    match &cx.plan.installer {
        Installer::Pip => None,
        Installer::UvPinned(pin) => Some(if arm { pin.arm64.clone() } else { pin.amd64.clone() }),
        Installer::Uv => {
            let (url, sha256) = if arm { UV_ARM64 } else { UV_AMD64 };
            Some(UvWheel { url: url.into(), sha256: sha256.into() })
        }
    }
}

/// The state whose `/uv` is the uv binary of `wheel`, unpacked on `base` (which has python3).
pub(super) fn binary(cx: &Cx<'_>, base: &State, wheel: &UvWheel, span: &std::ops::Range<usize>) -> State {
    let name = wheel.filename().to_string();
    let src = HttpSource {
        url: wheel.url.clone(),
        checksum: Some(format!("sha256:{}", wheel.sha256)),
        filename: Some(name.clone()),
        perm: Some(0o644),
        meta: OpMeta {
            custom_name: Some(format!("[{}] fetch {name}", cx.label)),
            ignore_cache: cx.opts.ignore_cache,
            location: cx.meta("", span).location,
            progress_group: None,
            no_export_cache: true,
        },
    }
    .state();
    let exec = Exec::new(["python3", "-c", UNPACK, &format!("{WHEEL_DIR}/{name}"), &format!("{OUT}/uv")])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .user("0:0")
        .network(NetMode::None)
        .readonly_root()
        .mount(Mount::Layer { dest: WHEEL_DIR.into(), source: src, selector: None, readonly: true })
        .mount(Mount::Tmpfs { dest: "/tmp".into(), size: 0 })
        .mount(Mount::Layer { dest: OUT.into(), source: State::scratch(), selector: None, readonly: false })
        // Cheap to make again from the pinned wheel; a cache export would carry 44 MB of uv.
        .meta(cx.meta(format!("unpack uv from {name}"), span).without_cache_export());
    base.run(exec).mount_output(OUT).unwrap_or_default()
}

/// argv of one group's uv install into `target`, wrapped by [`UV_WRAP`].
pub(super) fn install_args(target: &str, wheels: &str, reqs: &str) -> Vec<String> {
    let uv = format!("{UV_DIR}/uv");
    let mut args: Vec<String> = vec!["python3".into(), "-c".into(), UV_WRAP.into(), target.into(), uv];
    args.extend(
        [
            "pip",
            "install",
            "--offline",
            "--no-index",
            "--no-deps",
            "--require-hashes",
            "--no-cache",
            "--no-config",
            "--no-progress",
            "--link-mode",
            "copy",
            "--target",
            target,
            "--find-links",
            wheels,
            "-r",
            reqs,
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    args
}

/// The built-in uv version, for docs and tests.
pub const VERSION: &str = UV_VERSION;
