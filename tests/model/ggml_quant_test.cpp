#include "tributary/model/ggml_quant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

namespace tributary::model {
namespace {

// Some IEEE halves used as block scales.
constexpr uint16_t kHalfQuarter = 0x3400;       // 0.25
constexpr uint16_t kHalfHalf = 0x3800;          // 0.5
constexpr uint16_t kHalfTwo = 0x4000;           // 2.0
constexpr uint16_t kHalfMinusOne = 0xBC00;      // -1.0
constexpr uint16_t kHalfMinusFour = 0xC400;     // -4.0
constexpr uint16_t kHalfMinusQuarter = 0xB400;  // -0.25

uint32_t Id(GgmlType t) { return static_cast<uint32_t>(t); }

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

void PutU16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = v & 0xFF;
  b[at + 1] = v >> 8;
}

void PutU32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = (v >> (8 * i)) & 0xFF;
}

// Dequantizes from an odd address (blocks in a GGUF file need not be aligned).
std::vector<float> DequantizeShifted(GgmlType type, const std::vector<uint8_t>& bytes, int64_t n) {
  std::vector<uint8_t> shifted(bytes.size() + 1);
  std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
  std::vector<float> out(static_cast<size_t>(n), -12345.0f);
  Status s = Dequantize(Id(type), shifted.data() + 1, n, out.data());
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(GgmlHalfTest, ConvertsNormalsSubnormalsAndSpecials) {
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xC000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x3555), 0.333251953125f);        // 0x155 / 1024 + 1, times 2^-2
  EXPECT_EQ(HalfToFloat(0x7BFF), 65504.0f);               // largest finite
  EXPECT_EQ(HalfToFloat(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(HalfToFloat(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(Bits(HalfToFloat(0x0000)), 0x00000000u);
  EXPECT_EQ(Bits(HalfToFloat(0x8000)), 0x80000000u);  // -0 keeps its sign
  EXPECT_EQ(HalfToFloat(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(HalfToFloat(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7E00)));
  // NaN payload and sign move to the top of the float mantissa, as numpy and F16C do.
  EXPECT_EQ(Bits(HalfToFloat(0x7E00)), 0x7FC00000u);
  EXPECT_EQ(Bits(HalfToFloat(0xFE01)), 0xFFC02000u);
}

TEST(GgmlBFloat16Test, IsTheTopHalfOfAFloat) {
  EXPECT_EQ(BFloat16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(BFloat16ToFloat(0xC040), -3.0f);
  EXPECT_EQ(BFloat16ToFloat(0x3EAB), 0.333984375f);
  EXPECT_EQ(Bits(BFloat16ToFloat(0x7F7F)), 0x7F7F0000u);       // largest finite
  EXPECT_EQ(BFloat16ToFloat(0x0001), std::ldexp(1.0f, -133));  // smallest subnormal
  EXPECT_EQ(Bits(BFloat16ToFloat(0x8000)), 0x80000000u);
  EXPECT_EQ(BFloat16ToFloat(0x7F80), std::numeric_limits<float>::infinity());
  EXPECT_EQ(BFloat16ToFloat(0xFF80), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(Bits(BFloat16ToFloat(0x7FC1)), 0x7FC10000u);
}

TEST(GgmlDequantizeTest, F32F16AndBF16AreLittleEndian) {
  // 1.5f = 0x3FC00000, -0.25f = 0xBE800000.
  auto f32 = DequantizeShifted(GgmlType::kF32, {0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x80, 0xBE}, 2);
  EXPECT_EQ(f32, (std::vector<float>{1.5f, -0.25f}));
  auto f16 = DequantizeShifted(GgmlType::kF16, {0x00, 0x3C, 0x00, 0xC4, 0x01, 0x00}, 3);
  EXPECT_EQ(f16, (std::vector<float>{1.0f, -4.0f, std::ldexp(1.0f, -24)}));
  auto bf16 = DequantizeShifted(GgmlType::kBF16, {0x80, 0x3F, 0x40, 0xC0}, 2);
  EXPECT_EQ(bf16, (std::vector<float>{1.0f, -3.0f}));
}

TEST(GgmlDequantizeTest, Q8_0IsSignedBytesTimesD) {
  std::vector<uint8_t> b(34, 0);
  PutU16(b, 0, kHalfMinusQuarter);  // d = -0.25
  const int8_t q[32] = {0,  1,  -1, 127, -128, 5,  -6, 7,  8,  9,  10,  11,  12,  13,  14,  15,
                        16, 17, 18, 19,  20,   21, 22, 23, 24, 25, -26, -27, -28, -29, -30, -31};
  std::memcpy(b.data() + 2, q, 32);
  auto y = DequantizeShifted(GgmlType::kQ8_0, b, 32);
  EXPECT_EQ(y[1], -0.25f);
  EXPECT_EQ(y[2], 0.25f);
  EXPECT_EQ(y[3], -31.75f);
  EXPECT_EQ(y[4], 32.0f);
  EXPECT_EQ(y[31], 7.75f);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], q[j] * -0.25f) << j;
}

TEST(GgmlDequantizeTest, Q4_0LowNibblesFirstThenHighNibbles) {
  // d = 0.5; qs[j] has low nibble j (element j) and high nibble 15 - j (element j + 16), so
  // element j is (j - 8) / 2 and element j + 16 is (7 - j) / 2.
  std::vector<uint8_t> b(18, 0);
  PutU16(b, 0, kHalfHalf);
  for (int j = 0; j < 16; ++j) b[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  auto y = DequantizeShifted(GgmlType::kQ4_0, b, 32);
  EXPECT_EQ(y[0], -4.0f);
  EXPECT_EQ(y[8], 0.0f);
  EXPECT_EQ(y[15], 3.5f);
  EXPECT_EQ(y[16], 3.5f);
  EXPECT_EQ(y[31], -4.0f);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 0.5f) << j;
    EXPECT_EQ(y[j + 16], (7 - j) * 0.5f) << j;
  }
}

TEST(GgmlDequantizeTest, Q4_0BlocksEachUseTheirOwnScale) {
  std::vector<uint8_t> b(36, 0x99);  // every nibble 9: q - 8 = 1
  PutU16(b, 0, kHalfTwo);
  PutU16(b, 18, kHalfMinusOne);
  auto y = DequantizeShifted(GgmlType::kQ4_0, b, 64);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 2.0f) << j;
  for (int j = 32; j < 64; ++j) EXPECT_EQ(y[j], -1.0f) << j;
}

TEST(GgmlDequantizeTest, Q4_1AddsTheMin) {
  // d = 0.25, m = -1; qs[j] has low nibble 15 - j and high nibble j.
  std::vector<uint8_t> b(20, 0);
  PutU16(b, 0, kHalfQuarter);
  PutU16(b, 2, kHalfMinusOne);
  for (int j = 0; j < 16; ++j) b[4 + j] = static_cast<uint8_t>((15 - j) | (j << 4));
  auto y = DequantizeShifted(GgmlType::kQ4_1, b, 32);
  EXPECT_EQ(y[0], 2.75f);   // 15 * 0.25 - 1
  EXPECT_EQ(y[15], -1.0f);  // 0 * 0.25 - 1
  EXPECT_EQ(y[16], -1.0f);
  EXPECT_EQ(y[31], 2.75f);
  EXPECT_EQ(y[20], 0.0f);  // 4 * 0.25 - 1
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (15 - j) * 0.25f - 1.0f) << j;
    EXPECT_EQ(y[j + 16], j * 0.25f - 1.0f) << j;
  }
}

