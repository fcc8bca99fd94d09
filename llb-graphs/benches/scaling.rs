//! Scaling table and peak memory (no criterion: a plain `harness = false` bench).
//!
//!   cargo bench -p llb-graphs --bench scaling
//!
//! For 10, 100, 1000 and 10000 generated services (`FLEET_BENCH_SIZES=10,100` to change), runs
//! the whole pipeline — parse + validate the manifest once, then plan, lower and marshal every
//! target — several times and prints the medians:
//!
//!   services  total_ms  per_target_us  parse_ms  plan_ms  lower_ms  marshal_ms  one_target_ms  manifest_kib
//!
//! `one_target_ms` is what a single `docker buildx build --target X` costs the frontend: parse the
//! whole manifest, then plan + lower + marshal one target. A log-log slope of `total_ms` against
//! `services` near 1.0 means linear.
//!
//! Peak memory: the bench re-runs itself as a child process (`FLEET_BENCH_PEAK=N`), which runs the
//! pipeline once over N services and prints `VmHWM` from /proc/self/status; a child with N=0 gives
//! the baseline of the process itself. A separate process, so the parent's own allocations (the
//! timing runs above) do not count.

#![allow(clippy::unwrap_used)]

mod common;

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use llb_graphs::llb::MarshalOptions;
use llb_graphs::lower::lower_service;
use llb_graphs::plan;

const PEAK_ENV: &str = "FLEET_BENCH_PEAK";

#[derive(Clone, Copy, Default)]
struct Sample {
    total: Duration,
    parse: Duration,
    plan: Duration,
    lower: Duration,
    marshal: Duration,
}

/// One timed run over every target, split by phase.
fn run_once(text: &str) -> (Sample, usize) {
    let start = Instant::now();
    let f = common::load("fleet.toml", text);
    let mut s = Sample { parse: start.elapsed(), ..Sample::default() };
    let mut ops = 0;
    for t in &f.targets {
        let t0 = Instant::now();
        let p = plan::plan_service(&f.file, &f.manifest, Some(t)).unwrap();
        let t1 = Instant::now();
        let lowered = lower_service(&f.file, &p, &f.base, None, &f.opts).unwrap();
        let t2 = Instant::now();
        let m = lowered.state.marshal(&MarshalOptions::default()).unwrap();
        let t3 = Instant::now();
        ops += black_box(m.definition.def.len());
        s.plan += t1 - t0;
        s.lower += t2 - t1;
        s.marshal += t3 - t2;
    }
    s.total = start.elapsed();
    (s, ops)
}

fn one_target(text: &str, target: &str) -> Duration {
    let start = Instant::now();
    let f = common::load("fleet.toml", text);
    black_box(common::build_target(&f, target).definition.def.len());
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Child mode: one pipeline run over `n` services, then VmHWM.
fn peak_child(n: usize) {
    if n > 0 {
        let text = common::generated_fleet(n);
        black_box(common::build_all("fleet.toml", &text));
    }
    println!("VmHWM_kib {}", vm_hwm_kib());
}

fn peak_of(n: usize) -> Option<u64> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe).env(PEAK_ENV, n.to_string()).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().find_map(|l| l.strip_prefix("VmHWM_kib ")).and_then(|v| v.trim().parse().ok())
}

fn main() {
    if let Some(n) = std::env::var(PEAK_ENV).ok().and_then(|v| v.parse().ok()) {
        peak_child(n);
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` runs benches once as a smoke test.
    let smoke = std::env::args().all(|a| a != "--bench");
    let sizes: Vec<usize> = match std::env::var("FLEET_BENCH_SIZES") {
        Ok(v) => v.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        Err(_) if smoke => vec![10, 100],
        Err(_) => vec![10, 100, 1000, 10_000],
    };
    println!("llb-graphs scaling: manifest -> plan -> lower -> marshal, every target (medians)");
    println!(
        "{:>8}  {:>9}  {:>13}  {:>8}  {:>8}  {:>8}  {:>10}  {:>13}  {:>12}  {:>4}",
        "services",
        "total_ms",
        "per_target_us",
        "parse_ms",
        "plan_ms",
        "lower_ms",
        "marshal_ms",
        "one_target_ms",
        "manifest_kib",
        "runs"
    );
    let mut points = vec![];
    for &n in &sizes {
        let text = common::generated_fleet(n);
        let last = format!("svc-{:05}", n - 1);
        // Warm-up run, also sizing the repetitions: about 3 s per size, 3 to 200 runs.
        let (first, _) = run_once(&text);
        let runs = (Duration::from_secs(3).as_secs_f64() / first.total.as_secs_f64().max(1e-6)).clamp(3.0, 200.0);
        let runs = if smoke { 1 } else { runs as usize };
        let samples: Vec<Sample> = (0..runs).map(|_| run_once(&text).0).collect();
        let pick = |f: fn(&Sample) -> Duration| median(samples.iter().map(f).collect());
        let total = pick(|s| s.total);
        let one = median((0..runs.min(20)).map(|_| one_target(&text, &last)).collect());
        let per_target_us = total.as_secs_f64() * 1e6 / n as f64;
        println!(
            "{:>8}  {:>9.2}  {:>13.2}  {:>8.2}  {:>8.2}  {:>8.2}  {:>10.2}  {:>13.3}  {:>12.0}  {:>4}",
            n,
            ms(total),
            per_target_us,
            ms(pick(|s| s.parse)),
            ms(pick(|s| s.plan)),
            ms(pick(|s| s.lower)),
            ms(pick(|s| s.marshal)),
            ms(one),
            text.len() as f64 / 1024.0,
            runs
        );
        points.push((n as f64, total.as_secs_f64()));
    }
    // Least-squares slope of log(total) over log(services), sizes >= 100 (below that fixed costs
    // dominate).
    let big: Vec<(f64, f64)> = points.iter().filter(|p| p.0 >= 100.0).map(|p| (p.0.ln(), p.1.ln())).collect();
    if big.len() >= 2 {
        let n = big.len() as f64;
        let (sx, sy) = big.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
        let (mx, my) = (sx / n, sy / n);
        let num: f64 = big.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let den: f64 = big.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let slope = num / den;
        let verdict = if slope < 1.15 { "linear" } else { "SUPERLINEAR" };
        println!("log-log slope of total_ms vs services (>= 100): {slope:.3} ({verdict})");
    }
    let peak_n = *sizes.iter().max().unwrap_or(&0);
    match (peak_of(0), peak_of(peak_n)) {
        (Some(base), Some(peak)) => println!(
            "peak memory (VmHWM, separate process): {peak_n} services {peak} KiB ({:.1} MiB); \
             empty process {base} KiB; difference {:.1} MiB",
            peak as f64 / 1024.0,
            peak.saturating_sub(base) as f64 / 1024.0
        ),
        _ => println!("peak memory: could not run the child process"),
    }
}
