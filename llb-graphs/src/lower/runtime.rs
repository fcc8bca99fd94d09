//! The runtime stage: the base image with the locked dependencies and the app tree on top —
//! layered by `MergeOp` when the daemon lists cap `mergeop` (no copy, layers reused), copied
//! onto the base otherwise. Nothing else from the builder steps (wheels, caches, pip) reaches it.

use super::{Cx, Layered};
use crate::llb::{Copy, FileAction, State};

/// The runtime image on `base` (the family chain); the history lists the layers added to it.
pub(super) fn lower_runtime(cx: &Cx<'_>, base: &Layered, deps: Option<&Layered>, app: &Layered) -> Layered {
    let plan = cx.plan;
    let base_state = &base.state;
    let what = if deps.is_some() { "dependencies and app onto base" } else { "app onto base" };
    let mut history = base.history.clone();
    let st = if cx.opts.merge_op {
        // A merge's layers are its inputs' layers, in order.
        let mut layers = vec![base_state.clone()];
        if let Some(d) = deps {
            layers.push(d.state.clone());
            history.extend(d.history.iter().cloned());
        }
        layers.push(app.state.clone());
        history.extend(app.history.iter().cloned());
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
        let mut actions = tree(&app.state, &plan.workdir);
        if let Some(d) = deps {
            actions = tree(&d.state, crate::plan::SITE).then(actions);
        }
        let meta = cx.meta(format!("copy {what}"), &plan.span);
        history.push(super::history_text(&meta));
        base_state.file(actions, meta)
    };
    Layered { state: st.with_meta_of(base_state), history }
}
