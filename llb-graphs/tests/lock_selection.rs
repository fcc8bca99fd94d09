//! The manifest's lock keys reach the selection: `extras`/`groups`/`package` on a service and
//! a family, and a family's `glibc`, through `plan::plan_deps` as the gateway calls it.

use llb_graphs::diag::SourceFile;
use llb_graphs::llb::Platform;
use llb_graphs::{manifest, plan};

const H: &str = "0a30ef8f5322a4173720ae6712dc9a5e58f5a19868f3f167b4b5778db066c2b5";

/// A uv.lock: project `app` (dependency `fast`, extra `yaml`, group `prod`) and three packages;
/// `fast` has a manylinux_2_28 and a manylinux_2_34 wheel.
fn uv_lock() -> String {
    let wheel = |file: &str| format!("{{ url = \"https://x/{file}\", hash = \"sha256:{H}\" }}");
    let pkg = |name: &str, files: &[&str]| {
        let w: Vec<String> = files.iter().map(|f| wheel(f)).collect();
        format!(
            "[[package]]\nname = \"{name}\"\nversion = \"1.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\nwheels = [{}]\n\n",
            w.join(", ")
        )
    };
    format!(
        "version = 1\nrequires-python = \">=3.10\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = {{ virtual = \".\" }}\n\
         dependencies = [{{ name = \"fast\" }}]\n\n[package.optional-dependencies]\nyaml = [{{ name = \"pyyaml\" }}]\n\n\
         [package.dev-dependencies]\nprod = [{{ name = \"gunicorn\" }}]\n\n{}{}{}",
        pkg("fast", &["fast-1.0-cp311-cp311-manylinux_2_28_x86_64.whl", "fast-1.0-cp311-cp311-manylinux_2_34_x86_64.whl"]),
        pkg("pyyaml", &["pyyaml-1.0-py3-none-any.whl"]),
        pkg("gunicorn", &["gunicorn-1.0-py3-none-any.whl"]),
    )
}

fn manifest_text(family_extra: &str, service_extra: &str) -> String {
    format!(
        "[families.base]\nbase = \"python:3.11-slim\"\n{family_extra}\n\n[families.child]\nparent = \"base\"\n\n\
         [services.hello]\nfamily = \"child\"\nsource = \"app\"\ncommand = [\"python3\", \"app.py\"]\n\
         ports = {{ service = 8080, health = 8081 }}\nlock = \"uv.lock\"\n{service_extra}\n"
    )
}

/// The selected files, or the rendered error.
fn files(family_extra: &str, service_extra: &str) -> Result<Vec<String>, String> {
    let file = SourceFile::new("fleet.toml", manifest_text(family_extra, service_extra));
    let m = manifest::parse(&file).map_err(|e| e.to_string())?;
    let problems = manifest::validate(&file, &m);
    if !problems.is_empty() {
        return Err(problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"));
    }
    let plan = plan::plan_service(&file, &m, Some("hello")).map_err(|e| e.to_string())?;
    let lock = SourceFile::new("uv.lock", uv_lock());
    let deps = plan::plan_deps(&file, &plan, &lock, &Platform::linux_amd64(), false).map_err(|e| e.to_string())?;
    Ok(deps.selected.iter().map(|s| s.artifact.filename.clone()).collect())
}

#[test]
fn service_keys_and_family_glibc_choose_packages_and_files() {
    assert_eq!(files("", "").unwrap(), ["fast-1.0-cp311-cp311-manylinux_2_28_x86_64.whl"]);
    assert_eq!(
        files("glibc = \"2.36\"", "extras = [\"yaml\"]\ngroups = [\"prod\"]").unwrap(),
        [
            "fast-1.0-cp311-cp311-manylinux_2_34_x86_64.whl",
            "gunicorn-1.0-py3-none-any.whl",
            "pyyaml-1.0-py3-none-any.whl"
        ]
    );
    let e = files("", "extras = [\"yml\"]").unwrap_err();
    assert!(e.starts_with("fleet.toml:14:11: error: uv.lock declares no extra `yml` (did you mean `yaml`?)"), "{e}");
    let e = files("", "package = \"ap\"").unwrap_err();
    assert!(
        e.starts_with("fleet.toml:14:11: error: uv.lock has no workspace member `ap` (did you mean `app`?)"),
        "{e}"
    );
    let e = files("glibc = \"musl\"", "").unwrap_err();
    assert!(e.starts_with("fleet.toml:3:9: error: family `base`: glibc `musl` is not `2.N`"), "{e}");
}

#[test]
fn a_family_lock_takes_the_same_keys() {
    let text = manifest_text("lock = \"uv.lock\"\ngroups = [\"prod\"]", "");
    let file = SourceFile::new("fleet.toml", text);
    let m = manifest::parse(&file).expect("parses");
    assert!(manifest::validate(&file, &m).is_empty());
    let plan = plan::plan_service(&file, &m, Some("hello")).expect("plans");
    let layer = &plan.family.chain[0];
    let lock = SourceFile::new("uv.lock", uv_lock());
    let deps = plan::plan_family_deps(&file, &plan, layer, &lock, &Platform::linux_amd64(), false).expect("selects");
    let names: Vec<&str> = deps.selected.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["fast", "gunicorn"]);
}
