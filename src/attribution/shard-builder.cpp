// ShardBuilder: rows in, a shard file out (format in span_index.h).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include "shard-format.h"
#include "suffix-sort.h"
#include "tributary/attribution/shard_builder.h"
#include "tributary/base/bytes.h"

namespace tributary::attribution {

namespace fs = std::filesystem;
using namespace internal;

namespace {

constexpr uint32_t kStreamSeparator = 0xFFFFFFFFu;  // in the builder's u32 stream
constexpr uint64_t kMaxStream = uint64_t{1} << 40;  // 5-byte positions

struct Hash32Hasher {
  size_t operator()(const Hash32& h) const {
    size_t v;
    std::memcpy(&v, h.data(), sizeof(v));
    return v;
  }
};

// Writes sections in order to a file, each 64-byte aligned, keeping their offsets and CRCs.
class SectionWriter {
 public:
  SectionWriter(int fd, const ProgressFn& progress, uint64_t total)
      : fd_(fd), progress_(progress), total_(total) {}

  Status Begin(int id) {
    static const uint8_t zeros[kAlign] = {};
    const uint64_t pad = AlignUp(offset_) - offset_;
    TRIB_RETURN_IF_ERROR(Raw(zeros, pad));
    sections_[id].offset = offset_;
    current_ = id;
    return Status::OK();
  }
  Status Write(const uint8_t* p, uint64_t n) {
    sections_[current_].length += n;
    sections_[current_].crc = Crc(sections_[current_].crc, p, n);
    return Raw(p, n);
  }
  Status Raw(const uint8_t* p, uint64_t n) {
    while (n > 0) {
      const auto chunk = static_cast<size_t>(std::min<uint64_t>(n, uint64_t{1} << 26));
      const ssize_t w = ::write(fd_, p, chunk);
      if (w < 0) {
        if (errno == EINTR) continue;
        return Status::IOError(std::string("cannot write the shard: ") + std::strerror(errno));
      }
      p += w;
      n -= static_cast<uint64_t>(w);
      offset_ += static_cast<uint64_t>(w);
      if (progress_ && offset_ - reported_ >= (uint64_t{1} << 26)) {
        reported_ = offset_;
        progress_({"write", std::min(offset_, total_), total_});
      }
    }
    return Status::OK();
  }
  struct Entry {
    uint64_t offset = 0, length = 0;
    uint32_t crc = 0;
  };
  const Entry& section(int id) const { return sections_[id]; }
  uint64_t offset() const { return offset_; }