TEST(GgmlDequantizeTest, Q5_0TakesBitJOfQhAsTheFifthBitOfElementJ) {
  // d = 2; qh (little-endian u32 after d) has bits 0, 3, 16 and 31 set; qs[3] = 0x5A.
  std::vector<uint8_t> b(22, 0);
  PutU16(b, 0, kHalfTwo);
  PutU32(b, 2, 0x80010009u);
  b[6 + 3] = 0x5A;
  // The 5-bit values, by hand: nibble | (qh bit << 4).
  int q[32];
  for (int& v : q) v = 0;
  q[0] = 16;        // nibble 0, bit 0
  q[3] = 0xA | 16;  // low nibble of qs[3], bit 3
  q[19] = 0x5;      // high nibble of qs[3], bit 19 clear
  q[16] = 16;       // bit 16
  q[31] = 16;       // bit 31
  auto y = DequantizeShifted(GgmlType::kQ5_0, b, 32);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], -32.0f);   // (0 - 16) * 2
  EXPECT_EQ(y[3], 20.0f);    // (26 - 16) * 2
  EXPECT_EQ(y[19], -22.0f);  // (5 - 16) * 2
  EXPECT_EQ(y[31], 0.0f);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], (q[j] - 16) * 2.0f) << j;
}

TEST(GgmlDequantizeTest, Q5_1IsUnsignedPlusMin) {
  // d = 0.5, m = -4; both nibbles of qs[j] are j; qh sets bits 1 and 16-31, so element i is
  // i / 2 - 4 except element 1, which gains 16.
  std::vector<uint8_t> b(24, 0);
  PutU16(b, 0, kHalfHalf);
  PutU16(b, 2, kHalfMinusFour);
  PutU32(b, 4, 0xFFFF0002u);
  for (int j = 0; j < 16; ++j) b[8 + j] = static_cast<uint8_t>(j * 0x11);
  auto y = DequantizeShifted(GgmlType::kQ5_1, b, 32);
  EXPECT_EQ(y[0], -4.0f);
  EXPECT_EQ(y[1], 4.5f);  // 17 * 0.5 - 4
  EXPECT_EQ(y[15], 3.5f);
  EXPECT_EQ(y[16], 4.0f);
  EXPECT_EQ(y[31], 11.5f);
  for (int i = 2; i < 32; ++i) EXPECT_EQ(y[i], i * 0.5f - 4.0f) << i;
}

