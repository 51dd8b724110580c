"""Prints ours-vs-PyTorch ratios from the two JSON results of bench/run-gpu.sh.

    python3 bench/pytorch/compare.py matmul|gemma3 OURS.json TORCH.json
"""
import json
import sys


def ratio(a, b):
    return a / b if a and b else float("nan")


def main() -> None:
    kind, ours_file, torch_file = sys.argv[1:4]
    ours = json.load(open(ours_file))
    ref = json.load(open(torch_file))
    print(f"== ours vs PyTorch ({ref['engine']} on {ref['device']})")
    if kind == "matmul":
        print(f"per run:       {ours['gflops']:.3g} vs {ref['gflops']:.3g} GFLOP/s -> ours/PyTorch = {ratio(ours['gflops'], ref['gflops']):.3f}")
        print(f"back to back:  {ours['back_to_back_gflops']:.3g} vs {ref['back_to_back_gflops']:.3g} GFLOP/s -> ours/PyTorch = {ratio(ours['back_to_back_gflops'], ref['back_to_back_gflops']):.3f}")
    elif kind == "gemma3":
        cpu = ours.get("backend") == "wasm"
        if cpu:
            print(f"threads:       ours {ours.get('threads')} (onnxruntime-web wasm), PyTorch {ref.get('threads')}; load average at start {ours.get('load_average', [0])[0]:.2f} / {ref.get('load_average', [0])[0]:.2f}")
        if "decode" in ours and "decode" in ref:
            d, rd = ours["decode"], ref["decode"]
            print(f"decode:        {d['tokens_per_s']:.2f} vs {rd['tokens_per_s']:.2f} tok/s ({d['ms_per_step']:.1f} vs {rd['ms_per_step']:.1f} ms/step) -> ours/PyTorch throughput = {ratio(d['tokens_per_s'], rd['tokens_per_s']):.3f}{' (CPU goal >= 1.0)' if cpu else ''}")
            if "host_ms_per_step" in d:
                print(f"  ours per step: {d['session_run_ms_per_step']:.1f} ms in session runs, {d['readback_wait_ms_per_step']:.2f} ms waiting for tokens, {d['host_ms_per_step']:.2f} ms host")
        if "train" in ours and "train" in ref:
            t, rt = ours["train"], ref["train"]
            print(f"train step:    {t['step_ms']:.0f} vs {rt['step_ms']:.0f} ms -> ours/PyTorch time = {ratio(t['step_ms'], rt['step_ms']):.2f}{' (CPU goal <= 1.5)' if cpu else ''}")
        if not cpu:
            print(f"peak memory:   {ours['memory']['peak_gib']:.2f} vs {ref['memory']['peak_gib']:.2f} GiB -> ours/PyTorch = {ratio(ours['memory']['peak_gib'], ref['memory']['peak_gib']):.2f}")
    else:
        sys.exit(f"unknown kind {kind}")


if __name__ == "__main__":
    main()
