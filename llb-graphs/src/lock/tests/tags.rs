//! Wheel filename parsing, tag order, and table-driven wheel selection.

use super::*;
use crate::lock::tags::{platform_tags, TagError};

fn env(py: (u32, u32), platform: Platform, libc: Libc) -> TargetEnv {
    TargetEnv { python: py, platform, libc }
}

const X86: Platform = Platform::LinuxAmd64;
const ARM: Platform = Platform::LinuxArm64;

#[test]
fn wheel_filenames_parse_with_compressed_sets_and_build_tags() {
    let w = WheelName::parse("six-1.16.0-py2.py3-none-any.whl").expect("parses");
    assert_eq!((w.name.as_str(), w.version.as_str(), w.build.clone()), ("six", "1.16.0", None));
    assert_eq!(w.tags().iter().map(ToString::to_string).collect::<Vec<_>>(), ["py2-none-any", "py3-none-any"]);
    let w =
        WheelName::parse("pkg-1.0-12abc-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl").expect("parses");
    assert_eq!(w.build, Some((12, "abc".to_string())));
    assert_eq!(w.tags().len(), 2);
    assert_eq!(w.tag_string(), "cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64");
    let bad = [
        ("pkg-1.0.tar.gz", TagError::NotAWheel("pkg-1.0.tar.gz".into())),
        ("pkg-1.0-py3-any.whl", TagError::Shape("pkg-1.0-py3-any.whl".into())),
        ("pkg-1.0-x-y-py3-none-any.whl", TagError::Shape("pkg-1.0-x-y-py3-none-any.whl".into())),
        ("pkg-1.0--py3-none-any.whl", TagError::Shape("pkg-1.0--py3-none-any.whl".into())),
        ("pkg-1.0-b1-py3-none-any.whl", TagError::BuildTag("pkg-1.0-b1-py3-none-any.whl".into())),
        ("pkg-1.0-py3..-none-any.whl", TagError::Shape("pkg-1.0-py3..-none-any.whl".into())),
    ];
    for (name, want) in bad {
        assert_eq!(WheelName::parse(name), Err(want), "{name}");
    }
}

#[test]
fn platform_tags_run_newest_first_with_legacy_aliases() {
    let p = platform_tags(X86, Libc::Glibc(2, 36));
    assert_eq!(p.len(), 32 + 3 + 1);
    assert_eq!(&p[..2], ["manylinux_2_36_x86_64", "manylinux_2_35_x86_64"]);
    let at = |t: &str| p.iter().position(|x| x == t).expect(t);
    assert_eq!(at("manylinux2014_x86_64"), at("manylinux_2_17_x86_64") + 1);
    assert_eq!(at("manylinux2010_x86_64"), at("manylinux_2_12_x86_64") + 1);
    assert_eq!(&p[p.len() - 3..], ["manylinux_2_5_x86_64", "manylinux1_x86_64", "linux_x86_64"]);
    // aarch64 manylinux starts at glibc 2.17 and has no manylinux1/2010 aliases.
    let p = platform_tags(ARM, Libc::Glibc(2, 28));
    assert_eq!(p.len(), 12 + 1 + 1);
    assert_eq!(&p[p.len() - 3..], ["manylinux_2_17_aarch64", "manylinux2014_aarch64", "linux_aarch64"]);
    let p = platform_tags(ARM, Libc::Musl(1, 2));
    assert_eq!(p, ["musllinux_1_2_aarch64", "musllinux_1_1_aarch64", "musllinux_1_0_aarch64", "linux_aarch64"]);
}

#[test]
fn tag_order_matches_packaging_sys_tags() {
    let tags = compatible_tags(&env((3, 11), X86, Libc::Musl(1, 2)));
    let plats = 4;
    assert_eq!(tags.len(), plats * (3 + 9 + 13) + 1 + 13);
    // The first tag of each (python, abi) group, in order.
    let mut groups: Vec<String> = Vec::new();
    for t in &tags {
        let g = format!("{}-{}{}", t.python, t.abi, if t.platform == "any" { "-any" } else { "" });
        if groups.last() != Some(&g) {
            groups.push(g);
        }
    }
    let mut want = vec!["cp311-cp311".to_string(), "cp311-abi3".into(), "cp311-none".into()];
    want.extend((2..=10).rev().map(|m| format!("cp3{m}-abi3")));
    want.extend(["py311-none".to_string(), "py3-none".into()]);
    want.extend((0..=10).rev().map(|m| format!("py3{m}-none")));
    want.extend(["cp311-none-any".to_string(), "py311-none-any".into(), "py3-none-any".into()]);
    want.extend((0..=10).rev().map(|m| format!("py3{m}-none-any")));
    assert_eq!(groups, want);
    assert_eq!(tags[0].to_string(), "cp311-cp311-musllinux_1_2_x86_64");
    assert_eq!(tags[3].to_string(), "cp311-cp311-linux_x86_64");
}

