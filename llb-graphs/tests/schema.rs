//! The committed manifest schema (images/fleet.schema.json) is what `manifest::schema` generates
//! (`UPDATE_SCHEMA=1` rewrites it; or `fleet-frontend schema > images/fleet.schema.json`), every
//! shipped manifest validates against it with the `jsonschema` crate, and manifests the parser
//! rejects for an unknown key or a wrong type do not.

use std::path::{Path, PathBuf};

use llb_graphs::manifest::schema::schema;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The committed file's text as the CLI prints it: pretty JSON and a final newline.
fn generated() -> String {
    format!("{}\n", serde_json::to_string_pretty(&schema()).expect("schema serialises"))
}

/// A TOML manifest as the JSON value a schema validator sees (taplo does the same conversion).
fn as_json(toml_text: &str) -> Value {
    let v: toml::Value = toml::from_str(toml_text).expect("manifest parses as TOML");
    serde_json::to_value(v).expect("TOML to JSON")
}

/// The generated schema, compiled (`committed_schema_is_current` holds the file equal to it).
fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("a valid draft 2020-12 schema")
}

#[test]
fn committed_schema_is_current() {
    let path = repo().join("images/fleet.schema.json");
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(&path, generated()).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated(),
        "images/fleet.schema.json is stale: run UPDATE_SCHEMA=1 cargo test -p llb-graphs --test schema"
    );
}

#[test]
fn every_shipped_manifest_validates() {
    let v = validator();
    let mut manifests = vec![repo().join("images/fleet.toml")];
    for e in std::fs::read_dir(repo().join("examples")).expect("examples") {
        let p = e.expect("entry").path().join("fleet.toml");
        if p.is_file() {
            manifests.push(p);
        }
    }
    assert!(manifests.len() >= 3, "{manifests:?}");
    for m in manifests {
        let doc = as_json(&std::fs::read_to_string(&m).expect("read manifest"));
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{}:\n{}", m.display(), errors.join("\n"));
    }
}

/// A manifest the parser accepts, to edit.
const GOOD: &str = r#"
[fleet]
python = "3.11"

[families.base-python]
base = "python:3.11-slim"
env = { A = "1" }

[families.base-python.builder]
image = "python:3.11"

[services.hello]
family = "base-python"
source = "app"
command = ["python3", "app.py"]
ports = { service = 8080, health = 8081 }
labels = { team = "core" }
"#;

#[test]
fn the_base_manifest_validates_and_unknown_keys_or_wrong_types_do_not() {
    let v = validator();
    assert!(v.is_valid(&as_json(GOOD)));
    let f = llb_graphs::diag::SourceFile::new("fleet.toml", GOOD);
    assert!(llb_graphs::manifest::parse(&f).is_ok(), "the base manifest is valid for fleet-frontend");
    for (what, from, to) in [
        ("unknown root key", "[fleet]", "[fleets]"),
        ("unknown service key", "family = ", "famly = "),
        ("unknown ports key", "health = 8081", "helth = 8081"),
        ("unknown builder key", "image = ", "img = "),
        ("unknown fleet key", "python = \"3.11\"", "pyton = \"3.11\""),
        ("port as a string", "service = 8080", "service = \"8080\""),
        ("port out of range", "service = 8080", "service = 70000"),
        ("command as a string", "command = [\"python3\", \"app.py\"]", "command = \"python3 app.py\""),
        ("command empty", "command = [\"python3\", \"app.py\"]", "command = []"),
        ("env value an integer", "A = \"1\"", "A = 1"),
        ("label value an integer", "team = \"core\"", "team = 3"),
        ("missing source", "source = \"app\"\n", ""),
    ] {
        let bad = GOOD.replacen(from, to, 1);
        assert_ne!(bad, GOOD, "{what}: edit did not apply");
        assert!(!v.is_valid(&as_json(&bad)), "{what}: validated:\n{bad}");
        // fleet-frontend (parser and validator) rejects it too: the schema is no stricter.
        let f = llb_graphs::diag::SourceFile::new("fleet.toml", bad.clone());
        assert!(llb_graphs::manifest::parse(&f).is_err(), "{what}: fleet-frontend accepts it");
    }
}