// Six-bit scales and mins of the eight 32-element sub-blocks, and get_scale_min_k4's packing of
// them, written out by hand:
//   bytes 0-3:  scale[j] | (scale[j + 4] >> 4) << 6
//   bytes 4-7:  min[j]   | (min[j + 4] >> 4) << 6
//   bytes 8-11: (scale[j + 4] & 15) | (min[j + 4] & 15) << 4
constexpr int kKScales[8] = {1, 2, 3, 63, 17, 33, 50, 63};
constexpr int kKMins[8] = {0, 1, 62, 5, 20, 40, 7, 63};
constexpr uint8_t kKPacked[12] = {0x41, 0x82, 0xC3, 0xFF, 0x40, 0x81,
                                  0x3E, 0xC5, 0x41, 0x81, 0x72, 0xFF};

// qs for both K tests: 32 bytes per 64 elements, byte l with low nibble l % 16 (sub-block 2k) and
// high nibble 15 - l % 16 (sub-block 2k + 1).
int KNibble(int e) {
  const int sub = e / 32, l = e % 32;
  return sub % 2 == 0 ? l % 16 : 15 - l % 16;
}

std::vector<uint8_t> KBlock(size_t size, size_t qs_at) {
  std::vector<uint8_t> b(size, 0);
  PutU16(b, 0, kHalfHalf);     // d = 0.5
  PutU16(b, 2, kHalfQuarter);  // dmin = 0.25
  std::memcpy(b.data() + 4, kKPacked, 12);
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      b[qs_at + 32 * c + l] = static_cast<uint8_t>(l % 16 | (15 - l % 16) << 4);
    }
  }
  return b;
}

TEST(GgmlDequantizeTest, Q4_KUnpacksBothHalvesOfTheScales) {
  auto y = DequantizeShifted(GgmlType::kQ4_K, KBlock(144, 16), 256);
  // x = d * scale * nibble - dmin * min.
  EXPECT_EQ(y[0], 0.0f);       // sub-block 0: 0.5 * 1 * 0 - 0
  EXPECT_EQ(y[33], 13.75f);    // 1: 0.5 * 2 * 14 - 0.25 * 1
  EXPECT_EQ(y[71], -5.0f);     // 2: 0.5 * 3 * 7 - 0.25 * 62
  EXPECT_EQ(y[105], 187.75f);  // 3: 0.5 * 63 * 6 - 0.25 * 5
  EXPECT_EQ(y[133], 37.5f);    // 4: 0.5 * 17 * 5 - 0.25 * 20
  EXPECT_EQ(y[160], 237.5f);   // 5: 0.5 * 33 * 15 - 0.25 * 40
  EXPECT_EQ(y[194], 48.25f);   // 6: 0.5 * 50 * 2 - 0.25 * 7
  EXPECT_EQ(y[255], -15.75f);  // 7: 0.5 * 63 * 0 - 0.25 * 63
  for (int e = 0; e < 256; ++e) {
    const int s = e / 32;
    EXPECT_EQ(y[e], 0.5f * kKScales[s] * KNibble(e) - 0.25f * kKMins[s]) << e;
  }
}

