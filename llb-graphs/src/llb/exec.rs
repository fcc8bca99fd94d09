//! `ExecOp`: run a process on a state with extra mounts (client/llb/exec.go `Marshal`).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::caps;
use super::file::{FileAction, Owner};
use super::pb;
use super::state::{Node, OpMeta, Output, State};

/// The network an exec step gets (`pb.NetMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NetMode {
    /// BuildKit's default sandbox network; needs a bridge, which the dev daemon lacks.
    Sandbox,
    /// The host network (needs the `network.host` entitlement).
    Host,
    /// No network at all: the default for every fleet step.
    #[default]
    None,
}

/// How concurrent builds share a cache mount (`pb.CacheSharingOpt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheSharing {
    /// Many writers at once.
    Shared,
    /// Each writer gets its own copy.
    Private,
    /// One writer at a time (apt needs this).
    Locked,
}

/// A mount of an exec step other than its root.
#[derive(Clone, Debug)]
pub enum Mount {
    /// A state's filesystem (or a subpath of it) at `dest`; writable mounts give an output.
    Layer { dest: String, source: State, selector: Option<String>, readonly: bool },
    /// A persistent cache. `owner` = `(uid, gid, mode)` initialises the directory, as the
    /// Dockerfile frontend does for `--mount=type=cache,uid=,gid=,mode=`.
    Cache { dest: String, id: String, sharing: CacheSharing, owner: Option<(u32, u32, u32)> },
    /// An in-memory filesystem; `size` in bytes (0 = default).
    Tmpfs { dest: String, size: i64 },
    /// A build secret file (`--secret id=...`), never part of any layer.
    Secret { dest: String, id: String, uid: u32, gid: u32, mode: u32, optional: bool },
}

impl Mount {
    fn dest(&self) -> &str {
        match self {
            Mount::Layer { dest, .. } | Mount::Cache { dest, .. } => dest,
            Mount::Tmpfs { dest, .. } | Mount::Secret { dest, .. } => dest,
        }
    }
}

/// A process to run, named after `std::process::Command`.
#[derive(Clone, Debug, Default)]
pub struct Exec {
    args: Vec<String>,
    env: BTreeMap<String, String>,
    cwd: Option<String>,
    user: Option<String>,
    network: NetMode,
    mounts: Vec<Mount>,
    readonly_root: bool,
    extra_hosts: Vec<(String, String)>,
    secret_env: Vec<(String, String)>,
    meta: OpMeta,
}

impl Exec {
    /// A process with argv `args`.
    pub fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self { args: args.into_iter().map(Into::into).collect(), ..Default::default() }
    }

    /// `sh -c SCRIPT`.
    pub fn shell(script: impl Into<String>) -> Self {
        Self::new(["/bin/sh".to_string(), "-c".to_string(), script.into()])
    }

    /// Adds or overrides one environment variable on top of the state's env.
    pub fn env(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.env.insert(k.into(), v.into());
        self
    }

    /// Working directory (else the state's, else `/`).
    pub fn cwd(mut self, dir: impl Into<String>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// User (else the state's, else root).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Network mode.
    pub fn network(mut self, n: NetMode) -> Self {
        self.network = n;
        self
    }

    /// Adds a mount.
    pub fn mount(mut self, m: Mount) -> Self {
        self.mounts.push(m);
        self
    }

    /// Adds `/etc/hosts` entries (`add-hosts`), as `(host, ip)`.
    pub fn extra_hosts(mut self, hosts: &[(String, String)]) -> Self {
        self.extra_hosts.extend(hosts.iter().cloned());
        self
    }

    /// Sets environment variable `name` from BuildKit secret `id` (`--secret id=...`) for this
    /// step only: the value never enters the op, the cache key or a layer.
    pub fn secret_env(mut self, id: impl Into<String>, name: impl Into<String>) -> Self {
        self.secret_env.push((id.into(), name.into()));
        self
    }

    /// Mounts the root read-only: the step then has no root output.
    pub fn readonly_root(mut self) -> Self {
        self.readonly_root = true;
        self
    }

    /// Progress name, cache and location metadata.
    pub fn meta(mut self, meta: OpMeta) -> Self {
        self.meta = meta;
        self
    }
}

