//! The manifest's JSON Schema (draft 2020-12), for editors (taplo / Even Better TOML: a
//! `#:schema` comment). Generated from the key tables below, which a test holds equal to the
//! serde types' own field lists (the ones `deny_unknown_fields` enforces and "unknown key" hints
//! come from), so the schema cannot drift from the parser. It says what the parser accepts (keys,
//! types, required keys) plus the simplest value ranges; the validator's rules still go further.
//! Committed as `images/fleet.schema.json`; `fleet-frontend schema` prints it.

use serde_json::{json, Map, Value};

/// What a key holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string.
    Str,
    /// A TCP port, 1..=65535.
    Port,
    /// An array of strings, at least `min` of them.
    StrList {
        /// Fewest elements.
        min: u64,
    },
    /// A table of string values (env, labels).
    StrMap,
    /// A sub-table.
    Table(&'static Table),
    /// A table of named sub-tables (`[families.NAME]`).
    Named(&'static Table),
}

/// One key of a table.
#[derive(Debug)]
pub struct Key {
    /// The key as written in TOML.
    pub name: &'static str,
    /// Its value.
    pub kind: Kind,
    /// Whether the manifest must have it.
    pub required: bool,
    /// One line for editors (see README's manifest reference for the full story).
    pub doc: &'static str,
}

/// One table of the manifest.
#[derive(Debug)]
pub struct Table {
    /// Its header, as README names it.
    pub title: &'static str,
    /// Its keys; any other key is an error.
    pub keys: &'static [Key],
}

const fn key(name: &'static str, kind: Kind, doc: &'static str) -> Key {
    Key { name, kind, required: false, doc }
}

const fn must(name: &'static str, kind: Kind, doc: &'static str) -> Key {
    Key { name, kind, required: true, doc }
}

const S: Kind = Kind::Str;
const LIST: Kind = Kind::StrList { min: 0 };

/// The whole manifest.
pub const ROOT: Table = Table {
    title: "fleet.toml",
    keys: &[
        key("fleet", Kind::Table(&FLEET), "Fleet-wide settings."),
        key("families", Kind::Named(&FAMILY), "Base image families by name."),
        key("services", Kind::Named(&SERVICE), "Services by name; each is a build target."),
    ],
};

/// `[fleet]`.
pub const FLEET: Table = Table {
    title: "[fleet]",
    keys: &[
        key("org", S, "Organisation in published image names (ghcr.io/<org>/<name>)."),
        key("registry", S, "Registry host of published images, e.g. ghcr.io."),
        key("python", S, "Default Python major.minor of the fleet, e.g. \"3.11\"."),
        key("source", S, "Source repository URL (label org.opencontainers.image.source)."),
        key("description", S, "Free text."),
        key("artifact_mirror", S, "Base URL serving locked artifacts by file name; checksums still apply."),
        key("index_secret", S, "ID of the BuildKit secret holding a private index URL."),
        key("profiles", S, "Folder in the build context with this fleet's machine profiles."),
        key("installer", S, "What installs locked wheels: \"uv\" (default) or \"pip\"."),
        key("uv", Kind::Table(&UV), "Another uv than the built-in pin."),
    ],
};

/// `[fleet.uv]`.
pub const UV: Table = Table {
    title: "[fleet.uv]",
    keys: &[
        must("version", S, "uv version; the wheels' file names must carry it."),
        must("amd64", Kind::Table(&UV_WHEEL), "The linux/amd64 wheel (musllinux_1_1_x86_64)."),
        must("arm64", Kind::Table(&UV_WHEEL), "The linux/arm64 wheel (musllinux_1_1_aarch64)."),
    ],
};

/// `{ url, sha256 }` of one uv wheel.
pub const UV_WHEEL: Table = Table {
    title: "uv wheel",
    keys: &[must("url", S, "Download URL."), must("sha256", S, "sha256 of the file, lowercase hex.")],
};

/// `[families.NAME]`.
pub const FAMILY: Table = Table {
    title: "[families.NAME]",
    keys: &[
        key("base", S, "Base image reference (repo:tag or repo@sha256:...); exactly one of base, parent."),
        key("parent", S, "The family this one builds on."),
        key("apt", LIST, "Debian/Ubuntu packages, name or name=version."),
        key("user", S, "Creates this user with UID:GID 10001:10001."),
        key("lock", S, "Hash-pinned lockfile every service of the family gets."),
        key("extras", LIST, "Extras of the locked project to install."),
        key("groups", LIST, "Dependency groups to install."),
        key("package", S, "uv workspace member whose dependencies are installed."),
        key("description", S, "Free text."),
        key("env", Kind::StrMap, "Environment added to every service of the family."),
        key("cuda", S, "CUDA version of a GPU family, e.g. \"12.1\" (linux/amd64 only)."),
        key("python", S, "Python major.minor of the base image."),
        key("builder", Kind::Table(&BUILDER), "Image the family's sdists are compiled on."),
        key("glibc", S, "glibc 2.N of the base image: the newest manylinux_2_N wheels that fit."),
    ],
};

/// `[families.NAME.builder]`.
pub const BUILDER: Table = Table {
    title: "[families.NAME.builder]",
    keys: &[
        must("image", S, "Image reference; a named context of that name replaces it."),
        key("apt", LIST, "Packages installed on the builder first."),
        key("env", Kind::StrMap, "Environment of the compile steps."),
    ],
};

/// `[services.NAME]`.
pub const SERVICE: Table = Table {
    title: "[services.NAME]",
    keys: &[
        must("family", S, "Family name."),
        must("source", S, "Directory in the build context copied into the workdir."),
        must("command", Kind::StrList { min: 1 }, "The process tini runs (image Cmd)."),
        must("ports", Kind::Table(&PORTS), "Service and health ports."),
        key("health_path", S, "Health endpoint path, default /health."),
        key("env", Kind::StrMap, "Extra environment."),
        key("writable", LIST, "Directories under the workdir that uid 10001 may write."),
        key("workdir", S, "Where the app lives in the image, default /app."),
        key("description", S, "Free text."),
        key("labels", Kind::StrMap, "Extra image labels."),
        key("lock", S, "Hash-pinned lockfile: requirements.txt (with --hash), pylock.toml or uv.lock."),
        key("extras", LIST, "Extras of the locked project to install."),
        key("groups", LIST, "Dependency groups to install."),
        key("package", S, "uv workspace member whose dependencies are installed."),
        key("user", S, "Only ever 10001:10001 (10001, 10001:10001 or the family's user name)."),
    ],
};

/// `ports = { service, health }`.
pub const PORTS: Table = Table {
    title: "ports",
    keys: &[
        must("service", Kind::Port, "The port the service answers on."),
        must("health", Kind::Port, "The port /health answers on."),
    ],
};

/// Where the committed schema says it lives (its `$id`).
pub const ID: &str = "https://fleet-frontend.invalid/images/fleet.schema.json";

/// The schema as JSON.
pub fn schema() -> Value {
    let mut root = table(&ROOT);
    let top = root.as_object_mut().expect("a table is an object");
    let mut head = Map::new();
    head.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    head.insert("$id".into(), json!(ID));
    head.insert("title".into(), json!("fleet-frontend manifest (fleet.toml)"));
    head.insert(
        "description".into(),
        json!("A fleet of services built by the fleet-frontend BuildKit frontend. Generated by `fleet-frontend schema`; do not edit."),
    );
    head.extend(std::mem::take(top));
    Value::Object(head)
}

fn table(t: &Table) -> Value {
    let props: Map<String, Value> = t.keys.iter().map(|k| (k.name.to_string(), value(k))).collect();
    let required: Vec<&str> = t.keys.iter().filter(|k| k.required).map(|k| k.name).collect();
    let mut o = json!({ "type": "object", "additionalProperties": false, "properties": props });
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

fn value(k: &Key) -> Value {
    let mut v = match k.kind {
        Kind::Str => json!({ "type": "string" }),
        Kind::Port => json!({ "type": "integer", "minimum": 1, "maximum": 65535 }),
        Kind::StrList { min: 0 } => json!({ "type": "array", "items": { "type": "string" } }),
        Kind::StrList { min } => json!({ "type": "array", "items": { "type": "string" }, "minItems": min }),
        Kind::StrMap => json!({ "type": "object", "additionalProperties": { "type": "string" } }),
        Kind::Table(t) => table(t),
        Kind::Named(t) => json!({ "type": "object", "additionalProperties": table(t) }),
    };
    v["description"] = json!(k.doc);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::types;

    /// The fields serde accepts for `T`, read from its `deny_unknown_fields` error (the list
    /// "unknown key" hints come from).
    fn serde_fields<T: serde::de::DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
        let e = toml::from_str::<T>("zz_not_a_key = 1").expect_err("unknown key");
        let msg = e.message().to_string();
        let tail = msg.split_once("expected").map_or("", |(_, t)| t);
        let mut f: Vec<String> = tail.split('`').skip(1).step_by(2).map(str::to_string).collect();
        f.sort();
        f
    }

    fn names(t: &Table) -> Vec<String> {
        let mut n: Vec<String> = t.keys.iter().map(|k| k.name.to_string()).collect();
        n.sort();
        n
    }

    #[test]
    fn every_table_lists_exactly_the_keys_serde_accepts() {
        let pairs: [(&Table, Vec<String>); 8] = [
            (&ROOT, serde_fields::<types::Manifest>()),
            (&FLEET, serde_fields::<types::Fleet>()),
            (&UV, serde_fields::<types::UvPin>()),
            (&UV_WHEEL, serde_fields::<types::UvWheel>()),
            (&FAMILY, serde_fields::<types::Family>()),
            (&BUILDER, serde_fields::<types::Builder>()),
            (&SERVICE, serde_fields::<types::Service>()),
            (&PORTS, serde_fields::<types::Ports>()),
        ];
        for (t, fields) in pairs {
            assert!(!fields.is_empty(), "{}: no field list in serde's error", t.title);
            assert_eq!(names(t), fields, "{}", t.title);
        }
    }
}
