//! The BuildKit gateway frontend: stdio gRPC client of BuildKit's `LLBBridge`.

/// True when BuildKit started this process as a gateway frontend.
pub fn started_by_buildkit() -> bool {
    std::env::var_os("BUILDKIT_SESSION_ID").is_some()
        || std::env::vars_os().any(|(k, _)| k.to_string_lossy().starts_with("BUILDKIT_FRONTEND_OPT_"))
}

/// Runs the frontend and exits the process.
pub fn run_from_environment() -> ! {
    eprintln!("fleet-frontend: gateway not implemented yet");
    std::process::exit(1)
}
