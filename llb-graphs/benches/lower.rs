//! Criterion: manifest → plan → marshalled `pb.Definition`, for every target of
//! (a) examples/hello, (b) a generated fleet of 72 services over 9 families, (c) a generated
//! 10,000-service fleet; plus `State::marshal` (serialise + digest) of a prebuilt graph alone.
//!
//! Throughput is set to the number of build targets, so criterion's `thrpt` is targets/s and
//! time per target = time / targets. `hack/bench.sh llb` copies the medians into BENCHMARKS.md.
//!
//!   cargo bench -p llb-graphs --bench lower            # everything (about 2 minutes)
//!   cargo bench -p llb-graphs --bench lower -- marshal # one group
//!   cargo bench -p llb-graphs --bench lower -- validate # every hostile shape near the 4 MiB limit: check and llb
//!   cargo bench -p llb-graphs --bench lower -- lock     # the largest lock of the differential corpus

#![allow(clippy::unwrap_used)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use llb_graphs::diag::SourceFile;
use llb_graphs::llb::MarshalOptions;

fn pipeline(c: &mut Criterion) {
    let fleet72 = common::generated_fleet(72);
    let fleet10k = common::generated_fleet(10_000);
    let mut g = c.benchmark_group("pipeline");
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(1));
    g.bench_function("hello", |b| b.iter(|| common::build_all("fleet.toml", black_box(common::HELLO))));
    g.throughput(Throughput::Elements(72));
    g.bench_function("fleet72", |b| b.iter(|| common::build_all("fleet.toml", black_box(&fleet72))));
    // One iteration is about a second: keep criterion's minimum of 10 samples.
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("fleet10k", |b| b.iter(|| common::build_all("fleet.toml", black_box(&fleet10k))));
    g.finish();

    // What one `docker buildx build --target X` costs the frontend: the whole manifest is parsed
    // and validated, then one target is planned, lowered and marshalled.
    let mut g = c.benchmark_group("one_target");
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(1));
    for (id, text, target) in [("fleet72", &fleet72, "svc-00071"), ("fleet10k", &fleet10k, "svc-09999")] {
        g.bench_function(id, |b| {
            b.iter(|| {
                let f = common::load("fleet.toml", black_box(text));
                common::build_target(&f, target).definition.def.len()
            })
        });
    }
    g.finish();
}

fn marshal(c: &mut Criterion) {
    let hello = common::load("fleet.toml", common::HELLO);
    let hello_state = common::lowered_state(&hello, "hello");
    let fleet72 = common::load("fleet.toml", &common::generated_fleet(72));
    let states72: Vec<_> = fleet72.targets.iter().map(|t| common::lowered_state(&fleet72, t)).collect();
    let mut g = c.benchmark_group("marshal");
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(1));
    g.bench_function("hello", |b| b.iter(|| black_box(&hello_state).marshal(&MarshalOptions::default()).unwrap().head));
    g.throughput(Throughput::Elements(72));
    g.bench_function("fleet72", |b| {
        b.iter(|| {
            black_box(&states72)
                .iter()
                .map(|s| s.marshal(&MarshalOptions::default()).unwrap().head.len())
                .sum::<usize>()
        })
    });
    g.finish();
}

/// A manifest near the 4 MiB limit shaped as one parent chain of `n` families under one root,
/// optionally closed into a cycle (issue #11: the cycle check was cubic in the chain).
fn family_chain(n: usize, cycle: bool) -> String {
    let mut s = String::with_capacity(n * 40);
    for i in 0..n {
        match (i, cycle) {
            (0, false) => s.push_str("[families.f0]\nbase = \"python:3.11-slim\"\n"),
            (0, true) => s.push_str(&format!("[families.f0]\nparent = \"f{}\"\n", n - 1)),
            _ => s.push_str(&format!("[families.f{i}]\nparent = \"f{}\"\n", i - 1)),
        }
    }
    s.push_str(&format!("\n[services.hello]\nfamily = \"f{}\"\nsource = \"app\"\ncommand = [\"x\"]\n", n - 1));
    s.push_str("ports = { service = 8080, health = 8081 }\n");
    s
}

const SERVICE: &str = "source = \"app\"\ncommand = [\"x\"]\nports = { service = 8080, health = 8081 }\n";

/// One service of `n` entries in its `table` (`env` or `labels`), near the 4 MiB limit (issue
/// #11: long env/labels).
fn long_table(table: &str, n: usize) -> String {
    let mut s = String::from("[families.base]\nbase = \"python:3.11-slim\"\npython = \"3.11\"\n\n");
    s.push_str(&format!("[services.hello]\nfamily = \"base\"\n{SERVICE}[services.hello.{table}]\n"));
    for i in 0..n {
        match table {
            "env" => s.push_str(&format!("VAR_{i:07} = \"{}\"\n", "v".repeat(16))),
            _ => s.push_str(&format!("\"com.example.l{i:07}\" = \"{}\"\n", "v".repeat(8))),
        }
    }
    s
}

/// `n` sibling families on one base and one service on the first.
fn flat_families(n: usize) -> String {
    let mut s = String::with_capacity(n * 45);
    for i in 0..n {
        s.push_str(&format!("[families.f{i}]\nbase = \"python:3.11-slim\"\n"));
    }
    s.push_str(&format!("\n[services.hello]\nfamily = \"f0\"\n{SERVICE}"));
    s
}

