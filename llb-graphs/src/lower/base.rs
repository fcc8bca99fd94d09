//! The family base image as a state, with the config an exec does not inherit by itself
//! (Env, WorkingDir) copied in from the resolved image config (buildkit-gateway.md §9 item 12).

use serde_json::Value;

use super::Cx;
use crate::llb::{ImageSource, State};
use crate::plan::ImageRef;

/// A base image after `ResolveImageConfig`: the (pinned) reference and its config JSON.
#[derive(Clone, Debug)]
pub struct ResolvedImage {
    /// Reference, pinned by digest when the resolver gave one.
    pub reference: ImageRef,
    /// Whole image config (`{"architecture","os","config":{...},...}`); `Null` when unresolved.
    pub config: Value,
}

impl ResolvedImage {
    /// An unresolved image (offline CLI): no digest, no config.
    pub fn unresolved(reference: ImageRef) -> Self {
        Self {
            reference,
            config: Value::Null,
        }
    }

    /// `config.Env` of the image, or the daemon's default PATH when unknown.
    pub fn env(&self) -> Vec<String> {
        match self.config.pointer("/config/Env").and_then(Value::as_array) {
            Some(env) => env
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            None => vec![DEFAULT_PATH.to_string()],
        }
    }

    /// `config.WorkingDir` of the image, if set.
    pub fn working_dir(&self) -> Option<String> {
        self.config
            .pointer("/config/WorkingDir")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
}

/// BuildKit's default PATH (util/system/path.go).
pub const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub(super) fn lower_base(cx: &Cx<'_>, base: &ResolvedImage) -> State {
    let src = ImageSource {
        reference: base.reference.to_string(),
        resolve_mode: cx.opts.image_resolve_mode.clone(),
        meta: cx.meta(
            format!("base image {}", cx.plan.family.base.value),
            &cx.plan.family.base.span,
        ),
    };
    let env = base.env();
    let st = src
        .state(&cx.opts.platform)
        .env_list(env.iter().map(String::as_str));
    match base.working_dir() {
        Some(wd) => st.cwd(wd),
        None => st,
    }
}