/// The result of an exec: its root and every writable mount as states.
#[derive(Clone, Debug)]
pub struct ExecState {
    root: State,
    outputs: BTreeMap<String, Output>,
}

impl ExecState {
    /// The root filesystem after the step (scratch-less only when the root was writable).
    pub fn root(&self) -> State {
        self.root.clone()
    }

    /// The filesystem of the writable mount at `dest` after the step.
    pub fn mount_output(&self, dest: &str) -> Option<State> {
        self.outputs.get(dest).map(|o| State::from_output(o.clone(), self.root.meta.clone()))
    }
}

impl State {
    /// Runs `exec` on this state (client/llb/state.go `Run`).
    pub fn run(&self, exec: Exec) -> ExecState {
        let mut b = ExecBuilder::default();
        let root =
            Mount::Layer { dest: "/".into(), source: self.clone(), selector: None, readonly: exec.readonly_root };
        let mut mounts: Vec<Mount> = std::iter::once(root).chain(exec.mounts.iter().cloned()).collect();
        // Parents before children, "/" first; secrets after the rest (exec.go:146-148).
        mounts.sort_by(|a, b| {
            let key = |m: &Mount| (matches!(m, Mount::Secret { .. }), m.dest().to_string());
            key(a).cmp(&key(b))
        });
        let pb_mounts: Vec<pb::Mount> = mounts.iter().map(|m| b.mount(m)).collect();
        let mut env = self.meta.env.clone();
        env.extend(exec.env.clone());
        let meta = pb::Meta {
            args: exec.args.clone(),
            env: env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            cwd: exec.cwd.clone().or_else(|| self.meta.cwd.clone()).unwrap_or_else(|| "/".into()),
            user: exec.user.clone().or_else(|| self.meta.user.clone()).unwrap_or_default(),
            remove_mount_stubs_recursive: true,
            extra_hosts: exec
                .extra_hosts
                .iter()
                .map(|(host, ip)| pb::HostIp { host: host.clone(), ip: ip.clone() })
                .collect(),
            ..Default::default()
        };
        let network = match exec.network {
            NetMode::Sandbox => pb::NetMode::Unset,
            NetMode::Host => pb::NetMode::Host,
            NetMode::None => pb::NetMode::None,
        };
        if exec.network != NetMode::Sandbox {
            b.caps.push(caps::EXEC_META_NETWORK);
        }
        if !exec.secret_env.is_empty() {
            b.caps.push(caps::EXEC_SECRET_ENV);
        }
        let secretenv = exec
            .secret_env
            .iter()
            .map(|(id, name)| pb::SecretEnv { id: id.clone(), name: name.clone(), optional: false })
            .collect();
        let body = pb::op::Op::Exec(pb::ExecOp {
            meta: Some(meta),
            mounts: pb_mounts,
            network: network as i32,
            secretenv,
            ..Default::default()
        });
        let mut op_caps = vec![caps::EXEC_META_BASE, caps::EXEC_MOUNT_BIND];
        op_caps.extend(b.caps.iter().copied());
        let node = Arc::new(Node {
            body,
            inputs: b.inputs.clone(),
            platform: Some(self.meta.platform.clone().unwrap_or_else(super::Platform::linux_amd64)),
            meta: exec.meta.clone(),
            caps: op_caps,
            raw: None,
        });
        let outputs: BTreeMap<String, Output> =
            b.outputs.iter().map(|(dest, idx)| (dest.clone(), Output { node: node.clone(), index: *idx })).collect();
        let root = match outputs.get("/") {
            Some(o) => State::from_output(o.clone(), self.meta.clone()),
            None => self.clone(),
        };
        ExecState { root, outputs }
    }
}

