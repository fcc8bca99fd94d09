//! The gateway transport, after BuildKit's `frontend/gateway/client/client.go` (`grpcClient`
//! and its `reference`): a [`Bridge`] made once from `Ping` and the environment (session id,
//! workers, caps, options), with `solve`, `local`, `resolve_image_config`, `warn`; a solved
//! [`Ref`] reads files (bounded, like dockerui's `readfile.go`), lists directories and stats.
//! A leaf: it knows gRPC and LLB, not manifests.

use std::collections::BTreeSet;

use bollard_buildkit_proto::fsutil::types::Stat;
use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    llb_bridge_client::LlbBridgeClient, result, CacheOptionsEntry, FileRange, InputsRequest, PingRequest,
    ReadDirRequest, ReadFileRequest, ResolveImageConfigRequest, ResolveImageConfigResponse, SolveRequest,
    StatFileRequest, WarnRequest,
};
use llb_graphs::llb::{pb, LocalSource, MarshalOptions, Platform, State};
use tonic::transport::Channel;

use super::errors;
use super::options::Options;

/// The gateway client over stdio.
pub type Client = LlbBridgeClient<Channel>;

/// Go's `os.ModeDir`, the top bit of a `fsutil` stat mode.
pub const MODE_DIR: u32 = 1 << 31;
/// Go's `os.ModeSymlink` (bit 27).
pub const MODE_SYMLINK: u32 = 1 << 27;

/// Caps the daemon listed in Ping.
#[derive(Clone)]
pub struct Caps {
    /// Enabled LLB caps.
    pub llb: BTreeSet<String>,
    /// Enabled gateway API caps.
    pub api: BTreeSet<String>,
}

/// The daemon, as this build sees it. A clone is a second handle on the same connection, for
/// calls made at the same time (HTTP/2 carries them side by side; tonic's clients are made to
/// be cloned).
#[derive(Clone)]
pub struct Bridge {
    client: Client,
    /// Caps from Ping.
    pub caps: Caps,
    /// The frontend options.
    pub opts: Options,
    /// `BUILDKIT_SESSION_ID`: the client session locals and registry auth go through.
    pub session_id: Option<String>,
    /// `workers[0].platforms[0]` of `BUILDKIT_WORKERS`, else linux/amd64 (dockerui `init`).
    pub default_platform: Platform,
}

/// A solved result: files are read from it.
#[derive(Clone)]
pub struct Ref {
    client: Client,
    /// The ref id.
    pub id: String,
}

/// A bounded read that failed.
pub enum ReadError {
    /// No such file (or the RPC failed).
    Missing(tonic::Status),
    /// Larger than allowed: its size.
    TooLarge(u64),
}

impl Bridge {
    /// Pings the daemon and reads the environment once.
    pub async fn connect(mut client: Client, opts: Options) -> Result<Self, Status> {
        let pong = client.ping(PingRequest {}).await.map_err(|s| errors::from_rpc("ping", &s))?.into_inner();
        let ids = |caps: Vec<bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap>| {
            caps.into_iter().filter(|c| c.enabled).map(|c| c.id).collect()
        };
        let caps = Caps { llb: ids(pong.llb_caps), api: ids(pong.frontend_api_caps) };
        let session_id = std::env::var("BUILDKIT_SESSION_ID").ok();
        let default_platform = default_platform(std::env::var("BUILDKIT_WORKERS").ok().as_deref());
        Ok(Self { client, caps, opts, session_id, default_platform })
    }

    /// The session a local is read through: `local-sessionid:<local>` when buildx set one (bake
    /// shares locals between targets), else the build's session (dockerui config.go).
    pub fn session_for(&self, local: &str) -> Option<String> {
        self.opts.raw.get(&format!("local-sessionid:{local}")).cloned().or_else(|| self.session_id.clone())
    }

    /// A local source `name` through its session, named `[internal] {what}` in progress.
    pub fn local(&self, name: &str, what: String) -> LocalSource {
        LocalSource {
            name: name.to_string(),
            session_id: self.session_for(name),
            meta: llb_graphs::llb::OpMeta { custom_name: Some(format!("[internal] {what}")), ..Default::default() },
            ..Default::default()
        }
    }

    /// Solves a small internal graph (marshalled without a caps check) for reading.
    pub async fn solve_state(&mut self, st: &State) -> Result<Ref, Status> {
        let def = st.marshal(&MarshalOptions::default()).map_err(|e| errors::plain(e.to_string()))?.definition;
        self.solve(def, false).await
    }

