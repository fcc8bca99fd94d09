//! Values of the manifest parsed once, right after the TOML: image references, Python and glibc
//! versions, the profiles folder. Each is kept as the parser's result, so `validate` reports the
//! failures (at the raw value's span, with its own rule and wording) and `plan` consumes the
//! values without parsing the strings again. Parse, don't validate: one parser per value.

use std::collections::BTreeMap;

use super::types::{Manifest, SString};
use super::validate::parse_glibc;
use crate::value::{ContextPath, ImageRef, PythonVersion};

/// Why a string is not the value its key wants (the validator words its own message).
pub type Parsed<T> = Result<T, &'static str>;

/// What [`Typed::of`] found for one `[families.NAME]`.
#[derive(Debug, Default)]
pub struct FamilyValues {
    /// `base`, parsed.
    pub base: Option<Parsed<ImageRef>>,
    /// `builder.image`, parsed.
    pub builder_image: Option<Parsed<ImageRef>>,
    /// `python`, as `3.N`.
    pub python: Option<Parsed<PythonVersion>>,
    /// `glibc`, as `(2, N)`.
    pub glibc: Option<Parsed<(u32, u32)>>,
}

/// The typed values of a manifest, filled by [`super::parse_toml`].
#[derive(Debug, Default)]
pub struct Typed {
    /// Per family name.
    pub families: BTreeMap<String, FamilyValues>,
    /// `[fleet] python`.
    pub fleet_python: Option<Parsed<PythonVersion>>,
    /// `[fleet] profiles`.
    pub profiles: Option<Parsed<ContextPath>>,
}

fn python(s: &SString) -> Parsed<PythonVersion> {
    PythonVersion::parse(s.get_ref()).ok_or("is not `3.N`")
}

impl Typed {
    /// Parses every typed value of `m` once.
    pub fn of(m: &Manifest) -> Self {
        let families = m
            .families
            .iter()
            .map(|(name, fam)| {
                let f = fam.get_ref();
                let values = FamilyValues {
                    base: f.base.as_ref().map(|b| ImageRef::parse(b.get_ref())),
                    builder_image: f.builder.as_ref().map(|b| ImageRef::parse(b.get_ref().image.get_ref())),
                    python: f.python.as_ref().map(python),
                    glibc: f.glibc.as_ref().map(|g| parse_glibc(g.get_ref()).ok_or("is not `2.N`")),
                };
                (name.get_ref().clone(), values)
            })
            .collect();
        let fleet = m.fleet.as_ref().map(|f| f.get_ref());
        Self {
            families,
            fleet_python: fleet.and_then(|f| f.python.as_ref()).map(python),
            profiles: fleet.and_then(|f| f.profiles.as_ref()).map(|p| ContextPath::parse(p.get_ref())),
        }
    }

    /// The values of family `name` (empty for an unknown name).
    pub fn family(&self, name: &str) -> &FamilyValues {
        static NONE: FamilyValues = FamilyValues { base: None, builder_image: None, python: None, glibc: None };
        self.families.get(name).unwrap_or(&NONE)
    }
}
