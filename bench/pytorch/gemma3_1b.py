"""PyTorch reference for bench/gemma3-1b.ts: the same two workloads in transformers + PEFT.

    python3 bench/pytorch/gemma3_1b.py [same flags as bench/gemma3-1b.ts] [--json FILE]

Gemma3ForCausalLM from a Gemma3TextConfig with gemma-3-1b-it's shapes (random init), float32,
eager attention; PEFT LoRA r=16 (alpha 32) on all seven projections. Decode: generate() with
sampling (temperature 1, no top-k/top-p), batch 8, 256 new tokens, ms per step = (full generate -
a 1-token generate) / (new tokens - 1). Training: forward over --train-batch x --seq tokens with
logits for the completion half only (logits_to_keep, as TRL's GRPO trainer), log-softmax, the same
per-token weighted objective as ours, backward, gradient clipping, AdamW step; median wall time
after a warm-up step. Peak memory: torch.cuda.max_memory_allocated.
On the CPU (no CUDA device, or --backend wasm) it runs with --threads threads (torch.set_num_threads),
the reference for bench/gemma3-1b.ts --backend wasm with the same --threads.
"""
import argparse
import inspect
import json
import os
import statistics
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import Gemma3ForCausalLM, Gemma3TextConfig

MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def parse_args():
    p = argparse.ArgumentParser()
    for name, default in [("layers", 26), ("seq", 512), ("batch", 8), ("new-tokens", 256), ("vocab", 262144), ("prompt", 64),
                          ("train-steps", 3), ("rank", 16), ("seed", 1), ("hidden", 1152), ("intermediate", 6912), ("heads", 4),
                          ("kv-heads", 1), ("head-dim", 256)]:
        p.add_argument(f"--{name}", type=int, default=default)
    p.add_argument("--micro-batch", type=int, default=None, help="gradient accumulation over micro-batches of this many rows")
    p.add_argument("--train-batch", type=int, default=None, help="rows of the training step (default --batch)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (torch.set_num_threads)")
    p.add_argument("--backend", choices=["webgpu", "wasm"], default=None, help="ours; wasm means: run this reference on the CPU")
    p.add_argument("--steps-per-run", type=int, default=None, help="ours only")
    p.add_argument("--chunk-rows", type=int, default=None, help="ours only (loss head chunking); accepted so one flag list serves both")
    p.add_argument("--profile-steps", type=int, default=None, help="ours only")
    p.add_argument("--only", choices=["decode", "train"], default=None)
    p.add_argument("--json")
    return p.parse_args()


def layer_types(n: int) -> list:
    # As bench/gemma3-config.ts: the 1B pattern (every 6th layer global), the last one global below 6 layers.
    types = ["full_attention" if (i + 1) % 6 == 0 else "sliding_attention" for i in range(n)]
    if "full_attention" not in types:
        types[-1] = "full_attention"
    return types


