//! Serde types of manifest v1, every value wrapped in `Spanned` so errors and source maps can
//! point at the exact key or value. Unknown keys are rejected (`deny_unknown_fields`); the key
//! tables of [`super::schema`] mirror these types (a test holds them equal).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A spanned map key or string.
pub type SString = Spanned<String>;

/// The whole manifest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Fleet-wide settings.
    #[serde(default)]
    pub fleet: Option<Spanned<Fleet>>,
    /// Base image families by name.
    #[serde(default)]
    pub families: BTreeMap<SString, Spanned<Family>>,
    /// Services by name; each is a build target.
    #[serde(default)]
    pub services: BTreeMap<SString, Spanned<Service>>,
    /// The values above parsed into their types, once ([`super::parse_toml`] fills it).
    #[serde(skip)]
    pub typed: super::typed::Typed,
}

/// `[fleet]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fleet {
    /// Organisation, used in published image names (`ghcr.io/<org>/<name>`).
    pub org: Option<SString>,
    /// Registry host of published images, e.g. `ghcr.io`.
    pub registry: Option<SString>,
    /// Default Python version of the fleet, e.g. `3.11`.
    pub python: Option<SString>,
    /// Source repository URL (label `org.opencontainers.image.source`).
    pub source: Option<SString>,
    /// Free text.
    pub description: Option<SString>,
    /// Base URL that serves locked artifacts by file name (a mirror); checksums still apply.
    pub artifact_mirror: Option<SString>,
    /// ID of the BuildKit secret (`--secret id=...`) holding a private index URL with its
    /// credentials: pip then fetches the locked files from it (hashes still checked).
    pub index_secret: Option<SString>,
    /// Folder in the build context with this fleet's machine profiles (`<name>.json`), used
    /// instead of the built-in `mainpc` and `pc2`.
    pub profiles: Option<SString>,
    /// What installs locked wheels: `"uv"` (default) or `"pip"`.
    pub installer: Option<SString>,
    /// Another uv than the built-in pin.
    pub uv: Option<Spanned<UvPin>>,
}

/// `[fleet.uv]`: a uv release pinned like a locked wheel, one static wheel per platform.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UvPin {
    /// uv version, e.g. `0.13.9` (the wheels' file names must carry it).
    pub version: SString,
    /// The linux/amd64 wheel (`musllinux_1_1_x86_64`).
    pub amd64: Spanned<UvWheel>,
    /// The linux/arm64 wheel (`musllinux_1_1_aarch64`).
    pub arm64: Spanned<UvWheel>,
}

/// `{ url = "...", sha256 = "..." }` of one uv wheel.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UvWheel {
    /// Download URL (PyPI's file host, or a mirror).
    pub url: SString,
    /// sha256 of the file, lowercase hex; BuildKit checks it.
    pub sha256: SString,
}

/// `[families.NAME]`: a base image services build on.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Family {
    /// Base image reference (`repo:tag` or `repo@sha256:...`); exactly one of `base`, `parent`.
    pub base: Option<SString>,
    /// The family this one builds on.
    pub parent: Option<SString>,
    /// Debian/Ubuntu packages to install, `name` or `name=version` (apt pins).
    #[serde(default)]
    pub apt: Vec<SString>,
    /// Creates this user with UID:GID 10001:10001 and a home directory.
    pub user: Option<SString>,
    /// Hash-pinned lockfile of packages every service of the family gets.
    pub lock: Option<SString>,
    /// Extras of the locked project to install (`uv sync --extra`); default none.
    pub extras: Option<Spanned<Vec<SString>>>,
    /// Dependency groups to install (`uv sync --group`); default none for uv.lock
    /// (`--no-dev`), `default-groups` for pylock.toml.
    pub groups: Option<Spanned<Vec<SString>>>,
    /// uv workspace member whose dependencies are installed (`uv sync --package`); default
    /// the project at the workspace root.
    pub package: Option<SString>,
    /// Free text.
    pub description: Option<SString>,
    /// Environment added to every service of the family.
    #[serde(default)]
    pub env: BTreeMap<SString, SString>,
    /// CUDA version of a GPU family (e.g. `"12.1"`); such families build for linux/amd64 only.
    pub cuda: Option<SString>,
    /// Python `major.minor` of the base image (default: `[fleet] python`, else 3.11): decides
    /// which wheels fit.
    pub python: Option<SString>,
    /// Image the family's sdists are compiled on (a toolchain the runtime lacks, e.g. CUDA's
    /// `devel` image); only the built wheels reach the family.
    pub builder: Option<Spanned<Builder>>,
    /// glibc `2.N` of the base image (default: the parent's, else 2.28): the newest
    /// `manylinux_2_N` wheels that fit, as pip inside that base would take them.
    pub glibc: Option<SString>,
}

/// `[families.NAME.builder]`: the builder stage of a family's compiled packages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Builder {
    /// Image reference (`repo:tag` or `repo@sha256:...`); a named context of that name replaces it.
    pub image: SString,
    /// Packages installed on the builder first (it needs the runtime's Python and pip).
    #[serde(default)]
    pub apt: Vec<SString>,
    /// Environment of the compile steps, e.g. `CMAKE_ARGS = "-DGGML_CUDA=on"`.
    #[serde(default)]
    pub env: BTreeMap<SString, SString>,
}

/// `[services.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Family name.
    pub family: SString,
    /// Directory in the build context copied into the image's workdir.
    pub source: SString,
    /// The process tini runs (image `Cmd`).
    pub command: Spanned<Vec<SString>>,
    /// Service and health ports (required; optional here so a missing table is a rule's finding).
    pub ports: Option<Spanned<Ports>>,
    /// Health endpoint path, default `/health`.
    pub health_path: Option<SString>,
    /// Extra environment.
    #[serde(default)]
    pub env: BTreeMap<SString, SString>,
    /// Directories under the workdir that uid 10001 may write.
    #[serde(default)]
    pub writable: Vec<SString>,
    /// Where the app lives in the image, default `/app`.
    pub workdir: Option<SString>,
    /// Free text.
    pub description: Option<SString>,
    /// Extra image labels.
    #[serde(default)]
    pub labels: BTreeMap<SString, SString>,
    /// Hash-pinned lockfile in the build context: `requirements.txt` (with `--hash`),
    /// `pylock.toml` (PEP 751) or `uv.lock`.
    pub lock: Option<SString>,
    /// Extras of the locked project to install (`uv sync --extra`); default none.
    pub extras: Option<Spanned<Vec<SString>>>,
    /// Dependency groups to install (`uv sync --group`); default none for uv.lock
    /// (`--no-dev`), `default-groups` for pylock.toml.
    pub groups: Option<Spanned<Vec<SString>>>,
    /// uv workspace member whose dependencies are installed (`uv sync --package`); default
    /// the project at the workspace root.
    pub package: Option<SString>,
    /// The user the service runs as. Optional, and only ever 10001:10001 (as `10001`,
    /// `10001:10001` or the family's user name): stated for readers, checked by the validator.
    pub user: Option<SString>,
}

/// `ports = { service = 8080, health = 8081 }`. Integers are kept wide so range errors are ours;
/// both are optional here so that a missing one is reported by its rule, not by serde.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ports {
    /// The port the service answers on.
    pub service: Option<Spanned<i64>>,
    /// The port `/health` answers on.
    pub health: Option<Spanned<i64>>,
}
