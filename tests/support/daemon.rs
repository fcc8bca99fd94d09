//! A second, throw-away dockerd on this machine: its own data root, exec root, pid file, unix
//! socket and config file under a temp dir, and its own containerd (the one dockerd starts itself),
//! so it shares no image store, build cache or content store with the main daemon. Stopped and
//! removed on drop, even when the test fails.
//!
//! Configured like the main daemon (dev-environment.md §4): no bridge, no iptables, the containerd
//! image store. Why its own containerd and not a containerd namespace of the main one: containerd
//! 1.7's content store is shared across namespaces by default (`content_sharing_policy = "shared"`),
//! so a second namespace would find daemon 1's wheels and layers without fetching them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{run, wait_for, Run, TempDir};

/// A running second dockerd.
pub struct SecondDaemon {
    child: Child,
    /// Its state: `data/`, `exec/`, `docker.sock`, `daemon.json`, `dockerd.log`, `cli/`.
    pub dir: TempDir,
    docker: String,
}

/// The main daemon's settings that matter, repeated (dev-environment.md §4); the build cache
/// is not collected during the test, and the store is the containerd one like the main daemon's.
const DAEMON_JSON: &str = r#"{
  "bridge": "none",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "builder": { "gc": { "enabled": false }, "entitlements": { "network-host": true } },
  "features": { "containerd-snapshotter": true }
}
"#;

impl SecondDaemon {
    /// Starts `dockerd` (PATH, else /usr/sbin) and waits up to 60 s for it to answer.
    pub fn start(docker: &str) -> Self {
        let dir = TempDir::new("dockerd2");
        std::fs::write(dir.0.join("daemon.json"), DAEMON_JSON).expect("daemon.json");
        std::fs::create_dir_all(dir.0.join("cli")).expect("cli config dir");
        let log = std::fs::File::create(dir.0.join("dockerd.log")).expect("log");
        let bin = if Path::new("/usr/sbin/dockerd").exists() { "/usr/sbin/dockerd" } else { "dockerd" };
        // --config-file: never /etc/docker/daemon.json, whose keys would clash with ours.
        let child = Command::new(bin)
            .arg("--config-file")
            .arg(dir.0.join("daemon.json"))
            .arg("--data-root")
            .arg(dir.0.join("data"))
            .arg("--exec-root")
            .arg(dir.0.join("exec"))
            .arg("--pidfile")
            .arg(dir.0.join("dockerd.pid"))
            .arg("-H")
            .arg(format!("unix://{}", dir.0.join("docker.sock").display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start a second dockerd");
        let d = Self { child, dir, docker: docker.to_string() };
        // `docker version`, not `docker info`: info exits 0 with an empty answer while the socket
        // does not exist yet.
        let up = wait_for(Duration::from_secs(60), || {
            let v = d.cli(&["version", "--format", "{{.Server.Version}}"]);
            (v.ok && !v.text.trim().is_empty()).then_some(())
        });
        assert!(up.is_some(), "second dockerd did not come up:\n{}", d.log_tail());
        d.assert_own_containerd();
        d
    }

    /// `docker ARGS` against this daemon (20 s at most), with a CLI config dir of its own so no
    /// buildx builder or context of the main daemon's user applies.
    pub fn cli(&self, args: &[&str]) -> Run {
        run(self.command(20).args(args))
    }

    /// `timeout SECS docker` against this daemon, for callers that add the arguments.
    pub fn command(&self, secs: u32) -> Command {
        let mut c = Command::new("timeout");
        c.args(["-k", "10", &secs.to_string(), &self.docker]);
        c.env("DOCKER_HOST", format!("unix://{}", self.dir.0.join("docker.sock").display()));
        c.env("DOCKER_CONFIG", self.dir.0.join("cli"));
        c.env_remove("DOCKER_CONTEXT").env_remove("BUILDX_BUILDER").env_remove("BUILDX_EXPERIMENTAL");
        c
    }

    /// dockerd started a containerd of its own: its socket and config live in our exec root,
    /// its content under our data root (moby's libcontainerd supervisor does this when no
    /// system containerd answers on /run/containerd/containerd.sock and `--containerd` is unset).
    fn assert_own_containerd(&self) {
        let toml = self.dir.0.join("exec/containerd/containerd.toml");
        let conf = std::fs::read_to_string(&toml).unwrap_or_else(|_| {
            panic!("no {} (did dockerd join a system containerd?):\n{}", toml.display(), self.log_tail())
        });
        let root = format!("root = \"{}\"", self.dir.0.join("data/containerd/daemon").display());
        assert!(conf.contains(&root), "second containerd's root is not ours:\n{conf}");
        assert!(self.dir.0.join("exec/containerd/containerd.sock").exists(), "no containerd socket of its own");
        let driver = self.cli(&["info", "--format", "{{.Driver}}"]);
        assert_eq!(driver.text.trim(), "overlayfs", "second dockerd is not on the containerd image store");
    }

    /// The last 40 lines of its log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.0.join("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Mount points under our dir, deepest first (what a killed dockerd or containerd leaves).
    fn mounts(&self) -> Vec<PathBuf> {
        let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut m: Vec<PathBuf> = info
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .map(PathBuf::from)
            .filter(|p| p.starts_with(&self.dir.0))
            .collect();
        m.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        m
    }
}

impl Drop for SecondDaemon {
    fn drop(&mut self) {
        // SIGTERM (dockerd stops its containerd), 30 s, then SIGKILL; only our own child.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let exited = wait_for(Duration::from_secs(30), || self.child.try_wait().ok().flatten());
        if exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            // A killed dockerd leaves its containerd running: stop that one too, by its pid file.
            if let Ok(cpid) = std::fs::read_to_string(self.dir.0.join("exec/containerd/containerd.pid")) {
                let _ = Command::new("kill").args(["-KILL", cpid.trim()]).status();
            }
        }
        for m in self.mounts() {
            let _ = Command::new("umount").arg("-l").arg(&m).status();
        }
        // The TempDir field is removed after this (its own Drop).
    }
}
