//! `fleet-frontend image`: assembles the frontend's own image (scratch + the static binary) as an
//! OCI image layout, from the definition in `images/frontend.toml`. No Dockerfile, no daemon.
//!
//! Invariant: the layout is a pure function of the definition, the binary's bytes and the tag. No
//! clocks, no user names, JSON keys sorted, so the same binary always gives the same manifest
//! digest, byte for byte; tests pin images by that digest (dev-environment.md §10).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, ensure, Context, Result};
use clap::Args;
use flate2::{Compression, GzBuilder};
use oci_spec::image::{
    Arch, ConfigBuilder, DescriptorBuilder, ImageConfigurationBuilder, ImageIndexBuilder, ImageManifestBuilder,
    MediaType, OciLayoutBuilder, Os, PlatformBuilder, RootFsBuilder, Sha256Digest, ANNOTATION_REF_NAME,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Arguments of `fleet-frontend image`.
#[derive(Args)]
pub struct ImageArgs {
    /// Image definition (TOML), normally `images/frontend.toml`.
    #[arg(long, value_name = "FILE")]
    definition: PathBuf,
    /// Statically linked fleet-frontend binary to put into the image.
    #[arg(long, value_name = "FILE")]
    binary: PathBuf,
    /// Directory for the OCI image layout (created if missing; blobs already there are kept).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Tag recorded in index.json as `org.opencontainers.image.ref.name`.
    #[arg(long, value_name = "NAME")]
    tag: Option<String>,
}

const LABEL_NETWORK_NONE: &str = "moby.buildkit.frontend.network.none";
const LABEL_CAPS: &str = "moby.buildkit.frontend.caps";
/// Fixed, like `SOURCE_DATE_EPOCH=0`: a real clock would change the config digest on every run.
const CREATED: &str = "1970-01-01T00:00:00Z";
/// Fixed, because the compressed bytes (and so the layer digest) depend on the level.
const GZIP_LEVEL: u32 = 6;

/// `images/frontend.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Definition {
    binary_path: String,
    entrypoint: Vec<String>,
    platform: String,
    #[serde(default)]
    env: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

impl Definition {
    fn parse(text: &str) -> Result<Self> {
        let def: Definition = toml::from_str(text)?;
        ensure!(
            def.binary_path.starts_with('/') && !def.binary_path.ends_with('/'),
            "binary-path {:?} must be an absolute file path",
            def.binary_path
        );
        // The image holds nothing but the binary, so anything else in argv[0] cannot be run.
        ensure!(
            def.entrypoint.first() == Some(&def.binary_path),
            "entrypoint {:?} must start with binary-path {:?}",
            def.entrypoint,
            def.binary_path
        );
        // Without these BuildKit fails before the frontend starts (buildkit-gateway.md §9 items 1, 20).
        for label in [LABEL_NETWORK_NONE, LABEL_CAPS] {
            ensure!(def.labels.contains_key(label), "labels lack {label:?}");
        }
        def.os_arch()?;
        Ok(def)
    }

    /// `platform = "os/arch"`, both names known to the OCI spec (catches typos like `x86_64`).
    fn os_arch(&self) -> Result<(Os, Arch)> {
        let Some((os, arch)) = self.platform.split_once('/') else {
            bail!("platform {:?} is not of the form os/arch", self.platform);
        };
        match (Os::from(os), Arch::from(arch)) {
            (Os::Other(_), _) | (_, Arch::Other(_)) => {
                bail!("platform {:?}: unknown os or architecture", self.platform)
            }
            known => Ok(known),
        }
    }
}

/// Writes the OCI layout and prints the manifest digest as the last line of stdout.
pub fn run(args: &ImageArgs) -> Result<i32> {
    let text = fs::read_to_string(&args.definition)
        .with_context(|| format!("reading image definition {}", args.definition.display()))?;
    let def =
        Definition::parse(&text).with_context(|| format!("invalid image definition {}", args.definition.display()))?;
    let binary = fs::read(&args.binary).with_context(|| format!("reading binary {}", args.binary.display()))?;
    check_static_elf(&binary, &def.os_arch()?.1)
        .with_context(|| format!("{} cannot run in a scratch image", args.binary.display()))?;
    let image = assemble(&def, &binary, args.tag.as_deref())?;
    write_layout(&args.out, &image).with_context(|| format!("writing OCI layout {}", args.out.display()))?;
    eprintln!("fleet-frontend: wrote {} (layer {} bytes gzipped)", args.out.display(), image.blobs[0].len());
    println!("{}", image.manifest_digest);
    Ok(0)
}

/// Everything the layout directory holds, as bytes.
struct Image {
    /// Layer, config, manifest: each is stored under `blobs/sha256/<hex of its sha256>`.
    blobs: Vec<Vec<u8>>,
    manifest_digest: String,
    index_json: Vec<u8>,
    oci_layout: Vec<u8>,
}

fn assemble(def: &Definition, binary: &[u8], tag: Option<&str>) -> Result<Image> {
    let tar = layer_tar(&def.binary_path, binary).context("building the layer tar")?;
    let layer = gzip(&tar).context("compressing the layer")?;
    let config = image_config(def, sha256_digest(&tar))?;
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(descriptor(MediaType::ImageConfig, &config)?.build()?)
        .layers(vec![descriptor(MediaType::ImageLayerGzip, &layer)?.build()?])
        .build()?;
    let manifest = canonical_json(&manifest)?;
    let layout = OciLayoutBuilder::default().image_layout_version("1.0.0").build()?;
    Ok(Image {
        manifest_digest: sha256_digest(&manifest),
        index_json: index_json(def, &manifest, tag)?,
        oci_layout: canonical_json(&layout)?,
        blobs: vec![layer, config, manifest],
    })
}

/// The image config: entrypoint, env, labels, platform, and the layer's diff_id (the sha256 of
/// the uncompressed tar, which the daemon checks after unpacking).
fn image_config(def: &Definition, diff_id: String) -> Result<Vec<u8>> {
    let (os, arch) = def.os_arch()?;
    let labels: HashMap<String, String> = def.labels.clone().into_iter().collect();
    let mut config = ConfigBuilder::default().entrypoint(def.entrypoint.clone()).labels(labels);
    if !def.env.is_empty() {
        config = config.env(def.env.clone());
    }
    let config = ImageConfigurationBuilder::default()
        .created(CREATED)
        .architecture(arch)
        .os(os)
        .config(config.build()?)
        .rootfs(RootFsBuilder::default().typ("layers").diff_ids(vec![diff_id]).build()?)
        .build()?;
    canonical_json(&config)
}

/// index.json: the one manifest, with its platform and, given a tag, the ref.name annotation
/// that `oci-layout://…:<tag>` build contexts look up.
fn index_json(def: &Definition, manifest: &[u8], tag: Option<&str>) -> Result<Vec<u8>> {
    let (os, arch) = def.os_arch()?;
    let platform = PlatformBuilder::default().os(os).architecture(arch).build()?;
    let mut entry = descriptor(MediaType::ImageManifest, manifest)?.platform(platform);
    if let Some(tag) = tag {
        let ref_name = (ANNOTATION_REF_NAME.to_owned(), tag.to_owned());
        entry = entry.annotations(HashMap::from([ref_name]));
    }
    let index = ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(vec![entry.build()?])
        .build()?;
    canonical_json(&index)
}

/// A tar holding `path` (leading `/` stripped, parent directories first) and nothing else.
/// Headers are built by hand rather than from the file system, so owner, mode and mtime are fixed.
fn layer_tar(path: &str, binary: &[u8]) -> Result<Vec<u8>> {
    let relative = path.trim_start_matches('/');
    let mut tar = tar::Builder::new(Vec::new());
    let parents: Vec<&str> = relative.match_indices('/').map(|(end, _)| &relative[..end]).collect();
    for dir in parents {
        let mut header = fixed_header(tar::EntryType::Directory, 0);
        tar.append_data(&mut header, format!("{dir}/"), std::io::empty())?;
    }
    let mut header = fixed_header(tar::EntryType::Regular, binary.len() as u64);
    tar.append_data(&mut header, relative, binary)?;
    Ok(tar.into_inner()?)
}

/// ustar header with uid/gid 0, no user or group names, mode 0755, mtime 0.
fn fixed_header(kind: tar::EntryType, size: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(0o755);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header
}

/// gzip with mtime 0 and no file name in the header (flate2 writes OS byte 255, "unknown").
fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = GzBuilder::new().mtime(0).write(Vec::new(), Compression::new(GZIP_LEVEL));
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn descriptor(media_type: MediaType, blob: &[u8]) -> Result<DescriptorBuilder> {
    let hex = hex::encode(Sha256::digest(blob));
    Ok(DescriptorBuilder::default()
        .media_type(media_type)
        .size(blob.len() as u64)
        .digest(Sha256Digest::from_str(&hex)?))
}

/// Compact JSON with every object's keys sorted. oci-spec keeps labels and annotations in
/// `HashMap`s, whose iteration order changes from one map to the next, and the workspace's
/// serde_json has `preserve_order`, so without sorting the digests would wander.
fn canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    fn sort(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                entries.into_iter().map(|(k, v)| (k, sort(v))).collect()
            }
            serde_json::Value::Array(items) => items.into_iter().map(sort).collect(),
            other => other,
        }
    }
    Ok(serde_json::to_vec(&sort(serde_json::to_value(value)?))?)
}

