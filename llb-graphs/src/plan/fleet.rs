//! The fleet as a whole: dependency waves (families by depth, then services), image names and
//! platforms per target, and the family/service graph. Feeds `matrix`, `bake` and `graph`.

use sha2::{Digest, Sha256};

use super::{family_image, family_tag, resolve_family, ImageRef};
use crate::diag::SourceFile;
use crate::manifest::Manifest;

/// One build target of the fleet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetTarget {
    /// Target name (`--target`).
    pub name: String,
    /// Family or service.
    pub kind: super::TargetKind,
    /// Wave: 0 for root families, parents before children, services after their family.
    pub wave: usize,
    /// The family this target builds on (its parent for a family, its family for a service).
    pub depends_on: Option<String>,
    /// Published image reference.
    pub image: ImageRef,
    /// Platforms to build: `linux/amd64` for CUDA families and their services, else `default`.
    pub platforms: Vec<String>,
}

/// Every target of a validated manifest for the machine profile `machine` (image tags depend on
/// it), ordered by wave, then name.
pub fn fleet_targets(file: &SourceFile, m: &Manifest, default_platforms: &[String], machine: &str) -> Vec<FleetTarget> {
    let mut out = vec![];
    for key in m.families.keys() {
        let name = key.get_ref();
        let Some(f) = resolve_family(m, name) else { continue };
        let Some(image) = family_image(m, name, machine) else { continue };
        let parent = f.chain.len().checked_sub(2).map(|i| f.chain[i].name.clone());
        out.push(FleetTarget {
            name: name.clone(),
            kind: super::TargetKind::Family,
            wave: f.chain.len() - 1,
            depends_on: parent,
            image,
            platforms: platforms(f.cuda.is_some(), default_platforms),
        });
    }
    for (key, svc) in &m.services {
        let fam = svc.get_ref().family.get_ref();
        let Some(f) = resolve_family(m, fam) else { continue };
        let Some(image) = service_image(file, m, key.get_ref(), machine) else { continue };
        out.push(FleetTarget {
            name: key.get_ref().clone(),
            kind: super::TargetKind::Service,
            wave: f.chain.len(),
            depends_on: Some(fam.clone()),
            image,
            platforms: platforms(f.cuda.is_some(), default_platforms),
        });
    }
    out.sort_by(|a, b| (a.wave, &a.name).cmp(&(b.wave, &b.name)));
    out
}

fn platforms(cuda: bool, default: &[String]) -> Vec<String> {
    if cuda {
        vec!["linux/amd64".into()]
    } else {
        default.to_vec()
    }
}

/// `<registry>/<org>/<service, lowercased>:<tag>`; the tag hashes the service table and its
/// family's tag, so it moves with either.
fn service_image(file: &SourceFile, m: &Manifest, name: &str, machine: &str) -> Option<ImageRef> {
    let p = super::plan_service(file, m, Some(name)).ok()?;
    let fam_tag = family_tag(m, &p.family.name, machine)?;
    let mut h = Sha256::new();
    h.update(fam_tag.as_bytes());
    // The service's values, not its text: comments and moved lines do not move the tag.
    let writable: Vec<&str> = p.writable.iter().map(|w| w.value.as_str()).collect();
    let values = format!(
        "{:?}",
        (
            &p.source.value,
            &p.command.value,
            p.service_port.value,
            p.health_port.value,
            &p.health_path,
            &p.workdir,
            &p.env,
            &p.labels,
            writable,
            p.lock.as_ref().map(|l| &l.value)
        )
    );
    h.update(values.as_bytes());
    let tag = format!("{}-{}", fam_tag.split('-').next().unwrap_or("py"), &hex::encode(h.finalize())[..12]);
    let fleet = m.fleet.as_ref().map(|f| f.get_ref());
    let registry = fleet.and_then(|f| f.registry.as_ref()).map_or("ghcr.io".into(), |r| r.get_ref().clone());
    let org = fleet.and_then(|f| f.org.as_ref()).map_or("fleet".into(), |o| o.get_ref().clone());
    ImageRef::parse(&format!("{registry}/{org}/{}:{tag}", image_name(name))).ok()
}

/// A target name as an image repository name: lowercase, CamelCase split by `-`.
pub fn image_name(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && name.chars().nth(i - 1).is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            if prev_lower {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            out.push(c);
        } else {
            out.push('-');
        }
    }
    out
}

