//! PEP 508 marker evaluation and PEP 440 version tables.

use crate::lock::markers::{evaluate, parse as parse_marker, python_satisfies, Truth};
use crate::lock::version::{matches, Op, Version};

use super::*;

const T: Truth = Truth::True;
const F: Truth = Truth::False;
const U: Truth = Truth::Unknown;

#[test]
fn marker_table() {
    let table: &[(&str, Truth, Truth)] = &[
        // (marker, on AMD64 glibc / 3.11, on ARM64 musl / 3.11)
        ("python_version >= \"3.8\"", T, T),
        ("python_version < \"3.11\"", F, F),
        ("python_version == \"3.11\"", T, T),
        ("python_version == \"3.1\"", F, F),
        ("python_version > \"3.9\"", T, T), // numeric: a string compare would say false
        ("'3.10' < python_version", T, T),
        ("python_full_version >= '3.11.0'", T, T),
        ("python_full_version < '3.11'", F, F),
        ("python_full_version < '3.11.4'", U, U),
        ("python_full_version == '3.11.*'", T, T),
        ("python_full_version != '3.10.*'", T, T),
        ("implementation_version >= '3.11'", T, T),
        ("python_version ~= '3.10'", T, T),
        ("python_version ~= '3.12'", F, F),
        ("python_version === '3.11'", T, T),
        ("sys_platform == 'linux'", T, T),
        ("sys_platform == 'win32'", F, F),
        ("sys_platform != 'darwin'", T, T),
        ("platform_system == 'Linux'", T, T),
        ("platform_machine == 'x86_64'", T, F),
        ("platform_machine == 'aarch64'", F, T),
        ("'aarch' in platform_machine", F, T),
        ("platform_machine not in 'x86_64 AMD64'", F, T),
        ("os_name == 'posix'", T, T),
        ("implementation_name == 'cpython'", T, T),
        ("platform_python_implementation != 'PyPy'", T, T),
        ("extra == 'test'", F, F),
        ("extra != 'test'", T, T),
        ("(sys_platform == 'win32' or python_version < '3.8') and os_name == 'posix'", F, F),
        ("sys_platform == 'linux' and (python_version >= '3.12' or platform_machine == 'x86_64')", T, F),
        ("python_full_version < '3.11.4' or sys_platform == 'linux'", T, T),
        ("python_full_version < '3.11.4' and sys_platform == 'win32'", F, F),
        ("python_full_version < '3.11.4' and sys_platform == 'linux'", U, U),
        ("platform_machine == 'x86_64' or platform_machine == 'aarch64' and python_version < '3'", T, F),
    ];
    for (m, amd, arm) in table {
        assert_eq!(evaluate(m, &AMD64), Ok(*amd), "{m} on {AMD64}");
        assert_eq!(evaluate(m, &ARM64_MUSL), Ok(*arm), "{m} on {ARM64_MUSL}");
    }
}

#[test]
fn bad_markers_are_located_in_the_marker() {
    let table = [
        ("platform_release == '6'", 0, "unknown marker variable `platform_release`"),
        ("os.name == 'posix'", 0, "unknown marker variable `os.name`"),
        ("python_version >= ", 18, "expected a marker variable or a quoted string"),
        ("(python_version >= '3'", 22, "expected `)` in marker"),
        ("python_version >= '3' garbage", 22, "unexpected text after marker expression"),
        ("python_version >= '3", 18, "unterminated string in marker"),
        ("python_version not '3'", 19, "expected `in` after `not` in marker"),
        ("python_version = '3'", 15, "unexpected character `=` in marker"),
    ];
    for (m, offset, msg) in table {
        let e = parse_marker(m).expect_err(m);
        assert_eq!((e.offset, e.message.as_str()), (offset, msg), "{m}");
    }
    let e = evaluate("sys_platform ~= 'linux'", &AMD64).expect_err("no versions");
    assert_eq!(e.message, "`~=` needs versions, got `linux` and `linux`");
}

#[test]
fn unknown_python_patch_fails_selection_closed() {
    let text = format!("a==1 ; python_full_version >= '3.11.2' --hash=sha256:{}\n", "a".repeat(64));
    let e = select_named("r.txt", &text, &AMD64).expect_err("patch unknown");
    assert_eq!(e, ["r.txt:1:1: error: package `a`: marker `python_full_version >= '3.11.2'` depends on the Python patch version, which target CPython 3.11 on linux/amd64 (glibc 2.36) does not fix"]);
}

