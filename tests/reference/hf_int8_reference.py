"""Hugging Face reference for 8-bit frozen weights: the fixture model with every projection and the
(tied) embedding replaced by their int8 round trip, run by transformers + PEFT.

    python tests/reference/hf_int8_reference.py FIXTURE_DIR OUT_FILE

The round trip follows the spec of src/model/quantize.ts, written again here in numpy: per row,
s = float32(max|w| / 127); q = w / s (float64) rounded half away from zero, clipped to [-127, 127];
the weight becomes float32(q * s) (a zero row stays zero). OUT_FILE (safetensors) gets the fixture's
tensors for that model: base_logits, lora_logits, token_logprobs, loss and grad.<LoRA parameter>,
under the fixture's names and objective (cases.json).
"""
import json
import os
import sys

import numpy as np
import torch
from peft import PeftModel
from safetensors.numpy import save_file
from transformers import Gemma3ForCausalLM


def int8_round_trip(w: np.ndarray) -> np.ndarray:
    w = w.astype(np.float32)
    scale = (np.abs(w).max(axis=1) / np.float32(127)).astype(np.float32)
    safe = np.where(scale > 0, scale, 1).astype(np.float64)
    x = w.astype(np.float64) / safe[:, None]
    q = np.clip(np.sign(x) * np.floor(np.abs(x) + 0.5), -127, 127)
    q = np.where(scale[:, None] > 0, q, 0)
    return (q * scale[:, None].astype(np.float64)).astype(np.float32)


def main(fixture: str, out: str) -> None:
    torch.manual_seed(0)
    model = Gemma3ForCausalLM.from_pretrained(fixture, dtype=torch.float32, attn_implementation="eager")
    quantized = 0
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "model.embed_tokens.weight" or (name.startswith("model.layers.") and name.endswith("_proj.weight")):
                p.copy_(torch.from_numpy(int8_round_trip(p.detach().numpy())))
                quantized += 1
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(), "the output head must be tied"
    model = PeftModel.from_pretrained(model, os.path.join(fixture, "adapter"), is_trainable=True)
    model.eval()

    cases = json.load(open(os.path.join(fixture, "cases.json")))
    ids = torch.tensor(cases["input_ids"])
    mask = torch.tensor(cases["attention_mask"])
    adv = torch.tensor(cases["advantages"], dtype=torch.float32)
    prompt_len = cases["prompt_len"]

    with torch.no_grad(), model.disable_adapter():
        base_logits = model(input_ids=ids, attention_mask=mask).logits
    logits = model(input_ids=ids, attention_mask=mask).logits
    logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None])[..., 0]
    cmask = mask[:, 1:].clone().float()
    cmask[:, : prompt_len - 1] = 0
    loss = -(adv * (logp * cmask).sum(1) / cmask.sum(1)).mean()
    loss.backward()

    tensors = {
        "base_logits": base_logits.detach().numpy(),
        "lora_logits": logits.detach().numpy(),
        "token_logprobs": logp.detach().numpy(),
        "loss": loss.detach().reshape(1).numpy(),
    }
    for name, p in model.named_parameters():
        if "lora_" in name and p.grad is not None:
            key = name.replace("base_model.model.", "").replace(".default", "")
            tensors[f"grad.{key}"] = p.grad.detach().numpy()
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}, out)
    print(f"{quantized} weights quantized, {len(tensors)} tensors written to {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
