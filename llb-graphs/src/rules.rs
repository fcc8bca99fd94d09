//! The fleet validator's rules: every diagnostic `check`, the `frontend.lint` subrequest and a
//! build can report carries one of these ids, so CI can filter on it and the README can list it.

use crate::diag::Severity;

/// One rule of the fleet validator.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable CamelCase name (`ruleName` in BuildKit's lint result, `rule` in `--format json`).
    pub id: &'static str,
    /// How bad a finding is: errors stop a build, warnings do not.
    pub severity: Severity,
    /// One line on what it finds and why it matters.
    pub description: &'static str,
}

macro_rules! rules {
    ($($(#[$doc:meta])* $name:ident = $id:literal, $sev:ident, $desc:literal;)*) => {
        $($(#[$doc])* pub const $name: Rule = Rule { id: $id, severity: Severity::$sev, description: $desc };)*
        /// Every rule, in the order the README lists them.
        pub const ALL: &[&Rule] = &[$(&$name),*];
    };
}

rules! {
    // The fleet rules of issue #6, first.
    /// Two services (or a service's two ports) share a port.
    DUPLICATE_PORT = "DuplicatePort", Error, "A port is used by two services; they could not run on one host";
    /// A service's health port equals its service port.
    HEALTH_PORT_EQUALS_SERVICE_PORT = "HealthPortEqualsServicePort", Error,
        "The health endpoint needs its own port, apart from the service port";
    /// `ports` has no `health`, or there is no `ports` table.
    MISSING_HEALTH_PORT = "MissingHealthPort", Error, "Every service declares a health port";
    /// `health_path = ""`.
    MISSING_HEALTH_PATH = "MissingHealthPath", Error, "The health path is empty (leave it out for `/health`)";
    /// `user` names root.
    ROOT_USER = "RootUser", Error, "Services never run as root";
    /// `user` names anything but 10001:10001 (or the family's user, which is 10001).
    NON_FLEET_USER = "NonFleetUser", Error, "Services run as UID:GID 10001:10001";
    /// A base image reference with no tag, or `latest`.
    FLOATING_BASE_REFERENCE = "FloatingBaseReference", Warning,
        "Base image references should name an exact tag or a digest, not `latest` or nothing";
    /// A lockfile entry without a sha256 hash.
    UNHASHED_LOCK = "UnhashedLock", Error, "Every locked artifact carries a sha256 hash";
    /// A CUDA family on a machine profile without `gpu.cuda_arch_list`.
    CUDA_WITHOUT_GPU = "CudaWithoutGpu", Error, "A CUDA family needs a machine profile with a GPU arch list";
    /// A service's family or a family's parent that is not defined.
    UNKNOWN_FAMILY = "UnknownFamily", Error, "Services and families build on defined families only";
    /// `parent` links that come back to where they started.
    FAMILY_CYCLE = "FamilyCycle", Error, "The family graph must be a tree";
    // Everything else a manifest can get wrong.
    /// The file is empty, too large or not UTF-8.
    UNREADABLE_MANIFEST = "UnreadableManifest", Error, "The manifest must be non-empty UTF-8 text of at most 4 MiB";
    /// TOML syntax, wrong value types, missing keys.
    MANIFEST_SYNTAX = "ManifestSyntax", Error, "The manifest must be valid TOML of the manifest v1 shape";
    /// A key the manifest format does not have.
    UNKNOWN_KEY = "UnknownKey", Error, "Unknown keys are refused, so typos do not pass silently";
    /// A key or table given twice.
    DUPLICATE_KEY = "DuplicateKey", Error, "Each key and table appears once";
    /// No `[services.NAME]` table.
    NO_SERVICES = "NoServices", Error, "A manifest defines at least one service";
    /// A family or service name outside `[A-Za-z0-9][A-Za-z0-9._-]*`, or a service named like a family.
    INVALID_NAME = "InvalidName", Error, "Names are build targets and image names: letters, digits, `-`, `_`, `.`, unique";
    /// A family with both or neither of `base` and `parent`.
    FAMILY_ROOT = "FamilyRoot", Error, "A family has exactly one of `base` and `parent`";
    /// A base image reference that does not parse.
    INVALID_BASE_REFERENCE = "InvalidBaseReference", Error, "A base is `repo:tag`, `repo@sha256:...` or both";
    /// An apt package that is not `name` or `name=version`.
    INVALID_APT_PACKAGE = "InvalidAptPackage", Error, "Apt packages are `name` or `name=version`";
    /// A family user name or service user that is not a valid account name.
    INVALID_USER_NAME = "InvalidUserName", Error, "User names follow useradd's rules";
    /// An environment variable name that is not `[A-Za-z_][A-Za-z0-9_]*`.
    INVALID_ENV_NAME = "InvalidEnvName", Error, "Environment variable names are `[A-Za-z_][A-Za-z0-9_]*`";
    /// A python version that is not `3.N`.
    INVALID_PYTHON = "InvalidPython", Error, "Python versions are `3.N`";
    /// A family `glibc` that is not `2.N`.
    INVALID_GLIBC = "InvalidGlibc", Error, "glibc versions are `2.N`";
    /// A path that is absolute or leaves the build context.
    PATH_OUTSIDE_CONTEXT = "PathOutsideContext", Error, "Paths are relative and stay inside the build context";
    /// A source directory that is missing, a file, or behind a symlink.
    MISSING_SOURCE = "MissingSource", Error, "A service's source directory exists in the build context";
    /// `command = []` or a blank program.
    EMPTY_COMMAND = "EmptyCommand", Error, "A service runs a program";
    /// A port outside 1-65535, ports written as an array, or no service port.
    INVALID_PORT = "InvalidPort", Error, "Ports are a table of two ports in 1-65535";
    /// A health path that is not URL path text (it is the HEALTHCHECK probe's URL).
    INVALID_HEALTH_PATH = "InvalidHealthPath", Error,
        "Health paths start with `/` and use URL path characters only (letters, digits, `%HH`, `-._~!$&*+,;=:@/?`)";
    /// A workdir that is not an absolute path below `/`, or inside a system tree.
    INVALID_WORKDIR = "InvalidWorkdir", Error,
        "The workdir is an absolute path outside the system trees (`/etc`, `/usr`, ...), without control characters";
    /// A `writable` entry with pattern syntax (`*`, `?`, `[`, a leading `!`).
    INVALID_WRITABLE = "InvalidWritable", Error, "Writable directories are plain relative paths, not patterns";
    /// A label key that is empty or not printable.
    INVALID_LABEL = "InvalidLabel", Error, "Label keys are non-empty printable text without whitespace";
    /// A manifest label or env var that would replace a key the frontend sets.
    RESERVED_CONTRACT_KEY = "ReservedContractKey", Error,
        "Labels and env may not replace the runtime contract's keys (`PORT`, `PATH`, `health_check_port`, ...)";
    /// A family no service or family builds on.
    UNUSED_FAMILY = "UnusedFamily", Warning, "A family that no service uses is probably a leftover or a typo";
    /// A lockfile that is missing, of an unknown kind, or that does not parse.
    INVALID_LOCK = "InvalidLock", Error, "Lockfiles are requirements.txt with hashes, pylock.toml or uv.lock";
    /// A lock, index or mirror URL outside the artifact URL policy.
    UNSAFE_ARTIFACT_URL = "UnsafeArtifactUrl", Error,
        "Artifact, index and mirror URLs are https:// (http:// only for loopback or the mirror), without credentials or metadata hosts";
    /// A locked file name that is not one plain file name.
    UNSAFE_ARTIFACT_NAME = "UnsafeArtifactName", Error,
        "Locked file names are one plain name of `[A-Za-z0-9._+-]` (no `/`, `..`, `%2e`, NUL or newline)";
    /// No locked artifact fits the platform and Python of the image.
    NO_MATCHING_ARTIFACT = "NoMatchingArtifact", Error, "Each locked package has a wheel or sdist for the image";
    /// `installer` other than `uv`/`pip`, or a `[fleet.uv]` pin that is not a static uv wheel.
    INVALID_INSTALLER = "InvalidInstaller", Error,
        "`installer` is `uv` or `pip`; `[fleet.uv]` pins static uv wheels by URL and sha256";
    /// A lock whose wheels need more layers than the budget.
    LAYER_BUDGET = "LayerBudget", Error, "A lock installs in at most 32 dependency layers";
    /// A machine profile that does not exist or does not parse.
    INVALID_PROFILE = "InvalidProfile", Error, "`MACHINE` names a profile that exists and matches the schema";
    /// A `--target` that names no service or family.
    UNKNOWN_TARGET = "UnknownTarget", Error, "The target is a service or a family of the manifest";
    /// A `# check=` directive or `BUILDKIT_DOCKERFILE_CHECK` value that does not parse.
    INVALID_CHECK_DIRECTIVE = "InvalidCheckDirective", Error,
        "`check=skip=RULE,...;error=true` names warning rules and a boolean";
    /// A platform a family cannot be built for (CUDA families are linux/amd64 only).
    UNSUPPORTED_PLATFORM = "UnsupportedPlatform", Error, "CUDA families build for linux/amd64 only";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_camel_case() {
        for (i, r) in ALL.iter().enumerate() {
            assert!(r.id.chars().next().is_some_and(|c| c.is_ascii_uppercase()), "{}", r.id);
            assert!(r.id.chars().all(|c| c.is_ascii_alphanumeric()), "{}", r.id);
            assert!(ALL[..i].iter().all(|o| o.id != r.id), "duplicate {}", r.id);
        }
    }

    /// The README's rule table lists every rule with its severity.
    #[test]
    fn readme_lists_every_rule() {
        let readme = include_str!("../../README.md");
        for r in ALL {
            let row = format!("| `{}` | {} |", r.id, r.severity.as_str());
            assert!(readme.contains(&row), "README.md has no row starting `{row}`");
        }
    }
}
