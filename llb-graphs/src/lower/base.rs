//! The family base image as a state, with the config an exec does not inherit by itself
//! (Env, WorkingDir) copied in from the resolved image config (buildkit-gateway.md §9 item 12).

use serde_json::Value;

use super::Cx;
use crate::llb::{ImageSource, LocalSource, OciLayoutSource, State};
use crate::plan::ImageRef;

/// Where a base's root filesystem comes from: the manifest's image, or a named context
/// (`--build-context NAME=...`) that replaces it.
#[derive(Clone, Debug, PartialEq)]
pub enum BaseSource {
    /// `docker-image://` (pinned by digest once resolved).
    Image(ImageRef),
    /// `oci-layout://<ref>@<digest>` read from a client-side OCI layout store.
    OciLayout { reference: String, store: String, session: String },
    /// A directory sent by the client (`local:NAME`), used as the root filesystem.
    Local { name: String, session: String },
    /// A build result handed in by the client (`input:NAME`: Bake's `target:` contexts).
    Definition(Box<crate::llb::pb::Definition>),
}

/// A base image after `ResolveImageConfig`: its source and config JSON.
#[derive(Clone, Debug)]
pub struct ResolvedImage {
    /// What the base is built from.
    pub source: BaseSource,
    /// Reference shown in messages (the manifest's, or the named context's).
    pub reference: String,
    /// Whole image config (`{"architecture","os","config":{...},...}`); `Null` when unknown.
    pub config: Value,
}

impl ResolvedImage {
    /// An unresolved image (offline CLI): no digest, no config.
    pub fn unresolved(reference: ImageRef) -> Self {
        Self::image(reference, Value::Null)
    }

    /// A registry image and its config.
    pub fn image(reference: ImageRef, config: Value) -> Self {
        Self { reference: reference.to_string(), source: BaseSource::Image(reference), config }
    }

    /// `config.Env` of the image, or the daemon's default PATH when unknown.
    pub fn env(&self) -> Vec<String> {
        match self.config.pointer("/config/Env").and_then(Value::as_array) {
            Some(env) => env.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            None => vec![DEFAULT_PATH.to_string()],
        }
    }

    /// `config.WorkingDir` of the image, if set.
    pub fn working_dir(&self) -> Option<String> {
        self.config.pointer("/config/WorkingDir").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
    }
}

/// BuildKit's default PATH (util/system/path.go).
pub const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub(super) fn lower_base(cx: &Cx<'_>, base: &ResolvedImage) -> State {
    lower_image(cx, base, &cx.plan.family.base.value, &cx.plan.family.base.span, "base")
}

/// An image (a family's base, or a builder: `role`) with its config's env and workdir.
pub(super) fn lower_image(
    cx: &Cx<'_>,
    base: &ResolvedImage,
    written: &ImageRef,
    span: &std::ops::Range<usize>,
    role: &str,
) -> State {
    let st = match &base.source {
        BaseSource::Image(r) => ImageSource {
            reference: r.to_string(),
            resolve_mode: cx.opts.image_resolve_mode.clone(),
            meta: cx.meta(format!("{role} image {}", base.reference), span),
        }
        .state(&cx.opts.platform),
        BaseSource::OciLayout { reference, store, session } => OciLayoutSource {
            reference: reference.clone(),
            store: store.clone(),
            session: session.clone(),
            meta: cx.meta(format!("{role} image {written} from OCI layout {store}"), span),
        }
        .state(&cx.opts.platform),
        BaseSource::Local { name, session } => LocalSource {
            name: name.clone(),
            session_id: Some(session.clone()),
            shared_key_hint: Some(format!("context:{name}")),
            meta: cx.meta(format!("{role} {written} from local context {name}"), span),
            ..Default::default()
        }
        .state()
        .platform(cx.opts.platform.clone()),
        BaseSource::Definition(def) => {
            State::from_definition(def).unwrap_or_default().platform(cx.opts.platform.clone())
        }
    };
    let env = base.env();
    let st = st.env_list(env.iter().map(String::as_str));
    match base.working_dir() {
        Some(wd) => st.cwd(wd),
        None => st,
    }
}
