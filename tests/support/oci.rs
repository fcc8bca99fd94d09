//! An exported OCI image (`-o type=oci,dest=X.tar`) unpacked for inspection: its index, its blobs
//! as JSON, the manifests of its platforms (OCI image-layout spec: index.json, blobs/<alg>/<hex>).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::TempDir;

/// An OCI tarball unpacked into a temp dir (removed on drop).
pub struct Layout(pub TempDir);

impl Layout {
    /// Unpacks `tar` with tar(1).
    pub fn unpack(tar: &Path) -> Self {
        let dir = TempDir::new("untar");
        let ok = Command::new("tar").arg("-xf").arg(tar).arg("-C").arg(&dir.0).status().is_ok_and(|s| s.success());
        assert!(ok, "untar {}", tar.display());
        Self(dir)
    }

    /// `index.json`.
    pub fn index(&self) -> Value {
        read_json(&self.0 .0.join("index.json"))
    }

    /// The blob `sha256:HEX` as JSON.
    pub fn blob(&self, digest: &str) -> Value {
        read_json(&self.0 .0.join("blobs").join(digest.replacen(':', "/", 1)))
    }

    /// The index listing the platforms: `index.json`, or the one index it wraps (the exporter
    /// may nest the platform index in a top-level one).
    pub fn platform_index(&self) -> Value {
        let idx = self.index();
        if idx["manifests"][0]["mediaType"].as_str().is_some_and(|m| m.contains("index")) {
            return self.blob(idx["manifests"][0]["digest"].as_str().expect("digest"));
        }
        idx
    }

    /// The descriptor of the first image manifest, through any nesting of indexes.
    pub fn first_manifest(&self) -> Value {
        let mut desc = self.index()["manifests"][0].clone();
        while desc["mediaType"].as_str().is_some_and(|m| m.contains("index")) {
            desc = self.blob(desc["digest"].as_str().expect("digest"))["manifests"][0].clone();
        }
        desc
    }

    /// Every file under `blobs/sha256/`.
    pub fn blob_files(&self) -> Vec<PathBuf> {
        let dir = std::fs::read_dir(self.0 .0.join("blobs/sha256")).expect("blobs");
        dir.filter_map(Result::ok).map(|e| e.path()).collect()
    }
}

fn read_json(p: &Path) -> Value {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
