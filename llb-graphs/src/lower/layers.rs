//! One exec, one layer per install group ([`super::groups`]): every group installs into the
//! same service-independent prefix from its own wheels and requirements, with no network and
//! no bytecode, so two services with the same group share the step and its layer. A check
//! step reads every group and fails on a path two groups install with different content
//! (identical files, like the empty `nvidia/__init__.py` of each nvidia-* wheel, are fine);
//! it writes nothing, so its (empty) output adds no files. Groups are then layered in their
//! fixed order: `MergeOp`, or copies onto one tree without cap `mergeop`.

use crate::diag::Diagnostic;
use crate::llb::{Copy, Exec, FileAction, Mount, NetMode, State};
use crate::plan::UvWheel;

use super::deps::{fetch_http, fetch_pip, requirements};
use super::groups::{groups, Group, LAYER_BUDGET};
use super::{Cx, Layered};
use crate::plan::LockedDeps;

const WHEELS: &str = "/fleet/wheels";
const REQS: &str = "/fleet/req";
const OUT: &str = "/fleet/out";
const GROUPS: &str = "/fleet/groups";

/// Fails when two groups install one path with different bytes. argv: the prefix, then one
/// `mountpoint=label` per group.
const CHECK: &str = r#"import hashlib, os, sys
prefix = sys.argv[1].lstrip("/")
owners = {}
for arg in sys.argv[2:]:
    root, label = arg.split("=", 1)
    top = os.path.join(root, prefix)
    for d, dirs, files in os.walk(top):
        links = [x for x in dirs if os.path.islink(os.path.join(d, x))]
        for n in files + links:
            p = os.path.join(d, n)
            owners.setdefault(os.path.relpath(p, top), []).append((p, label))
def digest(p):
    if os.path.islink(p):
        return "link:" + os.readlink(p)
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
bad = []
for rel in sorted(owners):
    found = owners[rel]
    # Only paths in two or more groups are read: identical copies are fine.
    if len(found) > 1 and len({digest(p) for p, _ in found}) > 1:
        bad.append("%s: installed by %s with different content" % (rel, " and ".join(l for _, l in found)))
if bad:
    sys.exit("fleet-frontend: locked wheels collide in " + sys.argv[1] + ":\n  " + "\n  ".join(bad[:20]))
"#;

/// The prefix tree (root = image root) of `deps`' wheels, installed group by group, with the
/// history of its layers.
pub(super) fn install_groups(
    cx: &Cx<'_>,
    base: &State,
    deps: &LockedDeps,
    with_urls: bool,
    uv: Option<(&UvWheel, State)>,
    extra_layers: usize,
) -> Result<Layered, Box<Diagnostic>> {
    let groups = groups(&deps.selected);
    budget(cx, deps, groups.len() + extra_layers)?;
    let installed: Vec<(String, Layered)> = groups
        .iter()
        .map(|g| {
            let part = LockedDeps { selected: g.members.clone(), ..deps.clone() };
            (label(g), install_one(cx, base, &part, with_urls, uv.as_ref().map(|(_, s)| s), g))
        })
        .collect();
    Ok(layer(cx, base, deps, &installed))
}

fn label(g: &Group) -> String {
    if g.key.starts_with("bucket-") {
        let names: Vec<&str> = g.members.iter().map(|m| m.name.as_str()).collect();
        format!("{} ({})", g.key, names.join(" "))
    } else {
        g.key.clone()
    }
}

fn budget(cx: &Cx<'_>, deps: &LockedDeps, layers: usize) -> Result<(), Box<Diagnostic>> {
    if layers <= LAYER_BUDGET {
        return Ok(());
    }
    let msg =
        format!("lockfile `{}` needs {layers} dependency layers, more than the budget of {LAYER_BUDGET}", deps.path);
    let help = format!(
        "every wheel of at least {} MB is a layer of its own; move some of them to a family's lock",
        super::groups::BIG_WHEEL / 1_000_000
    );
    Err(Box::new(Diagnostic::error(cx.file, deps.span.clone(), msg).with_help(help).rule(&crate::rules::LAYER_BUDGET)))
}

