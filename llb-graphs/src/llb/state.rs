//! `State`: an immutable handle on one output of an op, plus the metadata (env, cwd, user,
//! platform) that later exec ops read. Every method returns a new value (client/llb/state.go).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::pb;

/// A target platform (`os/arch[/variant]`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    /// `linux`.
    pub os: String,
    /// `amd64`, `arm64`, ...
    pub architecture: String,
    /// `v7`, ... or empty.
    pub variant: String,
}

impl Platform {
    /// `linux/amd64`.
    pub fn linux_amd64() -> Self {
        Self { os: "linux".into(), architecture: "amd64".into(), variant: String::new() }
    }

    /// Parses `os/arch[/variant]`, normalising `arm64/v8` to `arm64` as containerd does.
    pub fn parse(s: &str) -> Option<Self> {
        let parts: Vec<&str> = s.trim().split('/').collect();
        let (os, arch, variant) = match parts.as_slice() {
            [os, arch] => (*os, *arch, ""),
            [os, arch, v] => (*os, *arch, *v),
            _ => return None,
        };
        // containerd's platforms.Parse: each part is [A-Za-z0-9_-]+ (a present variant too).
        let part_ok = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !part_ok(os) || !part_ok(arch) || (parts.len() == 3 && !part_ok(variant)) {
            return None;
        }
        let arch = match arch {
            "x86_64" | "x86-64" => "amd64",
            "aarch64" => "arm64",
            a => a,
        };
        let variant = if arch == "arm64" && variant == "v8" { "" } else { variant };
        Some(Self { os: os.into(), architecture: arch.into(), variant: variant.into() })
    }

    /// The platform ID used for `refs.platforms` keys (`linux/amd64`, `linux/arm/v7`).
    pub fn id(&self) -> String {
        if self.variant.is_empty() {
            format!("{}/{}", self.os, self.architecture)
        } else {
            format!("{}/{}/{}", self.os, self.architecture, self.variant)
        }
    }

    pub(crate) fn to_pb(&self) -> pb::Platform {
        pb::Platform {
            architecture: self.architecture.clone(),
            os: self.os.clone(),
            variant: self.variant.clone(),
            ..Default::default()
        }
    }
}

/// A place in a source file (an index into the Definition's `SourceInfo` list, plus ranges with
/// 1-based lines), attached to ops so BuildKit can point a failing step at its manifest line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// Index into the source infos passed to marshal.
    pub source_index: i32,
    /// `(start_line, start_col, end_line, end_col)`, lines 1-based, columns 0-based.
    pub ranges: Vec<(i32, i32, i32, i32)>,
}

/// Per-op metadata shared by every op kind: progress name, cache control, source location.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpMeta {
    /// Shown in progress output (`llb.customname`).
    pub custom_name: Option<String>,
    /// `OpMetadata.ignore_cache` (the `no-cache` option).
    pub ignore_cache: bool,
    /// Where in the manifest this op comes from.
    pub location: Option<Location>,
    /// Progress group `(id, name)`, so related steps fold together in progress output.
    pub progress_group: Option<(String, String)>,
    /// `OpMetadata.export_cache = false` (`llb.WithoutExportCache`, client/llb/state.go): the
    /// result is left out of every cache export, which BuildKit v0.13 also runs for each build's
    /// history record (solver/llbsolver/provenance.go `addLayers`; solver/exporter.go `ExportTo`
    /// skips loading the remotes of such a record, keeping its key and links).
    pub no_export_cache: bool,
}

impl OpMeta {
    /// The same metadata with [`OpMeta::no_export_cache`] set: for inputs that are cheap to
    /// make again and never a layer of the image (a checksummed download, a generated file, a
    /// merge of those), so no cache export carries them.
    pub fn without_cache_export(self) -> Self {
        OpMeta { no_export_cache: true, ..self }
    }
}

/// One not-yet-marshalled op: its body with input indices already resolved into `inputs`.
#[derive(Debug)]
pub(crate) struct Node {
    pub body: pb::op::Op,
    pub inputs: Vec<Output>,
    pub platform: Option<Platform>,
    pub meta: OpMeta,
    pub caps: Vec<&'static str>,
    /// A whole definition marshalled elsewhere (a frontend input), emitted verbatim.
    pub raw: Option<Arc<RawDef>>,
}

