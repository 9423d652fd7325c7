// ShardReader: a memory-mapped shard and the suffix-array searches over it.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "shard-format.h"
#include "tributary/attribution/shard_reader.h"
#include "tributary/base/bytes.h"

namespace tributary::attribution {

namespace fs = std::filesystem;
using namespace internal;

namespace {

uint32_t Crc(const uint8_t* p, uint64_t n) { return internal::Crc(0, p, n); }

// Binary searches over one shard, for a token width W and a position width P. Every read is
// bounds-checked (a damaged suffix array points anywhere), so a damaged shard answers wrongly
// but safely. Query tokens are below the separator (callers cut queries there).
template <uint32_t W, uint32_t P>
struct Searcher {
  const uint8_t* text;
  const uint8_t* sa;
  uint64_t T, N;
  uint32_t sep;
  SampleTable samples;

  uint32_t Tok(uint64_t pos) const { return pos < T ? LoadToken<W>(text + pos * W) : sep; }
  uint64_t Pos(uint64_t i) const { return LoadPosition<P>(sa + i * P); }

  // Compare for the j-th sample (the suffix at j * interval): its first tokens from memory,
  // the disk only when they all agree with q and q is longer.
  int CompareSample(uint64_t j, const uint32_t* q, size_t m, size_t& k) const {
    const uint8_t* rec = samples.bytes + j * samples.tokens * W;
    for (const size_t end = std::min<size_t>(m, samples.tokens); k < end; ++k) {
      const uint32_t t = LoadToken<W>(rec + k * W);
      if (t != q[k]) return t < q[k] ? -1 : 1;
    }
    return k < m ? Compare(Pos(j * samples.interval), q, m, k) : 0;
  }

  // Compares the suffix at `pos` with q[0, m), knowing the first k tokens agree: < 0 when the
  // suffix is smaller at the first difference, > 0 when larger, 0 when q is a prefix of it.
  // Leaves k at the length of the common prefix (at most m).
  int Compare(uint64_t pos, const uint32_t* q, size_t m, size_t& k) const {
    for (; k < m; ++k) {
      const uint32_t t = Tok(pos + k);
      if (t != q[k]) return t < q[k] ? -1 : 1;
    }
    return 0;
  }

  // The first suffix not below q (a suffix with prefix q counts as equal). With `upper`, the
  // first suffix above q. `best` gets the longest common prefix of q with the suffixes next to
  // the answer, which is the longest with any suffix. Lower and upper bounds narrow to the
  // common prefix of both ends of the range, which every suffix between them shares with q.
  // With a sample table, the samples narrow the range to one interval first (the same search,
  // over every interval-th suffix), so only the last log2(interval) probes read the disk.
  uint64_t Bound(const uint32_t* q, size_t m, bool upper, size_t* best) const {
    uint64_t lo = 0, hi = N;
    size_t llcp = 0, rlcp = 0;
    if (const uint64_t count = samples.count; count > 0) {
      uint64_t slo = 0, shi = count;
      while (slo < shi) {
        const uint64_t mid = slo + (shi - slo) / 2;
        size_t k = std::min(llcp, rlcp);
        const int c = CompareSample(mid, q, m, k);
        if (c < 0 || (upper && c == 0)) {
          slo = mid + 1;
          llcp = k;
        } else {
          shi = mid;
          rlcp = k;
        }
      }
      // Sample slo - 1 (entry lo - 1) is below the answer and sample slo (entry hi) is not.
      lo = slo > 0 ? (slo - 1) * samples.interval + 1 : 0;
      hi = slo < count ? std::min(N, slo * samples.interval) : N;
    }
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      size_t k = std::min(llcp, rlcp);
      const int c = Compare(Pos(mid), q, m, k);
      if (c < 0 || (upper && c == 0)) {
        lo = mid + 1;
        llcp = k;
      } else {
        hi = mid;
        rlcp = k;
      }
    }
    if (best) *best = std::max(lo > 0 ? llcp : 0, lo < N ? rlcp : 0);
    return lo;
  }
};

template <typename F>
auto Dispatch(uint32_t w, uint32_t p, const uint8_t* text, const uint8_t* sa, uint64_t t,
              uint64_t n, uint32_t sep, SampleTable samples, F&& f) {
  if (p == 4) {
    if (w == 2) return f(Searcher<2, 4>{text, sa, t, n, sep, samples});
    if (w == 3) return f(Searcher<3, 4>{text, sa, t, n, sep, samples});
    return f(Searcher<4, 4>{text, sa, t, n, sep, samples});
  }
  if (w == 2) return f(Searcher<2, 5>{text, sa, t, n, sep, samples});
  if (w == 3) return f(Searcher<3, 5>{text, sa, t, n, sep, samples});
  return f(Searcher<4, 5>{text, sa, t, n, sep, samples});
}

// The query up to its first token that is not below the separator.
size_t ValidPrefix(std::span<const uint32_t> q, uint32_t sep) {
  size_t m = 0;
  while (m < q.size() && q[m] < sep) ++m;
  return m;
}

}  // namespace

