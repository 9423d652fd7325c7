// The influence cache file (format in influence-cache.h).
#include "influence-cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>

#include "tributary/base/hash.h"

namespace tributary::attribution::internal {
namespace {

namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "the cache is written as in memory");

constexpr char kMagic[8] = {'T', 'R', 'B', 'I', 'N', 'F', 'L', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 128;
constexpr size_t kTrailerBytes = 32;
constexpr uint32_t kFlagTrak = 1;
constexpr uint32_t kFlagDual = 2;
constexpr uint32_t kFlagRankScaled = 4;

template <typename T>
void Put(std::string& b, size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof(T));
}
template <typename T>
T Get(const std::string& b, size_t at) {
  T v;
  std::memcpy(&v, b.data() + at, sizeof(T));
  return v;
}

// An empty vector's data() may be null, which memcpy must not see even for zero bytes.
void PutDoubles(std::string& b, size_t& at, const std::vector<double>& v) {
  if (v.empty()) return;
  std::memcpy(b.data() + at, v.data(), v.size() * sizeof(double));
  at += v.size() * sizeof(double);
}
std::vector<double> GetDoubles(const std::string& b, size_t& at, uint64_t n) {
  std::vector<double> v(n);
  if (n == 0) return v;
  std::memcpy(v.data(), b.data() + at, n * sizeof(double));
  at += n * sizeof(double);
  return v;
}

Hash32 Digest(const std::string& b, size_t n) {
  Sha256Hasher h;
  h.Update(ByteView(reinterpret_cast<const uint8_t*>(b.data()), n));
  return h.Finish();
}

}  // namespace

Result<InfluenceCache> ReadInfluenceCache(const fs::path& path) {
  // POSIX reads: no stream exceptions, and anything but a regular file is simply not a cache.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("no influence cache " + path.string());
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Corruption(path.string() + " is not a regular file");
  }
  std::string b(static_cast<size_t>(st.st_size), '\0');
  for (size_t off = 0; off < b.size();) {
    const ssize_t r = ::read(fd, b.data() + off, b.size() - off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      ::close(fd);
      return Status::Corruption("cannot read " + path.string());
    }
    off += static_cast<size_t>(r);
  }
  ::close(fd);
  auto bad = [&](const std::string& m) { return Status::Corruption(path.string() + ": " + m); };
  if (b.size() < kHeaderBytes + kTrailerBytes || std::memcmp(b.data(), kMagic, 8) != 0) {
    return bad("not an influence cache");
  }
  if (Get<uint32_t>(b, 8) != kVersion) return bad("unknown version");
  InfluenceCache c;
  const uint32_t flags = Get<uint32_t>(b, 12);
  c.has_trak = (flags & kFlagTrak) != 0;
  c.dual = c.has_trak && (flags & kFlagDual) != 0;
  c.rank_scaled = c.has_trak && (flags & kFlagRankScaled) != 0;
  c.file_size = Get<uint64_t>(b, 16);
  c.mtime_ns = Get<int64_t>(b, 24);
  c.count = Get<uint64_t>(b, 32);
  c.dim = Get<uint32_t>(b, 40);
  c.damping = Get<double>(b, 48);
  c.lambda = Get<double>(b, 56);
  c.sha256.assign(b.data() + 64, 64);
  // Sizes are checked against the file length before anything is allocated from them.
  const uint64_t payload = b.size() - kHeaderBytes - kTrailerBytes;
  const uint64_t per_norms = c.has_trak ? 16 : 8;
  if (c.count > payload / per_norms) return bad("size does not match count");
  // The factor's side: dim, or count in the dual form (which only fewer sketches than dims use).
  const uint64_t side = !c.has_trak ? 0 : c.dual ? c.count : c.dim;
  if (c.dual && c.count >= c.dim) return bad("dual factor for as many sketches as dims");
  if (side != 0 && side > payload / 8 / side) return bad("size does not match the factor");
  if (payload != c.count * per_norms + side * side * 8)
    return bad("size does not match count, dim");
  const size_t body = b.size() - kTrailerBytes;
  const Hash32 want = Digest(b, body);
  if (std::memcmp(want.data(), b.data() + body, kTrailerBytes) != 0) return bad("bad checksum");
  size_t at = kHeaderBytes;
  c.norms = GetDoubles(b, at, c.count);
  if (c.has_trak) {
    c.trak_norms = GetDoubles(b, at, c.count);
    c.factor = GetDoubles(b, at, side * side);
  }
  return c;
}

Status WriteInfluenceCache(const fs::path& path, const InfluenceCache& c) {
  const uint64_t side = c.dual ? c.count : c.dim;
  if (c.norms.size() != c.count || (c.dual && c.count >= c.dim) ||
      (c.has_trak && (c.trak_norms.size() != c.count || c.factor.size() != side * side)) ||
      c.sha256.size() != 64) {
    return Status::Internal("inconsistent influence cache");
  }
  const size_t n = kHeaderBytes + c.count * (c.has_trak ? 16 : 8) + c.factor.size() * 8;
  std::string b(n + kTrailerBytes, '\0');
  std::memcpy(b.data(), kMagic, 8);
  Put<uint32_t>(b, 8, kVersion);
  Put<uint32_t>(b, 12,
                c.has_trak
                    ? kFlagTrak | (c.dual ? kFlagDual : 0) | (c.rank_scaled ? kFlagRankScaled : 0)
                    : 0);
  Put<uint64_t>(b, 16, c.file_size);
  Put<int64_t>(b, 24, c.mtime_ns);
  Put<uint64_t>(b, 32, c.count);
  Put<uint32_t>(b, 40, c.dim);
  Put<double>(b, 48, c.has_trak ? c.damping : 0.0);
  Put<double>(b, 56, c.has_trak ? c.lambda : 0.0);
  std::memcpy(b.data() + 64, c.sha256.data(), 64);
  size_t at = kHeaderBytes;
  PutDoubles(b, at, c.norms);
  if (c.has_trak) {
    PutDoubles(b, at, c.trak_norms);
    PutDoubles(b, at, c.factor);
  }
  const Hash32 digest = Digest(b, n);
  std::memcpy(b.data() + n, digest.data(), kTrailerBytes);

  // A name of its own per writer, so two processes opening the same sketches do not interleave.
  static std::atomic<uint64_t> serial{0};
  fs::path tmp = path;
  tmp += ".partial-" + std::to_string(::getpid()) + "-" + std::to_string(serial++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot create " + tmp.string() + ": " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    std::error_code ec;
    fs::remove(tmp, ec);
    return Status::IOError(what + " " + tmp.string() + ": " + err);
  };
  for (size_t off = 0; off < b.size();) {
    const ssize_t w = ::write(fd, b.data() + off, b.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return fail("cannot write");
    off += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) return fail("cannot sync");
  if (::close(fd) != 0) {
    std::error_code ec;
    fs::remove(tmp, ec);
    return Status::IOError("cannot close " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code rm;
    fs::remove(tmp, rm);
    return Status::IOError("cannot rename " + tmp.string() + ": " + ec.message());
  }
  return Status::OK();
}

}  // namespace tributary::attribution::internal