/// Refuses binaries that would fail only at `exec` time inside the scratch image, with an
/// unhelpful "no such file or directory": a dynamic loader (`PT_INTERP`) that the image lacks, or
/// a machine type other than the image's architecture.
fn check_static_elf(bytes: &[u8], arch: &Arch) -> Result<()> {
    const PT_INTERP: u32 = 3;
    ensure!(bytes.len() >= 64 && bytes.starts_with(b"\x7fELF\x02\x01"), "not a 64-bit little-endian ELF file");
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let expected = match arch {
        Arch::Amd64 => Some(62),
        Arch::ARM64 => Some(183),
        _ => None,
    };
    if let Some(machine) = expected {
        ensure!(u16_at(0x12) == machine, "ELF machine {} is not {arch}", u16_at(0x12));
    }
    let mut phoff = [0u8; 8];
    phoff.copy_from_slice(&bytes[0x20..0x28]);
    let phoff = usize::try_from(u64::from_le_bytes(phoff))?;
    let (entry_size, count) = (usize::from(u16_at(0x36)), usize::from(u16_at(0x38)));
    for i in 0..count {
        let at = phoff + i * entry_size;
        let Some(p_type) = bytes.get(at..at + 4) else {
            bail!("truncated ELF program headers");
        };
        if p_type == PT_INTERP.to_le_bytes() {
            bail!("dynamically linked (it names an ELF interpreter); build with crt-static");
        }
    }
    Ok(())
}

