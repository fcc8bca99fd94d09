#!/usr/bin/env python3
"""GPU probe of the CUDA families, for a machine with an NVIDIA GPU (issue #13, item 5).

Run inside a built family or service image with the GPU passed through, e.g.

    docker run --rm --gpus all --network none -v "$PWD/hack/gpu-probe.py:/probe.py:ro" \
        --entrypoint python3 <torch-image> /probe.py torch
    ... <vision-image> /probe.py vision
    ... -v /path/to/model.gguf:/model.gguf:ro <llm-image> /probe.py llm /model.gguf

Each check prints one line and raises on failure (exit status 1):
  torch   torch.cuda.is_available(), the device name, one matmul on the GPU;
  vision  one onnxruntime InferenceSession on CUDAExecutionProvider (a one-node model built
          here, so no model file is needed) whose output equals its input;
  llm     llama.cpp's library offloads to the GPU (llama_supports_gpu_offload) and, given a GGUF
          model file, loads it with every layer on the GPU and generates one token.
`--cpu` runs the same checks without a GPU where they can (vision on CPUExecutionProvider, llm
without the offload check): what this machine can verify of the probe itself.
"""
import struct
import sys


def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, value):
    """One protobuf field: an int (varint) or bytes/str (length-delimited)."""
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def identity_model():
    """ModelProto bytes (onnx.proto3): y = Identity(x), x and y float[4], opset 13, IR 8."""
    tensor = field(1, 1) + field(2, field(1, field(1, 4)))  # elem_type FLOAT, shape [4]
    value = lambda name: field(1, name) + field(2, field(1, tensor))  # ValueInfoProto
    node = field(1, "x") + field(2, "y") + field(4, "Identity")
    graph = field(1, node) + field(2, "probe") + field(11, value("x")) + field(12, value("y"))
    return field(1, 8) + field(7, graph) + field(8, field(2, 13))


def torch_probe(cpu):
    import torch

    print("torch", torch.__version__, "cuda", torch.version.cuda)
    device = "cpu" if cpu else "cuda"
    if not cpu:
        assert torch.cuda.is_available(), "torch.cuda.is_available() is False"
        print("device", torch.cuda.get_device_name(0), "capability", torch.cuda.get_device_capability(0))
    x = torch.ones(1024, 1024, device=device)
    total = (x @ x).sum().item()
    assert total == 1024.0**3, total
    print("matmul on", device, "ok:", total)


def vision_probe(cpu):
    import numpy
    import onnxruntime as ort

    provider = "CPUExecutionProvider" if cpu else "CUDAExecutionProvider"
    if not cpu and hasattr(ort, "preload_dlls"):
        ort.preload_dlls(directory="")  # CUDA and cuDNN from the nvidia-* wheels, as the provider loads them
    session = ort.InferenceSession(identity_model(), providers=[provider])
    assert session.get_providers()[0] == provider, f"session fell back to {session.get_providers()}"
    x = numpy.arange(4, dtype=numpy.float32)
    (y,) = session.run(None, {"x": x})
    assert (y == x).all(), y
    print("onnxruntime", ort.__version__, "session on", provider, "ok")


def llm_probe(cpu, model):
    import llama_cpp

    print("llama_cpp", llama_cpp.__version__)
    if not cpu:
        assert llama_cpp.llama_supports_gpu_offload(), "llama.cpp was built without GPU offload"
        print("GPU offload supported")
    if model is None:
        print("no model file given: no token generated")
        return
    llm = llama_cpp.Llama(model_path=model, n_gpu_layers=0 if cpu else -1, n_ctx=64, verbose=False)
    out = llm("The", max_tokens=1)
    print("one token:", repr(out["choices"][0]["text"]))


def main(argv):
    cpu = "--cpu" in argv
    args = [a for a in argv if a != "--cpu"]
    if not args or args[0] not in ("torch", "vision", "llm", "model"):
        sys.exit(__doc__)
    if args[0] == "model":  # the ONNX model's bytes, for inspection
        sys.stdout.buffer.write(identity_model())
    elif args[0] == "torch":
        torch_probe(cpu)
    elif args[0] == "vision":
        vision_probe(cpu)
    else:
        llm_probe(cpu, args[1] if len(args) > 1 else None)


if __name__ == "__main__":
    main(sys.argv[1:])
