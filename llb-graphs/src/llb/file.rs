//! `FileOp` (mkdir, mkfile, copy, rm) and `MergeOp` (client/llb/fileop.go, merge.go).

use std::sync::Arc;

use super::caps;
use super::pb;
use super::state::{Node, OpMeta, Output, State};

/// Numeric ownership for created or copied files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    /// User ID.
    pub uid: u32,
    /// Group ID.
    pub gid: u32,
}

impl Owner {
    /// `uid:gid`.
    pub fn id(uid: u32, gid: u32) -> Self {
        Self { uid, gid }
    }

    fn to_pb(self) -> pb::ChownOpt {
        let id = |v| Some(pb::UserOpt { user: Some(pb::user_opt::User::ById(v)) });
        pb::ChownOpt { user: id(self.uid), group: id(self.gid) }
    }
}

/// Options of a copy action. `mode: None` keeps the source modes.
#[derive(Clone, Debug, Default)]
pub struct Copy {
    /// Chown every copied entry.
    pub owner: Option<Owner>,
    /// Chmod every copied entry (None keeps the source mode, encoded as -1).
    pub mode: Option<u32>,
    /// Follow a symlink named as the source.
    pub follow_symlink: bool,
    /// Copy a directory's contents rather than the directory itself.
    pub dir_copy_contents: bool,
    /// Create missing parents of `dest`.
    pub create_dest_path: bool,
    /// Treat `src` as a glob.
    pub allow_wildcard: bool,
    /// A glob that matches nothing is not an error.
    pub allow_empty_wildcard: bool,
    /// Only these patterns (relative to `src`).
    pub include_patterns: Vec<String>,
    /// Not these patterns (relative to `src`).
    pub exclude_patterns: Vec<String>,
}

// A chain holds a handful of actions for a moment; boxing the copy variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
enum Action {
    Mkdir { path: String, mode: u32, parents: bool, owner: Option<Owner> },
    Mkfile { path: String, mode: u32, data: Vec<u8>, owner: Option<Owner> },
    Copy { from: State, src: String, dest: String, opts: Copy },
    Rm { path: String, allow_not_found: bool },
}

/// A chain of file actions applied in order to one state.
#[derive(Clone, Debug)]
pub struct FileAction {
    actions: Vec<Action>,
}

impl FileAction {
    /// Creates directory `path` (parents included) with `mode`.
    pub fn mkdir(path: impl Into<String>, mode: u32) -> Self {
        Self::one(Action::Mkdir { path: path.into(), mode, parents: true, owner: None })
    }

    /// Writes `data` to `path` with `mode`.
    pub fn mkfile(path: impl Into<String>, mode: u32, data: impl Into<Vec<u8>>) -> Self {
        Self::one(Action::Mkfile { path: path.into(), mode, data: data.into(), owner: None })
    }

    /// Copies `src` of `from` to `dest`.
    pub fn copy(from: &State, src: impl Into<String>, dest: impl Into<String>, opts: Copy) -> Self {
        Self::one(Action::Copy { from: from.clone(), src: src.into(), dest: dest.into(), opts })
    }

    /// Removes `path` (a missing path is not an error).
    pub fn rm(path: impl Into<String>) -> Self {
        Self::one(Action::Rm { path: path.into(), allow_not_found: true })
    }

    /// Appends the actions of `next`.
    pub fn then(mut self, next: FileAction) -> Self {
        self.actions.extend(next.actions);
        self
    }

    /// Sets the owner of the last mkdir or mkfile action.
    pub fn owner(mut self, o: Owner) -> Self {
        match self.actions.last_mut() {
            Some(Action::Mkdir { owner, .. }) | Some(Action::Mkfile { owner, .. }) => *owner = Some(o),
            Some(Action::Copy { opts, .. }) => opts.owner = Some(o),
            _ => {}
        }
        self
    }

    fn one(a: Action) -> Self {
        Self { actions: vec![a] }
    }
}