/// The family/service graph as Graphviz DOT: families are boxes (CUDA ones green), services
/// ellipses, edges from what a target builds on.
pub fn graph_dot(file: &SourceFile, m: &Manifest) -> String {
    let mut s = String::from("digraph fleet {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
    // The graph's shape does not depend on the machine; the tags it does not show do.
    for t in fleet_targets(file, m, &["linux/amd64".to_string()], crate::profile::DEFAULT) {
        let (shape, color) = match t.kind {
            super::TargetKind::Family if t.platforms.len() == 1 && is_cuda(m, &t.name) => ("box", "palegreen"),
            super::TargetKind::Family => ("box", "lightblue"),
            super::TargetKind::Service => ("ellipse", "lightyellow"),
        };
        s.push_str(&format!("  \"{}\" [shape={shape}, style=filled, fillcolor={color}];\n", t.name));
        if let Some(d) = &t.depends_on {
            s.push_str(&format!("  \"{d}\" -> \"{}\";\n", t.name));
        } else if let Some(f) = resolve_family(m, &t.name) {
            s.push_str(&format!(
                "  \"{}\" [shape=note, style=filled, fillcolor=white];\n  \"{}\" -> \"{}\";\n",
                f.base_written, f.base_written, t.name
            ));
        }
    }
    s.push_str("}\n");
    s
}

fn is_cuda(m: &Manifest, family: &str) -> bool {
    resolve_family(m, family).is_some_and(|f| f.cuda.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLEET: &str = "[fleet]\norg = \"acme\"\n[families.root]\nbase = \"python:3.11-slim\"\n[families.gpu]\nbase = \"nvidia/cuda:12.1.1-runtime-ubuntu22.04\"\ncuda = \"12.1\"\n[families.web]\nparent = \"root\"\n\n[services.ModelOps]\nfamily = \"gpu\"\nsource = \"a\"\ncommand = [\"x\"]\nports = { service = 1, health = 2 }\n\n[services.api]\nfamily = \"web\"\nsource = \"b\"\ncommand = [\"x\"]\nports = { service = 3, health = 4 }\n";

    #[test]
    fn waves_follow_the_family_graph() {
        let f = SourceFile::new("fleet.toml", FLEET);
        let m = crate::manifest::parse(&f).unwrap();
        let t = fleet_targets(&f, &m, &["linux/amd64".into(), "linux/arm64".into()], "mainpc");
        let got: Vec<(usize, &str, usize)> = t.iter().map(|t| (t.wave, t.name.as_str(), t.platforms.len())).collect();
        assert_eq!(got, [(0, "gpu", 1), (0, "root", 2), (1, "ModelOps", 1), (1, "web", 2), (2, "api", 2)]);
        let ops = t.iter().find(|t| t.name == "ModelOps").unwrap();
        assert!(ops.image.to_string().starts_with("ghcr.io/acme/model-ops:py3.11-"), "{}", ops.image);
        assert_eq!(t.iter().find(|t| t.name == "web").unwrap().depends_on.as_deref(), Some("root"));
    }

    #[test]
    fn tags_move_when_a_parent_changes() {
        let f1 = SourceFile::new("fleet.toml", FLEET);
        let f2 = SourceFile::new("fleet.toml", FLEET.replace("python:3.11-slim", "python:3.11-slim-bookworm"));
        let (m1, m2) = (crate::manifest::parse(&f1).unwrap(), crate::manifest::parse(&f2).unwrap());
        assert_ne!(family_tag(&m1, "web", "mainpc"), family_tag(&m2, "web", "mainpc"));
        assert_eq!(family_tag(&m1, "gpu", "mainpc"), family_tag(&m2, "gpu", "mainpc"));
    }

    #[test]
    fn tags_move_with_the_machine_and_services_follow_their_family() {
        // mainpc and pc2 compile for different GPUs and carry different env: different images.
        let f = SourceFile::new("fleet.toml", FLEET);
        let m = crate::manifest::parse(&f).unwrap();
        assert_ne!(family_tag(&m, "gpu", "mainpc"), family_tag(&m, "gpu", "pc2"));
        assert_eq!(family_tag(&m, "gpu", "pc2"), family_tag(&m, "gpu", "pc2"));
        let image = |machine: &str, name: &str| {
            let t = fleet_targets(&f, &m, &["linux/amd64".into()], machine);
            t.into_iter().find(|t| t.name == name).unwrap().image
        };
        assert_ne!(image("mainpc", "ModelOps"), image("pc2", "ModelOps"));
        assert_eq!(Some(image("pc2", "gpu")), family_image(&m, "gpu", "pc2"));
    }

    #[test]
    fn dot_has_every_node_and_edge() {
        let f = SourceFile::new("fleet.toml", FLEET);
        let m = crate::manifest::parse(&f).unwrap();
        let dot = graph_dot(&f, &m);
        for needle in ["\"root\" -> \"web\"", "\"web\" -> \"api\"", "\"gpu\" -> \"ModelOps\"", "fillcolor=palegreen"] {
            assert!(dot.contains(needle), "{needle} missing:\n{dot}");
        }
    }
}
