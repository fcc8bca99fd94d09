//! The family chain on top of the root's base image: per family, its user, its apt packages and
//! its locked Python packages, each a layer. Services of one family share these ops (same
//! digests), so one build or bake of several services builds the family once.

use super::deps::lower_deps_named;
use super::ResolvedImage;
use super::{history_text, Cx, Layered};
use crate::llb::{CacheSharing, Copy, Exec, FileAction, Mount, OpMeta, State};
use crate::plan::LockedDeps;
use crate::plan::{At, BuilderPlan, FamilyLayer, APP_UID};

/// `$1` user name, `$2` uid:gid number.
const USER_SCRIPT: &str = r#"set -eu
getent group "$2" >/dev/null || groupadd -g "$2" "$1"
getent passwd "$2" >/dev/null || useradd -u "$2" -g "$2" -m -d "/home/$1" -s /bin/sh "$1""#;

/// apt with its lists and archives on locked cache mounts, so neither lands in a layer and two
/// builds never run apt on one cache at once. `$1` is the family, then the packages (pins as
/// `name=version`). Packages the base already has at the asked version are skipped, so a base
/// that carries them needs no network (buildx 0.13's bake cannot grant one). A `ca-bundle`
/// secret, when given, is apt's https CA (`Acquire::https::CAInfo`) and the maintainer scripts'
/// `SSL_CERT_FILE` (`super::ca`); without it apt runs as before.
pub(super) const APT_SCRIPT: &str = r#"set -eu
fam=$1; shift
missing=""
for p; do
  name=${p%%=*}; want=""
  [ "$name" = "$p" ] || want=${p#*=}
  st=$(dpkg-query -W -f='${db:Status-Status}' "$name" 2>/dev/null || true)
  ver=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
  if [ "$st" != installed ] || { [ -n "$want" ] && [ "$ver" != "$want" ]; }; then missing="$missing $p"; fi
done
if [ -z "$missing" ]; then echo "fleet-frontend: family $fam: every package is already installed"; exit 0; fi
rm -f /etc/apt/apt.conf.d/docker-clean
ca=/run/secrets/ca-bundle
aptget() {
  if [ -f "$ca" ]; then
    DEBIAN_FRONTEND=noninteractive SSL_CERT_FILE=$ca apt-get -o "Acquire::https::CAInfo=$ca" "$@"
  else DEBIAN_FRONTEND=noninteractive apt-get "$@"; fi
}
# apt-get update exits 0 when it cannot fetch: judge by the install.
aptget update -qq || true
aptget install -y -qq --no-install-recommends $missing || {
  echo "fleet-frontend: family $fam could not install$missing from the distribution's archive; without --network=host the build cannot reach it" >&2
  exit 1
}"#;

/// The chain on `base`; the history lists the layers it adds to the base's.
pub(super) fn lower_chain(
    cx: &Cx<'_>,
    base: &State,
    family_deps: &[LockedDeps],
) -> Result<Layered, Box<crate::diag::Diagnostic>> {
    let mut out = Layered { state: base.clone(), history: vec![] };
    for layer in &cx.plan.family.chain {
        if let Some(user) = &layer.user {
            out = user_step(cx, out, layer, &user.value, &user.span);
        }
        if !layer.apt.is_empty() {
            let (st, meta) = apt_step(cx, &out.state, layer, &layer.apt, root_family(cx, layer));
            out = Layered::on(out.history, st, &meta);
        }
        if let Some(deps) = family_deps.iter().find(|d| d.prefix == crate::plan::family_site(&layer.name)) {
            let builder = layer.builder.as_ref().map(|b| builder_state(cx, layer, b));
            let d = lower_deps_named(cx, &out.state, deps, &family_label(&layer.name), builder.as_ref())?;
            out = on_top(cx, out, &d, &deps.prefix, layer);
        }
    }
    Ok(out)
}

/// The builder stage of `layer`'s compiled packages: its image (resolved by the caller, or
/// unresolved), the packages it needs, and the compile env as the state's env.
fn builder_state(cx: &Cx<'_>, layer: &FamilyLayer, b: &BuilderPlan) -> State {
    let resolved =
        cx.opts.builders.get(&layer.name).cloned().unwrap_or_else(|| ResolvedImage::unresolved(b.image.value.clone()));
    let label = family_label(&layer.name);
    let fcx = Cx { file: cx.file, plan: cx.plan, opts: cx.opts, label: &label };
    let mut st = super::base::lower_image(&fcx, &resolved, &b.image.value, &b.image.span, "builder");
    if !b.apt.is_empty() {
        // Its own apt caches: the builder's distribution need not be the family's.
        st = apt_step(cx, &st, layer, &b.apt, &format!("{}-builder", layer.name)).0;
    }
    b.env.iter().fold(st, |st, (k, v)| st.env(k, v))
}

fn root_family<'a>(cx: &'a Cx<'_>, layer: &'a FamilyLayer) -> &'a str {
    cx.plan.family.chain.first().map_or(layer.name.as_str(), |l| l.name.as_str())
}

