//! The CA bundle of network steps: a BuildKit secret (`--secret id=ca-bundle,src=ca.pem`) mounted
//! optionally, so steps that download over TLS inside a container (pip, apt) trust a
//! TLS-intercepting proxy's CA when the user gives one, and builds without it work as before.
//! A secret mount is a tmpfs file outside every layer (BuildKit `solver/llbsolver/ops/exec.go`).

use crate::llb::Mount;

/// The secret id users pass to `--secret id=...`.
pub const CA_SECRET_ID: &str = "ca-bundle";

/// Where the secret is mounted: BuildKit's default secret directory, as `RUN --mount=type=secret`
/// uses it. A constant, never a manifest value, so the scripts may name it.
pub const CA_PATH: &str = "/run/secrets/ca-bundle";

/// The optional, world-readable secret mount: apt's https method runs as `_apt`, not root.
pub(super) fn mount() -> Mount {
    Mount::Secret { dest: CA_PATH.into(), id: CA_SECRET_ID.into(), uid: 0, gid: 0, mode: 0o444, optional: true }
}

/// `/bin/sh -c` prefix for a command given as positional arguments: points the TLS clients at
/// the bundle only when the secret was given (an optional secret that is absent leaves no file),
/// then `exec "$@"`, so every argument stays one quoted word.
pub(super) const WRAP_SCRIPT: &str = r#"if [ -f /run/secrets/ca-bundle ]; then
  export SSL_CERT_FILE=/run/secrets/ca-bundle PIP_CERT=/run/secrets/ca-bundle REQUESTS_CA_BUNDLE=/run/secrets/ca-bundle
fi
exec "$@""#;

/// `args` run through [`WRAP_SCRIPT`]; `$0` names the wrapper in `sh` messages.
pub(super) fn wrap(args: Vec<String>) -> Vec<String> {
    let mut out = vec!["/bin/sh".to_string(), "-c".into(), WRAP_SCRIPT.into(), "fleet-ca".into()];
    out.extend(args);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_scripts_name_the_mount_path() {
        assert!(super::WRAP_SCRIPT.contains(super::CA_PATH));
        assert!(super::super::family::APT_SCRIPT.contains(super::CA_PATH));
    }
}
