//! End-to-end, opt-in (`FLEET_GPU_STANDIN` set, by hack/test-gpu-families.sh): the GPU half of
//! images/fleet.toml built through real BuildKit without a GPU. The CUDA runtime base is replaced
//! by a local stand-in (hack/gpu-standin.sh: Debian + CPython 3.10, no CUDA libraries: the
//! families bring theirs as wheels), and each image is probed on the CPU: what imports, which
//! versions and providers, and the GPU service's `/health`. ~4.3 GB of wheels come from PyPI as
//! LLB HTTP sources on the first run; BuildKit's cache keeps them.

use std::process::Command;
use std::time::Duration;

use fleet_e2e::{env, exclusive, http_get, root, run, wait_for, Container};

/// The stand-in for `nvidia/cuda:12.1.1-runtime-ubuntu22.04`, or `None` (skipped, said why).
fn standin() -> Option<String> {
    let s = std::env::var("FLEET_GPU_STANDIN").unwrap_or_default();
    if s.is_empty() {
        eprintln!("SKIPPED gpu e2e: FLEET_GPU_STANDIN is not set; run hack/test-gpu-families.sh");
        return None;
    }
    Some(s)
}

/// Builds `target` of images/fleet.toml on the stand-in and loads it as `image`.
fn build(e: &fleet_e2e::Env, standin: &str, target: &str, image: &str) {
    let mut c = Command::new(&e.docker);
    c.args(["buildx", "build", "--progress=plain", "--network=host", "-f"]).arg(root().join("images/fleet.toml"));
    c.args(["--target", target, "--build-arg", &format!("BUILDKIT_SYNTAX={}", e.frontend)]);
    c.args(["--build-arg", "MACHINE=mainpc", "--build-context"]);
    c.arg(format!("nvidia/cuda:12.1.1-runtime-ubuntu22.04=docker-image://{standin}"));
    c.args(["--load", "-t", image]).arg(root().join("images"));
    let r = run(&mut c);
    assert!(r.ok, "{target}:\n{}", r.text);
}

/// `python3 -c CODE` in `image` with no network, as the image's user; its stdout.
fn python(e: &fleet_e2e::Env, image: &str, code: &str) -> String {
    e.docker_ok(&["run", "--rm", "--network", "none", "--entrypoint", "python3", image, "-c", code])
}

#[test]
fn torch_family_imports_torch_2_2_2_cu121_with_vision_and_audio() {
    let (Some(e), Some(s)) = (env(), standin()) else { return };
    let _d = exclusive();
    let image = "fleet-e2e/gpu-torch:test";
    build(&e, &s, "family-torch-cu121", image);
    let out = python(
        &e,
        image,
        "import torch, torchvision, torchaudio; \
         print(torch.__version__, torch.version.cuda, torchvision.__version__, torchaudio.__version__, \
         torch.cuda.is_available(), (torch.ones(2, 2) @ torch.ones(2, 2)).sum().item())",
    );
    let f: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(f, ["2.2.2+cu121", "12.1", "0.17.2+cu121", "2.2.2+cu121", "False", "8.0"], "{out}");
}

#[test]
fn vision_family_has_opencv_and_the_cuda_provider_without_torch() {
    let (Some(e), Some(s)) = (env(), standin()) else { return };
    let _d = exclusive();
    let image = "fleet-e2e/gpu-vision:test";
    build(&e, &s, "AffectiveProcessingCenter", image);
    let out = python(
        &e,
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
    // The service on it answers /health as the contract says.
    let c = Container::start(&e, &format!("fleet-e2e-gpu-vision-{}", std::process::id()), image);
    let health = wait_for(Duration::from_secs(30), || http_get(6560, "/health").ok().filter(|(s, _)| *s == 200));
    let (_, body) = health.unwrap_or_else(|| panic!("no /health; logs:\n{}", e.docker_ok(&["logs", &c.name])));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).expect("json"), serde_json::json!({"status": "ok"}));
    assert_eq!(e.docker_ok(&["exec", &c.name, "id", "-u"]).trim(), "10001");
}
