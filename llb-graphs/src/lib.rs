//! fleet manifest → resolved plan → BuildKit LLB. No tokio, no I/O: callers hand in file
//! bytes and resolved base-image configs, and get back a marshalled `pb.Definition`.

pub mod llb;
pub mod diag;
pub mod manifest;
pub mod plan;
pub mod lower;
