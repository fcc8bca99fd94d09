//! The one end-to-end test binary: every module builds through real dockerd + `docker buildx
//! build` with our frontend image, then inspects or runs what it built, through the shared helpers
//! of the `fleet_e2e` library (tests/support/). One binary, so a failing module cannot hide the
//! others' results (`cargo test --workspace` stops at the first failing test binary).
//!
//! Gates: without dockerd or `FLEET_FRONTEND_REF` every test prints `SKIPPED e2e: ...` and passes;
//! under `E2E=1` (hack/test.sh) a missing piece is a failure. The `gpu` module is opt-in on top:
//! it runs only with `FLEET_GPU_E2E=1` (hack/test-gpu-families.sh).
//!
//! Run one module: `cargo test -p fleet-e2e --test e2e contract::`.

mod concurrency;
mod contract;
mod deps;
mod fleet;
mod gpu;
mod hello;
mod sbom;
mod shared_cache;
