//! The BuildKit gateway frontend: a stdio gRPC client of BuildKit's `LLBBridge`. Nothing but
//! gRPC goes to stdout; logs go to stderr (which lands in the daemon log, §1.1).

mod attest;
mod bridge;
mod build;
mod deps;
mod errors;
mod lint;
mod manifest;
mod options;
mod profile;
mod resolve;
mod stdio;
mod subrequests;

use std::time::Instant;

use bollard_buildkit_proto::moby::buildkit::v1::frontend::{llb_bridge_client::LlbBridgeClient, ReturnRequest};

/// True when BuildKit started this process as a gateway frontend.
pub fn started_by_buildkit() -> bool {
    std::env::var_os("BUILDKIT_SESSION_ID").is_some()
        || std::env::vars_os().any(|(k, _)| k.to_string_lossy().starts_with("BUILDKIT_FRONTEND_OPT_"))
}

/// Runs the frontend and exits the process: 0 once `Return` was accepted, 1 if BuildKit could
/// not be told anything (§1.6: exit right after `Return`, without draining the runtime).
pub fn run_from_environment() -> ! {
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fleet-frontend: cannot start runtime: {e}");
            std::process::exit(1)
        }
    };
    let code = rt.block_on(serve());
    std::process::exit(code)
}

async fn serve() -> i32 {
    let started = Instant::now();
    let channel = match stdio::connect().await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fleet-frontend: cannot connect to BuildKit over stdio: {e}");
            return 1;
        }
    };
    let mut client = LlbBridgeClient::new(channel)
        .max_decoding_message_size(64 << 20)
        // BuildKit v0.13 (Docker 26) receives at most 4 MiB (§1.4).
        .max_encoding_message_size(4 << 20);
    let req = match options::from_env() {
        Err(e) => ReturnRequest { result: None, error: Some(errors::plain(format!("fleet-frontend: {e:#}"))) },
        Ok(opts) => {
            let built = match bridge::Bridge::connect(client.clone(), opts).await {
                Ok(mut bridge) => build::run(&mut bridge).await,
                Err(status) => Err(status),
            };
            match built {
                Ok(result) => ReturnRequest { result: Some(result), error: None },
                Err(status) => ReturnRequest { result: None, error: Some(status) },
            }
        }
    };
    let failed = req.error.is_some();
    let code = match client.r#return(req).await {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("fleet-frontend: Return failed: {e}");
            1
        }
    };
    eprintln!("fleet-frontend: done in {:?} (error returned: {failed})", started.elapsed());
    code
}
