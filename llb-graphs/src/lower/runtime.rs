//! The runtime stage: the base image with the app tree on top — layered by `MergeOp` when the
//! daemon lists cap `mergeop` (no copy, layers reused), copied onto the base otherwise.

use super::Cx;
use crate::llb::{Copy, FileAction, State};

pub(super) fn lower_runtime(cx: &Cx<'_>, base_state: &State, app: &State) -> State {
    let plan = cx.plan;
    let st = if cx.opts.merge_op {
        State::merge(&[base_state.clone(), app.clone()], cx.meta("merge app onto base", &plan.span))
    } else {
        // Without an owner the copy keeps the uid/gid the app tree already has.
        let copy = FileAction::copy(
            app,
            plan.workdir.clone(),
            plan.workdir.clone(),
            Copy { dir_copy_contents: true, create_dest_path: true, ..Default::default() },
        );
        base_state.file(copy, cx.meta("copy app onto base", &plan.span))
    };
    st.with_meta_of(base_state)
}
