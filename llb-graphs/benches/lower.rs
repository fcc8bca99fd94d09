//! Criterion: manifest → plan → marshalled `pb.Definition`, for every target of
//! (a) examples/hello, (b) a generated fleet of 72 services over 9 families, (c) a generated
//! 10,000-service fleet; plus `State::marshal` (serialise + digest) of a prebuilt graph alone.
//!
//! Throughput is set to the number of build targets, so criterion's `thrpt` is targets/s and
//! time per target = time / targets. `hack/bench.sh llb` copies the medians into BENCHMARKS.md.
//!
//!   cargo bench -p llb-graphs --bench lower            # everything (about 2 minutes)
//!   cargo bench -p llb-graphs --bench lower -- marshal # one group

#![allow(clippy::unwrap_used)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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

criterion_group!(benches, pipeline, marshal);
criterion_main!(benches);
