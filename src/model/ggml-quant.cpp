// A plain transcription of ggml-quants.c `dequantize_row_*`, one block at a time. Every product
// here (an f16 times integers of at most 12 bits) is exact in float, so only the final add of a
// min rounds: results match ggml bit for bit whatever the order of operations or FMA contraction.

#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>

#include "tributary/model/ggml_quant.h"

namespace tributary::model {
namespace {

constexpr int kQK = 32;     // elements per block of the 32-element formats
constexpr int kQK_K = 256;  // elements per super-block of the K formats

// Fields may sit at any alignment in a mapped file, hence memcpy. Assumes a little-endian host,
// as ggml does.
uint16_t ReadU16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint32_t ReadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

float ReadHalf(const uint8_t* p) { return HalfToFloat(ReadU16(p)); }

float FloatFromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Q4_0: f16 d, qs[16]; x = (nibble - 8) * d.
void DequantizeQ4_0(const uint8_t* b, float* y) {
  const float d = ReadHalf(b);
  const uint8_t* qs = b + 2;
  for (int j = 0; j < kQK / 2; ++j) {
    const int x0 = (qs[j] & 0x0F) - 8;
    const int x1 = (qs[j] >> 4) - 8;
    y[j] = x0 * d;
    y[j + kQK / 2] = x1 * d;
  }
}

// Q4_1: f16 d, f16 m, qs[16]; x = nibble * d + m.
void DequantizeQ4_1(const uint8_t* b, float* y) {
  const float d = ReadHalf(b);
  const float m = ReadHalf(b + 2);
  const uint8_t* qs = b + 4;
  for (int j = 0; j < kQK / 2; ++j) {
    const int x0 = qs[j] & 0x0F;
    const int x1 = qs[j] >> 4;
    y[j] = x0 * d + m;
    y[j + kQK / 2] = x1 * d + m;
  }
}

// Q5_0: f16 d, u32 qh, qs[16]; bit j of qh is the fifth bit of element j.
void DequantizeQ5_0(const uint8_t* b, float* y) {
  const float d = ReadHalf(b);
  const uint32_t qh = ReadU32(b + 2);
  const uint8_t* qs = b + 6;
  for (int j = 0; j < kQK / 2; ++j) {
    const int h0 = ((qh >> j) << 4) & 0x10;
    const int h1 = (qh >> (j + 12)) & 0x10;
    const int x0 = ((qs[j] & 0x0F) | h0) - 16;
    const int x1 = ((qs[j] >> 4) | h1) - 16;
    y[j] = x0 * d;
    y[j + kQK / 2] = x1 * d;
  }
}

// Q5_1: f16 d, f16 m, u32 qh, qs[16]; as Q5_0 but unsigned plus m.
void DequantizeQ5_1(const uint8_t* b, float* y) {
  const float d = ReadHalf(b);
  const float m = ReadHalf(b + 2);
  const uint32_t qh = ReadU32(b + 4);
  const uint8_t* qs = b + 8;
  for (int j = 0; j < kQK / 2; ++j) {
    const int h0 = ((qh >> j) << 4) & 0x10;
    const int h1 = (qh >> (j + 12)) & 0x10;
    const int x0 = (qs[j] & 0x0F) | h0;
    const int x1 = (qs[j] >> 4) | h1;
    y[j] = x0 * d + m;
    y[j + kQK / 2] = x1 * d + m;
  }
}

// Q8_0: f16 d, i8 qs[32]; x = q * d.
void DequantizeQ8_0(const uint8_t* b, float* y) {
  const float d = ReadHalf(b);
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<int8_t>(b[2 + j]) * d;
}

// ggml's get_scale_min_k4: 12 bytes hold eight 6-bit scales and eight 6-bit mins. Sub-blocks 0-3
// keep theirs in the low 6 bits of bytes 0-3 (scales) and 4-7 (mins); sub-blocks 4-7 take their
// low 4 bits from the nibbles of bytes 8-11 and their top 2 bits from the top of bytes 0-7.
void ScaleMinK4(int j, const uint8_t* q, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4);
    *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Q4_K: f16 d, f16 dmin, scales[12], qs[128]. Each 64 elements use 32 bytes of qs: low nibbles for
// the first 32 (sub-block 2k), high nibbles for the next 32 (sub-block 2k + 1).
void DequantizeQ4_K(const uint8_t* b, float* y) {
  const float d = ReadHalf(b);
  const float dmin = ReadHalf(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* q = b + 16;
  for (int is = 0; is < 8; is += 2) {
    uint8_t sc, m;
    ScaleMinK4(is, scales, &sc, &m);
    const float d1 = d * sc, m1 = dmin * m;
    ScaleMinK4(is + 1, scales, &sc, &m);
    const float d2 = d * sc, m2 = dmin * m;
    for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0x0F) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
    q += 32;
  }
}

// Q5_K: as Q4_K plus qh[32]; sub-block s takes its fifth bit from bit s of qh[l].
void DequantizeQ5_K(const uint8_t* b, float* y) {
  const float d = ReadHalf(b);
  const float dmin = ReadHalf(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* ql = b + 48;
  uint8_t u1 = 1, u2 = 2;
  for (int is = 0; is < 8; is += 2) {
    uint8_t sc, m;
    ScaleMinK4(is, scales, &sc, &m);
    const float d1 = d * sc, m1 = dmin * m;
    ScaleMinK4(is + 1, scales, &sc, &m);
    const float d2 = d * sc, m2 = dmin * m;
    for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0x0F) + (qh[l] & u1 ? 16 : 0)) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
    ql += 32;
    u1 <<= 2;
    u2 <<= 2;
  }
}

// Q6_K: ql[128], qh[64], i8 scales[16], f16 d. Each 128 elements use 64 bytes of ql and 32 of qh:
// element l + 32 * k (k = 0..3) takes a nibble of ql and bits 2k..2k+1 of qh[l], minus 32, times
// d * the signed scale of its 16-element sub-block.
void DequantizeQ6_K(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const uint8_t* scales = b + 192;
  const float d = ReadHalf(b + 208);
  for (int n = 0; n < kQK_K; n += 128) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * static_cast<int8_t>(scales[is]) * q1;
      y[l + 32] = d * static_cast<int8_t>(scales[is + 2]) * q2;
      y[l + 64] = d * static_cast<int8_t>(scales[is + 4]) * q3;
      y[l + 96] = d * static_cast<int8_t>(scales[is + 6]) * q4;
    }
    y += 128;
    ql += 64;
    qh += 32;
    scales += 8;
  }
}

