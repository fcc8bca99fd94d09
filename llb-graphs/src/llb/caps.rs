//! LLB capability IDs (`solver/pb/caps.go`). Only IDs the daemon registers appear here: declaring
//! an unregistered one such as `exec.meta.removemountstubs.recursive` or `file.copy.modestring`
//! fails the build with "unknown API capability" (buildkit-gateway.md §6.10, §9 item 26).

pub const SOURCE_IMAGE: &str = "source.image";
pub const SOURCE_IMAGE_RESOLVEMODE: &str = "source.image.resolvemode";
pub const SOURCE_LOCAL: &str = "source.local";
pub const SOURCE_LOCAL_SESSIONID: &str = "source.local.sessionid";
pub const SOURCE_LOCAL_SHAREDKEYHINT: &str = "source.local.sharedkeyhint";
pub const SOURCE_LOCAL_FOLLOWPATHS: &str = "source.local.followpaths";
pub const SOURCE_LOCAL_INCLUDEPATTERNS: &str = "source.local.includepatterns";
pub const SOURCE_LOCAL_EXCLUDEPATTERNS: &str = "source.local.excludepatterns";
pub const SOURCE_LOCAL_DIFFER: &str = "source.local.differ";
pub const SOURCE_LOCAL_UNIQUE: &str = "source.local.unique";
pub const SOURCE_OCI_LAYOUT: &str = "source.ocilayout";
pub const SOURCE_HTTP: &str = "source.http";
pub const SOURCE_HTTP_CHECKSUM: &str = "source.http.checksum";
pub const SOURCE_HTTP_PERM: &str = "source.http.perm";
/// Sic: the typo is the real registered ID (`solver/pb/caps.go`).
pub const SOURCE_HTTP_UIDGID: &str = "soruce.http.uidgid";

pub const EXEC_META_BASE: &str = "exec.meta.base";
pub const EXEC_META_NETWORK: &str = "exec.meta.network";
pub const EXEC_META_SECURITY: &str = "exec.meta.security";
pub const EXEC_MOUNT_BIND: &str = "exec.mount.bind";
pub const EXEC_MOUNT_SELECTOR: &str = "exec.mount.selector";
pub const EXEC_MOUNT_CACHE: &str = "exec.mount.cache";
pub const EXEC_MOUNT_CACHE_SHARING: &str = "exec.mount.cache.sharing";
pub const EXEC_MOUNT_TMPFS: &str = "exec.mount.tmpfs";
pub const EXEC_MOUNT_TMPFS_SIZE: &str = "exec.mount.tmpfs.size";
pub const EXEC_MOUNT_SECRET: &str = "exec.mount.secret";
pub const EXEC_SECRET_ENV: &str = "exec.secretenv";

pub const FILE_BASE: &str = "file.base";
pub const FILE_COPY_INCLUDE_EXCLUDE: &str = "file.copy.includeexcludepatterns";

pub const MERGE_OP: &str = "mergeop";

pub const CONSTRAINTS: &str = "constraints";
pub const PLATFORM: &str = "platform";
pub const META_DESCRIPTION: &str = "meta.description";
pub const META_IGNORECACHE: &str = "meta.ignorecache";
pub const META_EXPORTCACHE: &str = "meta.exportcache";