TEST(GgmlDequantizeTest, Q5_KTakesBitSOfQhForSubBlockS) {
  // qh[l] = 1 << (l % 8): element l of sub-block s has its fifth bit when l % 8 == s.
  auto b = KBlock(176, 48);
  for (int l = 0; l < 32; ++l) b[16 + l] = static_cast<uint8_t>(1 << (l % 8));
  auto y = DequantizeShifted(GgmlType::kQ5_K, b, 256);
  EXPECT_EQ(y[0], 8.0f);       // sub-block 0, l 0: 0.5 * 1 * (0 + 16) - 0
  EXPECT_EQ(y[165], 419.0f);   // 5, l 5: 0.5 * 33 * (10 + 16) - 0.25 * 40
  EXPECT_EQ(y[166], 138.5f);   // 5, l 6: 0.5 * 33 * 9 - 0.25 * 40
  EXPECT_EQ(y[239], 488.25f);  // 7, l 15: 0.5 * 63 * (0 + 16) - 0.25 * 63
  for (int e = 0; e < 256; ++e) {
    const int s = e / 32, l = e % 32;
    const int q = KNibble(e) + (l % 8 == s ? 16 : 0);
    EXPECT_EQ(y[e], 0.5f * kKScales[s] * q - 0.25f * kKMins[s]) << e;
  }
}

TEST(GgmlDequantizeTest, Q6_KUsesSignedScalesPerSixteenElements) {
  // ql[128], qh[64], i8 scales[16], f16 d = 0.5. Element e = 128 h + 32 k + l takes the low (k < 2)
  // or high nibble of ql[64 h + 32 (k % 2) + l], bits 2k..2k+1 of qh[32 h + l], and scale e / 16.
  // With ql and qh zero every q is -32, so x = 0.5 * scale * -32; a few elements get set below.
  std::vector<uint8_t> b(210, 0);
  const int8_t scales[16] = {1, -1, 2, -2, 3, -3, 4, -4, 127, -128, 5, -5, 10, -10, 0, 7};
  std::memcpy(b.data() + 192, scales, 16);
  PutU16(b, 208, kHalfHalf);
  std::vector<float> want(256);
  for (int e = 0; e < 256; ++e) want[e] = 0.5f * scales[e / 16] * -32;
  // Element 0: nibble 5 and qh bits 0-1 = 2, so q = 5 + 32 - 32 = 5; x = 0.5 * 1 * 5.
  b[0] = 0x05;
  b[128 + 0] = 0x02;
  want[0] = 2.5f;
  // Element 40 (k 1, l 8): low nibble of ql[40] = 0, bits 2-3 of qh[8] = 3: q = 48 - 32 = 16.
  // Element 104 (k 3, l 8): high nibble of ql[40] = 15, bits 6-7 of qh[8] = 3: q = 63 - 32 = 31.
  b[40] = 0xF0;
  b[128 + 8] = 0xCC;
  want[40] = 16.0f;   // 0.5 * 2 * 16
  want[104] = 62.0f;  // 0.5 * 4 * 31
  // Element 145 (h 1, k 0, l 17): ql[64 + 17] = 1, bits 0-1 of qh[32 + 17] = 1: q = 17 - 32 = -15.
  b[64 + 17] = 0x01;
  b[128 + 32 + 17] = 0x01;
  want[145] = 960.0f;  // 0.5 * -128 * -15
  // Element 255 (h 1, k 3, l 31): high nibble of ql[64 + 63] = 10, bits 6-7 of qh[32 + 31] = 2:
  // q = 42 - 32 = 10.
  b[64 + 63] = 0xA0;
  b[128 + 32 + 31] = 0x80;
  want[255] = 35.0f;  // 0.5 * 7 * 10

  // Unchanged neighbours of the bytes set.
  EXPECT_EQ(want[8], -16.0f);   // 0.5 * 1 * -32
  EXPECT_EQ(want[72], -48.0f);  // 0.5 * 3 * -32
  EXPECT_EQ(want[127], 64.0f);  // 0.5 * -4 * -32
  auto y = DequantizeShifted(GgmlType::kQ6_K, b, 256);
  for (int e = 0; e < 256; ++e) EXPECT_EQ(y[e], want[e]) << e;
}

