//! Manifest parser and validator tests: every bad input gives one located error, never a panic.

use super::*;

const GOOD: &str = r#"# syntax=localhost:5000/fleet-frontend:latest
[families.base-python]
base = "localhost:5000/python:3.11-slim"

[services.hello]
family = "base-python"
source = "app"
command = ["python3", "app.py"]
ports = { service = 8080, health = 8081 }
"#;

fn errors_of(text: &str) -> Vec<String> {
    let f = SourceFile::new("fleet.toml", text);
    match parse(&f) {
        Ok(_) => vec![],
        Err(d) => d.0.iter().map(ToString::to_string).collect(),
    }
}

fn one_error(text: &str) -> String {
    let e = errors_of(text);
    assert_eq!(e.len(), 1, "expected exactly one error, got {e:#?}");
    e[0].clone()
}

#[test]
fn good_manifest_parses() {
    assert!(errors_of(GOOD).is_empty());
}

#[test]
fn unknown_key_has_location_and_suggestion() {
    let e = one_error(&GOOD.replace("ports =", "prots ="));
    assert!(e.starts_with("fleet.toml:5:1: error: unknown key `prots`") || e.contains(":9:"), "{e}");
    assert!(e.contains("did you mean `ports`?"), "{e}");
}

#[test]
fn wrong_type_is_located() {
    let e = one_error(&GOOD.replace("source = \"app\"", "source = 42"));
    assert!(e.starts_with("fleet.toml:7:10: error: wrong type"), "{e}");
}

#[test]
fn port_out_of_range() {
    let e = one_error(&GOOD.replace("service = 8080", "service = 70000"));
    assert!(e.starts_with("fleet.toml:9:21: error: service `hello`: service port 70000 is out of range"), "{e}");
}

#[test]
fn two_services_on_one_port() {
    let text = format!("{GOOD}\n[services.other]\nfamily = \"base-python\"\nsource = \"app\"\ncommand = [\"x\"]\nports = {{ service = 9000, health = 8080 }}\n");
    let e = one_error(&text);
    assert!(e.contains("fleet.toml:15:"), "{e}");
    assert!(e.contains("health port 8080 is already the service port of service `hello`"), "{e}");
}

#[test]
fn health_port_equal_to_service_port() {
    let e = one_error(&GOOD.replace("health = 8081", "health = 8080"));
    assert!(e.contains("health port 8080 equals its service port"), "{e}");
}

#[test]
fn source_escaping_the_context() {
    for (src, why) in [("../secrets", "escapes the build context"), ("/etc", "is absolute"), ("app/../../x", "escapes")]
    {
        let e = one_error(&GOOD.replace("source = \"app\"", &format!("source = \"{src}\"")));
        assert!(e.starts_with("fleet.toml:7:10:") && e.contains(why), "{e}");
    }
}

#[test]
fn unknown_family_suggests_the_close_one() {
    let e = one_error(&GOOD.replace("family = \"base-python\"", "family = \"base-pyhton\""));
    assert!(e.starts_with("fleet.toml:6:10: error: service `hello`: unknown family `base-pyhton`"), "{e}");
    assert!(e.contains("did you mean `base-python`?"), "{e}");
}

#[test]
fn empty_and_non_utf8_files() {
    let e = source_file("fleet.toml", b"  \n").unwrap_err().to_string();
    assert!(e.starts_with("fleet.toml:1:1: error: manifest is empty"), "{e}");
    let e = source_file("fleet.toml", b"[fleet]\norg = \"\xff\"\n").unwrap_err().to_string();
    assert!(e.starts_with("fleet.toml:2:8: error: manifest is not valid UTF-8"), "{e}");
}

#[test]
fn toml_syntax_error_is_located() {
    let e = one_error(&GOOD.replace("source = \"app\"", "source = \"app"));
    assert!(e.starts_with("fleet.toml:7:"), "{e}");
}

#[test]
fn bad_base_reference() {
    let e = one_error(&GOOD.replace("localhost:5000/python:3.11-slim", "Python 3"));
    assert!(e.starts_with("fleet.toml:3:8:") && e.contains("not a valid image reference"), "{e}");
}

#[test]
fn several_problems_are_all_reported() {
    let text = GOOD.replace("service = 8080", "service = 0").replace("source = \"app\"", "source = \"/abs\"");
    assert_eq!(errors_of(&text).len(), 2);
}

#[test]
fn missing_source_dir_is_located() {
    let f = SourceFile::new("fleet.toml", GOOD);
    let m = parse(&f).unwrap();
    let d = check_paths(&f, &m, &|_| PathKind::Missing);
    assert_eq!(d.len(), 1);
    assert!(d[0]
        .to_string()
        .starts_with("fleet.toml:7:10: error: service `hello`: source directory `app` does not exist"));
    assert!(check_paths(&f, &m, &|_| PathKind::Dir).is_empty());
}

#[test]
fn service_user_may_state_the_fleet_user_only() {
    let with_user = |family_user: &str, user: &str| {
        let text = GOOD.replace("[services.hello]", &format!("{family_user}\n[services.hello]"));
        let f = SourceFile::new("fleet.toml", format!("{text}user = \"{user}\"\n"));
        crate::manifest::parse(&f)
            .map(|_| ())
            .map_err(|d| d.0.iter().map(|x| x.rule.map_or("", |r| r.id)).collect::<Vec<_>>())
    };
    for ok in ["10001", "10001:10001"] {
        assert_eq!(with_user("", ok), Ok(()), "{ok}");
    }
    // The family's user name is 10001 too, alone or as `name:name`; without it a name is refused.
    assert_eq!(with_user("user = \"appuser\"", "appuser:appuser"), Ok(()));
    assert_eq!(with_user("", "appuser"), Err(vec!["NonFleetUser"]));
    assert_eq!(with_user("", "0"), Err(vec!["RootUser"]));
    assert_eq!(with_user("", "10001:root"), Err(vec!["RootUser"]));
    assert_eq!(with_user("", "10001:"), Err(vec!["InvalidUserName"]));
}
