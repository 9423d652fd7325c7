#!/usr/bin/env bash
# Makes DIR a Python virtual environment holding tools/test-requirements.txt (pinned), for the
# tests that compare against Hugging Face's reference code. Idempotent: a DIR made from the same
# requirements is left as it is.
set -euo pipefail
dir="$1"
req="$(cd "$(dirname "$0")" && pwd)/test-requirements.txt"
if [ -f "$dir/installed.txt" ] && cmp -s "$req" "$dir/installed.txt"; then
  exit 0
fi
rm -rf "$dir"
python3 -m venv "$dir"
"$dir/bin/pip" install -q --disable-pip-version-check --no-input -r "$req"
cp "$req" "$dir/installed.txt"
