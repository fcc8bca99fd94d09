//! Source distributions: a locked package with no fitting wheel is built in a builder step from
//! its sdist — fetched as an HTTP source checked against the locked sha256 — offline, without
//! build isolation, with the lock's own installed wheels as build environment (so its build
//! backend must be locked too: "build dependencies taken from the lock"). Compile settings come
//! from the machine profile. The built wheels are installed into the same prefix; only the
//! prefix reaches the runtime stage.

use super::deps::artifact_source;
use super::{Cx, Layered};
use crate::llb::{Copy, Exec, FileAction, Mount, NetMode, State};
use crate::lock::Selected;

const ENV: &str = "/fleet/env";
const SDIST: &str = "/fleet/sdist";
const BUILT: &str = "/fleet/built";
const OUT: &str = "/fleet/out";

/// Where sdists compile and where their wheels are installed: a family's `builder` stage (a
/// toolchain image such as CUDA's `devel`) or the family itself. The builder must run the
/// family's Python (same interpreter ABI) and glibc no newer than the family's.
pub(super) struct BuildOn<'a> {
    /// The family state the built wheels are installed on.
    pub base: &'a State,
    /// The state `pip wheel` runs on.
    pub builder: &'a State,
}

/// `installed` (wheels under `prefix`) plus every sdist of `sdists`, built and installed: one
/// layer more, on top of `installed`'s (the install writes into a mount of it).
pub(super) fn build_and_install(
    cx: &Cx<'_>,
    on: &BuildOn<'_>,
    installed: &Layered,
    sdists: &[Selected],
    prefix: &str,
    span: &std::ops::Range<usize>,
) -> Layered {
    let built: Vec<State> =
        sdists.iter().map(|s| build_one(cx, on.builder, &installed.state, s, prefix, span)).collect();
    let wheels = collect(cx, &built, span);
    let script = format!(
        "exec python3 -m pip install --no-index --no-deps --no-compile --no-cache-dir --disable-pip-version-check --target \"$1\" {BUILT}/*.whl"
    );
    let exec =
        Exec::new(["/bin/sh".to_string(), "-c".into(), script, "fleet-install".into(), format!("{OUT}{prefix}")])
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .user("0:0")
            .network(NetMode::None)
            .readonly_root()
            .mount(Mount::Layer { dest: BUILT.into(), source: wheels, selector: None, readonly: true })
            .mount(Mount::Tmpfs { dest: "/tmp".into(), size: 0 })
            .mount(Mount::Layer { dest: OUT.into(), source: installed.state.clone(), selector: None, readonly: false });
    let meta = cx.meta(format!("install {} built from source", plural(sdists.len(), "package")), span);
    let out = on.base.run(exec.meta(meta.clone())).mount_output(OUT).unwrap_or_default();
    Layered::on(installed.history.clone(), out, &meta)
}

/// The built wheels side by side: a MergeOp, or copies where the daemon lacks `mergeop` (it
/// refuses a graph with any MergeOp, even one no image layer comes from).
fn collect(cx: &Cx<'_>, built: &[State], span: &std::ops::Range<usize>) -> State {
    let meta = cx.meta(format!("collect {} wheels built from sdists", built.len()), span);
    if cx.opts.merge_op {
        return State::merge(built, meta);
    }
    let copy = Copy { allow_wildcard: true, ..Copy::default() };
    let mut actions = built.iter().map(|b| FileAction::copy(b, "/*.whl", "/", copy.clone()));
    match actions.next() {
        Some(first) => State::scratch().file(actions.fold(first, FileAction::then), meta),
        None => State::scratch(),
    }
}

fn build_one(
    cx: &Cx<'_>,
    base: &State,
    installed: &State,
    s: &Selected,
    prefix: &str,
    span: &std::ops::Range<usize>,
) -> State {
    let a = &s.artifact;
    let src = artifact_source(cx, a, span);
    let env_site = format!("{ENV}{prefix}");
    let path = base.env_vars().get("PATH").cloned().unwrap_or_else(|| super::base::DEFAULT_PATH[5..].to_string());
    let mut exec = Exec::new([
        "python3".to_string(),
        "-m".into(),
        "pip".into(),
        "wheel".into(),
        "--no-deps".into(),
        "--no-build-isolation".into(),
        "--no-index".into(),
        "--no-cache-dir".into(),
        "--disable-pip-version-check".into(),
        "--wheel-dir".into(),
        BUILT.into(),
        format!("{SDIST}/{}", a.filename),
    ])
    .env("PYTHONPATH", env_site.clone())
    .env("PATH", format!("{env_site}/bin:{path}"))
    .user("0:0")
    .network(NetMode::None)
    .readonly_root()
    .mount(Mount::Layer { dest: ENV.into(), source: installed.clone(), selector: None, readonly: true })
    .mount(Mount::Layer { dest: SDIST.into(), source: src, selector: None, readonly: true })
    .mount(Mount::Tmpfs { dest: "/tmp".into(), size: 0 })
    .mount(Mount::Layer { dest: BUILT.into(), source: State::scratch(), selector: None, readonly: false });
    // Compilers read these; they come from the machine profile (data, never code).
    if let Some(p) = &cx.opts.profile {
        if let Some(arch) = p.gpu.as_ref().map(|g| g.cuda_arch_list.clone()) {
            if cx.plan.family.cuda.is_some() {
                exec = cuda_architectures(exec, base, &arch);
            }
            exec = exec.env("TORCH_CUDA_ARCH_LIST", arch);
        }
        if let Some(jobs) = p.build.as_ref().and_then(|b| b.max_jobs) {
            exec = exec.env("MAX_JOBS", jobs.to_string()).env("CMAKE_BUILD_PARALLEL_LEVEL", jobs.to_string());
        }
    }
    exec = exec.meta(cx.meta(format!("build {} {} from its sdist (hash-checked)", s.name, s.version), span));
    base.run(exec).mount_output(BUILT).unwrap_or_default()
}

/// CMake's CUDA targets from the profile's arch list (`8.9` → `89`, `8.0;8.6+PTX` → `80;86`:
/// a bare CMake number builds SASS and PTX): appended to the builder's `CMAKE_ARGS` (which
/// scikit-build-core passes to CMake; llama.cpp sets its own default unless
/// `CMAKE_CUDA_ARCHITECTURES` is defined, ggml/src/ggml-cuda/CMakeLists.txt) and as
/// `CUDAARCHS`, CMake's environment default for other projects.
fn cuda_architectures(exec: Exec, on: &State, arch_list: &str) -> Exec {
    let archs: Vec<String> = arch_list
        .split([' ', ';'])
        .filter(|a| !a.is_empty())
        .map(|a| a.trim_end_matches("+PTX").replace('.', ""))
        .collect();
    let archs = archs.join(";");
    let cmake = match on.env_vars().get("CMAKE_ARGS").filter(|a| !a.trim().is_empty()) {
        Some(args) => format!("{args} -DCMAKE_CUDA_ARCHITECTURES={archs}"),
        None => format!("-DCMAKE_CUDA_ARCHITECTURES={archs}"),
    };
    exec.env("CMAKE_ARGS", cmake).env("CUDAARCHS", archs)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