// Random blocks (every scale and high bit in play, d and dmin with full half mantissas) and some of
// their values as dequantized by gguf-py 0.19.0's `gguf.quants.dequantize`, llama.cpp's numpy
// reference: a check of the layouts independent of the hand-written ones above.
TEST(GgmlDequantizeTest, MatchesGgufPyOnRandomKBlocks) {
  const std::vector<uint8_t> q5k = {
      0x66, 0x2e, 0x00, 0x2a, 0xa9, 0x41, 0x06, 0xa0, 0x95, 0x6a, 0x26, 0xaf, 0xbc, 0xcd, 0xaf,
      0xe5, 0x62, 0xf9, 0x0a, 0x94, 0x5f, 0x56, 0x93, 0xc6, 0x42, 0x27, 0x6a, 0xd5, 0xab, 0x2d,
      0xa7, 0x39, 0x45, 0x51, 0x37, 0x0e, 0x99, 0xb2, 0xd7, 0x4c, 0x34, 0x27, 0xfa, 0x48, 0xd7,
      0x32, 0xa1, 0xdf, 0x70, 0xac, 0xa1, 0xe9, 0x26, 0x11, 0x59, 0x01, 0xdd, 0x06, 0xf2, 0x7f,
      0x8f, 0x06, 0x3c, 0xd2, 0x5e, 0x19, 0xa6, 0x21, 0xf9, 0xbd, 0x0c, 0xcc, 0x21, 0x39, 0x7c,
      0x1e, 0xc7, 0x95, 0xca, 0x77, 0x48, 0xdc, 0x03, 0xd1, 0x7a, 0x88, 0x93, 0x4d, 0x85, 0x52,
      0x73, 0x57, 0xa2, 0xe6, 0x46, 0x47, 0xf0, 0x3e, 0x2f, 0xb8, 0x1f, 0x22, 0x3f, 0x41, 0x92,
      0xc5, 0x8e, 0xfd, 0x51, 0x85, 0xf0, 0x71, 0x1e, 0xf7, 0x67, 0x7a, 0x1f, 0x13, 0x2a, 0x81,
      0x8d, 0x88, 0x21, 0x95, 0xa1, 0x00, 0xb2, 0x8d, 0x6b, 0x23, 0x6b, 0x82, 0x48, 0x1b, 0xd9,
      0xfe, 0x63, 0x0d, 0xc3, 0xce, 0x3b, 0xe4, 0xeb, 0xca, 0xb7, 0x2f, 0x45, 0xb3, 0x52, 0x23,
      0x47, 0x9f, 0x6e, 0x79, 0x4d, 0x57, 0x03, 0x7e, 0x2c, 0xfd, 0xe9, 0xe1, 0x5a, 0x77, 0x89,
      0x78, 0x1e, 0x37, 0x21, 0xa5, 0x57, 0xd8, 0xe5, 0xa7, 0x03, 0x29};
  const std::vector<std::pair<int, float>> q5k_want = {
      {0, -0.984375f},    {15, 72.7976074f},  {30, 105.5896f},    {45, -1.96875f},
      {60, 0.830566406f}, {75, 12.0153809f},  {90, 6.61669922f},  {105, 13.7929688f},
      {120, 26.5898438f}, {135, 2.38330078f}, {150, 107.95752f},  {165, 1.58679199f},
      {180, 10.284668f},  {195, 4.03015137f}, {210, 14.5275879f}, {225, 64.4274902f},
      {240, 49.6311035f}, {255, 64.4274902f}};
  const std::vector<uint8_t> q6k = {
      0x6d, 0xcb, 0x81, 0xdb, 0x3f, 0x65, 0xcf, 0x9c, 0x1b, 0xdc, 0x5d, 0x1d, 0x8f, 0xc8, 0x3f,
      0x0b, 0x0b, 0xb4, 0xdb, 0x71, 0xbe, 0x57, 0x22, 0x09, 0x85, 0x1d, 0x3d, 0x24, 0xf4, 0xc0,
      0xcf, 0x83, 0xfe, 0x43, 0x63, 0xf8, 0x2f, 0x47, 0x59, 0x77, 0x89, 0x55, 0xf6, 0xce, 0xd6,
      0x81, 0xcb, 0xea, 0x71, 0x79, 0xce, 0xd2, 0xc8, 0xf8, 0x14, 0xa1, 0x34, 0x72, 0xff, 0x70,
      0xce, 0x36, 0x9d, 0x83, 0x85, 0x45, 0x2a, 0x44, 0xf3, 0x18, 0x33, 0x7f, 0x08, 0xcd, 0x1e,
      0x61, 0x4f, 0x23, 0x5d, 0x3f, 0x83, 0xbc, 0x45, 0xfe, 0xe9, 0xee, 0x04, 0x03, 0xa7, 0x9b,
      0xe1, 0x18, 0x54, 0x44, 0x41, 0x31, 0x7c, 0x93, 0x11, 0xf8, 0x5e, 0x04, 0x29, 0xb1, 0x9f,
      0x7e, 0xc0, 0xe1, 0x56, 0xf6, 0x5a, 0x33, 0x22, 0xe7, 0x91, 0xb8, 0x80, 0xee, 0x99, 0x5e,
      0x3f, 0x0d, 0x30, 0x7d, 0x2f, 0xba, 0xf4, 0x00, 0x69, 0x3a, 0x17, 0x9e, 0x0d, 0x02, 0x7e,
      0xd4, 0xe5, 0x8b, 0xe7, 0xa9, 0xeb, 0xc2, 0x8a, 0x27, 0x1d, 0x43, 0xa7, 0x88, 0x55, 0x63,
      0x81, 0x44, 0xeb, 0x66, 0x03, 0xf7, 0xb2, 0x72, 0x5d, 0xe1, 0x1f, 0xe6, 0xac, 0x2f, 0x88,
      0xa6, 0x81, 0x82, 0x86, 0x97, 0x93, 0xf0, 0xaa, 0xd6, 0xde, 0xd8, 0x11, 0x6e, 0x3a, 0xb5,
      0x16, 0x81, 0xc4, 0xa3, 0x74, 0xfe, 0xc7, 0x0a, 0x68, 0xb3, 0xe4, 0xbd, 0xc9, 0x2b, 0x38,
      0x79, 0x87, 0x41, 0x6c, 0x17, 0xec, 0x90, 0x96, 0x3e, 0xc7, 0x66, 0x88, 0x8a, 0x19, 0x1c};
  const std::vector<std::pair<int, float>> q6k_want = {
      {0, 0.660266876f},   {15, -5.94240189f},   {30, -0.17206955f}, {45, -6.94680786f},
      {60, -8.71552277f},  {75, -0.484195709f},  {90, -7.54304886f}, {105, 2.16087341f},
      {120, 1.74870682f},  {135, -1.20048523f},  {150, 12.5490723f}, {165, 5.09005737f},
      {180, -3.96960449f}, {195, -0.912368774f}, {210, 8.16329956f}, {225, -12.0048523f},
      {240, 14.1657257f},  {255, -0.0f}};
  auto y5 = DequantizeShifted(GgmlType::kQ5_K, q5k, 256);
  for (auto [i, v] : q5k_want) EXPECT_EQ(Bits(y5[i]), Bits(v)) << "Q5_K " << i;
  auto y6 = DequantizeShifted(GgmlType::kQ6_K, q6k, 256);
  for (auto [i, v] : q6k_want) EXPECT_EQ(Bits(y6[i]), Bits(v)) << "Q6_K " << i;
}