/// A uv.lock of a project with `n` direct dependencies of one wheel each, near the 4 MiB
/// lockfile limit (issue #11: huge lockfiles). Digests are made up: nothing is fetched.
fn synthetic_uv_lock(n: usize) -> String {
    let mut s = String::from("version = 1\nrevision = 3\nrequires-python = \">=3.10\"\n\n[[package]]\n");
    s.push_str("name = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\ndependencies = [\n");
    for i in 0..n {
        s.push_str(&format!("    {{ name = \"pkg-{i:05}\" }},\n"));
    }
    s.push_str("]\n");
    for i in 0..n {
        let h = format!("{:064x}", (i as u128 + 1) * 0x9e37_79b9_7f4a_7c15);
        s.push_str(&format!(
            "\n[[package]]\nname = \"pkg-{i:05}\"\nversion = \"1.0.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n\
             wheels = [{{ url = \"https://files.pythonhosted.org/packages/{}/{}/{h}/pkg_{i:05}-1.0.0-py3-none-any.whl\", \
             hash = \"sha256:{h}\", size = {} }}]\n",
            &h[..2],
            &h[2..4],
            1000 + i
        ));
    }
    s
}

/// `ids.0` (parse, walk, pick a file per package for CPython 3.11 linux/amd64) and `ids.1`
/// (that, then the service lowered and marshalled) of `lock` for the one service of
/// `manifest`, which names it.
fn lock_benches(g: &mut BenchmarkGroup<'_, WallTime>, ids: (&str, &str), manifest: &str, lock: &SourceFile) {
    use llb_graphs::{llb::Platform, lower, plan};
    let file = SourceFile::new("fleet.toml", manifest);
    let m = llb_graphs::manifest::parse(&file).unwrap();
    let p = plan::plan_service(&file, &m, None).unwrap();
    let select = || plan::plan_deps(&file, &p, black_box(lock), &Platform::linux_amd64(), false).unwrap();
    g.bench_function(ids.0, |b| b.iter(|| select().selected.len()));
    g.bench_function(ids.1, |b| {
        b.iter(|| {
            let deps = select();
            let base = lower::ResolvedImage::unresolved(p.family.base.value.clone());
            let l = lower::lower_service(&file, &p, &base, Some(&deps), &lower::LowerOptions::default()).unwrap();
            l.state.marshal(&MarshalOptions::default()).unwrap().definition.def.len()
        })
    });
}

/// `check` (parse + every validation rule) and `llb` (one target planned, lowered, marshalled)
/// of every hostile shape near the 4 MiB limit: many services, many families, a deep parent
/// chain, long env, long labels, a huge lockfile.
fn shapes(c: &mut Criterion) {
    use llb_graphs::manifest;
    let limit = manifest::MAX_MANIFEST_BYTES;
    // The target `llb` builds; none for the chain closed into one cycle, which is refused.
    let cases = [
        ("services-16k", common::generated_fleet(16_000), Some("svc-15999")),
        ("families-flat-90k", flat_families(90_000), Some("hello")),
        ("family-chain-110k", family_chain(110_000, false), Some("hello")),
        ("family-cycle-110k", family_chain(110_000, true), None),
        ("env-100k", long_table("env", 100_000), Some("hello")),
        ("labels-100k", long_table("labels", 100_000), Some("hello")),
    ];
    let mut g = c.benchmark_group("validate");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(1));
    for (id, text, target) in &cases {
        assert!(text.len() <= limit && text.len() > limit * 3 / 4, "{id}: {} bytes", text.len());
        g.bench_function(format!("{id}-check"), |b| {
            b.iter(|| {
                let f = SourceFile::new("fleet.toml", black_box(text.as_str()));
                manifest::parse(&f).map_or_else(|d| d.0.len(), |m| m.services.len())
            })
        });
        let Some(target) = target else { continue };
        g.bench_function(format!("{id}-llb"), |b| {
            b.iter(|| common::build_target(&common::load("fleet.toml", black_box(text)), target).definition.def.len())
        });
    }
    // The huge lockfile: `check` selects it (what `check` does with a lock); `llb` also lowers
    // and marshals the service with its 10,500 checksummed HTTP sources.
    let lock = SourceFile::new("uv.lock", synthetic_uv_lock(10_500));
    assert!(lock.text.len() <= limit && lock.text.len() > limit * 3 / 4, "lock: {} bytes", lock.text.len());
    let text = long_table("env", 1).replace("[services.hello.env]", "lock = \"uv.lock\"\n[services.hello.env]");
    lock_benches(&mut g, ("uv-lock-10k-check", "uv-lock-10k-llb"), &text, &lock);
    g.finish();
}

/// The largest uv.lock of the lock-differential corpus (openai-agents-python, ~850 kB): parse,
/// walk and select it for CPython 3.11 linux/amd64, then lower and marshal the service.
fn lock(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lock-differential/real/openai-agents");
    let lock = SourceFile::new("uv.lock", std::fs::read_to_string(dir.join("uv.lock")).unwrap());
    let text =
        "[families.base]\nbase = \"python:3.11-slim\"\npython = \"3.11\"\n\n[services.agents]\nfamily = \"base\"\n\
        source = \"app\"\ncommand = [\"x\"]\nports = { service = 8080, health = 8081 }\nlock = \"uv.lock\"\n";
    let mut g = c.benchmark_group("lock");
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(1));
    lock_benches(&mut g, ("agents-select", "agents-llb"), text, &lock);
    g.finish();
}

criterion_group!(benches, pipeline, marshal, shapes, lock);
criterion_main!(benches);
