//! The app tree: a check step on the base (tini must be there; it also lays out the workdir and
//! the writable directories owned by 10001), then the service's source copied in, owned by root.
//!
//! The check step depends only on the base and the manifest, not on the app's files, so a
//! code-only change re-runs just the copy.

use super::base::ResolvedImage;
use super::{Cx, Layered};
use crate::llb::{Copy, Exec, FileAction, LocalSource, Mount, OpMeta, Owner, State};
use crate::plan::APP_UID;

/// Where the check step writes the app skeleton (a scratch mount).
const OUT: &str = "/fleet/out";

/// `$1` base image, `$2` family, `$3` workdir under OUT, `$4` owner of the writable
/// directories, then the writable directories.
const CHECK_SCRIPT: &str = r#"test -x /usr/bin/tini || { echo "fleet-frontend: base image $1 of family $2 has no executable /usr/bin/tini; services run tini as PID 1, so the family base must install it" >&2; exit 1; }
d=$3; o=$4; mkdir -p "$d"; shift 4
for w; do mkdir -p "$d/$w"; chown "$o" "$d/$w"; done"#;

/// The app tree: two layers, the skeleton of the check step and the copy on it.
pub(super) fn lower_app(cx: &Cx<'_>, base_state: &State, base: &ResolvedImage) -> Layered {
    let skel = check_and_layout(cx, base_state, base);
    let ctx = context(cx);
    let plan = cx.plan;
    let src_root = if plan.source.value == "." { "/".to_string() } else { format!("/{}/", plan.source.value) };
    let dest = format!("{}/", plan.workdir);
    let writable: Vec<&str> = plan.writable.iter().map(|w| w.value.as_str()).collect();
    let mut actions = FileAction::copy(
        &ctx,
        src_root.clone(),
        dest.clone(),
        Copy {
            owner: Some(Owner::id(0, 0)),
            dir_copy_contents: true,
            create_dest_path: true,
            // Writable directories get their contents with 10001 ownership below.
            exclude_patterns: writable.iter().map(|w| w.to_string()).collect(),
            ..Default::default()
        },
    );
    for w in &writable {
        actions = actions.then(FileAction::copy(
            &ctx,
            format!("{src_root}{w}/*"),
            format!("{dest}{w}/"),
            Copy {
                owner: Some(Owner::id(APP_UID, APP_UID)),
                create_dest_path: true,
                allow_wildcard: true,
                allow_empty_wildcard: true,
                ..Default::default()
            },
        ));
    }
    if let Some(p) = &cx.opts.profile {
        // The whole profile, for the app and for humans: `cat /etc/machine-profile.json`.
        actions = actions
            .then(FileAction::mkdir("/etc", 0o755).owner(Owner::id(0, 0)))
            .then(FileAction::mkfile("/etc/machine-profile.json", 0o644, p.canonical_json()).owner(Owner::id(0, 0)));
    }
    let name = format!("copy {} to {}", display_dir(&plan.source.value), plan.workdir);
    let meta = cx.meta(name, &plan.source.span);
    Layered::on(skel.history, skel.state.file(actions, meta.clone()), &meta)
}

/// The check-and-layout exec. Its root is the base, read-only; its only output is the skeleton.
fn check_and_layout(cx: &Cx<'_>, base_state: &State, base: &ResolvedImage) -> Layered {
    let plan = cx.plan;
    // The logic takes its values as positional arguments so BuildKit's "process ... did not
    // complete" line stays short and the script text is the same for every service.
    let mut args: Vec<String> = vec!["/bin/sh".into(), "-c".into(), CHECK_SCRIPT.into(), "fleet-check".into()];
    args.push(base.reference.clone());
    args.push(plan.family.name.clone());
    args.push(format!("{OUT}{}", plan.workdir));
    args.push(format!("{APP_UID}:{APP_UID}"));
    args.extend(plan.writable.iter().map(|w| w.value.clone()));
    let exec = Exec::new(args)
        .user("0:0")
        .network(cx.opts.network)
        .extra_hosts(&cx.opts.extra_hosts)
        .readonly_root()
        .mount(Mount::Layer { dest: OUT.into(), source: State::scratch(), selector: None, readonly: false });
    let meta =
        cx.meta(format!("check tini in family {}, lay out {}", plan.family.name, plan.workdir), &plan.family_span);
    let run = base_state.run(exec.meta(meta.clone()));
    Layered::on(vec![], run.mount_output(OUT).unwrap_or_default(), &meta)
}

/// The build context, narrowed to the service's source directory.
pub(super) fn context(cx: &Cx<'_>) -> State {
    let src = &cx.plan.source.value;
    LocalSource {
        name: "context".into(),
        session_id: cx.opts.session_id.clone(),
        shared_key_hint: Some("context".into()),
        include_patterns: if src == "." { vec![] } else { vec![format!("{src}/")] },
        exclude_patterns: cx.opts.exclude_patterns.clone(),
        meta: OpMeta {
            custom_name: Some("[internal] load build context".into()),
            ignore_cache: cx.opts.ignore_cache,
            // The client's files: a remote cache could never match them by content.
            no_export_cache: true,
            ..Default::default()
        },
        ..Default::default()
    }
    .state()
}

fn display_dir(p: &str) -> String {
    if p == "." {
        "./".into()
    } else {
        format!("{p}/")
    }
}
