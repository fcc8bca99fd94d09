//! Layers by group: a lock's wheels are split into install groups, each installed by its own
//! exec (so BuildKit runs them in parallel) into its own layer. Wheels of at least
//! [`BIG_WHEEL`] bytes (torch, nvidia-*, triton, scipy, numpy, pandas) are a group each; the
//! rest fall into [`BUCKETS`] buckets by a hash of the normalised name, so adding or bumping one
//! small package re-runs one bucket. The order of groups (big wheels by name, then buckets by
//! number) is fixed, and so is every group's content: it depends on the lock only.

use sha2::{Digest, Sha256};

use crate::lock::Selected;

/// A wheel this large (in bytes, as the lock records it) is a group of its own. What a lock
/// change costs is mostly the export of the re-run bucket's layer (diff and gzip of its
/// unpacked files, about three times the wheel bytes), so no bucket may hold a big one: with
/// 50 MB, adding `six` to bench/stack re-ran the bucket of scipy's 35 MB wheel and spent 7.4 s
/// of a 10.2 s build exporting it. 5 MB keeps every bucket of that stack under about 6 MB of
/// wheels; the deepest fleet image (family-llm-cu121, goldens) adds 44 layers instead of 36 to
/// its base. Its steps mount that tree as their root, which BuildKit mounts with containerd's
/// `mount.All` (executor/runcexecutor/executor.go), whose `compactLowerdirOption` shortens long
/// overlay options (containerd mount/mount_linux.go); the ~60-layer v0.13 limit is for non-root
/// mounts, and the deepest of those is one lock's
/// merged groups (the sdist build environment: 17 layers for family-llm-cu121).
pub const BIG_WHEEL: u64 = 5_000_000;
/// Number of buckets for the other wheels.
pub const BUCKETS: usize = 8;
/// Most dependency layers one lock may install into: BuildKit v0.13 fails non-root mounts
/// of images deeper than about 60 layers, and an image has other layers too.
pub const LAYER_BUDGET: usize = 32;

/// One install group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// `torch` for a big wheel, `bucket-3` for a bucket: stable, for progress names.
    pub key: String,
    /// Its packages, sorted by name.
    pub members: Vec<Selected>,
}

/// The groups of `selected` in their fixed merge order; empty buckets are left out.
pub fn groups(selected: &[Selected]) -> Vec<Group> {
    let mut big: Vec<Group> = vec![];
    let mut buckets: Vec<Vec<Selected>> = vec![vec![]; BUCKETS];
    for s in selected {
        if s.artifact.size.is_some_and(|n| n >= BIG_WHEEL) {
            big.push(Group { key: s.name.clone(), members: vec![s.clone()] });
        } else {
            buckets[bucket_of(&s.name)].push(s.clone());
        }
    }
    big.sort_by(|a, b| a.key.cmp(&b.key));
    let mut out = big;
    for (i, mut members) in buckets.into_iter().enumerate() {
        if !members.is_empty() {
            members.sort_by(|a, b| a.name.cmp(&b.name));
            out.push(Group { key: format!("bucket-{i}"), members });
        }
    }
    out
}

/// The bucket of a PEP 503-normalised name: the first 8 bytes of its sha256, modulo
/// [`BUCKETS`] (a hash of the name alone, so no other package moves it).
pub fn bucket_of(name: &str) -> usize {
    let d = Sha256::digest(name.as_bytes());
    let n = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    (n % BUCKETS as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::{Artifact, ArtifactKind};

    fn pkg(name: &str, size: Option<u64>) -> Selected {
        Selected {
            name: name.into(),
            version: "1.0".into(),
            artifact: Artifact {
                filename: format!("{name}-1.0.tar.gz"),
                url: None,
                sha256: "0".repeat(64),
                size,
                kind: ArtifactKind::Sdist,
            },
            span: 0..0,
        }
    }

    #[test]
    fn big_wheels_alone_small_ones_in_stable_buckets() {
        let lock = vec![pkg("a", Some(10)), pkg("torch", Some(BIG_WHEEL)), pkg("b", None), pkg("c", Some(1))];
        let g = groups(&lock);
        assert_eq!(g[0].key, "torch");
        assert_eq!(g[0].members.len(), 1);
        assert!(g[1..].iter().all(|g| g.key.starts_with("bucket-")));
        assert_eq!(g.iter().map(|g| g.members.len()).sum::<usize>(), 4);
        // Adding a package changes only its own bucket.
        let mut more = lock.clone();
        more.push(pkg("zzz-new", Some(5)));
        let h = groups(&more);
        let changed: Vec<_> = h.iter().filter(|x| !g.contains(x)).collect();
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(changed[0].key, format!("bucket-{}", bucket_of("zzz-new")));
    }

    #[test]
    fn buckets_spread() {
        let used: std::collections::BTreeSet<usize> = (0..64).map(|i| bucket_of(&format!("pkg-{i}"))).collect();
        assert_eq!(used.len(), BUCKETS);
    }
}