using BlockFn = void (*)(const uint8_t*, float*);

// The block types' functions; F32, F16 and BF16 are plain loops in Dequantize.
BlockFn BlockFunction(uint32_t type) {
  switch (static_cast<GgmlType>(type)) {
    case GgmlType::kQ4_0:
      return DequantizeQ4_0;
    case GgmlType::kQ4_1:
      return DequantizeQ4_1;
    case GgmlType::kQ5_0:
      return DequantizeQ5_0;
    case GgmlType::kQ5_1:
      return DequantizeQ5_1;
    case GgmlType::kQ8_0:
      return DequantizeQ8_0;
    case GgmlType::kQ4_K:
      return DequantizeQ4_K;
    case GgmlType::kQ5_K:
      return DequantizeQ5_K;
    case GgmlType::kQ6_K:
      return DequantizeQ6_K;
    default:
      return nullptr;
  }
}

}  // namespace

std::string GgmlTypeName(uint32_t type) {
  // ggml.h's names (as of gguf-py 0.19.0), including the types Dequantize refuses, so errors can
  // name them. Ids 4, 5, 31-33 and 36-38 are retired.
  static constexpr const char* kNames[] = {
      "F32",     "F16",    "Q4_0",    "Q4_1",  "",       "",      "Q5_0",  "Q5_1",    // 0-7
      "Q8_0",    "Q8_1",   "Q2_K",    "Q3_K",  "Q4_K",   "Q5_K",  "Q6_K",  "Q8_K",    // 8-15
      "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS",  // 16-23
      "I8",      "I16",    "I32",     "I64",   "F64",    "IQ1_M", "BF16",  "",        // 24-31
      "",        "",       "TQ1_0",   "TQ2_0", "",       "",      "",      "MXFP4",   // 32-39
      "NVFP4",   "Q1_0",                                                              // 40-41
  };
  if (type < std::size(kNames) && kNames[type][0] != '\0') return kNames[type];
  return "type " + std::to_string(type);
}

