//! fleet manifest → resolved plan → BuildKit LLB. No tokio, no I/O: callers hand in file
//! bytes and resolved base-image configs, and get back a marshalled `pb.Definition`.

pub mod build;
pub mod diag;
pub mod directive;
pub mod lint;
pub mod llb;
pub mod lock;
pub mod lower;
pub mod manifest;
pub mod plan;
pub mod profile;
pub mod rules;
pub mod sbom;
pub mod text;
pub mod value;