/// One group's install exec: its own wheels and requirements, output on scratch (one layer).
fn install_one(
    cx: &Cx<'_>,
    base: &State,
    part: &LockedDeps,
    with_urls: bool,
    uv: Option<&State>,
    g: &Group,
) -> Layered {
    let wheels = if with_urls { fetch_http(cx, part) } else { fetch_pip(cx, base, part) };
    let reqs = requirements(cx, part);
    let target = format!("{OUT}{}", part.prefix);
    let reqs_file = format!("{REQS}/requirements.txt");
    let (args, tool) = match uv {
        Some(_) => (super::uv::install_args(&target, WHEELS, &reqs_file), "uv"),
        None => (pip_args(&target, &reqs_file), "pip"),
    };
    let mut exec = Exec::new(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("UV_PYTHON_DOWNLOADS", "never")
        .user("0:0")
        .network(NetMode::None)
        .readonly_root()
        .mount(Mount::Layer { dest: WHEELS.into(), source: wheels, selector: None, readonly: true })
        .mount(Mount::Layer { dest: REQS.into(), source: reqs, selector: None, readonly: true })
        .mount(Mount::Tmpfs { dest: "/tmp".into(), size: 0 })
        .mount(Mount::Layer { dest: OUT.into(), source: State::scratch(), selector: None, readonly: false });
    if let Some(uv) = uv {
        exec = exec.mount(Mount::Layer {
            dest: super::uv::UV_DIR.into(),
            source: uv.clone(),
            selector: None,
            readonly: true,
        });
    }
    let n = match part.selected.len() {
        1 => "1 locked wheel".to_string(),
        n => format!("{n} locked wheels"),
    };
    let meta = cx.meta(format!("{tool} install {}: {n} (hash-checked)", label(g)), &part.span);
    Layered::on(vec![], base.run(exec.meta(meta.clone())).mount_output(OUT).unwrap_or_default(), &meta)
}

/// pip with the same contract: offline, hash-checked, no bytecode (`--no-compile`: pip
/// compiles even under `PYTHONDONTWRITEBYTECODE`).
fn pip_args(target: &str, reqs: &str) -> Vec<String> {
    [
        "python3",
        "-m",
        "pip",
        "install",
        "--no-index",
        "--no-deps",
        "--require-hashes",
        "--no-compile",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--find-links",
        WHEELS,
        "--target",
        target,
        "-r",
        reqs,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The collision check, then the groups layered in order: with `MergeOp` the check's (empty)
/// layer and every group's, else one layer of copies.
fn layer(cx: &Cx<'_>, base: &State, deps: &LockedDeps, installed: &[(String, Layered)]) -> Layered {
    if installed.len() <= 1 {
        return installed.first().map(|(_, l)| l.clone()).unwrap_or_default();
    }
    let mut args: Vec<String> = vec!["python3".into(), "-c".into(), CHECK.into(), deps.prefix.clone()];
    let mut mounts = vec![];
    for (i, (label, st)) in installed.iter().enumerate() {
        let dir = format!("{GROUPS}/{i:02}");
        args.push(format!("{dir}={label}"));
        mounts.push(Mount::Layer { dest: dir, source: st.state.clone(), selector: None, readonly: true });
    }
    let mut check =
        Exec::new(args).env("PYTHONDONTWRITEBYTECODE", "1").user("0:0").network(NetMode::None).readonly_root();
    for m in mounts {
        check = check.mount(m);
    }
    let check_meta = cx.meta(format!("check {} install groups for colliding files", installed.len()), &deps.span);
    let check = check
        .mount(Mount::Layer { dest: OUT.into(), source: State::scratch(), selector: None, readonly: false })
        .meta(check_meta.clone());
    let checked = base.run(check).mount_output(OUT).unwrap_or_default();
    let meta = cx.meta(format!("layer {} install groups", installed.len()), &deps.span);
    if cx.opts.merge_op {
        // The check's output is a layer too, an empty one: BuildKit exports it.
        let mut out = Layered::on(vec![], checked, &check_meta);
        let mut layers = vec![out.state.clone()];
        for (_, l) in installed {
            layers.push(l.state.clone());
            out.history.extend(l.history.iter().cloned());
        }
        // The merge is no layer of its own (the groups are) and costs nothing to redo: only its
        // inputs go into cache exports.
        out.state = State::merge(&layers, meta.without_cache_export());
        return out;
    }
    let contents = Copy { dir_copy_contents: true, create_dest_path: true, ..Default::default() };
    let mut actions = FileAction::copy(&checked, "/", "/", contents.clone());
    for (_, l) in installed {
        actions = actions.then(FileAction::copy(&l.state, deps.prefix.clone(), deps.prefix.clone(), contents.clone()));
    }
    Layered::on(vec![], State::scratch().file(actions, meta.clone()), &meta)
}