impl State {
    /// Applies `actions` to this state as one `FileOp`.
    pub fn file(&self, actions: FileAction, meta: OpMeta) -> State {
        let mut inputs: Vec<Output> = vec![];
        let index_of = |s: &State, inputs: &mut Vec<Output>| -> i64 {
            let Some(out) = &s.output else { return -1 };
            let pos = inputs.iter().position(|o| Arc::ptr_eq(&o.node, &out.node) && o.index == out.index);
            pos.unwrap_or_else(|| {
                inputs.push(out.clone());
                inputs.len() - 1
            }) as i64
        };
        let base = index_of(self, &mut inputs);
        let secondaries: Vec<i64> = actions
            .actions
            .iter()
            .map(|a| match a {
                Action::Copy { from, .. } => index_of(from, &mut inputs),
                _ => -1,
            })
            .collect();
        let n_inputs = inputs.len() as i64;
        let last = actions.actions.len() - 1;
        let mut op_caps = vec![caps::FILE_BASE];
        let pb_actions = actions
            .actions
            .iter()
            .enumerate()
            .map(|(j, a)| {
                // Action j reads the result of action j-1, numbered after the op's inputs.
                let input = if j == 0 { base } else { n_inputs + j as i64 - 1 };
                let output = if j == last { 0 } else { -1 };
                let (secondary_input, action) = lower_action(a, secondaries[j], &mut op_caps);
                pb::FileAction { input, secondary_input, output, action: Some(action) }
            })
            .collect();
        let node = Node {
            body: pb::op::Op::File(pb::FileOp { actions: pb_actions }),
            inputs,
            platform: None,
            meta,
            caps: op_caps,
            raw: None,
        };
        State::from_output(Output::new(node, 0), self.meta.clone())
    }

    /// Layers `states` on top of each other without copying (`MergeOp`). Scratch inputs are
    /// dropped; a merge of one state is that state (client/llb/merge.go).
    pub fn merge(states: &[State], meta: OpMeta) -> State {
        let real: Vec<&State> = states.iter().filter(|s| !s.is_scratch()).collect();
        match real.as_slice() {
            [] => State::scratch(),
            [one] => (*one).clone(),
            _ => {
                let inputs: Vec<Output> = real.iter().filter_map(|s| s.output.clone()).collect();
                let merge_inputs = (0..inputs.len() as i64).map(|input| pb::MergeInput { input }).collect();
                let node = Node {
                    body: pb::op::Op::Merge(pb::MergeOp { inputs: merge_inputs }),
                    inputs,
                    platform: None,
                    meta,
                    caps: vec![caps::MERGE_OP],
                    raw: None,
                };
                State::from_output(Output::new(node, 0), real[0].meta.clone())
            }
        }
    }
}

fn lower_action(a: &Action, secondary: i64, op_caps: &mut Vec<&'static str>) -> (i64, pb::file_action::Action) {
    use pb::file_action::Action as A;
    match a {
        Action::Mkdir { path, mode, parents, owner } => (
            -1,
            A::Mkdir(pb::FileActionMkDir {
                path: path.clone(),
                mode: *mode as i32,
                make_parents: *parents,
                owner: owner.map(Owner::to_pb),
                timestamp: -1,
            }),
        ),
        Action::Mkfile { path, mode, data, owner } => (
            -1,
            A::Mkfile(pb::FileActionMkFile {
                path: path.clone(),
                mode: *mode as i32,
                data: data.clone(),
                owner: owner.map(Owner::to_pb),
                timestamp: -1,
            }),
        ),
        Action::Rm { path, allow_not_found } => (
            -1,
            A::Rm(pb::FileActionRm { path: path.clone(), allow_not_found: *allow_not_found, allow_wildcard: false }),
        ),
        Action::Copy { src, dest, opts, .. } => {
            if !opts.include_patterns.is_empty() || !opts.exclude_patterns.is_empty() {
                op_caps.push(caps::FILE_COPY_INCLUDE_EXCLUDE);
            }
            let copy = pb::FileActionCopy {
                src: src.clone(),
                dest: dest.clone(),
                owner: opts.owner.map(Owner::to_pb),
                // -1 keeps the source mode; 0 would chmod everything to 000 (§9 item 8).
                mode: opts.mode.map_or(-1, |m| m as i32),
                follow_symlink: opts.follow_symlink,
                dir_copy_contents: opts.dir_copy_contents,
                create_dest_path: opts.create_dest_path,
                allow_wildcard: opts.allow_wildcard,
                allow_empty_wildcard: opts.allow_empty_wildcard,
                timestamp: -1,
                include_patterns: opts.include_patterns.clone(),
                exclude_patterns: opts.exclude_patterns.clone(),
                ..Default::default()
            };
            (secondary, A::Copy(copy))
        }
    }
}