fn family_label(name: &str) -> String {
    format!("family {name}")
}

fn meta(cx: &Cx<'_>, layer: &FamilyLayer, what: String, span: &std::ops::Range<usize>) -> OpMeta {
    let label = family_label(&layer.name);
    Cx { file: cx.file, plan: cx.plan, opts: cx.opts, label: &label }.meta(what, span)
}

fn user_step(cx: &Cx<'_>, st: Layered, layer: &FamilyLayer, user: &str, span: &std::ops::Range<usize>) -> Layered {
    let meta = meta(cx, layer, format!("create user {user} ({APP_UID}:{APP_UID})"), span);
    let exec = Exec::new(["/bin/sh", "-c", USER_SCRIPT, "fleet-user", user, &APP_UID.to_string()])
        .user("0:0")
        .network(crate::llb::NetMode::None)
        .meta(meta.clone());
    let root = st.state.run(exec).root();
    Layered::on(st.history, root, &meta)
}

/// Installs `apt` on `st` (one layer, made by the op of the returned metadata); `root` keys the
/// caches (the image the packages come for).
fn apt_step(cx: &Cx<'_>, st: &State, layer: &FamilyLayer, apt: &[At<String>], root: &str) -> (State, OpMeta) {
    let p = &cx.opts.platform;
    let ns = cx.opts.cache_ns.as_deref().filter(|n| !n.is_empty()).map(|n| format!("{n}/")).unwrap_or_default();
    // Lists and archives differ per distribution and architecture: key the caches by the root
    // family (its base image) and the platform.
    let cache = |what: &str| format!("{ns}fleet-apt-{what}/{root}/{}-{}", p.os, p.architecture);
    let pkgs: Vec<String> = apt.iter().map(|a| a.value.clone()).collect();
    let mut args = vec!["/bin/sh".to_string(), "-c".into(), APT_SCRIPT.into(), "fleet-apt".into(), layer.name.clone()];
    args.extend(pkgs.iter().cloned());
    let span = apt.first().map_or(layer.span.clone(), |a| a.span.start..apt.last().map_or(a.span.end, |l| l.span.end));
    let exec = Exec::new(args)
        .user("0:0")
        .network(cx.opts.network)
        .extra_hosts(&cx.opts.extra_hosts)
        .mount(Mount::Cache {
            dest: "/var/cache/apt".into(),
            id: cache("cache"),
            sharing: CacheSharing::Locked,
            owner: None,
        })
        .mount(Mount::Cache {
            dest: "/var/lib/apt".into(),
            id: cache("lib"),
            sharing: CacheSharing::Locked,
            owner: None,
        })
        .mount(super::ca::mount());
    let meta = meta(cx, layer, format!("apt-get install {}", pkgs.join(" ")), &span);
    (st.run(exec.meta(meta.clone())).root(), meta)
}

/// A family's installed packages on top of the chain so far: their layers (`MergeOp`), or one
/// layer of copies.
fn on_top(cx: &Cx<'_>, st: Layered, deps: &Layered, prefix: &str, layer: &FamilyLayer) -> Layered {
    let mut history = st.history;
    let out = if cx.opts.merge_op {
        history.extend(deps.history.iter().cloned());
        let m = meta(cx, layer, "merge locked packages".into(), &layer.span);
        State::merge(&[st.state.clone(), deps.state.clone()], m)
    } else {
        let c = FileAction::copy(
            &deps.state,
            prefix,
            prefix,
            Copy { dir_copy_contents: true, create_dest_path: true, ..Default::default() },
        );
        let m = meta(cx, layer, "copy locked packages".into(), &layer.span);
        history.push(history_text(&m));
        st.state.file(c, m)
    };
    Layered { state: out.with_meta_of(&st.state), history }
}
