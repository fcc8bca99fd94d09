//! The build-args this frontend reads (`--build-arg NAME=VALUE`), parsed once into
//! [`BuildArgs`]. Their names live here only: the gateway's option parser, the outline
//! subrequest and the CLI read them through this module. An empty value means "not given",
//! as for the Dockerfile frontend's `ARG`s.

use std::collections::BTreeMap;

/// `MACHINE`: the machine profile (default [`crate::profile::DEFAULT`]).
pub const MACHINE: &str = "MACHINE";
/// `FLEET_FAMILIES`: `graph` (build the family chain) or `published` (start from its image).
pub const FLEET_FAMILIES: &str = "FLEET_FAMILIES";
/// `FLEET_ARTIFACT_MIRROR`: base URL serving locked artifacts by file name.
pub const FLEET_ARTIFACT_MIRROR: &str = "FLEET_ARTIFACT_MIRROR";
/// `REVISION`: label `org.opencontainers.image.revision`.
pub const REVISION: &str = "REVISION";
/// `BUILDKIT_CACHE_MOUNT_NS`: prefix of every cache mount id (as for Dockerfiles).
pub const BUILDKIT_CACHE_MOUNT_NS: &str = "BUILDKIT_CACHE_MOUNT_NS";
/// `SOURCE_DATE_EPOCH`: Unix seconds for the image's created date and history.
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";
/// `BUILDKIT_DOCKERFILE_CHECK`: overrides the manifest's `# check=` directive.
pub const BUILDKIT_DOCKERFILE_CHECK: &str = "BUILDKIT_DOCKERFILE_CHECK";

/// `BUILDKIT_ATTEST_SBOM`: BuildKit's own SBOM request as a build-arg (frontend/attestations).
pub const BUILDKIT_ATTEST_SBOM: &str = "BUILDKIT_ATTEST_SBOM";

/// The build-args the outline subrequest lists, with what they do.
pub const DESCRIBED: &[(&str, &str)] = &[
    (REVISION, "label org.opencontainers.image.revision"),
    (SOURCE_DATE_EPOCH, "Unix time for the image's created date and history (reproducible builds)"),
    (FLEET_ARTIFACT_MIRROR, "base URL serving locked artifacts by file name (checksums still apply)"),
    (BUILDKIT_CACHE_MOUNT_NS, "namespace of the pip cache mount id"),
    (MACHINE, "machine profile: image env and /etc/machine-profile.json (default mainpc)"),
];

/// How a service gets its family layers (`FLEET_FAMILIES`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FamilyMode {
    /// Build the family chain in the same graph (the default).
    #[default]
    Graph,
    /// Start from the family's published image (`[families.X] image`), when it has one.
    Published,
}

/// A build-arg value this frontend cannot use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildArgError {
    /// `FLEET_FAMILIES` is neither `graph` nor `published`.
    #[error("FLEET_FAMILIES={0}: expected graph or published")]
    Families(String),
    /// `SOURCE_DATE_EPOCH` is not a non-negative integer.
    #[error("SOURCE_DATE_EPOCH {0:?}: expected Unix seconds")]
    Epoch(String),
}

/// Every build-arg the frontend reads, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildArgs {
    /// `MACHINE`.
    pub machine: String,
    /// `FLEET_FAMILIES`.
    pub families: FamilyMode,
    /// `FLEET_ARTIFACT_MIRROR` (it wins over `[fleet] artifact_mirror`).
    pub artifact_mirror: Option<String>,
    /// `REVISION`.
    pub revision: Option<String>,
    /// `BUILDKIT_CACHE_MOUNT_NS`.
    pub cache_ns: Option<String>,
    /// `SOURCE_DATE_EPOCH`, Unix seconds.
    pub source_date_epoch: Option<i64>,
    /// `BUILDKIT_DOCKERFILE_CHECK`, as written (the directive parser reads it).
    pub check: Option<String>,
}

impl Default for BuildArgs {
    fn default() -> Self {
        Self {
            machine: crate::profile::DEFAULT.into(),
            families: FamilyMode::Graph,
            artifact_mirror: None,
            revision: None,
            cache_ns: None,
            source_date_epoch: None,
            check: None,
        }
    }
}

impl BuildArgs {
    /// Reads the known names out of every `build-arg:NAME=VALUE`; others are ignored.
    pub fn parse(args: &BTreeMap<String, String>) -> Result<Self, BuildArgError> {
        let given = |name: &str| args.get(name).filter(|v| !v.is_empty()).cloned();
        let families = match args.get(FLEET_FAMILIES).map(String::as_str) {
            None | Some("") | Some("graph") => FamilyMode::Graph,
            Some("published") => FamilyMode::Published,
            Some(other) => return Err(BuildArgError::Families(other.to_string())),
        };
        let source_date_epoch = match given(SOURCE_DATE_EPOCH) {
            None => None,
            Some(e) => Some(e.parse::<i64>().ok().filter(|s| *s >= 0).ok_or(BuildArgError::Epoch(e))?),
        };
        Ok(Self {
            machine: given(MACHINE).unwrap_or_else(|| crate::profile::DEFAULT.into()),
            families,
            artifact_mirror: given(FLEET_ARTIFACT_MIRROR),
            revision: given(REVISION),
            cache_ns: given(BUILDKIT_CACHE_MOUNT_NS),
            source_date_epoch,
            // Passed on as given: an empty value is a (malformed) directive, not an absent one.
            check: args.get(BUILDKIT_DOCKERFILE_CHECK).cloned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<BuildArgs, BuildArgError> {
        BuildArgs::parse(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn empty_values_are_absent_and_bad_ones_are_errors() {
        let a = parse(&[(MACHINE, ""), (REVISION, "abc"), (SOURCE_DATE_EPOCH, "0"), ("OTHER", "x")]).unwrap();
        assert_eq!(a.machine, crate::profile::DEFAULT);
        assert_eq!(a.revision.as_deref(), Some("abc"));
        assert_eq!(a.source_date_epoch, Some(0));
        assert_eq!(parse(&[(FLEET_FAMILIES, "published")]).unwrap().families, FamilyMode::Published);
        assert_eq!(
            parse(&[(FLEET_FAMILIES, "some")]).unwrap_err().to_string(),
            "FLEET_FAMILIES=some: expected graph or published"
        );
        assert!(parse(&[(SOURCE_DATE_EPOCH, "-1")]).is_err());
        assert!(parse(&[(SOURCE_DATE_EPOCH, "yesterday")]).is_err());
    }
}