 private:
  int fd_;
  const ProgressFn& progress_;
  uint64_t total_;
  uint64_t offset_ = 0, reported_ = 0;
  int current_ = 0;
  std::array<Entry, kSectionCount> sections_{};
};

}  // namespace

struct ShardBuilder::Impl {
  ShardOptions options;
  std::vector<uint32_t> stream;  // row tokens, kStreamSeparator after each row
  std::vector<uint64_t> starts{0};
  std::vector<uint8_t> rows;                               // kRowBytes records
  std::vector<std::pair<Hash32, uint32_t>> contributions;  // id, contributor index
  std::unordered_map<Hash32, uint32_t, Hash32Hasher> contribution_index;
  std::vector<std::string> contributors;
  std::unordered_map<std::string, uint32_t> contributor_index;
  uint32_t max_id = 0;
  uint64_t row_count = 0;
};

ShardBuilder::ShardBuilder(ShardOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}
ShardBuilder::~ShardBuilder() = default;

uint64_t ShardBuilder::rows() const { return impl_->row_count; }
uint64_t ShardBuilder::tokens() const { return impl_->stream.size() - impl_->row_count; }

Status ShardBuilder::Add(std::string_view row_id, std::string_view contribution,
                         std::string_view contributor, std::span<const uint32_t> tokens) {
  Impl& m = *impl_;
  const std::string where = "row " + std::to_string(m.row_count);
  auto row = FixedFromHex<32>(row_id);
  if (!row.ok()) return Status::InvalidArgument(where + ": row id: " + row.status().message());
  auto contrib = FixedFromHex<32>(contribution);
  if (!contrib.ok()) {
    return Status::InvalidArgument(where + ": contribution: " + contrib.status().message());
  }
  if (contributor.size() > kContributorBytes) {
    return Status::InvalidArgument(where + ": contributor longer than 64 bytes");
  }
  for (char c : contributor) {
    if (c < 0x21 || c > 0x7E) {
      return Status::InvalidArgument(where + ": contributor is not printable ASCII");
    }
  }
  const uint32_t limit =
      m.options.token_bytes == 0 ? kStreamSeparator : SeparatorFor(m.options.token_bytes);
  if (m.options.token_bytes != 0 && m.options.token_bytes != 2 && m.options.token_bytes != 3 &&
      m.options.token_bytes != 4) {
    return Status::InvalidArgument("token_bytes must be 0, 2, 3 or 4");
  }
  uint32_t max_id = m.max_id;
  for (uint32_t t : tokens) {
    if (t >= limit) {
      return Status::InvalidArgument(where + ": token id " + std::to_string(t) + " does not fit " +
                                     std::to_string(m.options.token_bytes) + " bytes");
    }
    max_id = std::max(max_id, t);
  }
  if (m.stream.size() + tokens.size() + 1 >= kMaxStream) {
    return Status::ResourceExhausted("a shard holds fewer than 2^40 tokens");
  }
  // The contribution and its contributor.
  uint32_t ci;
  auto it = m.contribution_index.find(*contrib);
  if (it != m.contribution_index.end()) {
    ci = it->second;
    if (m.contributors[m.contributions[ci].second] != contributor) {
      return Status::InvalidArgument(where + ": contribution " + std::string(contribution) +
                                     " was added with another contributor");
    }
  } else {
    auto [kit, inserted] = m.contributor_index.try_emplace(
        std::string(contributor), static_cast<uint32_t>(m.contributors.size()));
    if (inserted) m.contributors.emplace_back(contributor);
    ci = static_cast<uint32_t>(m.contributions.size());
    m.contributions.emplace_back(*contrib, kit->second);
    m.contribution_index.emplace(*contrib, ci);
  }
  try {
    m.stream.insert(m.stream.end(), tokens.begin(), tokens.end());
    m.stream.push_back(kStreamSeparator);
    m.starts.push_back(m.stream.size());
    const size_t at = m.rows.size();
    m.rows.resize(at + kRowBytes);
    std::memcpy(m.rows.data() + at, row->data(), 32);
    PutU32(m.rows.data() + at + 32, ci);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory adding " + where);
  }
  m.max_id = max_id;
  ++m.row_count;
  return Status::OK();
}

Status ShardBuilder::Finish(const fs::path& path, const ProgressFn& progress) {
  Impl m = std::move(*impl_);
  *impl_ = Impl();
  impl_->options = m.options;
  if (m.options.info.tokenizer.empty()) {
    return Status::InvalidArgument("the shard's tokenizer is not named");
  }
  if (m.options.position_bytes != 0 && m.options.position_bytes != 4 &&
      m.options.position_bytes != 5) {
    return Status::InvalidArgument("position_bytes must be 0, 4 or 5");
  }
  const uint32_t interval = m.options.sample_interval, sample_tokens = m.options.sample_tokens;
  if (interval > kMaxSampleInterval ||
      (interval > 0 && (sample_tokens == 0 || sample_tokens > kMaxSampleTokens))) {
    return Status::InvalidArgument(
        "sample_interval must be at most " + std::to_string(kMaxSampleInterval) +
        " and sample_tokens from 1 to " + std::to_string(kMaxSampleTokens));
  }
  if (m.contributions.size() >= UINT32_MAX) {
    return Status::ResourceExhausted("too many contributions in one shard");
  }
  uint32_t width = m.options.token_bytes;
  if (width == 0) width = m.max_id < 0xFFFFu ? 2 : m.max_id < 0xFFFFFFu ? 3 : 4;
  const uint64_t stream_len = m.stream.size();
  const uint64_t indexed = stream_len - m.row_count;
  uint32_t pos_bytes = m.options.position_bytes;
  if (pos_bytes == 0 || stream_len >= (uint64_t{1} << 32)) {
    pos_bytes = stream_len < (uint64_t{1} << 32) ? 4 : 5;
  }

  // Encode the text, then let the u32 stream go before sorting.
  std::vector<uint8_t> text;
  try {
    text.resize(stream_len * width);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory encoding " + std::to_string(stream_len) +
                                     " tokens");
  }
  const uint32_t sep = SeparatorFor(width);
  for (uint64_t i = 0; i < stream_len; ++i) {
    const uint32_t t = m.stream[i];
    StoreToken(text.data() + i * width, width, t == kStreamSeparator ? sep : t);
    if (progress && (i + 1) % (uint64_t{1} << 24) == 0) progress({"encode", i + 1, stream_len});
  }
  if (progress) progress({"encode", stream_len, stream_len});
  std::vector<uint32_t>().swap(m.stream);

  TRIB_ASSIGN_OR_RETURN(
      SortedSuffixes sa,
      SortTokenSuffixes(text.data(), stream_len, width, pos_bytes, m.options.wide_sort, progress));
  if (sa.count() != indexed) {
    return Status::Internal("the suffix array has " + std::to_string(sa.count()) + " entries for " +
                            std::to_string(indexed) + " tokens");
  }

  // The sample table: the first tokens of every interval-th suffix, the separator and what
  // follows it written as separators (a comparison stops there).
  std::vector<uint8_t> samples;
  if (interval > 0) {
    const uint64_t count = (indexed + interval - 1) / interval;
    const uint64_t record = uint64_t{sample_tokens} * width;
    try {
      samples.assign(count * record, 0xFF);
    } catch (const std::bad_alloc&) {
      return Status::ResourceExhausted("out of memory for the sample table");
    }
    for (uint64_t j = 0; j < count; ++j) {
      const uint8_t* at = sa.data() + j * interval * pos_bytes;
      const uint64_t pos = pos_bytes == 4 ? LoadPosition<4>(at) : LoadPosition<5>(at);
      uint8_t* out = samples.data() + j * record;
      for (uint64_t t = 0; t < sample_tokens && pos + t < stream_len; ++t) {
        const uint8_t* token = text.data() + (pos + t) * width;
        if (std::all_of(token, token + width, [](uint8_t b) { return b == 0xFF; })) break;
        std::memcpy(out + t * width, token, width);
      }
    }
  }

