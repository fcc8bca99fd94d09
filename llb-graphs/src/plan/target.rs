//! Families as build targets of their own, and the published family images a service can build
//! on instead of the family graph (`--build-arg FLEET_FAMILIES=published`).

use sha2::{Digest, Sha256};

use super::{resolve_family, At, ImageRef, ServicePlan, DEFAULT_HEALTH_PATH, DEFAULT_WORKDIR};
use crate::manifest::Manifest;

/// What a target builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// A service image (app, ports, healthcheck).
    Service,
    /// A family image: its base and every layer of its chain, no app.
    Family,
}

/// A family as a target: a plan with the family chain and no app (source, command and ports
/// are unused for [`TargetKind::Family`]).
pub(super) fn plan_family_target(m: &Manifest, name: &str) -> Option<ServicePlan> {
    let family = resolve_family(m, name)?;
    let fleet = m.fleet.as_ref().map(|f| f.get_ref());
    let span = family.span.clone();
    let none = || At { value: String::new(), span: span.clone() };
    Some(ServicePlan {
        name: name.to_string(),
        kind: TargetKind::Family,
        span: span.clone(),
        family_span: span.clone(),
        source: none(),
        workdir: DEFAULT_WORKDIR.into(),
        command: At { value: vec![], span: span.clone() },
        service_port: At { value: 0, span: span.clone() },
        health_port: At { value: 0, span: span.clone() },
        health_path: DEFAULT_HEALTH_PATH.into(),
        env: family.env.clone(),
        writable: vec![],
        labels: Default::default(),
        repo_url: fleet.and_then(|f| f.source.as_ref()).map(|s| s.get_ref().clone()),
        description: m
            .families
            .iter()
            .find(|(k, _)| k.get_ref() == name)
            .and_then(|(_, f)| f.get_ref().description.as_ref())
            .map(|d| d.get_ref().clone()),
        python: family.python,
        lock: None,
        lock_select: Default::default(),
        artifact_mirror: fleet.and_then(|f| f.artifact_mirror.as_ref()).map(|x| x.get_ref().clone()),
        index_secret: fleet.and_then(|f| f.index_secret.as_ref()).map(|x| x.get_ref().clone()),
        profiles_dir: None,
        installer: super::installer(fleet),
        family,
    })
}

/// The tag of a family's published image: `py<X.Y>-<12 hex>`, the hex a sha256 over the values
/// of every family in its chain (base, apt, user, lock path and selection, env, Python, CUDA,
/// builder) and the machine profile's name (`MACHINE`: the profile's env is in every image, and
/// a builder compiles for its GPU arch, so mainpc and pc2 build different family images), so
/// it changes when the family, a parent or the machine does, and not when comments or unrelated
/// tables move. Matrix, Bake and published builds all use this one function. (A lockfile's or a
/// profile's content is not read here: edit the lock's path, or the family, when re-locking.)
pub fn family_tag(m: &Manifest, name: &str, machine: &str) -> Option<String> {
    let family = resolve_family(m, name)?;
    let mut h = Sha256::new();
    h.update(family.base_written.as_bytes());
    h.update(family.python.to_string().as_bytes());
    for layer in &family.chain {
        let f = m.families.get(&toml::Spanned::new(0..0, layer.name.clone()))?.get_ref();
        let v = |s: &Option<toml::Spanned<String>>| s.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default();
        let apt: Vec<&str> = f.apt.iter().map(|a| a.get_ref().as_str()).collect();
        let env: Vec<String> = f.env.iter().map(|(k, x)| format!("{}={}", k.get_ref(), x.get_ref())).collect();
        let builder = f.builder.as_ref().map(|b| {
            let b = b.get_ref();
            let apt: Vec<&str> = b.apt.iter().map(|a| a.get_ref().as_str()).collect();
            let env: Vec<String> = b.env.iter().map(|(k, x)| format!("{}={}", k.get_ref(), x.get_ref())).collect();
            format!("|builder={};{};{}", b.image.get_ref(), apt.join(","), env.join(","))
        });
        let line = format!(
            "{}|{}|{}|{}|{}|{}|{}{}\n",
            layer.name,
            v(&f.user),
            v(&f.lock),
            v(&f.cuda),
            v(&f.python),
            apt.join(","),
            env.join(","),
            builder.unwrap_or_default()
        );
        h.update(line.as_bytes());
        // The lock selection changes what is installed; hashed only when given, so the tags of
        // families without one stay what they were.
        let names = |l: &Option<toml::Spanned<Vec<toml::Spanned<String>>>>| {
            l.as_ref().map(|l| l.get_ref().iter().map(|x| x.get_ref().as_str()).collect::<Vec<_>>().join(","))
        };
        if let Some(g) = &f.glibc {
            h.update(format!("glibc={}\n", g.get_ref()).as_bytes());
        }
        if f.extras.is_some() || f.groups.is_some() || f.package.is_some() {
            let sel =
                format!("extras={:?}|groups={:?}|package={:?}\n", names(&f.extras), names(&f.groups), v(&f.package));
            h.update(sel.as_bytes());
        }
    }
    h.update(format!("machine={machine}\n").as_bytes());
    let hex = hex::encode(h.finalize());
    Some(format!("py{}-{}", family.python, &hex[..12]))
}

/// `<registry>/<org>/<family>:<tag>`, from `[fleet] registry` (default `ghcr.io`) and `org`.
pub fn family_image(m: &Manifest, name: &str, machine: &str) -> Option<ImageRef> {
    let fleet = m.fleet.as_ref().map(|f| f.get_ref());
    let registry = fleet.and_then(|f| f.registry.as_ref()).map_or("ghcr.io".into(), |r| r.get_ref().clone());
    let org = fleet.and_then(|f| f.org.as_ref()).map_or("fleet".into(), |o| o.get_ref().clone());
    ImageRef::parse(&format!("{registry}/{org}/{name}:{}", family_tag(m, name, machine)?)).ok()
}

/// Rebases a service on its family's published image: the base becomes that image and the
/// chain is empty (the image already holds every family layer and its env). `machine`: the
/// build's `MACHINE`, whose family image it is.
pub fn use_published_families(plan: &mut ServicePlan, m: &Manifest, machine: &str) {
    if let Some(img) = family_image(m, &plan.family.name, machine) {
        plan.family.base_written = img.to_string();
        plan.family.base = At { value: img, span: plan.family_span.clone() };
        plan.family.chain.clear();
    }
}
