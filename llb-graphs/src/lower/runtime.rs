//! The runtime stage: the base image with the locked dependencies and the app tree on top —
//! layered by `MergeOp` when the daemon lists cap `mergeop` (no copy, layers reused), copied
//! onto the base otherwise. Nothing else from the builder steps (wheels, caches, pip) reaches it.

use super::Cx;
use crate::llb::{Copy, FileAction, State};

pub(super) fn lower_runtime(cx: &Cx<'_>, base_state: &State, deps: Option<&State>, app: &State) -> State {
    let plan = cx.plan;
    let what = if deps.is_some() { "dependencies and app onto base" } else { "app onto base" };
    let st = if cx.opts.merge_op {
        let mut layers = vec![base_state.clone()];
        layers.extend(deps.cloned());
        layers.push(app.clone());
        State::merge(&layers, cx.meta(format!("merge {what}"), &plan.span))
    } else {
        // Without an owner a copy keeps the uid/gid the trees already have.
        let tree = |from: &State, path: &str| {
            FileAction::copy(
                from,
                path,
                path,
                Copy { dir_copy_contents: true, create_dest_path: true, ..Default::default() },
            )
        };
        let mut actions = tree(app, &plan.workdir);
        if let Some(d) = deps {
            actions = tree(d, crate::plan::SITE).then(actions);
        }
        base_state.file(actions, cx.meta(format!("copy {what}"), &plan.span))
    };
    st.with_meta_of(base_state)
}
