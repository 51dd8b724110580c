"""PEFT's own merge of a LoRA adapter into a small random Gemma-3, as the reference for src/model/merge.ts.

    python tests/support/peft_merge_fixture.py OUT_DIR

For each case writes OUT_DIR/<case>/{base,adapter,merged}/: the base (save_pretrained), the adapter
(LoRA with random, nonzero B) and what merge_and_unload() + save_pretrained() make of them. Cases:
  f32-rslora: float32 base, use_rslora, rank_pattern / alpha_pattern, some modules and layers only
  bf16:       bfloat16 base, every projection, plain alpha / r
"""
import json
import os
import sys

import torch
from peft import LoraConfig, get_peft_model
from transformers import Gemma3ForCausalLM, Gemma3TextConfig


def base_model(dtype: torch.dtype, seed: int) -> Gemma3ForCausalLM:
    torch.manual_seed(seed)
    config = Gemma3TextConfig(
        vocab_size=512,
        hidden_size=32,
        intermediate_size=48,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=8,
        max_position_embeddings=256,
        sliding_window=16,
        layer_types=["sliding_attention", "sliding_attention", "full_attention"],
        tie_word_embeddings=True,
    )
    model = Gemma3ForCausalLM(config)
    with torch.no_grad():  # random norms too, so nothing is a trivial zero/one
        for p in model.parameters():
            p.normal_(0, 0.5)
    return model.to(dtype)


def write_case(out: str, name: str, dtype: torch.dtype, lora: LoraConfig, seed: int) -> None:
    root = os.path.join(out, name)
    model = base_model(dtype, seed)
    model.save_pretrained(os.path.join(root, "base"))
    peft_model = get_peft_model(model, lora)
    with torch.no_grad():
        for n, p in peft_model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.3)  # PEFT starts B at zero; a trained one is not
    peft_model.save_pretrained(os.path.join(root, "adapter"))
    merged = peft_model.merge_and_unload()
    merged.save_pretrained(os.path.join(root, "merged"))


def main() -> None:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write_case(
        out,
        "f32-rslora",
        torch.float32,
        LoraConfig(
            r=4,
            lora_alpha=8,
            use_rslora=True,
            target_modules=["q_proj", "v_proj", "o_proj", "down_proj", "gate_proj"],
            rank_pattern={"down_proj": 2},
            alpha_pattern={"o_proj": 3},
            layers_to_transform=[0, 2],
            task_type="CAUSAL_LM",
        ),
        seed=1,
    )
    write_case(
        out,
        "bf16",
        torch.bfloat16,
        LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], task_type="CAUSAL_LM"),
        seed=2,
    )
    print(json.dumps({"torch": torch.__version__, "out": out}))


if __name__ == "__main__":
    main()
