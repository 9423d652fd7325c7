// The index catalog: shard paths, listing (order, sizes, files that are not shards reported and
// skipped), the shards of a lineage and the message naming missing ones, tokenizer ids.
#include "tributary/attribution/index_catalog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "support/temp_dir.h"
#include "tributary/attribution/shard_builder.h"
#include "tributary/base/file_hash.h"

namespace tributary::attribution {
namespace {

namespace fs = std::filesystem;

using tributary::testing::TempDir;

std::string Hex64(uint64_t tag, uint64_t v) {
  char buf[65];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx%016llx%016llx",
                static_cast<unsigned long long>(tag), static_cast<unsigned long long>(v),
                static_cast<unsigned long long>(v), static_cast<unsigned long long>(v));
  return buf;
}

const std::string kTokA = TokenizerId("tokenizer a");
const std::string kTokB = TokenizerId("tokenizer b");

// A shard of `rows` rows (3 tokens each) for rows [first_row, first_row + rows) of (d, v).
void Build(const IndexCatalog& cat, const std::string& tok, uint64_t d, uint32_t v,
           uint64_t first_row, uint64_t rows) {
  std::vector<IndexRow> list;
  for (uint64_t i = 0; i < rows; ++i) {
    const uint32_t t = static_cast<uint32_t>(first_row + i);
    list.push_back({Hex64(1, first_row + i), Hex64(2, d), "trb1someone", {t, t + 1, t + 2}});
  }
  ShardOptions o;
  o.info.tokenizer = tok;
  o.info.sources = {{d, v, first_row, rows}};
  fs::create_directories(cat.ShardPath(tok, d, v).parent_path());
  Status s = BuildShard(list, cat.ShardPath(tok, d, v), o);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

void WriteFile(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

TEST(IndexCatalogTest, TokenizerId) {
  // SHA-256 of "abc" (FIPS 180-2).
  EXPECT_EQ(TokenizerId("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(TokenizerId("").size(), 64u);
  TempDir dir;
  WriteFile(dir.path() / "tokenizer.json", "abc");
  auto id = TokenizerIdOfFile(dir.path() / "tokenizer.json");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, TokenizerId("abc"));
  auto missing = TokenizerIdOfFile(dir.path() / "nope.json");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(TokenizerIdOfFile(dir.path()).status().code(), Code::kNotFound);  // a directory
}

TEST(IndexCatalogTest, ShardPath) {
  IndexCatalog cat("/x/index");
  EXPECT_EQ(cat.dir(), fs::path("/x/index"));
  EXPECT_EQ(cat.ShardPath("abc", 7, 12), fs::path("/x/index/abc/d7-v12.span"));
  EXPECT_EQ(cat.ShardPath("abc", 18446744073709551615ull, 4294967295u),
            fs::path("/x/index/abc/d18446744073709551615-v4294967295.span"));
}

TEST(IndexCatalogTest, ListSortsAndDescribesShards) {
  TempDir dir;
  IndexCatalog cat(dir.path() / "index");
  std::vector<std::string> problems = {"stale"};
  EXPECT_TRUE(cat.List(&problems).empty());  // no directory yet: empty, no problem
  EXPECT_TRUE(problems.empty());

  Build(cat, kTokB, 1, 1, 0, 2);
  Build(cat, kTokA, 10, 1, 0, 1);
  Build(cat, kTokA, 2, 2, 5, 3);
  Build(cat, kTokA, 2, 1, 0, 5);
  Build(cat, kTokA, 2, 10, 8, 0);  // a version that added no rows: an empty shard
  auto shards = cat.List(&problems);
  EXPECT_TRUE(problems.empty()) << problems[0];
  ASSERT_EQ(shards.size(), 5u);
  // Tokenizer, then datanet and version as numbers (not as names: d10 after d2, v10 after v2).
  const bool a_first = kTokA < kTokB;
  std::vector<std::tuple<std::string, uint64_t, uint32_t>> got, want;
  for (const auto& s : shards) got.emplace_back(s.tokenizer, s.datanet, s.version);
  std::vector<std::tuple<std::string, uint64_t, uint32_t>> a = {
      {kTokA, 2, 1}, {kTokA, 2, 2}, {kTokA, 2, 10}, {kTokA, 10, 1}};
  std::vector<std::tuple<std::string, uint64_t, uint32_t>> b = {{kTokB, 1, 1}};
  want = a_first ? a : b;
  want.insert(want.end(), (a_first ? b : a).begin(), (a_first ? b : a).end());
  EXPECT_EQ(got, want);

  const CatalogShard* s = nullptr;
  for (const auto& x : shards) {
    if (x.tokenizer == kTokA && x.datanet == 2 && x.version == 2) s = &x;
  }
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->first_row, 5u);
  EXPECT_EQ(s->rows, 3u);
  EXPECT_EQ(s->tokens, 9u);
  EXPECT_EQ(s->bytes, fs::file_size(cat.ShardPath(kTokA, 2, 2)));
  EXPECT_EQ(s->path, cat.ShardPath(kTokA, 2, 2));
  nlohmann::json j = s->ToJson();
  EXPECT_EQ(j["tokenizer"], kTokA);
  EXPECT_EQ(j["datanet"], 2);
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["first_row"], 5);
  EXPECT_EQ(j["rows"], 3);
  EXPECT_EQ(j["tokens"], 9);
  EXPECT_EQ(j["bytes"], s->bytes);
  EXPECT_EQ(j["path"], cat.ShardPath(kTokA, 2, 2).string());
  EXPECT_EQ(cat.List().size(), 5u);  // problems are optional
}

TEST(IndexCatalogTest, ListReportsAndSkipsWhatIsNotAShard) {
  TempDir dir;
  IndexCatalog cat(dir.path());
  Build(cat, kTokA, 1, 1, 0, 2);
  // Garbage under a shard's name, a file not named as a shard, an unfinished build, a file at
  // the top level, and a shard in another tokenizer's directory or under another version's name.
  WriteFile(cat.ShardPath(kTokA, 1, 2), "not a shard at all");
  WriteFile(dir.path() / kTokA / "notes.txt", "hello");
  WriteFile(dir.path() / kTokA / "d01-v1.span", "leading zero");
  WriteFile(dir.path() / kTokA / "d1-v3.span.partial", "half written");
  WriteFile(dir.path() / "README", "top-level file");
  WriteFile(dir.path() / kTokA / ".lock", "");  // hidden files are ignored
  WriteFile(dir.path() / ".cache" / "x", "");
  fs::create_directories(dir.path() / kTokB);
  fs::copy_file(cat.ShardPath(kTokA, 1, 1), cat.ShardPath(kTokB, 1, 1));
  fs::copy_file(cat.ShardPath(kTokA, 1, 1), cat.ShardPath(kTokA, 1, 4));
  // A shard with two sources is not a catalog shard.
  ShardOptions two;
  two.info.tokenizer = kTokA;
  two.info.sources = {{1, 5, 0, 0}, {1, 6, 0, 0}};
  ASSERT_TRUE(BuildShard({}, cat.ShardPath(kTokA, 1, 5), two).ok());

  std::vector<std::string> problems;
  auto shards = cat.List(&problems);
  ASSERT_EQ(shards.size(), 1u);
  EXPECT_EQ(shards[0].version, 1u);
  EXPECT_EQ(shards[0].tokenizer, kTokA);
  ASSERT_EQ(problems.size(), 8u) << ::testing::PrintToString(problems);
  EXPECT_TRUE(std::is_sorted(problems.begin(), problems.end()));
  auto has = [&](const fs::path& p, const std::string& needle) {
    for (const auto& m : problems) {
      if (m.rfind(p.string() + ": ", 0) == 0 && m.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(cat.ShardPath(kTokA, 1, 2), ""));
  EXPECT_TRUE(has(dir.path() / kTokA / "notes.txt", "not a shard name"));
  EXPECT_TRUE(has(dir.path() / kTokA / "d01-v1.span", "not a shard name"));
  EXPECT_TRUE(has(dir.path() / kTokA / "d1-v3.span.partial", "unfinished"));
  EXPECT_TRUE(has(dir.path() / "README", "not a tokenizer directory"));
  EXPECT_TRUE(has(cat.ShardPath(kTokB, 1, 1), "names tokenizer"));
  EXPECT_TRUE(has(cat.ShardPath(kTokA, 1, 4), "version 4"));
  EXPECT_TRUE(has(cat.ShardPath(kTokA, 1, 5), "version 5"));
}

TEST(IndexCatalogTest, LineageShards) {
  TempDir dir;
  IndexCatalog cat(dir.path());
  Build(cat, kTokA, 1, 1, 0, 2);
  Build(cat, kTokA, 1, 2, 2, 2);
  Build(cat, kTokA, 1, 3, 4, 0);  // empty versions count as indexed
  Build(cat, kTokA, 4, 1, 0, 1);

  auto paths = cat.LineageShards(kTokA, {{4, 1}, {1, 2}, {1, 3}});
  ASSERT_TRUE(paths.ok()) << paths.status().ToString();
  EXPECT_EQ(*paths,
            (std::vector<fs::path>{cat.ShardPath(kTokA, 4, 1), cat.ShardPath(kTokA, 1, 1),
                                   cat.ShardPath(kTokA, 1, 2), cat.ShardPath(kTokA, 1, 3)}));
  auto none = cat.LineageShards(kTokA, {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  // Another tokenizer has nothing: every pair is named, and the command builds the highest.
  auto b = cat.LineageShards(kTokB, {{1, 2}});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(b.status().reason(), "index_missing");
  EXPECT_NE(b.status().message().find("1@1, 1@2"), std::string::npos) << b.status().message();
  EXPECT_NE(b.status().message().find("tributary index build --datanet 1@2 --model ID"),
            std::string::npos)
      << b.status().message();

  // Only the missing pairs are named, over several Datanets.
  fs::remove(cat.ShardPath(kTokA, 1, 2));
  auto gap = cat.LineageShards(kTokA, {{1, 3}, {4, 2}});
  ASSERT_FALSE(gap.ok());
  EXPECT_NE(gap.status().message().find("for 1@2, 4@2 "), std::string::npos)
      << gap.status().message();
  EXPECT_NE(gap.status().message().find("--datanet 1@2,4@2 "), std::string::npos)
      << gap.status().message();
  EXPECT_EQ(cat.LineageShards(kTokA, {{1, 0}}).status().code(), Code::kInvalidArgument);
}

TEST(IndexCatalogTest, ShardSha256IsCachedBesideTheShardAndFollowsChanges) {
  TempDir dir;
  IndexCatalog cat(dir.path() / "index");
  Build(cat, kTokA, 1, 1, 0, 3);
  const fs::path shard = cat.ShardPath(kTokA, 1, 1);
  auto first = ShardSha256(shard);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto direct = Sha256File(shard);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(*first, ToHex(*direct));
  const fs::path cache = shard.parent_path() / ".d1-v1.span.sha256";
  EXPECT_TRUE(fs::exists(cache));
  std::vector<std::string> problems;
  EXPECT_EQ(cat.List(&problems).size(), 1u);  // the hidden cache is not a shard or a problem
  EXPECT_TRUE(problems.empty());

  // A cache that lies about the hash is believed only while size and time match.
  WriteFile(cache, "garbage");
  EXPECT_EQ(*ShardSha256(shard), *first);  // unreadable cache: recomputed
  Build(cat, kTokA, 1, 1, 0, 5);           // the shard is rebuilt with other rows
  auto rebuilt = ShardSha256(shard);
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_NE(*rebuilt, *first);
  EXPECT_EQ(*rebuilt, ToHex(*Sha256File(shard)));
  EXPECT_EQ(ShardSha256(dir.path() / "none.span").status().reason(), "index_missing");
}

}  // namespace
}  // namespace tributary::attribution
