//! Opt-in (`FLEET_GPU_E2E=1`, set by hack/test-gpu-families.sh with `FLEET_GPU_STANDIN`): the GPU half of
//! images/fleet.toml built through real BuildKit without a GPU. The CUDA runtime base is replaced
//! by a local stand-in (hack/gpu-standin.sh: Debian + CPython 3.10, no CUDA libraries: the
//! families bring theirs as wheels), and each image is probed on the CPU: what imports, which
//! versions and providers, and the GPU service's `/health`. ~4.3 GB of wheels come from PyPI as
//! LLB HTTP sources on the first run; BuildKit's cache keeps them.

use fleet_e2e::{env, exclusive, root, Container, Net};

/// The stand-in for `nvidia/cuda:12.1.1-runtime-ubuntu22.04`, or `None` (skipped, said why):
/// these builds fetch ~4.3 GB and run only when asked for with `FLEET_GPU_E2E=1`; then a
/// missing stand-in is a failure, as a missing dockerd is under `E2E=1`.
fn standin() -> Option<String> {
    if std::env::var("FLEET_GPU_E2E").map_or(true, |v| v != "1") {
        eprintln!("SKIPPED gpu e2e: FLEET_GPU_E2E is not 1; run hack/test-gpu-families.sh");
        return None;
    }
    let s = std::env::var("FLEET_GPU_STANDIN").unwrap_or_default();
    assert!(!s.is_empty(), "FLEET_GPU_E2E=1 but FLEET_GPU_STANDIN is not set (hack/test-gpu-families.sh sets it)");
    Some(s)
}

/// Builds `target` of images/fleet.toml on the stand-in and loads it as `image`.
/// `hack/gpu-probe.py ARGS` inside `image` (mounted read-only, no network).
fn probe(e: &fleet_e2e::Env, image: &str, args: &[&str]) -> String {
    let script = format!("{}:/probe.py:ro", fleet_e2e::root().join("hack/gpu-probe.py").display());
    run_with(e, &script, &[], image, "python3", &[&["/probe.py"], args].concat())
}

fn build(e: &fleet_e2e::Env, standin: &str, target: &str, image: &str) {
    let context = format!("nvidia/cuda:12.1.1-runtime-ubuntu22.04=docker-image://{standin}");
    let extra = ["--build-arg", "MACHINE=mainpc", "--build-context", &context, "--load", "-t", image];
    let r = e.build_on(Net::Host, &root().join("images/fleet.toml"), &root().join("images"), target, &extra);
    assert!(r.ok, "{target}:\n{}", r.text);
}

#[test]
fn torch_family_imports_torch_2_2_2_cu121_with_vision_and_audio() {
    let (Some(s), Some(e)) = (standin(), env()) else { return };
    let _d = exclusive();
    let image = "fleet-e2e/gpu-torch:test";
    build(&e, &s, "family-torch-cu121", image);
    let out = e.python(
        image,
        "import torch, torchvision, torchaudio; \
         print(torch.__version__, torch.version.cuda, torchvision.__version__, torchaudio.__version__, \
         torch.cuda.is_available(), (torch.ones(2, 2) @ torch.ones(2, 2)).sum().item())",
    );
    let f: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(f, ["2.2.2+cu121", "12.1", "0.17.2+cu121", "2.2.2+cu121", "False", "8.0"], "{out}");
    let probe = probe(&e, image, &["torch", "--cpu"]);
    assert!(probe.contains("matmul on cpu ok: 1073741824.0"), "{probe}");
}

#[test]
fn vision_family_has_opencv_and_the_cuda_provider_without_torch() {
    let (Some(s), Some(e)) = (standin(), env()) else { return };
    let _d = exclusive();
    let image = "fleet-e2e/gpu-vision:test";
    build(&e, &s, "AffectiveProcessingCenter", image);
    let out = e.python(
        image,
        "import importlib.util as u, cv2, onnxruntime as ort; \
         print(cv2.__version__, ort.__version__, ','.join(ort.get_available_providers()), u.find_spec('torch') is None)",
    );
    let f: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(f.len(), 4, "{out}");
    assert!(f[0].starts_with("5."), "opencv-python-headless 5: {out}");
    assert_eq!(f[1], "1.23.2", "{out}");
    assert!(f[2].split(',').any(|p| p == "CUDAExecutionProvider"), "{out}");
    assert_eq!(f[3], "True", "the vision family carries no torch: {out}");
    // cuDNN 9 from the family's wheel is where LD_LIBRARY_PATH says.
    let ld = e.docker_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "sh",
        image,
        "-c",
        "for d in $(echo \"$LD_LIBRARY_PATH\" | tr : ' '); do ls \"$d\" 2>/dev/null; done",
    ]);
    assert!(ld.lines().any(|l| l.starts_with("libcudnn.so.9")), "{ld}");
    // The GPU machine's probe (hack/gpu-probe.py), on the CPU: one real InferenceSession.
    let probe = probe(&e, image, &["vision", "--cpu"]);
    assert!(probe.contains("session on CPUExecutionProvider ok"), "{probe}");
    // The service on it answers /health as the contract says.
    let c = Container::start(&e, &format!("fleet-e2e-gpu-vision-{}", std::process::id()), image);
    c.assert_health_ok(6560);
    assert_eq!(c.exec(&["id", "-u"]).trim(), "10001");
}

/// The stand-in for `nvidia/cuda:12.1.1-devel-ubuntu22.04` (hack/gpu-devel-standin.sh: the runtime
/// stand-in + build-essential + Debian's CUDA 12.4 toolkit), set by hack/test-gpu-families.sh.
fn devel_standin() -> String {
    let s = std::env::var("FLEET_GPU_DEVEL_STANDIN").unwrap_or_default();
    assert!(
        !s.is_empty(),
        "FLEET_GPU_E2E=1 but FLEET_GPU_DEVEL_STANDIN is not set (hack/test-gpu-families.sh sets it)"
    );
    s
}

