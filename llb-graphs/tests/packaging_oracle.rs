//! Markers, version ordering and specifiers against Python `packaging`: thousands of random
//! inputs generated and answered by `tests/packaging-oracle/gen.py` (seeded; see its header),
//! replayed offline. Every disagreement is listed.

use std::cmp::Ordering;
use std::path::Path;

use llb_graphs::lock::markers::{evaluate, Truth};
use llb_graphs::lock::version::{matches, Op, Version};
use llb_graphs::lock::{Libc, Platform, TargetEnv};

fn rows(name: &str) -> Vec<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packaging-oracle").join(name);
    let text = std::fs::read_to_string(path).expect("oracle file");
    text.lines().filter(|l| !l.starts_with('#')).map(|l| l.split('\t').map(str::to_string).collect()).collect()
}

fn report(what: &str, total: usize, failures: &[String]) {
    assert!(total >= 5000, "{what}: only {total} cases");
    let shown: Vec<&String> = failures.iter().take(400).collect();
    assert!(failures.is_empty(), "{what}: {} of {total} differ from packaging:\n{shown:#?}", failures.len());
}

#[test]
fn markers_evaluate_as_packaging_does() {
    let targets = [
        TargetEnv { python: (3, 11), platform: Platform::LinuxAmd64, libc: Libc::Glibc(2, 28) },
        TargetEnv { python: (3, 10), platform: Platform::LinuxAmd64, libc: Libc::Glibc(2, 28) },
        TargetEnv { python: (3, 11), platform: Platform::LinuxArm64, libc: Libc::Glibc(2, 28) },
    ];
    let mut failures = Vec::new();
    let mut total = 0;
    for row in rows("markers.tsv") {
        for (env, want) in targets.iter().zip(&row[1..]) {
            total += 1;
            let got = match evaluate(&row[0], env) {
                Ok(Truth::True) => "T",
                Ok(Truth::False) => "F",
                Ok(Truth::Unknown) => "U",
                Err(_) => "E",
            };
            if got != want {
                failures.push(format!("{} on {env}: packaging {want}, ours {got}", row[0]));
            }
        }
    }
    report("markers", total, &failures);
}

#[test]
fn versions_order_as_packaging_orders_them() {
    let mut failures = Vec::new();
    let all = rows("versions.tsv");
    for row in &all {
        let got = match (row[0].parse::<Version>(), row[1].parse::<Version>()) {
            (Ok(a), Ok(b)) => match a.cmp(&b) {
                Ordering::Less => "<",
                Ordering::Equal => "=",
                Ordering::Greater => ">",
            },
            _ => "E",
        };
        if got != row[2] {
            failures.push(format!("{} vs {}: packaging {}, ours {got}", row[0], row[1], row[2]));
        }
    }
    report("versions", all.len(), &failures);
}

#[test]
fn specifiers_match_as_packaging_does() {
    let mut failures = Vec::new();
    let all = rows("specifiers.tsv");
    for row in &all {
        let (op, _) = Op::prefix(&row[1]).expect("operator");
        let cand: Version = row[0].parse().expect("candidate");
        let got = match matches(&cand, op, &row[2]) {
            Ok(true) => "T",
            Ok(false) => "F",
            Err(_) => "E",
        };
        if got != row[3] {
            failures.push(format!("{} {}{}: packaging {}, ours {got}", row[0], row[1], row[2], row[3]));
        }
    }
    report("specifiers", all.len(), &failures);
}