TEST(GgmlDequantizeTest, RefusesUnsupportedTypes) {
  std::vector<uint8_t> b(256, 0);
  std::vector<float> y(256);
  for (GgmlType t : {GgmlType::kQ2_K, GgmlType::kQ3_K, GgmlType::kQ8_1, GgmlType::kQ8_K}) {
    Status s = Dequantize(Id(t), b.data(), 256, y.data());
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
    EXPECT_EQ(s.reason(), "unsupported_quantization");
    EXPECT_NE(s.message().find(GgmlTypeName(Id(t))), std::string::npos) << s.message();
  }
  Status s = Dequantize(Id(GgmlType::kQ2_K), b.data(), 256, y.data());
  EXPECT_EQ(s.message(), "unsupported quantization type Q2_K");
  s = Dequantize(1000, b.data(), 256, y.data());
  EXPECT_EQ(s.reason(), "unsupported_quantization");
  EXPECT_NE(s.message().find("type 1000"), std::string::npos) << s.message();
}

TEST(GgmlDequantizeTest, RefusesPartialBlocks) {
  std::vector<uint8_t> b(512, 0);
  std::vector<float> y(512);
  for (auto [t, n] : {std::pair{GgmlType::kQ4_0, 33},
                      {GgmlType::kQ8_0, 16},
                      {GgmlType::kQ4_K, 255},
                      {GgmlType::kQ6_K, 300},
                      {GgmlType::kF32, -1}}) {
    Status s = Dequantize(Id(t), b.data(), n, y.data());
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << GgmlTypeName(Id(t));
    EXPECT_EQ(s.reason(), "bad_tensor_size") << GgmlTypeName(Id(t));
    EXPECT_NE(s.message().find(GgmlTypeName(Id(t))), std::string::npos) << s.message();
  }
  EXPECT_TRUE(Dequantize(Id(GgmlType::kQ4_K), b.data(), 0, y.data()).ok());
}

