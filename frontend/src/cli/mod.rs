//! Command-line entry points of the `fleet-frontend` binary.

mod image;

use clap::{Parser, Subcommand};

/// Turns a fleet TOML manifest into BuildKit LLB; run by BuildKit it is a gateway frontend.
#[derive(Parser)]
#[command(name = "fleet-frontend", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the BuildKit gateway protocol on stdin/stdout (the image Entrypoint does this).
    Frontend,
    /// Assemble the frontend's own OCI image (scratch + this static binary) as an OCI layout.
    Image(image::ImageArgs),
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Frontend => {
            crate::gateway::run_from_environment();
        }
        Command::Image(args) => image::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("fleet-frontend: error: {err:#}");
            1
        }
    }
}