/// Ops of a definition made by someone else (buildx's `target:` contexts arrive this way).
#[derive(Debug)]
pub(crate) struct RawDef {
    pub ops: Vec<Vec<u8>>,
    pub metadata: std::collections::BTreeMap<String, pb::OpMetadata>,
    pub head: String,
}

/// One output of a node.
#[derive(Clone, Debug)]
pub struct Output {
    pub(crate) node: Arc<Node>,
    pub(crate) index: i64,
}

impl Output {
    pub(crate) fn new(node: Node, index: i64) -> Self {
        Self { node: Arc::new(node), index }
    }
}

/// Exec-visible metadata a state carries forward (not part of the filesystem).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct StateMeta {
    pub env: BTreeMap<String, String>,
    pub cwd: Option<String>,
    pub user: Option<String>,
    pub platform: Option<Platform>,
}

/// An immutable filesystem state: scratch, or one output of an op.
#[derive(Clone, Debug, Default)]
pub struct State {
    pub(crate) output: Option<Output>,
    pub(crate) meta: StateMeta,
}

impl State {
    /// The empty filesystem.
    pub fn scratch() -> Self {
        Self::default()
    }

    pub(crate) fn from_output(output: Output, meta: StateMeta) -> Self {
        Self { output: Some(output), meta }
    }

    /// The result of a definition marshalled elsewhere (e.g. a frontend input): its ops are
    /// emitted unchanged and the state is its terminal op's input. `None` for an empty one.
    pub fn from_definition(def: &pb::Definition) -> Option<Self> {
        use prost::Message;
        let (last, ops) = def.def.split_last()?;
        let terminal = pb::Op::decode(last.as_slice()).ok()?;
        let input = terminal.inputs.first()?;
        let raw = RawDef { ops: ops.to_vec(), metadata: def.metadata.clone(), head: input.digest.clone() };
        let node = Node {
            body: pb::op::Op::Source(pb::SourceOp::default()),
            inputs: vec![],
            platform: None,
            meta: OpMeta::default(),
            caps: vec![],
            raw: Some(Arc::new(raw)),
        };
        Some(Self::from_output(Output::new(node, input.index), StateMeta::default()))
    }

    /// True for scratch.
    pub fn is_scratch(&self) -> bool {
        self.output.is_none()
    }

    /// Sets one environment variable for later exec ops.
    pub fn env(&self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let mut s = self.clone();
        s.meta.env.insert(key.into(), value.into());
        s
    }

    /// Replaces the environment with `KEY=VALUE` entries (an image config's `Env`).
    pub fn env_list<'a>(&self, entries: impl IntoIterator<Item = &'a str>) -> Self {
        let mut s = self.clone();
        s.meta.env.clear();
        for e in entries {
            let (k, v) = e.split_once('=').unwrap_or((e, ""));
            s.meta.env.insert(k.to_string(), v.to_string());
        }
        s
    }

    /// Sets the working directory for later exec ops.
    pub fn cwd(&self, dir: impl Into<String>) -> Self {
        let mut s = self.clone();
        s.meta.cwd = Some(dir.into());
        s
    }

    /// Sets the user for later exec ops.
    pub fn user(&self, user: impl Into<String>) -> Self {
        let mut s = self.clone();
        s.meta.user = Some(user.into());
        s
    }

    /// Sets the platform for later exec and image ops.
    pub fn platform(&self, p: Platform) -> Self {
        let mut s = self.clone();
        s.meta.platform = Some(p);
        s
    }

    /// The environment, sorted by key.
    pub fn env_vars(&self) -> &BTreeMap<String, String> {
        &self.meta.env
    }

    /// The same filesystem with other exec metadata (env, cwd, user, platform) taken from `other`.
    pub fn with_meta_of(&self, other: &State) -> Self {
        Self { output: self.output.clone(), meta: other.meta.clone() }
    }
}
