//! Command-line entry points of the `fleet-frontend` binary.

mod check;
mod fleet;
mod image;
mod llb;
mod load;
mod oci;
mod sbom;
mod verify;

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
    /// Print the marshalled pb.Definition for a target (the graph the gateway solves).
    Llb(llb::LlbArgs),
    /// Validate a manifest; print every problem as file:line:col: message.
    Check(check::CheckArgs),
    /// Print a GitHub Actions matrix (JSON) of every target in dependency waves.
    Matrix(fleet::FleetArgs),
    /// Print a docker-bake.json with one target per family and service.
    Bake(fleet::FleetArgs),
    /// Print the family/service graph as Graphviz DOT.
    Graph(fleet::FleetArgs),
    /// Print the SBOM a `--sbom=true` build attaches (SPDX 2.3, or CycloneDX 1.5), offline.
    Sbom(sbom::SbomArgs),
    /// Check an OCI layout per platform: SBOM packages = provenance HTTP materials = `.dist-info` dirs.
    Verify(verify::VerifyArgs),
    /// Print the manifest's JSON Schema (committed as images/fleet.schema.json), for editors.
    Schema,
    /// Assemble the frontend's own OCI image (scratch + this static binary) as an OCI layout.
    Image(image::ImageArgs),
}

/// `schema`: the JSON Schema of the manifest, pretty-printed with a final newline.
fn schema() -> anyhow::Result<i32> {
    println!("{}", serde_json::to_string_pretty(&llb_graphs::manifest::schema::schema())?);
    Ok(0)
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Frontend => {
            crate::gateway::run_from_environment();
        }
        Command::Image(args) => image::run(&args),
        Command::Llb(args) => llb::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Matrix(args) => fleet::matrix(&args),
        Command::Bake(args) => fleet::bake(&args),
        Command::Graph(args) => fleet::graph(&args),
        Command::Sbom(args) => sbom::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Schema => schema(),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("fleet-frontend: error: {err:#}");
            1
        }
    }
}
