//! Deterministic marshalling of a state graph into a `pb.Definition` (client/llb/marshal.go):
//! post-order walk, digest = sha256 of each op's bytes, duplicates dropped, terminal op last.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use prost::Message;
use sha2::{Digest, Sha256};

use super::caps;
use super::pb;
use super::state::{Node, State};

/// What marshalling may fail on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MarshalError {
    /// Scratch has no op to return.
    #[error("cannot marshal scratch: the graph has no op")]
    Scratch,
    /// An op needs a capability the daemon did not list in Ping.
    #[error("{op}: needs LLB capability `{cap}`, which this BuildKit does not support")]
    CapNotSupported { cap: String, op: String },
}

/// Inputs to marshal that are not part of the graph.
#[derive(Clone, Debug, Default)]
pub struct MarshalOptions {
    /// Source files that op locations index into (`Definition.source.infos`).
    pub source_infos: Vec<pb::SourceInfo>,
    /// The daemon's enabled LLB caps from Ping; `None` skips the check (offline CLI use).
    pub allowed_caps: Option<BTreeSet<String>>,
}

/// A marshalled definition and the digest of its result op (its `Head`).
#[derive(Clone, Debug)]
pub struct Marshalled {
    /// The definition to send to `Solve`.
    pub definition: pb::Definition,
    /// Digest of the op whose output is the result.
    pub head: String,
}

/// `sha256:<hex>` of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl State {
    /// Marshals the graph ending at this state.
    pub fn marshal(&self, opts: &MarshalOptions) -> Result<Marshalled, MarshalError> {
        let out = self.output.as_ref().ok_or(MarshalError::Scratch)?;
        let mut m = Marshaller { opts, def: pb::Definition::default(), seen: HashMap::new(), emitted: BTreeSet::new() };
        let head = m.visit(&out.node)?;
        let terminal =
            pb::Op { inputs: vec![pb::Input { digest: head.clone(), index: out.index }], ..Default::default() };
        let bytes = terminal.encode_to_vec();
        let tdigest = digest_of(&bytes);
        let mut tcaps = BTreeMap::from([(caps::CONSTRAINTS.to_string(), true), (caps::PLATFORM.to_string(), true)]);
        let used: BTreeSet<&str> = m
            .def
            .metadata
            .values()
            .flat_map(|md| {
                let mut v = vec![];
                if !md.description.is_empty() {
                    v.push(caps::META_DESCRIPTION)
                }
                if md.ignore_cache {
                    v.push(caps::META_IGNORECACHE)
                }
                if md.export_cache.is_some() {
                    v.push(caps::META_EXPORTCACHE)
                }
                v
            })
            .collect();
        for c in used {
            tcaps.insert(c.to_string(), true);
        }
        m.check_caps(tcaps.keys().map(String::as_str), "terminal op")?;
        m.def.def.push(bytes);
        m.def.metadata.insert(tdigest, pb::OpMetadata { caps: tcaps, ..Default::default() });
        if !opts.source_infos.is_empty() {
            m.def.source.get_or_insert_with(Default::default).infos = opts.source_infos.clone();
        }
        Ok(Marshalled { definition: m.def, head })
    }
}

struct Marshaller<'a> {
    opts: &'a MarshalOptions,
    def: pb::Definition,
    seen: HashMap<*const Node, String>,
    emitted: BTreeSet<String>,
}

impl Marshaller<'_> {
    fn visit(&mut self, node: &std::sync::Arc<Node>) -> Result<String, MarshalError> {
        if let Some(d) = self.seen.get(&std::sync::Arc::as_ptr(node)) {
            return Ok(d.clone());
        }
        if let Some(raw) = &node.raw {
            for bytes in &raw.ops {
                let digest = digest_of(bytes);
                if self.emitted.insert(digest.clone()) {
                    self.def.def.push(bytes.clone());
                    if let Some(md) = raw.metadata.get(&digest) {
                        self.def.metadata.insert(digest, md.clone());
                    }
                }
            }
            self.seen.insert(std::sync::Arc::as_ptr(node), raw.head.clone());
            return Ok(raw.head.clone());
        }
        let mut inputs = Vec::with_capacity(node.inputs.len());
        for input in &node.inputs {
            let digest = self.visit(&input.node)?;
            inputs.push(pb::Input { digest, index: input.index });
        }
        let op = pb::Op {
            inputs,
            platform: node.platform.as_ref().map(super::Platform::to_pb),
            constraints: None,
            op: Some(node.body.clone()),
        };
        let bytes = op.encode_to_vec();
        let digest = digest_of(&bytes);
        self.seen.insert(std::sync::Arc::as_ptr(node), digest.clone());
        if self.emitted.insert(digest.clone()) {
            let name = node.meta.custom_name.clone().unwrap_or_else(|| digest.clone());
            self.check_caps(node.caps.iter().copied(), &name)?;
            self.def.def.push(bytes);
            self.def.metadata.insert(digest.clone(), metadata(node));
            if let Some(loc) = &node.meta.location {
                let source = self.def.source.get_or_insert_with(Default::default);
                let ranges = loc.ranges.iter().map(|&(sl, sc, el, ec)| pb::Range {
                    start: Some(pb::Position { line: sl, character: sc }),
                    end: Some(pb::Position { line: el, character: ec }),
                });
                let location = pb::Location { source_index: loc.source_index, ranges: ranges.collect() };
                source.locations.entry(digest.clone()).or_default().locations.push(location);
            }
        }
        Ok(digest)
    }

    fn check_caps<'c>(&self, used: impl Iterator<Item = &'c str>, op: &str) -> Result<(), MarshalError> {
        let Some(allowed) = &self.opts.allowed_caps else {
            return Ok(());
        };
        for cap in used {
            if !allowed.contains(cap) {
                return Err(MarshalError::CapNotSupported { cap: cap.to_string(), op: op.to_string() });
            }
        }
        Ok(())
    }
}

fn metadata(node: &Node) -> pb::OpMetadata {
    let mut caps: BTreeMap<String, bool> = node.caps.iter().map(|c| (c.to_string(), true)).collect();
    if node.meta.no_export_cache {
        caps.insert(caps::META_EXPORTCACHE.to_string(), true);
    }
    let mut md = pb::OpMetadata {
        ignore_cache: node.meta.ignore_cache,
        caps,
        export_cache: node.meta.no_export_cache.then_some(pb::ExportCache { value: false }),
        ..Default::default()
    };
    if let Some(name) = &node.meta.custom_name {
        md.description.insert("llb.customname".into(), name.clone());
    }
    if let Some((id, name)) = &node.meta.progress_group {
        md.progress_group = Some(pb::ProgressGroup { id: id.clone(), name: name.clone(), weak: false });
    }
    md
}