const LLM_SITE: &str = "/opt/fleet/families/family-llm-cu121/site";
/// What the real CUDA runtime base has on its loader path (/usr/local/cuda/lib64: cudart and
/// cuBLAS 12.1) and the stand-in has not: the same libraries from family-torch-cu121's nvidia
/// wheels. `/stubs` is the toolkit's libcuda stub, for loading without a driver; on a GPU
/// machine `--gpus all` brings the real libcuda.so.1.
const LLM_LIBS: &str = "LD_LIBRARY_PATH=/stubs:/opt/fleet/families/family-torch-cu121/site/nvidia/cuda_runtime/lib:\
/opt/fleet/families/family-torch-cu121/site/nvidia/cublas/lib";

/// Builds family-llm-cu121 for `machine` with both CUDA bases replaced by the stand-ins, loaded
/// as `image`. Its llama-cpp-python is compiled with nvcc in the devel stand-in: the long step,
/// ~40 min on 2 cores.
fn build_llm_family(e: &fleet_e2e::Env, runtime: &str, devel: &str, machine: &str, image: &str) {
    let contexts = [
        format!("nvidia/cuda:12.1.1-runtime-ubuntu22.04=docker-image://{runtime}"),
        format!("nvidia/cuda:12.1.1-devel-ubuntu22.04=docker-image://{devel}"),
    ];
    let machine_arg = format!("MACHINE={machine}");
    let extra = [
        "--build-arg",
        &machine_arg,
        "--build-context",
        &contexts[0],
        "--build-context",
        &contexts[1],
        "--load",
        "-t",
        image,
    ];
    let r =
        e.build_on(Net::Host, &root().join("images/fleet.toml"), &root().join("images"), "family-llm-cu121", &extra);
    assert!(r.ok, "family-llm-cu121 ({machine}):\n{}", r.text);
}

/// `docker run --rm --network none -v VOLUME --entrypoint CMD [extra...] IMAGE ARGS...`.
fn run_with(e: &fleet_e2e::Env, volume: &str, extra: &[&str], image: &str, cmd: &str, args: &[&str]) -> String {
    let head = ["run", "--rm", "--network", "none", "-v", volume, "--entrypoint", cmd];
    e.docker_ok(&[&head[..], extra, &[image], args].concat())
}

/// Builds family-llm-cu121 for `machine` and checks what the image holds: vllm, accelerate and
/// llama_cpp import; llama.cpp's CUDA library links the runtime's cudart and cuBLAS; and cuobjdump
/// (the toolkit's own reader of fat binaries) lists SASS for exactly the profile's arch.
fn llm_family_for(machine: &str, sm: &str) {
    let (Some(s), Some(e)) = (standin(), env()) else { return };
    let devel = devel_standin();
    let _d = exclusive();
    let image = format!("fleet-e2e/gpu-llm-{machine}:test");
    build_llm_family(&e, &s, &devel, machine, &image);
    let dir = fleet_e2e::TempDir::new("gpu-llm");
    let stubs = format!("{}:/stubs", dir.0.display());
    // The stub's SONAME is libcuda.so.1, the name the library asks the loader for.
    run_with(&e, &stubs, &[], &devel, "cp", &["/usr/lib/x86_64-linux-gnu/stubs/libcuda.so", "/stubs/libcuda.so.1"]);
    let lib = format!("{LLM_SITE}/llama_cpp/lib/libggml-cuda.so");
    // `cmd ARGS` in the family image as root, the stand-in's libraries on the loader path.
    let run_in = |cmd: &str, args: &[&str]| run_with(&e, &stubs, &["--user", "0", "-e", LLM_LIBS], &image, cmd, args);
    let ldd = run_in("ldd", &[&lib]);
    assert!(!ldd.contains("not found"), "{ldd}");
    for l in
        ["libcudart.so.12 => /opt/fleet/families/family-torch-cu121", "libcublas.so.12 =>", "libcuda.so.1 => /stubs/"]
    {
        assert!(ldd.contains(l), "{l} in:\n{ldd}");
    }
    let imports = run_in(
        "python3",
        &["-c", "import accelerate, vllm, llama_cpp; print(vllm.__version__, accelerate.__version__, llama_cpp.__version__)"],
    );
    let v: Vec<&str> = imports.split_whitespace().collect();
    assert_eq!(v.first().copied(), Some("0.4.1"), "{imports}");
    assert_eq!(v.last().copied(), Some("0.3.36"), "{imports}");
    // Out of the image, into the devel stand-in's cuobjdump.
    run_in("cp", &[&lib, "/stubs/libggml-cuda.so"]);
    let elf = run_with(&e, &stubs, &[], &devel, "cuobjdump", &["--list-elf", "/stubs/libggml-cuda.so"]);
    let archs: std::collections::BTreeSet<&str> =
        elf.split(|c: char| c == '.' || c.is_whitespace()).filter(|w| w.starts_with("sm_")).collect();
    assert_eq!(archs.into_iter().collect::<Vec<_>>(), [sm], "SASS in libggml-cuda.so for {machine}:\n{elf}");
}

#[test]
fn llm_family_mainpc_has_llama_cpp_built_with_cuda_for_sm_89() {
    llm_family_for("mainpc", "sm_89");
}

#[test]
fn llm_family_pc2_has_llama_cpp_built_with_cuda_for_sm_86() {
    llm_family_for("pc2", "sm_86");
}