  // Small tables.
  const std::string meta = ShardInfoToJson(m.options.info).dump();
  std::vector<uint8_t> contributors(m.contributors.size() * kContributorBytes, 0);
  for (size_t i = 0; i < m.contributors.size(); ++i) {
    std::memcpy(contributors.data() + i * kContributorBytes, m.contributors[i].data(),
                m.contributors[i].size());
  }
  std::vector<uint8_t> contributions(m.contributions.size() * kContributionBytes, 0);
  for (size_t i = 0; i < m.contributions.size(); ++i) {
    uint8_t* rec = contributions.data() + i * kContributionBytes;
    std::memcpy(rec, m.contributions[i].first.data(), 32);
    PutU32(rec + 32, m.contributions[i].second);
  }
  std::vector<uint8_t> starts(m.starts.size() * 8);
  for (size_t i = 0; i < m.starts.size(); ++i) PutU64(starts.data() + i * 8, m.starts[i]);

  fs::path tmp = path;
  tmp += ".partial";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IOError("cannot create " + tmp.string() + ": " + std::strerror(errno));
  }
  auto fail = [&](const Status& s) {
    ::close(fd);
    std::error_code ec;
    fs::remove(tmp, ec);
    return s;
  };
  const uint32_t version = interval > 0 ? kFormatVersion : kFormatVersion1;
  const HeaderLayout layout = LayoutOf(version);
  const uint64_t total = layout.bytes + meta.size() + contributors.size() + contributions.size() +
                         m.rows.size() + starts.size() + text.size() + sa.bytes() + samples.size() +
                         layout.sections * kAlign;
  SectionWriter w(fd, progress, total);
  uint8_t header[kHeaderBytesMax] = {};
  Status s = w.Raw(header, layout.bytes);
  const std::pair<int, std::pair<const uint8_t*, uint64_t>> parts[] = {
      {kMeta, {reinterpret_cast<const uint8_t*>(meta.data()), meta.size()}},
      {kContributors, {contributors.data(), contributors.size()}},
      {kContributions, {contributions.data(), contributions.size()}},
      {kRows, {m.rows.data(), m.rows.size()}},
      {kRowStarts, {starts.data(), starts.size()}},
      {kText, {text.data(), text.size()}},
      {kSuffixArray, {sa.data(), sa.bytes()}},
      {kSamples, {samples.data(), samples.size()}},
  };
  for (const auto& [id, bytes] : parts) {
    if (id >= layout.sections) break;
    if (s.ok()) s = w.Begin(id);
    if (s.ok()) s = w.Write(bytes.first, bytes.second);
  }
  if (!s.ok()) return fail(s);

  std::memcpy(header, kMagic, 8);
  PutU32(header + 8, version);
  PutU32(header + 12, width);
  PutU32(header + 16, pos_bytes);
  PutU32(header + 20, interval);
  PutU64(header + 24, stream_len);
  PutU64(header + 32, indexed);
  PutU64(header + 40, m.row_count);
  PutU64(header + 48, m.contributions.size());
  PutU64(header + 56, m.contributors.size());
  if (version != kFormatVersion1) PutU32(header + kSampleTokensOffset, sample_tokens);
  for (int id = 0; id < layout.sections; ++id) {
    uint8_t* e = header + kSectionTableOffset + id * kSectionEntryBytes;
    PutU64(e, w.section(id).offset);
    PutU64(e + 8, w.section(id).length);
    PutU32(e + 16, w.section(id).crc);
  }
  PutU32(header + layout.crc_offset, Crc(0, header, layout.crc_offset));
  if (::pwrite(fd, header, layout.bytes, 0) != static_cast<ssize_t>(layout.bytes)) {
    return fail(Status::IOError("cannot write the header of " + tmp.string()));
  }
  if (::fsync(fd) != 0) return fail(Status::IOError("cannot sync " + tmp.string()));
  if (::close(fd) != 0) {
    std::error_code ec;
    fs::remove(tmp, ec);
    return Status::IOError("cannot close " + tmp.string());
  }
  if (progress) progress({"write", w.offset(), w.offset()});
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Status::IOError("cannot rename " + tmp.string() + ": " + ec.message());
  }
  return Status::OK();
}

Status BuildShard(const std::vector<IndexRow>& rows, const fs::path& path,
                  const ShardOptions& options, const ProgressFn& progress) {
  ShardBuilder builder(options);
  for (const IndexRow& row : rows) TRIB_RETURN_IF_ERROR(builder.Add(row));
  return builder.Finish(path, progress);
}

}  // namespace tributary::attribution
