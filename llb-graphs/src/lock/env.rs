//! The build target a lockfile is resolved for: CPython version, OCI platform and C library.
//! Everything that depends on the target (wheel tags, marker values) is derived from this one
//! value, so a target that is not listed here cannot be asked for by accident.

use std::fmt;
use std::str::FromStr;

/// A CPython interpreter on a Linux platform, as a wheel installer would see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetEnv {
    /// `(major, minor)`, e.g. `(3, 11)`. The patch level is deliberately unknown: an image tag
    /// like `python:3.11-slim` moves between patch releases (see `markers` for how
    /// `python_full_version` copes).
    pub python: (u32, u32),
    /// OCI platform.
    pub platform: Platform,
    /// C library and its version, which decides `manylinux_*` vs `musllinux_*` wheels.
    pub libc: Libc,
}

/// Supported OCI platforms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    /// `linux/amd64`.
    LinuxAmd64,
    /// `linux/arm64`.
    LinuxArm64,
}

/// The C library of the target image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Libc {
    /// glibc `(major, minor)`, e.g. Debian 12 has `(2, 36)`.
    Glibc(u32, u32),
    /// musl `(major, minor)`, e.g. Alpine 3.20 has `(1, 2)`.
    Musl(u32, u32),
}

impl Platform {
    /// The machine name used in wheel platform tags and `platform_machine` (`uname -m`).
    pub fn machine(self) -> &'static str {
        match self {
            Platform::LinuxAmd64 => "x86_64",
            Platform::LinuxArm64 => "aarch64",
        }
    }

    /// The OCI spelling, `linux/amd64`.
    pub fn oci(self) -> &'static str {
        match self {
            Platform::LinuxAmd64 => "linux/amd64",
            Platform::LinuxArm64 => "linux/arm64",
        }
    }
}

/// An OCI platform string that is not supported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("platform `{0}` is not supported (expected linux/amd64 or linux/arm64)")]
pub struct PlatformError(pub String);

impl FromStr for Platform {
    type Err = PlatformError;

    /// Accepts `linux/amd64` and `linux/arm64` (with an optional `/v8` variant on arm64).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "linux/amd64" => Ok(Platform::LinuxAmd64),
            "linux/arm64" | "linux/arm64/v8" => Ok(Platform::LinuxArm64),
            _ => Err(PlatformError(s.to_string())),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.oci())
    }
}

impl fmt::Display for Libc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Libc::Glibc(a, b) => write!(f, "glibc {a}.{b}"),
            Libc::Musl(a, b) => write!(f, "musl {a}.{b}"),
        }
    }
}

impl fmt::Display for TargetEnv {
    /// `CPython 3.11 on linux/amd64 (glibc 2.36)`, the wording of "no wheel fits" errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (major, minor) = self.python;
        write!(f, "CPython {major}.{minor} on {} ({})", self.platform, self.libc)
    }
}
