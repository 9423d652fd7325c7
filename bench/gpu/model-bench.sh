#!/bin/bash
# On the GPU machine, with .devdeps/ from bench/gpu/pack-deps.sh carried: builds the model-only
# tree against that machine's libtorch (CUDA) and runs model_bench on the GPU, then on its CPUs.
# Results go to $OUT (the device tool's output folder) when it is set.
set -x
D=$PWD/.devdeps
OUT=${OUT:-/tmp}
nvidia-smi -L; ldd --version | head -1; g++ --version | head -1; cmake --version | head -1
python3 -c 'import torch;print("torch", torch.__version__, "cxx11abi", torch._C._GLIBCXX_USE_CXX11_ABI, "cuda", torch.version.cuda)'
command -v pkg-config || { ln -sf $D/bin/pkgconf $D/bin/pkg-config; export PATH=$D/bin:$PATH; }
for f in $D/lib/*.so.*; do ln -sf "$(basename $f)" "${f%%.so.*}.so"; done
export PKG_CONFIG_PATH=$D/lib/pkgconfig LD_LIBRARY_PATH=$D/lib:$LD_LIBRARY_PATH
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
cmake -S . -B /tmp/b -G Ninja -DTRIBUTARY_MODEL_ONLY=ON -DTRIBUTARY_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$TP;$D" > $OUT/cmake.log 2>&1 || { tail -40 $OUT/cmake.log; exit 1; }
cmake --build /tmp/b -j16 --target model_bench > $OUT/build.log 2>&1 || { grep -E "error|Error" $OUT/build.log | head -30; tail -20 $OUT/build.log; exit 1; }
set +x
A="--layers 30 --hidden 576 --vocab 49152 --prompt 128 --decode 32 --batches 1,8,32"
echo "== cuda"; timeout 200 /tmp/b/bench/model_bench $A --device cuda 2>&1 | tee $OUT/cuda.txt
echo "== cpu 16 threads"; timeout 150 /tmp/b/bench/model_bench $A --threads 16 2>&1 | tee $OUT/cpu.txt
