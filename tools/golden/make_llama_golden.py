#!/usr/bin/env python3
"""Builds the golden fixture that tests/model/golden_test.cpp compares against.

With Hugging Face transformers, peft and tokenizers (run it where they are installed, e.g. a GPU
machine of this project; a CPU is enough):

    python3 tools/golden/make_llama_golden.py --out tests/data/golden

It writes, for two tiny random models (`llama`: MHA, `llama-gqa`: grouped-query attention with
llama3 rope scaling), each in Hugging Face layout:
  <name>/config.json, model.safetensors, tokenizer.json, tokenizer_config.json
  <name>/adapter-a/ and adapter-b/: PEFT LoRA adapters (adapter_config.json,
      adapter_model.safetensors) with nonzero B so they change the output
  <name>/golden.json: prompts, the reference token ids, and for each prompt the name of its logits
  <name>/golden.safetensors: float32 logits [tokens, vocab] for the base and each adapter
Everything is float32 and deterministic for a given --seed. The whole fixture stays well under
2 MiB.
"""
import argparse
import json
import os

import torch
from safetensors.torch import save_file
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
from peft import LoraConfig, get_peft_model

PROMPTS = [
    "Hello, world! Datanets pay their contributors.",
    "  leading spaces, digits 12345 and ünïcödé — emoji 🙂",
    "line one\nline two\n\ttabbed",
]

# Llama-3's pre-tokenizer split pattern.
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def byte_level_tokenizer(merges_from, n_merges):
    """A byte-level BPE tokenizer: 256 byte tokens, `n_merges` merges learned from text, and two
    special tokens, in the Llama-3 layout (Split pattern + ByteLevel without regex)."""
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(pattern=Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=256 + n_merges,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=[],
        show_progress=False,
    )
    tok.train_from_iterator(merges_from, trainer=trainer)
    tok.add_special_tokens(["<|begin_of_text|>", "<|end_of_text|>"])
    return tok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/data/golden")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    torch.manual_seed(args.seed)

    corpus = PROMPTS * 20 + ["the quick brown fox jumps over the lazy dog"] * 20
    tok = byte_level_tokenizer(corpus, n_merges=64)
    vocab = tok.get_vocab_size()
    bos = tok.token_to_id("<|begin_of_text|>")
    eos = tok.token_to_id("<|end_of_text|>")

    variants = {
        "llama": dict(num_attention_heads=4, num_key_value_heads=4, rope_scaling=None),
        "llama-gqa": dict(num_attention_heads=4, num_key_value_heads=2, rope_theta=500000.0,
                          rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                        "high_freq_factor": 4.0,
                                        "original_max_position_embeddings": 64}),
    }
    for name, extra in variants.items():
        out = os.path.join(args.out, name)
        os.makedirs(out, exist_ok=True)
        cfg = LlamaConfig(vocab_size=vocab, hidden_size=64, intermediate_size=128,
                          num_hidden_layers=2, max_position_embeddings=256, rms_norm_eps=1e-5,
                          tie_word_embeddings=False, bos_token_id=bos, eos_token_id=eos,
                          torch_dtype="float32", **extra)
        model = LlamaForCausalLM(cfg).eval()
        model.save_pretrained(out, safe_serialization=True)
        fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|begin_of_text|>",
                                       eos_token="<|end_of_text|>")
        fast.save_pretrained(out)

        golden = {"prompts": [], "logits": {}}
        tensors = {}
        ids = [tok.encode(p).ids for p in PROMPTS]
        for i, p in enumerate(PROMPTS):
            golden["prompts"].append({"text": p, "ids": ids[i]})
            with torch.no_grad():
                tensors[f"base.{i}"] = model(torch.tensor([ids[i]])).logits[0].contiguous()

        adapters = {
            "adapter-a": LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                    lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
                                    init_lora_weights=False),
            "adapter-b": LoraConfig(r=2, lora_alpha=4, target_modules="all-linear",
                                    lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
                                    use_rslora=True, init_lora_weights=False),
        }
        for adapter_name, lcfg in adapters.items():
            base = LlamaForCausalLM.from_pretrained(out, torch_dtype=torch.float32).eval()
            peft_model = get_peft_model(base, lcfg).eval()
            peft_model.save_pretrained(os.path.join(out, adapter_name))
            for i in range(len(PROMPTS)):
                with torch.no_grad():
                    logits = peft_model(input_ids=torch.tensor([ids[i]])).logits[0]
                tensors[f"{adapter_name}.{i}"] = logits.contiguous()
        save_file(tensors, os.path.join(out, "golden.safetensors"))
        with open(os.path.join(out, "golden.json"), "w") as f:
            json.dump(golden, f, indent=1, ensure_ascii=False)
        print(f"wrote {out}: vocab {vocab}, {len(tensors)} logits tensors")


if __name__ == "__main__":
    main()
