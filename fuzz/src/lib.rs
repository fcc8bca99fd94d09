//! The fuzz targets' bodies, shared with the regression replay in
//! `frontend/tests/bad_inputs.rs` (which includes `targets.rs` and `options.rs` the same way).

/// The gateway's frontend-option parser, compiled here from the binary crate's source file.
#[path = "../../frontend/src/gateway/options.rs"]
#[allow(dead_code)]
pub mod options;

pub mod targets;
