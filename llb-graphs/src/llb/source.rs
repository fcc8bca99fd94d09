//! Source ops: `docker-image://`, `local://` and `http(s)://` (buildkit-gateway.md §6.4).

use std::collections::BTreeMap;

use super::caps;
use super::pb;
use super::state::{Node, OpMeta, Output, State, StateMeta};

/// A `docker-image://` source. The reference should be pinned by digest by the caller.
#[derive(Clone, Debug)]
pub struct ImageSource {
    /// Normalised reference, e.g. `localhost:5000/python:3.11-slim@sha256:...`.
    pub reference: String,
    /// `image.resolvemode`: `default`, `pull` or `local` (`None` = default).
    pub resolve_mode: Option<String>,
    /// Name, cache and location metadata.
    pub meta: OpMeta,
}

impl ImageSource {
    /// The image's root filesystem as a state on `platform`, with env/cwd/user left to the
    /// caller: an image source carries none of its config (§6.4).
    pub fn state(&self, platform: &super::Platform) -> State {
        let mut attrs = BTreeMap::new();
        let mut op_caps = vec![caps::SOURCE_IMAGE];
        if let Some(mode) = self.resolve_mode.as_deref().filter(|m| *m != "default") {
            attrs.insert("image.resolvemode".to_string(), mode.to_string());
            if mode == "pull" {
                op_caps.push(caps::SOURCE_IMAGE_RESOLVEMODE);
            }
        }
        let body = pb::op::Op::Source(pb::SourceOp { identifier: format!("docker-image://{}", self.reference), attrs });
        let node = Node {
            body,
            inputs: vec![],
            platform: Some(platform.clone()),
            meta: self.meta.clone(),
            caps: op_caps,
            raw: None,
        };
        let meta = StateMeta { platform: Some(platform.clone()), ..Default::default() };
        State::from_output(Output::new(node, 0), meta)
    }
}

/// A `local://NAME` source: files the client sends over the session.
#[derive(Clone, Debug, Default)]
pub struct LocalSource {
    /// Local name (`context`, `dockerfile`).
    pub name: String,
    /// `local.session`.
    pub session_id: Option<String>,
    /// `local.sharedkeyhint`.
    pub shared_key_hint: Option<String>,
    /// `local.followpaths`.
    pub follow_paths: Vec<String>,
    /// `local.includepattern`.
    pub include_patterns: Vec<String>,
    /// `local.excludepatterns`.
    pub exclude_patterns: Vec<String>,
    /// `local.differ` (`none` for tiny transfers such as the manifest).
    pub differ: Option<String>,
    /// Name and location.
    pub meta: OpMeta,
}

impl LocalSource {
    /// The local directory as a state.
    pub fn state(&self) -> State {
        let mut attrs = BTreeMap::new();
        let mut op_caps = vec![caps::SOURCE_LOCAL];
        let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_default();
        match &self.session_id {
            Some(id) => {
                attrs.insert("local.session".into(), id.clone());
                op_caps.push(caps::SOURCE_LOCAL_SESSIONID);
            }
            None => {
                // Without a session BuildKit would share the transfer between builds; Go's
                // client marks such locals unique (client/llb/source.go `Local`).
                attrs.insert("local.unique".into(), self.name.clone());
                op_caps.push(caps::SOURCE_LOCAL_UNIQUE);
            }
        }
        if let Some(h) = &self.shared_key_hint {
            attrs.insert("local.sharedkeyhint".into(), h.clone());
            op_caps.push(caps::SOURCE_LOCAL_SHAREDKEYHINT);
        }
        if !self.follow_paths.is_empty() {
            attrs.insert("local.followpaths".into(), json(&self.follow_paths));
            op_caps.push(caps::SOURCE_LOCAL_FOLLOWPATHS);
        }
        if !self.include_patterns.is_empty() {
            attrs.insert("local.includepattern".into(), json(&self.include_patterns));
            op_caps.push(caps::SOURCE_LOCAL_INCLUDEPATTERNS);
        }
        if !self.exclude_patterns.is_empty() {
            attrs.insert("local.excludepatterns".into(), json(&self.exclude_patterns));
            op_caps.push(caps::SOURCE_LOCAL_EXCLUDEPATTERNS);
        }
        if let Some(d) = &self.differ {
            attrs.insert("local.differ".into(), d.clone());
            op_caps.push(caps::SOURCE_LOCAL_DIFFER);
        }
        let body = pb::op::Op::Source(pb::SourceOp { identifier: format!("local://{}", self.name), attrs });
        let node = Node { body, inputs: vec![], platform: None, meta: self.meta.clone(), caps: op_caps, raw: None };
        State::from_output(Output::new(node, 0), StateMeta::default())
    }
}

/// An `http(s)://` source whose content BuildKit verifies against a sha256.
#[derive(Clone, Debug, Default)]
pub struct HttpSource {
    /// The URL (it is the identifier).
    pub url: String,
    /// `sha256:<hex>`.
    pub checksum: Option<String>,
    /// File name in the output root.
    pub filename: Option<String>,
    /// Permissions, e.g. `0o644`.
    pub perm: Option<u32>,
    /// Name and location.
    pub meta: OpMeta,
}

impl HttpSource {
    /// The downloaded file as a state.
    pub fn state(&self) -> State {
        let mut attrs = BTreeMap::new();
        let mut op_caps = vec![caps::SOURCE_HTTP];
        if let Some(c) = &self.checksum {
            attrs.insert("http.checksum".into(), c.clone());
            op_caps.push(caps::SOURCE_HTTP_CHECKSUM);
        }
        if let Some(f) = &self.filename {
            attrs.insert("http.filename".into(), f.clone());
        }
        if let Some(p) = self.perm {
            attrs.insert("http.perm".into(), format!("0{p:o}"));
            op_caps.push(caps::SOURCE_HTTP_PERM);
        }
        let body = pb::op::Op::Source(pb::SourceOp { identifier: self.url.clone(), attrs });
        let node = Node { body, inputs: vec![], platform: None, meta: self.meta.clone(), caps: op_caps, raw: None };
        State::from_output(Output::new(node, 0), StateMeta::default())
    }
}

/// An `oci-layout://` source: an image from an OCI layout the client exposes over the session
/// (`--build-context NAME=oci-layout://...`; client/llb/source.go `OCILayout`).
#[derive(Clone, Debug)]
pub struct OciLayoutSource {
    /// `name@sha256:...`.
    pub reference: String,
    /// `oci.store`: the store ID the client registered.
    pub store: String,
    /// `oci.session`.
    pub session: String,
    /// Name and location.
    pub meta: OpMeta,
}

impl OciLayoutSource {
    /// The image root filesystem as a state.
    pub fn state(&self, platform: &super::Platform) -> State {
        let attrs = BTreeMap::from([
            ("oci.session".to_string(), self.session.clone()),
            ("oci.store".to_string(), self.store.clone()),
        ]);
        let body = pb::op::Op::Source(pb::SourceOp { identifier: format!("oci-layout://{}", self.reference), attrs });
        let node = Node {
            body,
            inputs: vec![],
            platform: Some(platform.clone()),
            meta: self.meta.clone(),
            caps: vec![caps::SOURCE_OCI_LAYOUT],
            raw: None,
        };
        let meta = StateMeta { platform: Some(platform.clone()), ..Default::default() };
        State::from_output(Output::new(node, 0), meta)
    }
}
