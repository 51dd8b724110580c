"""PyTorch reference for bench/matmul.ts: the same n x n x n float32 product on the same GPU.

    python3 bench/pytorch/matmul.py [--n 4096] [--warmup 3] [--runs 10] [--json FILE]

Strict fp32 (TF32 off), as WebGPU computes it; a TF32 figure is printed for orientation only.
Figures mirror ours: per run = the product + a synchronisation (wall clock), median of --runs;
back to back = --runs products then one synchronisation. CUDA-event kernel time is given too.
Falls back to the CPU when there is no CUDA device (to check the script itself, not to compare).
"""
import argparse
import json
import statistics
import time

import torch


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def measure(a: torch.Tensor, b: torch.Tensor, warmup: int, runs: int) -> dict:
    device = a.device.type
    for _ in range(warmup):
        a @ b
    sync(device)
    per_run = []
    for _ in range(runs):
        t0 = time.perf_counter()
        c = a @ b
        sync(device)
        per_run.append((time.perf_counter() - t0) * 1e3)
    t0 = time.perf_counter()
    for _ in range(runs):
        c = a @ b
    sync(device)
    loop_ms = (time.perf_counter() - t0) * 1e3 / runs
    kernel_ms = None
    if device == "cuda":
        times = []
        for _ in range(runs):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            c = a @ b
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        kernel_ms = statistics.median(times)
    del c
    return {"per_run_ms": per_run, "median_ms": statistics.median(per_run), "back_to_back_ms": loop_ms, "cuda_event_median_ms": kernel_ms}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--json")
    args = p.parse_args()
    n = args.n
    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    g = torch.Generator(device="cpu").manual_seed(0)
    a = (torch.rand(n, n, generator=g) * 2 - 1).to(device)
    b = (torch.rand(n, n, generator=g) * 2 - 1).to(device)
    flop = 2 * n**3
    fp32 = measure(a, b, args.warmup, args.runs)
    result = {
        "engine": f"torch {torch.__version__} ({device})",
        "device": name,
        "n": n,
        **fp32,
        "gflops": flop / (fp32["median_ms"] / 1e3) / 1e9,
        "back_to_back_gflops": flop / (fp32["back_to_back_ms"] / 1e3) / 1e9,
    }
    print(f"matmul {n}x{n}x{n} fp32 (PyTorch, {name}):")
    print(f"  per run (product + sync), median of {args.runs}: {fp32['median_ms']:.3f} ms = {result['gflops']:.4g} GFLOP/s")
    print(f"  back to back, {args.runs} runs, one sync: {fp32['back_to_back_ms']:.3f} ms/run = {result['back_to_back_gflops']:.4g} GFLOP/s")
    if fp32["cuda_event_median_ms"] is not None:
        result["cuda_event_gflops"] = flop / (fp32["cuda_event_median_ms"] / 1e3) / 1e9
        print(f"  CUDA-event kernel time, median: {fp32['cuda_event_median_ms']:.3f} ms = {result['cuda_event_gflops']:.4g} GFLOP/s")
        torch.backends.cuda.matmul.allow_tf32 = True
        tf32 = measure(a, b, args.warmup, args.runs)
        result["tf32_gflops"] = flop / (tf32["median_ms"] / 1e3) / 1e9
        print(f"  (orientation only) TF32 per run: {tf32['median_ms']:.3f} ms = {result['tf32_gflops']:.4g} GFLOP/s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