std::optional<GgmlBlock> GgmlBlockOf(uint32_t type) {
  switch (static_cast<GgmlType>(type)) {
    case GgmlType::kF32:
      return GgmlBlock{1, 4};
    case GgmlType::kF16:
      return GgmlBlock{1, 2};
    case GgmlType::kBF16:
      return GgmlBlock{1, 2};
    case GgmlType::kQ4_0:
      return GgmlBlock{kQK, 2 + kQK / 2};
    case GgmlType::kQ4_1:
      return GgmlBlock{kQK, 4 + kQK / 2};
    case GgmlType::kQ5_0:
      return GgmlBlock{kQK, 2 + 4 + kQK / 2};
    case GgmlType::kQ5_1:
      return GgmlBlock{kQK, 4 + 4 + kQK / 2};
    case GgmlType::kQ8_0:
      return GgmlBlock{kQK, 2 + kQK};
    case GgmlType::kQ4_K:
      return GgmlBlock{kQK_K, 4 + 12 + kQK_K / 2};
    case GgmlType::kQ5_K:
      return GgmlBlock{kQK_K, 4 + 12 + kQK_K / 8 + kQK_K / 2};
    case GgmlType::kQ6_K:
      return GgmlBlock{kQK_K, kQK_K / 2 + kQK_K / 4 + kQK_K / 16 + 2};
    default:
      return std::nullopt;
  }
}

std::optional<uint64_t> GgmlByteSize(uint32_t type, int64_t n) {
  const std::optional<GgmlBlock> block = GgmlBlockOf(type);
  if (!block || n < 0 || n % block->elements != 0) return std::nullopt;
  const uint64_t blocks = static_cast<uint64_t>(n / block->elements);
  const uint64_t bytes = static_cast<uint64_t>(block->bytes);
  if (blocks > std::numeric_limits<uint64_t>::max() / bytes) return std::nullopt;
  return blocks * bytes;
}

Status Dequantize(uint32_t type, const uint8_t* src, int64_t n, float* dst) {
  const std::optional<GgmlBlock> block = GgmlBlockOf(type);
  if (!block) {
    return Status::InvalidArgument("unsupported quantization type " + GgmlTypeName(type),
                                   "unsupported_quantization");
  }
  if (n < 0 || n % block->elements != 0) {
    return Status::InvalidArgument(std::to_string(n) + " elements are not whole " +
                                       GgmlTypeName(type) + " blocks of " +
                                       std::to_string(block->elements),
                                   "bad_tensor_size");
  }
  if (n == 0) return Status::OK();  // src and dst may then be null
  const size_t count = static_cast<size_t>(n);
  switch (static_cast<GgmlType>(type)) {
    case GgmlType::kF32:
      std::memcpy(dst, src, count * sizeof(float));
      return Status::OK();
    case GgmlType::kF16:
      for (size_t i = 0; i < count; ++i) dst[i] = HalfToFloat(ReadU16(src + 2 * i));
      return Status::OK();
    case GgmlType::kBF16:
      for (size_t i = 0; i < count; ++i) dst[i] = BFloat16ToFloat(ReadU16(src + 2 * i));
      return Status::OK();
    default:
      break;
  }
  const BlockFn fn = BlockFunction(type);
  for (int64_t i = 0; i < n / block->elements; ++i) {
    fn(src + i * block->bytes, dst + i * block->elements);
  }
  return Status::OK();
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h >> 15) << 31;
  const uint32_t exponent = (h >> 10) & 0x1F;
  const uint32_t mantissa = h & 0x3FF;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 0x1F) {
    // Inf, or NaN with its payload (and sign) kept in the top mantissa bits.
    return FloatFromBits(sign | 0x7F800000u | (mantissa << 13));
  }
  // Normal: rebias the exponent from 15 to 127.
  return FloatFromBits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

float BFloat16ToFloat(uint16_t h) { return FloatFromBits(static_cast<uint32_t>(h) << 16); }

}  // namespace tributary::model