TEST(GgmlBlockTest, ShapesAndByteSizes) {
  const std::pair<GgmlType, GgmlBlock> shapes[] = {
      {GgmlType::kF32, {1, 4}},      {GgmlType::kF16, {1, 2}},     {GgmlType::kBF16, {1, 2}},
      {GgmlType::kQ4_0, {32, 18}},   {GgmlType::kQ4_1, {32, 20}},  {GgmlType::kQ5_0, {32, 22}},
      {GgmlType::kQ5_1, {32, 24}},   {GgmlType::kQ8_0, {32, 34}},  {GgmlType::kQ4_K, {256, 144}},
      {GgmlType::kQ5_K, {256, 176}}, {GgmlType::kQ6_K, {256, 210}}};
  for (auto [t, want] : shapes) {
    auto got = GgmlBlockOf(Id(t));
    ASSERT_TRUE(got) << GgmlTypeName(Id(t));
    EXPECT_EQ(got->elements, want.elements) << GgmlTypeName(Id(t));
    EXPECT_EQ(got->bytes, want.bytes) << GgmlTypeName(Id(t));
    EXPECT_EQ(GgmlByteSize(Id(t), 3 * want.elements), uint64_t(3 * want.bytes));
  }
  EXPECT_FALSE(GgmlBlockOf(Id(GgmlType::kQ2_K)));
  EXPECT_FALSE(GgmlBlockOf(Id(GgmlType::kQ8_1)));
  EXPECT_FALSE(GgmlBlockOf(4));

  EXPECT_EQ(GgmlByteSize(Id(GgmlType::kF32), 10), 40u);
  EXPECT_EQ(GgmlByteSize(Id(GgmlType::kQ4_K), 4096 * 256), 4096u * 144);
  EXPECT_EQ(GgmlByteSize(Id(GgmlType::kQ8_0), 0), 0u);
  EXPECT_FALSE(GgmlByteSize(Id(GgmlType::kQ4_K), 255));
  EXPECT_FALSE(GgmlByteSize(Id(GgmlType::kQ4_0), -32));
  EXPECT_FALSE(GgmlByteSize(Id(GgmlType::kQ2_K), 256));
}

TEST(GgmlBlockTest, ByteSizeOverflow) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // 4 * 2^62 = 2^64 does not fit in uint64; one element less does.
  EXPECT_FALSE(GgmlByteSize(Id(GgmlType::kF32), int64_t{1} << 62));
  EXPECT_EQ(GgmlByteSize(Id(GgmlType::kF32), (int64_t{1} << 62) - 1), ~uint64_t{0} - 3);
  EXPECT_FALSE(GgmlByteSize(Id(GgmlType::kF32), kMax));
  // The largest whole number of Q6_K blocks is far from overflowing (210 / 256 bytes each).
  EXPECT_EQ(GgmlByteSize(Id(GgmlType::kQ6_K), kMax / 256 * 256), uint64_t(kMax / 256) * 210);
}

TEST(GgmlTypeNameTest, NamesKnownAndUnknownIds) {
  EXPECT_EQ(GgmlTypeName(Id(GgmlType::kQ4_K)), "Q4_K");
  EXPECT_EQ(GgmlTypeName(Id(GgmlType::kF16)), "F16");
  EXPECT_EQ(GgmlTypeName(Id(GgmlType::kBF16)), "BF16");
  EXPECT_EQ(GgmlTypeName(Id(GgmlType::kQ8_0)), "Q8_0");
  EXPECT_EQ(GgmlTypeName(16), "IQ2_XXS");
  EXPECT_EQ(GgmlTypeName(39), "MXFP4");
  EXPECT_EQ(GgmlTypeName(4), "type 4");  // retired Q4_2
  EXPECT_EQ(GgmlTypeName(1000), "type 1000");
}

}  // namespace
}  // namespace tributary::model
