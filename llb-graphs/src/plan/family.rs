//! Families resolved through their parents: the root's base image, every layer from the root
//! down to the family itself, and the values a family inherits (env, Python, CUDA).

use std::collections::BTreeMap;

use super::{At, FamilyPlan, ImageRef, DEFAULT_PYTHON};
use crate::manifest::typed::Parsed;
use crate::manifest::Manifest;

/// What one family adds on top of its parent (or of its base image, for a root).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FamilyLayer {
    /// Family name.
    pub name: String,
    /// apt packages, `name` or `name=version`.
    pub apt: Vec<At<String>>,
    /// User created with UID:GID 10001:10001.
    pub user: Option<At<String>>,
    /// Lockfile in the context.
    pub lock: Option<At<String>>,
    /// Where this family's sdists are compiled, when not on the family itself.
    pub builder: Option<BuilderPlan>,
    /// `extras`, `groups`, `package`: what to install from the lock.
    pub lock_select: super::LockSelect,
    /// The `[families.NAME]` table.
    pub span: std::ops::Range<usize>,
}

/// `[families.NAME.builder]` resolved: the image, what is installed on it, the compile env.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuilderPlan {
    /// The builder image (a named context of the written or normalised name replaces it).
    pub image: At<ImageRef>,
    /// The image reference as written.
    pub written: String,
    /// apt packages installed on the builder, `name` or `name=version`.
    pub apt: Vec<At<String>>,
    /// Environment of the compile steps.
    pub env: BTreeMap<String, String>,
    /// The `builder` table.
    pub span: std::ops::Range<usize>,
}

fn builder_plan(
    b: &toml::Spanned<crate::manifest::types::Builder>,
    image: Option<&Parsed<ImageRef>>,
) -> Option<BuilderPlan> {
    let v = b.get_ref();
    Some(BuilderPlan {
        image: At { value: image?.clone().ok()?, span: v.image.span() },
        written: v.image.get_ref().clone(),
        apt: v.apt.iter().map(|a| At { value: a.get_ref().clone(), span: a.span() }).collect(),
        env: v.env.iter().map(|(k, x)| (k.get_ref().clone(), x.get_ref().clone())).collect(),
        span: b.span(),
    })
}

/// Resolves family `name` of a validated manifest (parents exist, no cycles); `None` when a
/// value validation would have refused is found instead.
pub fn resolve_family(m: &Manifest, name: &str) -> Option<FamilyPlan> {
    let mut chain = vec![];
    let mut cur = name.to_string();
    // The manifest is validated acyclic; the bound only guards against misuse.
    for _ in 0..=m.families.len() {
        // Keys compare by value (`Spanned`'s `Ord`): a map lookup, not a scan.
        let (key, fam) = m.families.get_key_value(&toml::Spanned::new(0..0, cur.clone()))?;
        chain.push((key, fam));
        match &fam.get_ref().parent {
            Some(p) => cur = p.get_ref().clone(),
            None => break,
        }
    }
    chain.reverse();
    let (root_name, root) = chain.first()?;
    let base = root.get_ref().base.as_ref()?;
    // The values `manifest::typed` parsed; one that failed (validation reports it) gives `None`.
    let base_ref = m.typed.family(root_name.get_ref()).base.clone()?.ok()?;
    let fleet_python = match m.typed.fleet_python {
        Some(p) => Some(p.ok()?),
        None => None,
    };
    let mut env = BTreeMap::new();
    let (mut python, mut cuda, mut glibc) = (None, None, None);
    let mut layers = vec![];
    for (key, fam) in &chain {
        let (f, typed) = (fam.get_ref(), m.typed.family(key.get_ref()));
        env.extend(f.env.iter().map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone())));
        if let Some(p) = typed.python {
            python = Some(p.ok()?);
        }
        glibc = typed.glibc.and_then(Result::ok).or(glibc);
        cuda = f.cuda.as_ref().map(|c| At { value: c.get_ref().clone(), span: c.span() }).or(cuda);
        layers.push(FamilyLayer {
            name: key.get_ref().clone(),
            apt: f.apt.iter().map(|a| At { value: a.get_ref().clone(), span: a.span() }).collect(),
            user: f.user.as_ref().map(|u| At { value: u.get_ref().clone(), span: u.span() }),
            lock: match (&f.lock, &typed.lock) {
                (Some(l), Some(Ok(p))) => Some(At { value: p.as_str().to_string(), span: l.span() }),
                (None, _) => None,
                _ => return None,
            },
            builder: match &f.builder {
                Some(b) => Some(builder_plan(b, typed.builder_image.as_ref())?),
                None => None,
            },
            lock_select: super::LockSelect::new(f.extras.as_ref(), f.groups.as_ref(), f.package.as_ref()),
            span: fam.span(),
        });
    }
    let (_, leaf) = chain.last()?;
    Some(FamilyPlan {
        name: name.to_string(),
        base: At { value: base_ref, span: base.span() },
        base_written: base.get_ref().clone(),
        env,
        cuda,
        python: python.or(fleet_python).unwrap_or(DEFAULT_PYTHON),
        glibc: glibc.unwrap_or(super::ASSUMED_GLIBC),
        chain: layers,
        span: leaf.span(),
    })
}