ShardReader::~ShardReader() {
  if (map_) ::munmap(map_, size_);
}

Result<std::unique_ptr<ShardReader>> ShardReader::Open(const fs::path& path, OpenOptions options) {
  auto bad = [&](const std::string& m) {
    return Status::Corruption(path.string() + ": " + m, "bad_span_index");
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no span index " + path.string(), "no_span_index");
    return Status::IOError("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IOError("cannot stat " + path.string());
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < LayoutOf(kFormatVersion1).bytes) {
    ::close(fd);
    return bad("too short for a header (" + std::to_string(size) + " bytes)");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return Status::IOError("cannot map " + path.string());
  std::unique_ptr<ShardReader> r(new ShardReader());
  r->path_ = path;
  r->map_ = map;
  r->size_ = size;
  const auto* b = static_cast<const uint8_t*>(map);
  if (std::memcmp(b, kMagic, 8) != 0) return bad("not a span index (bad magic)");
  const uint32_t version = GetU32(b + 8);
  if (version != kFormatVersion1 && version != kFormatVersion) {
    return bad("unknown format version " + std::to_string(version));
  }
  const HeaderLayout layout = LayoutOf(version);
  if (size < layout.bytes) return bad("too short for a header");
  if (GetU32(b + layout.crc_offset) != Crc(b, layout.crc_offset)) {
    return bad("header CRC mismatch");
  }
  r->token_bytes_ = GetU32(b + 12);
  r->position_bytes_ = GetU32(b + 16);
  if (r->token_bytes_ < 2 || r->token_bytes_ > 4) return bad("bad token width");
  if (r->position_bytes_ != 4 && r->position_bytes_ != 5) return bad("bad position width");
  r->separator_ = SeparatorFor(r->token_bytes_);
  r->stream_length_ = GetU64(b + 24);
  r->tokens_ = GetU64(b + 32);
  r->rows_ = GetU64(b + 40);
  r->contributions_ = GetU64(b + 48);
  r->contributors_ = GetU64(b + 56);
  if (version != kFormatVersion1) {
    r->sample_interval_ = GetU32(b + 20);
    r->sample_tokens_ = GetU32(b + kSampleTokensOffset);
    if (r->sample_interval_ == 0 || r->sample_interval_ > kMaxSampleInterval ||
        r->sample_tokens_ == 0 || r->sample_tokens_ > kMaxSampleTokens) {
      return bad("bad sample table parameters");
    }
    r->sample_count_ = (GetU64(b + 32) + r->sample_interval_ - 1) / r->sample_interval_;
  }
  const uint64_t T = r->stream_length_, R = r->rows_;
  if (T >= (uint64_t{1} << 40) || R > T || r->tokens_ != T - R) return bad("inconsistent counts");
  if (r->position_bytes_ == 4 && T >= (uint64_t{1} << 32)) return bad("positions too narrow");
  if (r->contributions_ > R || r->contributors_ > r->contributions_) {
    return bad("more contributions or contributors than rows");
  }
  const uint64_t expected[kSectionCount] = {
      0,  // meta: any length
      r->contributors_ * kContributorBytes,
      r->contributions_ * kContributionBytes,
      R * kRowBytes,
      (R + 1) * 8,
      T * r->token_bytes_,
      r->tokens_ * r->position_bytes_,
      r->sample_count_ * r->sample_tokens_ * r->token_bytes_,
  };
  Section sec[kSectionCount];
  uint64_t end = layout.bytes;
  for (int id = 0; id < layout.sections; ++id) {
    const uint8_t* e = b + kSectionTableOffset + id * kSectionEntryBytes;
    sec[id] = {GetU64(e), GetU64(e + 8), GetU32(e + 16)};
    if (sec[id].offset != AlignUp(end) || sec[id].offset > size ||
        sec[id].length > size - sec[id].offset || (id != kMeta && sec[id].length != expected[id])) {
      return bad("section " + std::to_string(id) + " does not fit the file of " +
                 std::to_string(size) + " bytes");
    }
    end = sec[id].offset + sec[id].length;
  }
  if (end != size)
    return bad("the file has " + std::to_string(size) + " bytes, the sections " +
               std::to_string(end));
  for (int id = kMeta; id < layout.sections; ++id) {
    if (id == kText || id == kSuffixArray) continue;  // most of the file: Verify
    if (Crc(b + sec[id].offset, sec[id].length) != sec[id].crc) {
      return bad("section " + std::to_string(id) + " CRC mismatch");
    }
  }
  auto meta = nlohmann::json::parse(
      std::string(reinterpret_cast<const char*>(b + sec[kMeta].offset), sec[kMeta].length), nullptr,
      false);
  if (meta.is_discarded()) return bad("the meta section is not JSON");
  auto info = ShardInfoFromJson(meta);
  if (!info.ok()) return bad(info.status().message());
  r->info_ = std::move(info).value();
  r->contributor_table_ = b + sec[kContributors].offset;
  r->contribution_table_ = b + sec[kContributions].offset;
  r->row_table_ = b + sec[kRows].offset;
  r->row_starts_ = b + sec[kRowStarts].offset;
  r->text_ = b + sec[kText].offset;
  r->suffixes_ = b + sec[kSuffixArray].offset;
  r->text_section_ = sec[kText];
  r->sa_section_ = sec[kSuffixArray];
  // The row tables: indexes in range, row starts increasing from 0 to T.
  for (uint64_t c = 0; c < r->contributions_; ++c) {
    if (GetU32(r->contribution_table_ + c * kContributionBytes + 32) >= r->contributors_) {
      return bad("contribution " + std::to_string(c) + " names no contributor");
    }
  }
  uint64_t prev = GetU64(r->row_starts_);
  if (prev != 0 || GetU64(r->row_starts_ + R * 8) != T) return bad("row starts do not span T");
  r->row_start_samples_.reserve(R / kRowStartSampleInterval + 1);
  for (uint64_t i = 0; i < R; ++i) {
    if (GetU32(r->row_table_ + i * kRowBytes + 32) >= r->contributions_) {
      return bad("row " + std::to_string(i) + " names no contribution");
    }
    if (i % kRowStartSampleInterval == 0) r->row_start_samples_.push_back(prev);
    const uint64_t next = GetU64(r->row_starts_ + (i + 1) * 8);
    if (next <= prev) return bad("row starts do not increase");
    prev = next;
  }
  // The sample table lives on the heap, so that the searches' first probes never wait for the
  // disk, whatever the page cache has let go.
  if (!options.samples) {
    r->sample_count_ = 0;  // checked, not kept
  } else if (r->sample_count_ > 0) {
    try {
      r->samples_.assign(b + sec[kSamples].offset, b + sec[kSamples].offset + sec[kSamples].length);
    } catch (const std::bad_alloc&) {
      return Status::ResourceExhausted("out of memory for the sample table of " + path.string());
    }
  }
  // Queries read the text and the suffix array at random: no read-ahead.
  auto advise = [&](const Section& s) {
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    const uint64_t from = s.offset / page * page;
    if (s.length > 0)
      ::madvise(static_cast<uint8_t*>(map) + from, s.offset + s.length - from, MADV_RANDOM);
  };
  advise(sec[kText]);
  advise(sec[kSuffixArray]);
  if (options.verify) TRIB_RETURN_IF_ERROR(r->Verify());
  return r;
}

Status ShardReader::Verify() const {
  auto bad = [&](const std::string& m) {
    return Status::Corruption(path_.string() + ": " + m, "bad_span_index");
  };
  if (Crc(text_, text_section_.length) != text_section_.crc) return bad("text CRC mismatch");
  if (Crc(suffixes_, sa_section_.length) != sa_section_.crc) {
    return bad("suffix array CRC mismatch");
  }
  // Each sample is the start of its suffix.
  for (uint64_t j = 0; j < sample_count_; ++j) {
    const uint64_t pos = SuffixAt(j * sample_interval_);
    bool ended = false;
    for (uint32_t t = 0; t < sample_tokens_; ++t) {
      ended = ended || TokenAt(pos + t) == separator_;
      const uint8_t* rec = samples_.data() + (j * sample_tokens_ + t) * token_bytes_;
      uint32_t stored = 0;
      for (uint32_t i = 0; i < token_bytes_; ++i) stored = stored << 8 | rec[i];
      if (stored != (ended ? separator_ : TokenAt(pos + t))) {
        return bad("sample " + std::to_string(j) + " disagrees with the suffix array");
      }
    }
  }
  return Status::OK();
}

RowInfo ShardReader::Row(uint64_t r) const {
  RowInfo info;
  const uint8_t* rec = row_table_ + r * kRowBytes;
  info.row_id = ToHex(ByteView(rec, 32));
  const uint8_t* c = contribution_table_ + GetU32(rec + 32) * kContributionBytes;
  info.contribution = ToHex(ByteView(c, 32));
  const char* a =
      reinterpret_cast<const char*>(contributor_table_ + GetU32(c + 32) * kContributorBytes);
  info.contributor.assign(a, strnlen(a, kContributorBytes));
  info.begin = GetU64(row_starts_ + r * 8);
  info.length = GetU64(row_starts_ + (r + 1) * 8) - info.begin - 1;
  return info;
}

std::vector<uint32_t> ShardReader::RowTokens(uint64_t r) const {
  const RowInfo info = Row(r);
  std::vector<uint32_t> out;
  out.reserve(info.length);
  for (uint64_t i = 0; i < info.length; ++i) out.push_back(TokenAt(info.begin + i));
  return out;
}

uint64_t ShardReader::RowOf(uint64_t pos) const {
  // The last row whose start is <= pos: first among the sampled starts in memory, then within
  // one interval of the mapped table (a page or two).
  if (row_start_samples_.empty()) return 0;
  const auto after =
      std::upper_bound(row_start_samples_.begin() + 1, row_start_samples_.end(), pos);
  uint64_t lo =
      static_cast<uint64_t>(after - row_start_samples_.begin() - 1) * kRowStartSampleInterval;
  uint64_t hi = std::min(rows_, lo + kRowStartSampleInterval);  // answer in [lo, hi)
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (GetU64(row_starts_ + mid * 8) <= pos) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

uint64_t ShardReader::RowBegin(uint64_t r) const { return GetU64(row_starts_ + r * 8); }

uint32_t ShardReader::TokenAt(uint64_t pos) const {
  if (pos >= stream_length_) return separator_;
  const uint8_t* p = text_ + pos * token_bytes_;
  if (token_bytes_ == 2) return LoadToken<2>(p);
  if (token_bytes_ == 3) return LoadToken<3>(p);
  return LoadToken<4>(p);
}

uint64_t ShardReader::SuffixAt(uint64_t i) const {
  const uint8_t* p = suffixes_ + i * position_bytes_;
  return position_bytes_ == 4 ? LoadPosition<4>(p) : LoadPosition<5>(p);
}

std::pair<uint64_t, uint64_t> ShardReader::Find(std::span<const uint32_t> query) const {
  const size_t m = query.size();
  if (m == 0 || ValidPrefix(query, separator_) != m || tokens_ == 0) return {0, 0};
  return Dispatch(token_bytes_, position_bytes_, text_, suffixes_, stream_length_, tokens_,
                  separator_,
                  SampleTable{samples_.data(), sample_count_, sample_interval_, sample_tokens_},
                  [&](const auto& s) {
                    const uint64_t lo = s.Bound(query.data(), m, false, nullptr);
                    const uint64_t hi = s.Bound(query.data(), m, true, nullptr);
                    return std::pair<uint64_t, uint64_t>(lo, std::max(lo, hi));
                  });
}

uint64_t ShardReader::Count(std::span<const uint32_t> query) const {
  auto [lo, hi] = Find(query);
  return hi - lo;
}

size_t ShardReader::LongestPrefix(std::span<const uint32_t> query) const {
  const size_t m = ValidPrefix(query, separator_);
  if (m == 0 || tokens_ == 0) return 0;
  return Dispatch(token_bytes_, position_bytes_, text_, suffixes_, stream_length_, tokens_,
                  separator_,
                  SampleTable{samples_.data(), sample_count_, sample_interval_, sample_tokens_},
                  [&](const auto& s) {
                    size_t best = 0;
                    s.Bound(query.data(), m, false, &best);
                    return best;
                  });
}

Occurrence ShardReader::OccurrenceAt(uint64_t pos, int64_t length) const {
  Occurrence o;
  o.row = RowOf(pos);
  RowInfo info = Row(o.row);
  o.offset = pos - info.begin;
  o.output_end = length;
  o.row_id = std::move(info.row_id);
  o.contribution = std::move(info.contribution);
  o.contributor = std::move(info.contributor);
  return o;
}

std::vector<Occurrence> ShardReader::Locate(std::span<const uint32_t> query, size_t limit) const {
  auto [lo, hi] = Find(query);
  std::vector<uint64_t> positions;
  for (uint64_t i = lo; i < hi && positions.size() < limit; ++i) {
    const uint64_t pos = SuffixAt(i);
    if (pos < stream_length_) positions.push_back(pos);
  }
  std::sort(positions.begin(), positions.end());
  std::vector<Occurrence> out;
  out.reserve(positions.size());
  for (uint64_t pos : positions) {
    out.push_back(OccurrenceAt(pos, static_cast<int64_t>(query.size())));
  }
  return out;
}

}  // namespace tributary::attribution
