//! A small LLB builder in BuildKit's `client/llb` vocabulary: immutable [`State`] values linked
//! into a graph of ops, marshalled deterministically into a `pb.Definition`.
//!
//! Invariants (buildkit-gateway.md §6, §9): the same graph always gives the same bytes (sorted
//! env, sorted mounts, `BTreeMap` attrs, no clocks); prost's zero defaults never leak where LLB
//! means "unset" (`-1` for mount input/output, copy mode, timestamps, non-final file outputs).

pub mod caps;
mod exec;
mod file;
mod marshal;
pub mod render;
mod source;
mod state;

pub use exec::{CacheSharing, Exec, ExecState, Mount, NetMode};
pub use file::{Copy, FileAction, Owner};
pub use marshal::{digest_of, MarshalError, MarshalOptions, Marshalled};
pub use source::{HttpSource, ImageSource, LocalSource, OciLayoutSource};
pub use state::{Location, OpMeta, Output, Platform, State};

/// The `pb` message types this module emits.
pub use bollard_buildkit_proto::pb;

#[cfg(test)]
mod tests;
