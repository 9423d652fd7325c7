#!/bin/bash
# Packs what the model-only build needs and a bare GPU machine lacks (Debian's ICU, PCRE2,
# nlohmann-json and pkgconf) into .devdeps/ (ignored by git), for a machine where nothing can be
# installed. Run here, in the repository root; then on the GPU machine, with .devdeps carried:
#   bash bench/gpu/model-bench.sh
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
grep -qx "/.devdeps/" .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo "/.devdeps/" >> .git/info/exclude; }
L=/usr/lib/x86_64-linux-gnu
rm -rf .devdeps
mkdir -p .devdeps/{include,lib/pkgconfig,share/cmake,bin}
cp -r /usr/include/nlohmann /usr/include/unicode /usr/include/pcre2.h .devdeps/include/
cp -r /usr/share/cmake/nlohmann_json .devdeps/share/cmake/
# Each library under its soname (whatever version this Debian has); model-bench.sh adds the
# unversioned names the linker looks for.
for lib in libicuuc libicudata libpcre2-8 libpkgconf; do
  real=$(readlink -f "$(ls $L/$lib.so.[0-9]* | head -1)")
  cp "$real" .devdeps/lib/"$(objdump -p "$real" | awk '/SONAME/ {print $2}')"
done
cp /usr/bin/pkgconf .devdeps/bin/
for pc in icu-uc libpcre2-8; do
  sed -e 's|^prefix *=.*|prefix=${pcfiledir}/../..|' -e 's|^exec_prefix *=.*|exec_prefix=${prefix}|' \
      -e 's|lib/x86_64-linux-gnu|lib|' $L/pkgconfig/$pc.pc > .devdeps/lib/pkgconfig/$pc.pc
done
du -sh .devdeps
