//! Reading an OCI image layout (a directory, or the tar `-o type=oci,dest=x.tar` writes): the
//! image manifests per platform, the attestation manifests BuildKit links to them
//! (`vnd.docker.reference.type=attestation-manifest`, buildkit `docs/attestations/
//! attestation-storage.md`) with their in-toto statements, and the files of each layer.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde_json::Value;

const REF_TYPE: &str = "vnd.docker.reference.type";
const REF_DIGEST: &str = "vnd.docker.reference.digest";
const PREDICATE_ANNOTATION: &str = "in-toto.io/predicate-type";
/// Small blobs (JSON) are read whole; more than this is refused rather than loaded.
const MAX_JSON: u64 = 64 << 20;

/// An OCI layout on disk.
pub struct Layout {
    path: PathBuf,
    is_tar: bool,
}

/// One platform's image and the in-toto statements attached to it.
pub struct PlatformImage {
    /// `os/arch[/variant]`.
    pub platform: String,
    /// Layer descriptors (digest, media type), bottom first.
    pub layers: Vec<(String, String)>,
    /// Predicate type → statement.
    pub statements: BTreeMap<String, Value>,
}

impl Layout {
    /// Opens `path`: a directory holding `index.json`, or a tar of one.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let is_tar = path.is_file();
        let l = Self { path: path.to_path_buf(), is_tar };
        l.read_path("index.json").with_context(|| format!("{} is not an OCI layout", path.display()))?;
        Ok(l)
    }

    /// Every platform image of the layout, each with its attestations.
    pub fn images(&self) -> anyhow::Result<Vec<PlatformImage>> {
        let index: Value = serde_json::from_slice(&self.read_path("index.json")?)?;
        let (mut images, mut attests) = (vec![], BTreeMap::new());
        self.walk(&index, &mut images, &mut attests, 0)?;
        let mut out = vec![];
        for (digest, platform) in images {
            let m: Value = serde_json::from_slice(&self.blob(&digest)?)?;
            let layers = descriptors(&m["layers"]);
            let mut statements = BTreeMap::new();
            if let Some(att) = attests.get(&digest) {
                let am: Value = serde_json::from_slice(&self.blob(att)?)?;
                for l in m_layers(&am) {
                    let stmt: Value = serde_json::from_slice(&self.blob(&l.0)?)?;
                    statements.insert(l.1, stmt);
                }
            }
            out.push(PlatformImage { platform, layers, statements });
        }
        Ok(out)
    }

    fn walk(
        &self,
        index: &Value,
        images: &mut Vec<(String, String)>,
        attests: &mut BTreeMap<String, String>,
        depth: u32,
    ) -> anyhow::Result<()> {
        if depth > 4 {
            bail!("image indexes nested too deeply");
        }
        for d in index["manifests"].as_array().into_iter().flatten() {
            let digest = d["digest"].as_str().unwrap_or_default().to_string();
            let media = d["mediaType"].as_str().unwrap_or_default();
            if media.ends_with("image.index.v1+json") || media.ends_with("manifest.list.v2+json") {
                let child: Value = serde_json::from_slice(&self.blob(&digest)?)?;
                self.walk(&child, images, attests, depth + 1)?;
            } else if d["annotations"][REF_TYPE] == "attestation-manifest" {
                let target = d["annotations"][REF_DIGEST].as_str().unwrap_or_default().to_string();
                attests.insert(target, digest);
            } else {
                let p = &d["platform"];
                let mut platform =
                    format!("{}/{}", p["os"].as_str().unwrap_or("?"), p["architecture"].as_str().unwrap_or("?"));
                if let Some(v) = p["variant"].as_str().filter(|v| !v.is_empty()) {
                    platform = format!("{platform}/{v}");
                }
                images.push((digest, platform));
            }
        }
        Ok(())
    }

    /// A blob's bytes (JSON-sized blobs only).
    pub fn blob(&self, digest: &str) -> anyhow::Result<Vec<u8>> {
        self.read_path(&blob_path(digest)?)
    }

    /// Calls `f` with each entry (path, reader) of a layer, decompressing gzip layers.
    pub fn each_layer_entry(
        &self,
        digest: &str,
        media_type: &str,
        f: &mut dyn FnMut(&str, &mut dyn Read) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let rel = blob_path(digest)?;
        let mut run = |r: &mut dyn Read| -> anyhow::Result<()> {
            let r: Box<dyn Read + '_> = if media_type.ends_with("gzip") {
                Box::new(flate2::read::GzDecoder::new(r))
            } else if media_type.ends_with(".tar") || media_type.ends_with("tar") {
                Box::new(r)
            } else {
                bail!("layer {digest}: media type {media_type} is not supported (tar or tar+gzip)");
            };
            let mut a = tar::Archive::new(r);
            for e in a.entries()? {
                let mut e = e?;
                let p = e.path()?.to_string_lossy().into_owned();
                f(&p, &mut e)?;
            }
            Ok(())
        };
        if self.is_tar {
            self.with_tar_entry(&rel, &mut |r| run(r))
        } else {
            run(&mut std::fs::File::open(self.path.join(&rel))?)
        }
    }

    fn read_path(&self, rel: &str) -> anyhow::Result<Vec<u8>> {
        let mut out = vec![];
        if self.is_tar {
            self.with_tar_entry(rel, &mut |r| {
                r.take(MAX_JSON).read_to_end(&mut out)?;
                Ok(())
            })?;
        } else {
            std::fs::File::open(self.path.join(rel))?.take(MAX_JSON).read_to_end(&mut out)?;
        }
        Ok(out)
    }

    fn with_tar_entry(&self, rel: &str, f: &mut dyn FnMut(&mut dyn Read) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let mut a = tar::Archive::new(std::fs::File::open(&self.path)?);
        for e in a.entries()? {
            let mut e = e?;
            if e.path()?.to_string_lossy().trim_start_matches("./") == rel {
                return f(&mut e);
            }
        }
        bail!("{}: no {rel}", self.path.display())
    }
}

fn blob_path(digest: &str) -> anyhow::Result<String> {
    let (alg, hex) = digest.split_once(':').context("digest without algorithm")?;
    if !alg.chars().all(|c| c.is_ascii_alphanumeric()) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("malformed digest {digest:?}");
    }
    Ok(format!("blobs/{alg}/{hex}"))
}

fn descriptors(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["digest"].as_str().unwrap_or_default().to_string(),
                d["mediaType"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `(digest, predicate type)` of each statement layer of an attestation manifest.
fn m_layers(m: &Value) -> Vec<(String, String)> {
    m["layers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let p = d["annotations"][PREDICATE_ANNOTATION].as_str().unwrap_or_default().to_string();
            (d["digest"].as_str().unwrap_or_default().to_string(), p)
        })
        .collect()
}
