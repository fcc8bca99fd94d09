//! Values of the manifest parsed once, right after the TOML: image references, Python and glibc
//! versions, the profiles folder. Each is kept as the parser's result, so `validate` reports the
//! failures (at the raw value's span, with its own rule and wording) and `plan` consumes the
//! values without parsing the strings again. Parse, don't validate: one parser per value.

use std::collections::BTreeMap;

use toml::Spanned;

use super::types::{Manifest, SString, Service};
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
    /// `lock`, a path in the build context.
    pub lock: Option<Parsed<ContextPath>>,
}

/// What [`Typed::of`] found for one `[services.NAME]`.
#[derive(Debug, Default)]
pub struct ServiceValues {
    /// `source`, a path in the build context.
    pub source: Option<Parsed<ContextPath>>,
    /// `writable`, in order: paths under the workdir (the whole workdir, `.`, is refused).
    pub writable: Vec<Parsed<ContextPath>>,
    /// `lock`, a path in the build context.
    pub lock: Option<Parsed<ContextPath>>,
    /// `ports.service` and `ports.health`, as TCP ports.
    pub ports: [Option<Parsed<u16>>; 2],
}

/// The typed values of a manifest, filled by [`super::parse_toml`].
#[derive(Debug, Default)]
pub struct Typed {
    /// Per family name.
    pub families: BTreeMap<String, FamilyValues>,
    /// Per service name.
    pub services: BTreeMap<String, ServiceValues>,
    /// `[fleet] python`.
    pub fleet_python: Option<Parsed<PythonVersion>>,
    /// `[fleet] profiles`.
    pub profiles: Option<Parsed<ContextPath>>,
}

fn path(s: &SString) -> Parsed<ContextPath> {
    ContextPath::parse(s.get_ref())
}

fn port(p: &Spanned<i64>) -> Parsed<u16> {
    u16::try_from(*p.get_ref()).ok().filter(|p| *p > 0).ok_or("is out of range (1-65535)")
}

fn service(s: &Service) -> ServiceValues {
    let ports = s.ports.as_ref().map(|p| p.get_ref());
    ServiceValues {
        source: Some(path(&s.source)),
        writable: s
            .writable
            .iter()
            .map(|w| path(w).and_then(|p| if p.as_str() == "." { Err("is the whole workdir") } else { Ok(p) }))
            .collect(),
        lock: s.lock.as_ref().map(path),
        ports: [ports.and_then(|p| p.service.as_ref()).map(port), ports.and_then(|p| p.health.as_ref()).map(port)],
    }
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
                    lock: f.lock.as_ref().map(path),
                };
                (name.get_ref().clone(), values)
            })
            .collect();
        let fleet = m.fleet.as_ref().map(|f| f.get_ref());
        let services = m.services.iter().map(|(k, s)| (k.get_ref().clone(), service(s.get_ref()))).collect();
        Self {
            families,
            services,
            fleet_python: fleet.and_then(|f| f.python.as_ref()).map(python),
            profiles: fleet.and_then(|f| f.profiles.as_ref()).map(|p| ContextPath::parse(p.get_ref())),
        }
    }

    /// The values of family `name` (empty for an unknown name).
    pub fn family(&self, name: &str) -> &FamilyValues {
        static NONE: FamilyValues =
            FamilyValues { base: None, builder_image: None, python: None, glibc: None, lock: None };
        self.families.get(name).unwrap_or(&NONE)
    }

    /// The values of service `name` (empty for an unknown name).
    pub fn service(&self, name: &str) -> &ServiceValues {
        static NONE: ServiceValues =
            ServiceValues { source: None, writable: Vec::new(), lock: None, ports: [None, None] };
        self.services.get(name).unwrap_or(&NONE)
    }
}

#[cfg(test)]
mod tests {
    use crate::diag::SourceFile;
    use crate::value::ImageRef;

    const M: &str = "[fleet]\npython = \"3.12\"\n[families.b]\nbase = \"python:3.11-slim\"\nglibc = \"2.36\"\n\
        [services.s]\nfamily = \"b\"\nsource = \"./app/\"\ncommand = [\"x\"]\nwritable = [\"data\"]\n\
        ports = { service = 8080, health = 8081 }\n";

    #[test]
    fn values_are_parsed_once_and_failures_kept() {
        let bad = M.replace("8081", "70000").replace("\"data\"", "\".\"").replace("2.36", "3.1");
        let m = crate::manifest::parse_toml(&SourceFile::new("fleet.toml", bad)).expect("TOML");
        let (f, s) = (m.typed.family("b"), m.typed.service("s"));
        assert_eq!(f.glibc, Some(Err("is not `2.N`")));
        assert_eq!(s.source.as_ref().map(|p| p.as_ref().map(|p| p.as_str())), Some(Ok("app")));
        assert_eq!(s.writable, [Err("is the whole workdir")]);
        assert_eq!(s.ports, [Some(Ok(8080)), Some(Err("is out of range (1-65535)"))]);
    }

    /// plan takes the typed values, not the strings: a value changed in `typed` is what it plans.
    #[test]
    fn plan_consumes_the_typed_values() {
        let mut m = crate::manifest::parse(&SourceFile::new("fleet.toml", M)).expect("valid");
        let other = ImageRef::parse("localhost:5000/other:1").expect("ref");
        m.typed.families.get_mut("b").expect("b").base = Some(Ok(other.clone()));
        m.typed.services.get_mut("s").expect("s").ports[0] = Some(Ok(9000));
        let p = crate::plan::plan_service(&SourceFile::new("fleet.toml", M), &m, Some("s")).expect("plan");
        assert_eq!(p.family.base.value, other);
        assert_eq!(p.service_port.value, 9000);
        assert_eq!(p.family.glibc, (2, 36));
        assert_eq!(p.source.value, "app");
    }
}
