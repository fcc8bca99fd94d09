//! Errors as BuildKit wants them in `Return`: a `google.rpc.Status` with non-zero code, and for
//! manifest problems one `errdefs.Source` detail per location, JSON-encoded, so buildx draws the
//! box on the right manifest line (buildkit-gateway.md §7.1-§7.3).

use base64::Engine;
use bollard_buildkit_proto::google::{protobuf::Any, rpc::Status};
use llb_graphs::diag::{Diagnostic, Diagnostics, SourceFile};
use prost::Message;
use serde_json::json;

/// gRPC code Unknown. Code 0 would read as "no error" and be rejected (§9 item 15).
const UNKNOWN: i32 = 2;
const SOURCE_TYPE_URL: &str = "github.com/moby/buildkit/errdefs.Source+json";
const SUBREQUEST_TYPE_URL: &str = "github.com/moby/buildkit/errdefs.Subrequest+json";

/// A plain error.
pub fn plain(message: impl Into<String>) -> Status {
    Status { code: UNKNOWN, message: message.into(), details: vec![] }
}

/// Manifest diagnostics with source boxes.
pub fn from_diagnostics(file: &SourceFile, d: &Diagnostics) -> Status {
    from_parts(&[(file, &d.0)])
}

/// Diagnostics in several files (a lockfile and the manifest that names it), one box each.
pub fn from_parts(parts: &[(&SourceFile, &[Diagnostic])]) -> Status {
    let mut message = vec![];
    let mut details = vec![];
    for (file, diags) in parts {
        message.extend(diags.iter().map(Diagnostic::tagged));
        details.extend(source_details(file, diags));
    }
    Status { code: UNKNOWN, message: message.join("\n"), details }
}

fn source_details(file: &SourceFile, diags: &[Diagnostic]) -> Vec<Any> {
    let lang = language(file);
    diags
        .iter()
        .map(|x| {
            let (l1, _, l2, _) = file.llb_range(&x.span);
            let data = base64::engine::general_purpose::STANDARD.encode(excerpt(&file.text, l1, l2).as_bytes());
            let v = json!({
                "info": { "filename": file.name, "language": lang, "data": data },
                "ranges": [{ "start": { "line": l1, "character": 0 }, "end": { "line": l2, "character": 0 } }],
            });
            Any { type_url: SOURCE_TYPE_URL.into(), value: serde_json::to_vec(&v).unwrap_or_default() }
        })
        .collect()
}

/// The source language buildx is told: requirements files are text, the rest TOML.
pub fn language(file: &SourceFile) -> &'static str {
    if file.name.ends_with(".txt") {
        "text"
    } else {
        "toml"
    }
}

/// The text buildx needs to draw the box: all of it for a normal manifest; for a large one, only
/// the lines around the range, every other line left empty so line numbers stay right — BuildKit
/// v0.13 takes at most 4 MiB per message (buildkit-gateway.md §1.4).
fn excerpt(text: &str, l1: i32, l2: i32) -> String {
    const WHOLE_UP_TO: usize = 256 << 10;
    if text.len() <= WHOLE_UP_TO {
        return text.to_string();
    }
    let (lo, hi) = ((l1 - 5).max(1) as usize, (l2 + 5).max(1) as usize);
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate().take(hi) {
        if i + 1 >= lo {
            out.push_str(&line.chars().take(400).collect::<String>());
        }
        out.push('\n');
    }
    out
}

/// `unsupported request NAME`, which buildx recognises (§4.3).
pub fn unsupported_subrequest(name: &str) -> Status {
    let value = serde_json::to_vec(&json!({ "name": name })).unwrap_or_default();
    Status {
        code: 12, // Unimplemented
        message: format!("unsupported request {name}"),
        details: vec![Any { type_url: SUBREQUEST_TYPE_URL.into(), value }],
    }
}

/// An RPC failure passed on unchanged (its details carry BuildKit's own source and vertex
/// info), with `what` prefixed to the message (§7.3).
pub fn from_rpc(what: &str, s: &tonic::Status) -> Status {
    let mut st = Status::decode(s.details()).unwrap_or_default();
    if st.code == 0 {
        st.code = if s.code() as i32 == 0 { UNKNOWN } else { s.code() as i32 };
    }
    let msg = if st.message.is_empty() { s.message().to_string() } else { st.message.clone() };
    st.message = format!("{what}: {msg}");
    st
}
