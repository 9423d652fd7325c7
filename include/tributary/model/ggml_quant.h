// ggml tensor types and their dequantization to float32: the block formats llama.cpp writes for
// Llama-family models (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K).
//
// Block layouts follow ggml's `ggml-common.h` (all fields little-endian; f16 is IEEE half):
//   Q4_0  32 elems, 18 B: f16 d, u8 qs[16]              x = (nibble - 8) * d
//   Q4_1  32 elems, 20 B: f16 d, f16 m, u8 qs[16]       x = nibble * d + m
//   Q5_0  32 elems, 22 B: f16 d, u8 qh[4], u8 qs[16]    x = (nibble | high bit << 4) - 16) * d
//   Q5_1  32 elems, 24 B: f16 d, f16 m, u8 qh[4], u8 qs[16]
//   Q8_0  32 elems, 34 B: f16 d, i8 qs[32]              x = q * d
//   Q4_K 256 elems, 144 B: f16 d, f16 dmin, u8 scales[12] (8 six-bit scales and mins), u8 qs[128]
//   Q5_K 256 elems, 176 B: f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]
//   Q6_K 256 elems, 210 B: u8 ql[128], u8 qh[64], i8 scales[16], f16 d
// In the 32-element formats, element j < 16 takes the low nibble of qs[j] and element j + 16 the
// high nibble. No libtorch. Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tributary/base/status.h"

namespace tributary::model {

//! ggml's type ids as stored in GGUF tensor infos (ggml.h `enum ggml_type`).
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kBF16 = 30,
};

//! "Q4_K", "F16", ...; "type N" for ids ggml may have that this code does not know.
std::string GgmlTypeName(uint32_t type);

//! Elements per block and bytes per block.
struct GgmlBlock {
  int64_t elements = 0;
  int64_t bytes = 0;
};

//! The block shape of the types Dequantize supports; nullopt for any other type.
std::optional<GgmlBlock> GgmlBlockOf(uint32_t type);

//! Bytes that `n` elements of `type` take; nullopt when the type is unsupported or `n` is not a
//! whole number of blocks (or overflows).
std::optional<uint64_t> GgmlByteSize(uint32_t type, int64_t n);

//! Dequantizes `n` elements of `type` from `src` (GgmlByteSize(type, n) bytes) into `dst`.
//! InvalidArgument for types not listed above (reason "unsupported_quantization", naming the
//! type) and when `n` is not a multiple of the block size (reason "bad_tensor_size").
Status Dequantize(uint32_t type, const uint8_t* src, int64_t n, float* dst);

//! IEEE half and bfloat16 to float (exact).
float HalfToFloat(uint16_t h);
float BFloat16ToFloat(uint16_t h);

}  // namespace tributary::model