    /// Solves `def` lazily (the exporter runs it after `Return`); `cache_imports`: forward the
    /// build's `cache-imports` (the final graphs only).
    pub async fn solve(&mut self, def: pb::Definition, cache_imports: bool) -> Result<Ref, Status> {
        let cache_imports = if cache_imports { self.cache_imports() } else { vec![] };
        let req = SolveRequest {
            definition: Some(def),
            allow_result_return: true,
            allow_result_array_ref: true,
            cache_imports,
            ..Default::default()
        };
        let resp = self.client.solve(req).await.map_err(|s| errors::from_rpc("solve", &s))?.into_inner();
        let id = match resp.result.and_then(|r| r.result) {
            Some(result::Result::Ref(r)) => r.id,
            Some(result::Result::RefDeprecated(id)) => id,
            _ => resp.r#ref,
        };
        Ok(Ref { client: self.client.clone(), id })
    }

    fn cache_imports(&self) -> Vec<CacheOptionsEntry> {
        let entries = self.opts.cache_imports.iter();
        entries.map(|(t, a)| CacheOptionsEntry { r#type: t.clone(), attrs: a.clone().into_iter().collect() }).collect()
    }

    /// `ResolveImageConfig` with this build's session.
    pub async fn resolve_image_config(
        &mut self,
        mut req: ResolveImageConfigRequest,
    ) -> Result<ResolveImageConfigResponse, tonic::Status> {
        req.session_id = self.session_id.clone().unwrap_or_default();
        self.client.resolve_image_config(req).await.map(tonic::Response::into_inner)
    }

    /// The frontend inputs (`Inputs`), by id.
    pub async fn inputs(&mut self) -> Result<std::collections::HashMap<String, pb::Definition>, Status> {
        let r = self.client.inputs(InputsRequest {}).await;
        Ok(r.map_err(|s| errors::from_rpc("reading frontend inputs", &s))?.into_inner().definitions)
    }

    /// A build warning; a failed `Warn` is logged, never fatal.
    pub async fn warn(&mut self, req: WarnRequest) {
        if let Err(e) = self.client.warn(req).await {
            eprintln!("fleet-frontend: warn failed: {e}");
        }
    }
}

impl Ref {
    /// Reads `path`, at most `max` bytes: one byte more is asked for, so a larger file is
    /// [`ReadError::TooLarge`] (its size from `StatFile`) instead of an unbounded allocation.
    pub async fn read_file(&self, path: &str, max: usize) -> Result<Vec<u8>, ReadError> {
        let range = Some(FileRange { offset: 0, length: max as i64 + 1 });
        let req = ReadFileRequest { r#ref: self.id.clone(), file_path: path.to_string(), range, mount_index: 0 };
        let data = self.client.clone().read_file(req).await.map_err(ReadError::Missing)?;
        let data = data.into_inner().data;
        if data.len() <= max {
            return Ok(data);
        }
        let size = self.stat(path).await.map_or(data.len() as u64, |s| s.size as u64);
        Err(ReadError::TooLarge(size))
    }

    /// The entries of `dir` matching `pattern`, as sent (links are not followed).
    pub async fn read_dir(&self, dir: &str, pattern: &str) -> Result<Vec<Stat>, Status> {
        let req = ReadDirRequest {
            r#ref: self.id.clone(),
            dir_path: dir.to_string(),
            include_pattern: pattern.to_string(),
            mount_index: 0,
        };
        let r = self.client.clone().read_dir(req).await.map_err(|s| errors::from_rpc("read dir", &s))?;
        Ok(r.into_inner().entries)
    }

    /// `StatFile` (follows links).
    pub async fn stat(&self, path: &str) -> Result<Stat, Status> {
        let req = StatFileRequest { r#ref: self.id.clone(), path: path.to_string(), mount_index: 0 };
        let r = self.client.clone().stat_file(req).await.map_err(|s| errors::from_rpc("stat", &s))?;
        r.into_inner().stat.ok_or_else(|| errors::plain(format!("stat {path}: no result")))
    }
}

/// `workers[0].platforms[0]` from `BUILDKIT_WORKERS` JSON, else linux/amd64.
fn default_platform(workers: Option<&str>) -> Platform {
    let parsed = workers.and_then(|w| serde_json::from_str::<serde_json::Value>(w).ok());
    parsed
        .as_ref()
        .and_then(|w| w.pointer("/0/platforms/0"))
        .and_then(|p| {
            let os = p.get("os")?.as_str()?;
            let arch = p.get("architecture")?.as_str()?;
            let variant = p.get("variant").and_then(|v| v.as_str()).unwrap_or("");
            Platform::parse(format!("{os}/{arch}/{variant}").trim_end_matches('/'))
        })
        .unwrap_or_else(Platform::linux_amd64)
}

#[cfg(test)]
mod tests {
    use super::default_platform;

    #[test]
    fn default_platform_is_the_first_workers_first() {
        let w = r#"[{"platforms":[{"os":"linux","architecture":"arm64","variant":"v8"}]}]"#;
        assert_eq!(default_platform(Some(w)).id(), "linux/arm64");
        assert_eq!(default_platform(Some("not json")).id(), "linux/amd64");
        assert_eq!(default_platform(None).id(), "linux/amd64");
    }
}
