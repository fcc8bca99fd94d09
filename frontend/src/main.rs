//! `fleet-frontend`: one binary, two entry paths. Started by BuildKit (its `BUILDKIT_*`
//! environment present, no subcommand) it serves the gateway protocol on stdio; otherwise it is
//! the CLI (`llb`, `check`, `image`).

mod cli;
mod gateway;

fn main() {
    if std::env::args_os().len() <= 1 && gateway::started_by_buildkit() {
        gateway::run_from_environment();
    }
    std::process::exit(cli::main());
}
