//! `fleet-frontend image`: assembles the frontend image as an OCI image layout (no Dockerfile).

use clap::Args;

/// Arguments of `fleet-frontend image`.
#[derive(Args)]
pub struct ImageArgs {}

/// Writes the OCI layout; returns the exit code.
pub fn run(_args: &ImageArgs) -> anyhow::Result<i32> {
    anyhow::bail!("not implemented yet")
}