/// A package whose artifacts are `files` (wheels by suffix, everything else an sdist).
fn pkg(name: &str, version: &str, files: &[&str]) -> LockedPackage {
    let artifacts = files
        .iter()
        .map(|f| Artifact {
            filename: f.to_string(),
            url: Some(format!("https://files.example/{f}")),
            sha256: "0".repeat(64),
            size: None,
            kind: match WheelName::parse(f) {
                Ok(w) => ArtifactKind::Wheel(w),
                Err(_) => ArtifactKind::Sdist,
            },
        })
        .collect();
    LockedPackage {
        name: name.into(),
        version: version.into(),
        marker: None,
        requires_python: None,
        artifacts,
        hashes: vec![],
        span: 0..0,
    }
}

/// The chosen filename for one package on `target`, or the rendered error.
fn choose(p: LockedPackage, target: &TargetEnv) -> String {
    let lock = LockFile {
        kind: LockKind::PyLock,
        packages: vec![p],
        index_urls: vec![],
        find_links: vec![],
        requires_python: None,
        environments: vec![],
        extras: vec![],
        groups: vec![],
        default_groups: vec![],
        graph: None,
    };
    match select(&lock, &SourceFile::new("pylock.toml", "x"), target, &Selection::default()) {
        Ok(s) => s[0].artifact.filename.clone(),
        Err(d) => d.to_string(),
    }
}

const NUMPY: &[&str] = &[
    "numpy-2.0.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "numpy-2.0.0-cp310-cp310-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
    "numpy-2.0.0-cp310-cp310-musllinux_1_1_x86_64.whl",
    "numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "numpy-2.0.0-cp311-cp311-manylinux_2_28_x86_64.whl",
    "numpy-2.0.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
    "numpy-2.0.0-cp311-cp311-musllinux_1_1_x86_64.whl",
    "numpy-2.0.0-cp311-cp311-musllinux_1_2_aarch64.whl",
    "numpy-2.0.0-cp311-cp311-win_amd64.whl",
    "numpy-2.0.0-cp311-cp311-macosx_11_0_arm64.whl",
    "numpy-2.0.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "numpy-2.0.0-cp312-cp312-musllinux_1_1_x86_64.whl",
    "numpy-2.0.0.tar.gz",
];

