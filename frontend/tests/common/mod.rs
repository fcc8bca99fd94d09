//! Shared by the CLI test binaries (`mod common;` in each): the binary under test, the repository
//! root, the base manifest, and "a manifest in a temp dir" ([`Sandbox`]).
// Each test binary uses part of this module; the rest would warn as dead code there.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The `fleet-frontend` binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_fleet-frontend");

/// A valid manifest, `[services.hello]` on line 4 and its ports on line 8; bad cases are edits
/// of it (line numbers matter).
pub const GOOD: &str = r#"[families.base-python]
base = "python:3.11-slim"

[services.hello]
family = "base-python"
source = "app"
command = ["python3", "app.py"]
ports = { service = 8080, health = 8081 }
"#;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// A fresh directory `<tmp>/fleet-<test binary>-<tag>-<pid>-<n>`, removed on drop
/// (remove_dir_all does not follow symlinks, so links to `/` inside are safe).
pub struct Sandbox(pub PathBuf);

impl Sandbox {
    /// An empty sandbox.
    pub fn empty(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let name = format!("fleet-{}-{tag}-{}-{n}", env!("CARGO_CRATE_NAME"), std::process::id());
        let dir = std::env::temp_dir().join(name);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create sandbox");
        Self(dir)
    }

    /// A sandbox holding an empty `app/`: the source dir of [`GOOD`].
    pub fn new(tag: &str) -> Self {
        let sb = Self::empty(tag);
        fs::create_dir(sb.0.join("app")).expect("mkdir app");
        sb
    }

    /// [`Sandbox::new`] whose `fleet.toml` is `manifest`: how most tests start.
    pub fn with_manifest(tag: &str, manifest: impl AsRef<[u8]>) -> Self {
        let sb = Self::new(tag);
        sb.write("fleet.toml", manifest);
        sb
    }

    /// Writes `rel` inside the sandbox.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        fs::write(self.0.join(rel), bytes).expect("write sandbox file");
    }

    /// Runs the binary in the sandbox, so the manifest is named plainly `fleet.toml`.
    pub fn run(&self, args: &[&str]) -> Output {
        run_in(&self.0, args)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs the binary with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(dir).output().expect("run fleet-frontend")
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir") {
        let e = e.expect("dir entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            fs::copy(e.path(), dest).expect("copy");
        }
    }
}

/// Bytes as text, lossily.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