def build_model(a, device):
    kw = dict(vocab_size=a.vocab, hidden_size=a.hidden, intermediate_size=a.intermediate, num_hidden_layers=a.layers,
              num_attention_heads=a.heads, num_key_value_heads=a.kv_heads, head_dim=a.head_dim, query_pre_attn_scalar=a.head_dim,
              sliding_window=512, layer_types=layer_types(a.layers), max_position_embeddings=32768, rms_norm_eps=1e-6,
              hidden_activation="gelu_pytorch_tanh", tie_word_embeddings=True, bos_token_id=2, eos_token_id=[1, 106], pad_token_id=0)
    if "rope_parameters" in inspect.signature(Gemma3TextConfig.__init__).parameters:
        kw["rope_parameters"] = {"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                                 "full_attention": {"rope_type": "default", "rope_theta": 1000000.0}}
    else:
        kw.update(rope_theta=1000000.0, rope_local_base_freq=10000.0)
    config = Gemma3TextConfig(**kw)
    config._attn_implementation = "eager"
    torch.manual_seed(a.seed)
    # Built directly on the device: initialising 1B parameters on the CPU first takes far longer.
    with torch.device(device):
        model = Gemma3ForCausalLM(config).to(dtype=torch.float32)
    lora = LoraConfig(r=a.rank, lora_alpha=2 * a.rank, target_modules=MODULES, lora_dropout=0.0, task_type="CAUSAL_LM")
    return get_peft_model(model, lora)


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def peak(device):
    return torch.cuda.max_memory_allocated() if device == "cuda" else 0


def reset_peak(device):
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()


def bench_decode(model, a, device):
    model.eval()
    g = torch.Generator(device="cpu").manual_seed(a.seed)
    ids = torch.randint(3, a.vocab, (a.batch, a.prompt), generator=g).to(device)
    mask = torch.ones_like(ids)

    def generate(n):
        sync(device)
        t0 = time.perf_counter()
        out = model.generate(input_ids=ids, attention_mask=mask, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                             max_new_tokens=n, min_new_tokens=n, pad_token_id=0)
        sync(device)
        assert out.shape[1] == a.prompt + n, out.shape
        return (time.perf_counter() - t0) * 1e3

    generate(3)  # warm-up
    reset_peak(device)
    prefill_ms = generate(1)
    total_ms = generate(a.new_tokens)
    ms_per_step = (total_ms - prefill_ms) / max(1, a.new_tokens - 1)
    r = {"prefill_ms": prefill_ms, "generate_ms": total_ms, "ms_per_step": ms_per_step, "tokens_per_s": a.batch * 1e3 / ms_per_step, "peak_bytes": peak(device)}
    print(f"decode (PyTorch): batch {a.batch}, prompt {a.prompt}, {a.new_tokens} new tokens: prefill {prefill_ms:.0f} ms, {ms_per_step:.1f} ms/step = {r['tokens_per_s']:.1f} tok/s; peak {r['peak_bytes'] / 2**30:.2f} GiB")
    return r


def bench_train(model, a, device):
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-5, weight_decay=0.0)
    g = torch.Generator(device="cpu").manual_seed(a.seed + 1)
    batch = a.train_batch or a.batch
    ids = torch.randint(3, a.vocab, (batch, a.seq), generator=g).to(device)
    mask = torch.ones_like(ids)
    prompt_len = a.seq // 2
    completion = a.seq - prompt_len
    # Weights on the completion tokens only; logits only where they are needed (TRL's logits_to_keep).
    coef = ((torch.rand(batch, completion, generator=g) * 2 - 1) / completion / batch).to(device)
    micro = a.micro_batch or batch

    def step():
        sync(device)
        t0 = time.perf_counter()
        for s in range(0, batch, micro):
            logits = model(input_ids=ids[s:s + micro], attention_mask=mask[s:s + micro], logits_to_keep=completion + 1).logits
            logp = torch.log_softmax(logits[:, :-1].float(), dim=-1).gather(-1, ids[s:s + micro, prompt_len:, None]).squeeze(-1)
            loss = -(logp * coef[s:s + micro]).sum()
            loss.backward()
            del logits, logp, loss
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync(device)
        return (time.perf_counter() - t0) * 1e3

    warmup_ms = step()
    reset_peak(device)
    times = [step() for _ in range(a.train_steps)]
    r = {"warmup_ms": warmup_ms, "step_ms_all": times, "step_ms": statistics.median(times), "peak_bytes": peak(device), "tokens": batch * a.seq}
    print(f"train (PyTorch): {batch} x {a.seq} tokens (micro-batch {micro}): {r['step_ms']:.0f} ms/step (median of {a.train_steps}); peak {r['peak_bytes'] / 2**30:.2f} GiB")
    return r


def main():
    a = parse_args()
    if a.layers < 2:
        raise SystemExit(f"--layers {a.layers}: at least 2 (one sliding-window and one global layer), as in bench/gemma3-config.ts")
    device = "cuda" if torch.cuda.is_available() and a.backend != "wasm" else "cpu"
    name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    if a.threads:
        torch.set_num_threads(a.threads)
    if device == "cpu":
        print(f"PyTorch on the CPU: {torch.get_num_threads()} thread(s), load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    model = build_model(a, device)
    result = {"engine": f"torch {torch.__version__} + transformers + peft ({device})", "device": name, "config": vars(a),
              "threads": torch.get_num_threads() if device == "cpu" else None, "load_average": os.getloadavg()}
    print(f"model (PyTorch, {name}): {a.layers} layers, hidden {a.hidden}, vocab {a.vocab}; LoRA r={a.rank} on {len(MODULES)} projections, fp32, eager attention")
    if a.only != "train":
        result["decode"] = bench_decode(model, a, device)
    if a.only != "decode":
        result["train"] = bench_train(model, a, device)
    result["memory"] = {"peak_bytes": peak(device) if device == "cuda" else 0,
                        "peak_gib": max(result.get("decode", {}).get("peak_bytes", 0), result.get("train", {}).get("peak_bytes", 0)) / 2**30}
    result["load_average_end"] = os.getloadavg()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