#[test]
fn numpy_like_wheels_by_platform_and_python() {
    let table = [
        ((3, 11), X86, Libc::Glibc(2, 36), "numpy-2.0.0-cp311-cp311-manylinux_2_28_x86_64.whl"),
        ((3, 11), X86, Libc::Glibc(2, 17), "numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        ((3, 11), X86, Libc::Glibc(2, 12), "numpy-2.0.0.tar.gz"),
        ((3, 11), X86, Libc::Musl(1, 2), "numpy-2.0.0-cp311-cp311-musllinux_1_1_x86_64.whl"),
        ((3, 11), ARM, Libc::Glibc(2, 36), "numpy-2.0.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"),
        ((3, 11), ARM, Libc::Musl(1, 2), "numpy-2.0.0-cp311-cp311-musllinux_1_2_aarch64.whl"),
        ((3, 11), ARM, Libc::Musl(1, 1), "numpy-2.0.0.tar.gz"),
        ((3, 10), X86, Libc::Glibc(2, 36), "numpy-2.0.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        ((3, 10), ARM, Libc::Musl(1, 2), "numpy-2.0.0.tar.gz"),
        ((3, 12), X86, Libc::Musl(1, 2), "numpy-2.0.0-cp312-cp312-musllinux_1_1_x86_64.whl"),
        ((3, 12), ARM, Libc::Glibc(2, 36), "numpy-2.0.0.tar.gz"),
        ((3, 13), X86, Libc::Glibc(2, 36), "numpy-2.0.0.tar.gz"),
    ];
    for (py, plat, libc, want) in table {
        let target = env(py, plat, libc);
        assert_eq!(choose(pkg("numpy", "2.0.0", NUMPY), &target), want, "{target}");
        // Input order never matters.
        let reversed: Vec<&str> = NUMPY.iter().rev().copied().collect();
        assert_eq!(choose(pkg("numpy", "2.0.0", &reversed), &target), want, "{target}, reversed");
    }
}

#[test]
fn without_an_sdist_no_fit_names_the_target_and_the_available_tags() {
    let wheels = &NUMPY[..NUMPY.len() - 1];
    let e = choose(pkg("numpy", "2.0.0", &wheels[..3]), &env((3, 13), ARM, Libc::Musl(1, 2)));
    assert_eq!(
        e,
        "pylock.toml:1:1: error: package `numpy` 2.0.0: no wheel fits CPython 3.13 on linux/arm64 (musl 1.2) and there is \
         no sdist (available wheel tags: cp310-cp310-manylinux_2_17_aarch64.manylinux2014_aarch64, \
         cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64, cp310-cp310-musllinux_1_1_x86_64)"
    );
    let e = choose(pkg("empty", "1", &[]), &env((3, 11), X86, Libc::Glibc(2, 36)));
    assert!(e.ends_with("(available wheel tags: none)"), "{e}");
}

#[test]
fn abi3_pure_and_build_tagged_wheels() {
    let crypto = [
        "cryptography-42.0.0-cp37-abi3-manylinux_2_28_x86_64.whl",
        "cryptography-42.0.0-cp39-abi3-manylinux_2_28_x86_64.whl",
        "cryptography-42.0.0-cp37-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "cryptography-42.0.0-cp37-abi3-musllinux_1_2_x86_64.whl",
        "cryptography-42.0.0-cp37-abi3-manylinux_2_28_aarch64.whl",
        "cryptography-42.0.0-cp37-abi3-win_amd64.whl",
        "cryptography-42.0.0-pp310-pypy310_pp73-manylinux_2_28_x86_64.whl",
    ];
    let mixed = ["orjson-3.9.0-py3-none-any.whl", "orjson-3.9.0-cp311-cp311-manylinux_2_17_x86_64.whl"];
    let built = ["pkg-1.0-1-py3-none-any.whl", "pkg-1.0-2-py3-none-any.whl", "pkg-1.0-10-py2.py3-none-any.whl"];
    type Row<'a> = (LockedPackage, (u32, u32), Platform, Libc, &'a str);
    let table: Vec<Row> = vec![
        (pkg("cryptography", "42.0.0", &crypto), (3, 11), X86, Libc::Glibc(2, 36), crypto[1]),
        (pkg("cryptography", "42.0.0", &crypto), (3, 11), X86, Libc::Glibc(2, 17), crypto[2]),
        (pkg("cryptography", "42.0.0", &crypto), (3, 8), X86, Libc::Glibc(2, 36), crypto[0]),
        (pkg("cryptography", "42.0.0", &crypto), (3, 11), X86, Libc::Musl(1, 2), crypto[3]),
        (pkg("cryptography", "42.0.0", &crypto), (3, 11), ARM, Libc::Glibc(2, 36), crypto[4]),
        (
            pkg("attrs", "23.1.0", &["attrs-23.1.0-py3-none-any.whl", "attrs-23.1.0.tar.gz"]),
            (3, 12),
            ARM,
            Libc::Musl(1, 2),
            "attrs-23.1.0-py3-none-any.whl",
        ),
        (
            pkg("six", "1.16.0", &["six-1.16.0-py2.py3-none-any.whl"]),
            (3, 11),
            X86,
            Libc::Glibc(2, 36),
            "six-1.16.0-py2.py3-none-any.whl",
        ),
        (pkg("orjson", "3.9.0", &mixed), (3, 11), X86, Libc::Glibc(2, 36), mixed[1]),
        (pkg("orjson", "3.9.0", &mixed), (3, 11), ARM, Libc::Glibc(2, 36), mixed[0]),
        (pkg("pkg", "1.0", &built), (3, 11), X86, Libc::Glibc(2, 36), built[2]),
        (pkg("only", "1.0", &["only-1.0.tar.gz"]), (3, 11), X86, Libc::Glibc(2, 36), "only-1.0.tar.gz"),
    ];
    for (p, py, plat, libc, want) in table {
        let target = env(py, plat, libc);
        assert_eq!(choose(p.clone(), &target), want, "{} on {target}", p.name);
    }
    let e = choose(pkg("cryptography", "42.0.0", &crypto), &env((3, 11), ARM, Libc::Glibc(2, 17)));
    assert!(e.contains("no wheel fits CPython 3.11 on linux/arm64 (glibc 2.17)"), "{e}");
}