#[test]
fn requires_python_table() {
    let table = [
        (">=3.10", T),
        (">=3.10,<4", T),
        (">=3.12", F),
        ("~=3.9", T),
        ("==3.11.*", T),
        (">=3.11.4", U),
        ("!=3.11.*", F),
        ("", T),
    ];
    for (set, want) in table {
        assert_eq!(python_satisfies(set, &AMD64), Ok(want), "{set}");
    }
    assert!(python_satisfies("3.11", &AMD64).is_err());
    assert!(python_satisfies(">=3.x", &AMD64).is_err());
}

#[test]
fn pep_440_ordering_and_matching() {
    let ordered = [
        "1.0.dev0",
        "1.0a1.dev1",
        "1.0a1",
        "1.0b2",
        "1.0rc1",
        "1.0",
        "1.0+local.7",
        "1.0.post1.dev0",
        "1.0.post1",
        "1.1",
        "2!0.1",
    ];
    let vs: Vec<Version> = ordered.iter().map(|s| s.parse().expect(s)).collect();
    for w in vs.windows(2) {
        assert!(w[0] < w[1], "{} < {}", w[0], w[1]);
    }
    for (a, b) in [("1.0", "1.0.0"), ("1.0-1", "1.0.post1"), ("v1.0RC1", "1.0rc1"), ("1.0alpha", "1.0a0")] {
        assert_eq!(a.parse::<Version>().expect(a), b.parse::<Version>().expect(b), "{a} == {b}");
    }
    let v = |s: &str| s.parse::<Version>().expect(s);
    let table = [
        ("1.4.5", Op::Compatible, "1.4.2", true),
        ("1.5.0", Op::Compatible, "1.4.2", false),
        ("2.0", Op::Compatible, "1.4", false),
        ("1.0+cpu", Op::Eq, "1.0", true),
        ("1.0", Op::Eq, "1.0+cpu", false),
        ("1.1.post1", Op::Eq, "1.1.*", true),
        ("1.10", Op::Eq, "1.1.*", false),
        ("3.11", Op::Gt, "3.9", true),
    ];
    for (cand, op, spec, want) in table {
        assert_eq!(matches(&v(cand), op, spec), Ok(want), "{cand} {op:?} {spec}");
    }
    assert!(matches(&v("1.0"), Op::Compatible, "1").is_err());
    assert!(matches(&v("1.0"), Op::Lt, "1.*").is_err());
    for bad in ["", "abc", "1.0-", "1..0", "1.0+", "1.0+a b"] {
        assert!(bad.parse::<Version>().is_err(), "{bad:?}");
    }
}

/// Issue #11: 10,000 parentheses (20 KB) and 20,000 `and` terms used to overflow the stack.
#[test]
fn deep_and_long_markers_do_not_recurse_with_their_length() {
    use crate::lock::markers::MAX_DEPTH;
    let leaf = "python_version >= '3'";
    let nested = |n: usize| format!("{}{leaf}{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(evaluate(&nested(MAX_DEPTH), &AMD64), Ok(T));
    let e = parse_marker(&nested(10_000)).unwrap_err();
    assert_eq!(e.offset, MAX_DEPTH, "at the first parenthesis too many");
    assert!(e.message.contains("nested too deeply"), "{}", e.message);
    let long = vec![leaf; 20_000].join(" and ");
    assert_eq!(evaluate(&long, &AMD64), Ok(T));
    let long_or = format!("{} or sys_platform == 'linux'", vec!["sys_platform == 'win32'"; 20_000].join(" or "));
    assert_eq!(evaluate(&long_or, &AMD64), Ok(T));
    // Mixed: `and` binds tighter than `or`, as before.
    assert_eq!(evaluate("sys_platform == 'win32' and os_name == 'posix' or os_name == 'posix'", &AMD64), Ok(T));
    assert_eq!(evaluate("sys_platform == 'win32' and (os_name == 'posix' or os_name == 'posix')", &AMD64), Ok(F));
}