fn write_layout(out: &Path, image: &Image) -> Result<()> {
    let blobs = out.join("blobs").join("sha256");
    fs::create_dir_all(&blobs)?;
    for blob in &image.blobs {
        let path = blobs.join(hex::encode(Sha256::digest(blob)));
        // Content-addressed: a file of the right name and size already holds these bytes.
        if fs::metadata(&path).map(|m| m.len()).ok() != Some(blob.len() as u64) {
            write_atomically(&path, blob)?;
        }
    }
    // index.json last, so a reader never sees it point at a blob not yet written.
    write_atomically(&out.join("oci-layout"), &image.oci_layout)?;
    write_atomically(&out.join("index.json"), &image.index_json)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("renaming {}", tmp.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::io::Read;

    const DEFINITION: &str = include_str!("../../../images/frontend.toml");

    fn build(binary: &[u8], tag: Option<&str>) -> Result<Image> {
        assemble(&Definition::parse(DEFINITION)?, binary, tag)
    }

    #[test]
    fn same_binary_gives_same_bytes_and_digest() -> Result<()> {
        let (a, b) = (build(b"binary one", None)?, build(b"binary one", None)?);
        assert_eq!(a.manifest_digest, b.manifest_digest);
        assert_eq!(a.blobs, b.blobs);
        assert!(a.manifest_digest.starts_with("sha256:") && a.manifest_digest.len() == 71);
        Ok(())
    }

    #[test]
    fn different_binary_gives_different_digest() -> Result<()> {
        let (a, b) = (build(b"binary one", None)?, build(b"binary two", None)?);
        assert_ne!(a.manifest_digest, b.manifest_digest);
        Ok(())
    }

    #[test]
    fn config_has_entrypoint_labels_and_platform() -> Result<()> {
        let config: Value = serde_json::from_slice(&build(b"bin", None)?.blobs[1])?;
        assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/fleet-frontend"]));
        let labels = &config["config"]["Labels"];
        assert_eq!(labels[LABEL_NETWORK_NONE], "true");
        assert_eq!(
            labels[LABEL_CAPS],
            "moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
        );
        assert_eq!((&config["os"], &config["architecture"]), (&"linux".into(), &"amd64".into()));
        Ok(())
    }

    #[test]
    fn json_keys_are_sorted_whatever_the_hashmap_order() -> Result<()> {
        let config: Value = serde_json::from_slice(&build(b"bin", None)?.blobs[1])?;
        let keys: Vec<&String> =
            config["config"]["Labels"].as_object().map(|labels| labels.keys().collect()).unwrap_or_default();
        assert!(keys.len() >= 2 && keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        Ok(())
    }

    #[test]
    fn layer_holds_only_the_binary_with_fixed_metadata() -> Result<()> {
        let image = build(b"#!fake binary", None)?;
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(&image.blobs[0][..]).read_to_end(&mut tar)?;
        let config: Value = serde_json::from_slice(&image.blobs[1])?;
        assert_eq!(config["rootfs"]["diff_ids"][0], sha256_digest(&tar).as_str());
        let mut archive = tar::Archive::new(&tar[..]);
        let entries: Vec<_> = archive.entries()?.collect::<std::io::Result<_>>()?;
        assert_eq!(entries.len(), 1);
        let header = entries[0].header();
        assert_eq!(entries[0].path()?.to_str(), Some("fleet-frontend"));
        assert_eq!(header.mode()?, 0o755);
        assert_eq!((header.uid()?, header.gid()?, header.mtime()?), (0, 0, 0));
        assert_eq!(header.username_bytes(), Some(&b""[..]));
        Ok(())
    }

    #[test]
    fn nested_binary_path_gets_parent_directories_first() -> Result<()> {
        let tar = layer_tar("/usr/bin/fleet-frontend", b"bin")?;
        let mut archive = tar::Archive::new(&tar[..]);
        let paths = archive
            .entries()?
            .map(|e| Ok(e?.path()?.to_string_lossy().into_owned()))
            .collect::<std::io::Result<Vec<_>>>()?;
        assert_eq!(paths, ["usr/", "usr/bin/", "usr/bin/fleet-frontend"]);
        Ok(())
    }

    #[test]
    fn tag_becomes_ref_name_annotation() -> Result<()> {
        let image = build(b"bin", Some("test-abc123"))?;
        let index: Value = serde_json::from_slice(&image.index_json)?;
        let entry = &index["manifests"][0];
        assert_eq!(entry["annotations"][ANNOTATION_REF_NAME], "test-abc123");
        assert_eq!(entry["digest"], image.manifest_digest.as_str());
        Ok(())
    }

    #[test]
    fn definition_without_network_label_is_rejected() {
        let text = DEFINITION.replace(LABEL_NETWORK_NONE, "something.else");
        assert!(Definition::parse(&text).is_err());
    }

    fn elf_with_program_header(p_type: u32) -> Vec<u8> {
        let mut elf = vec![0u8; 64 + 56];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        elf[0x12..0x14].copy_from_slice(&62u16.to_le_bytes());
        elf[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        elf[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        elf[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
        elf[64..68].copy_from_slice(&p_type.to_le_bytes());
        elf
    }

    #[test]
    fn static_check_refuses_an_elf_interpreter() {
        assert!(check_static_elf(&elf_with_program_header(1), &Arch::Amd64).is_ok());
        assert!(check_static_elf(&elf_with_program_header(3), &Arch::Amd64).is_err());
        assert!(check_static_elf(&elf_with_program_header(1), &Arch::ARM64).is_err());
    }
}