#[derive(Default)]
struct ExecBuilder {
    inputs: Vec<Output>,
    outputs: Vec<(String, i64)>,
    caps: Vec<&'static str>,
}

impl ExecBuilder {
    /// Index of `state` in the op's inputs (deduplicated), or -1 for scratch.
    fn input(&mut self, state: &State) -> i64 {
        let Some(out) = &state.output else { return -1 };
        let pos = self.inputs.iter().position(|o| Arc::ptr_eq(&o.node, &out.node) && o.index == out.index);
        pos.unwrap_or_else(|| {
            self.inputs.push(out.clone());
            self.inputs.len() - 1
        }) as i64
    }

    fn mount(&mut self, m: &Mount) -> pb::Mount {
        let mut pm = pb::Mount { input: -1, output: -1, dest: m.dest().to_string(), ..Default::default() };
        match m {
            Mount::Layer { source, selector, readonly, dest } => {
                pm.input = self.input(source);
                pm.readonly = *readonly;
                if let Some(sel) = selector {
                    pm.selector = sel.clone();
                    self.caps.push(caps::EXEC_MOUNT_SELECTOR);
                }
                if !readonly {
                    pm.output = self.outputs.len() as i64;
                    self.outputs.push((dest.clone(), pm.output));
                }
            }
            Mount::Cache { id, sharing, owner, .. } => self.cache(&mut pm, id, *sharing, *owner),
            Mount::Tmpfs { size, .. } => {
                pm.mount_type = pb::MountType::Tmpfs as i32;
                pm.tmpfs_opt = Some(pb::TmpfsOpt { size: *size });
                self.caps.push(caps::EXEC_MOUNT_TMPFS);
                if *size > 0 {
                    self.caps.push(caps::EXEC_MOUNT_TMPFS_SIZE);
                }
            }
            Mount::Secret { id, uid, gid, mode, optional, .. } => {
                pm.mount_type = pb::MountType::Secret as i32;
                // Secret mounts keep output 0; the daemon ignores it for them (§6.3).
                pm.output = 0;
                pm.secret_opt =
                    Some(pb::SecretOpt { id: id.clone(), uid: *uid, gid: *gid, mode: *mode, optional: *optional });
                self.caps.push(caps::EXEC_MOUNT_SECRET);
            }
        }
        pm
    }

    fn cache(&mut self, pm: &mut pb::Mount, id: &str, sharing: CacheSharing, owner: Option<(u32, u32, u32)>) {
        pm.mount_type = pb::MountType::Cache as i32;
        let sharing = match sharing {
            CacheSharing::Shared => pb::CacheSharingOpt::Shared,
            CacheSharing::Private => pb::CacheSharingOpt::Private,
            CacheSharing::Locked => pb::CacheSharingOpt::Locked,
        };
        pm.cache_opt = Some(pb::CacheOpt { id: id.to_string(), sharing: sharing as i32 });
        self.caps.extend([caps::EXEC_MOUNT_CACHE, caps::EXEC_MOUNT_CACHE_SHARING]);
        if let Some((uid, gid, mode)) = owner {
            // pb.CacheOpt has no owner: seed the cache from a chowned directory instead
            // (dockerfile2llb convert_runmount.go, "settings cache mount permissions").
            let seed = State::scratch().file(
                FileAction::mkdir("/cache", mode).owner(Owner::id(uid, gid)),
                OpMetaName::internal("settings cache mount permissions"),
            );
            pm.input = self.input(&seed);
            pm.selector = "/cache".into();
            self.caps.push(caps::EXEC_MOUNT_SELECTOR);
        }
    }
}

/// Helper for internal op names.
struct OpMetaName;

impl OpMetaName {
    fn internal(name: &str) -> OpMeta {
        OpMeta { custom_name: Some(format!("[internal] {name}")), ..Default::default() }
    }
}
