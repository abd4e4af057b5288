#include "snapshot/file_store.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace harmony::snapshot {
namespace {

namespace fs = std::filesystem;
using test::IsOk;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

class FileStoreTest : public ::testing::Test {
 protected:
  FileStoreTest() : store_(NewFileStore(dir_.Sub("store"))) {}

  // A stored file of `size` bytes (content varies with the name) and its manifest.
  Manifest MakeSnapshot(const std::string& name, size_t size = 3 << 20) {
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; ++i)
      bytes[i] = static_cast<char>((i * 31 + name.size()) ^ name[0]);
    bytes.replace(0, std::min(name.size(), size), name.substr(0, size));
    const std::string path = dir_.Sub(name + ".upload");
    WriteAll(path, bytes);
    Manifest m;
    m.name = name;
    m.created_at = "2026-11-23T12:05:01Z";
    m.node_id = 7;
    m.positions = {{0, 42}};
    m.schema = "CREATE TABLE t(a)";
    m.db_bytes = size * 2;
    m.compressed_bytes = size;
    m.xxh3 = XXH3_64bits(bytes.data(), bytes.size());
    return m;
  }

  Status Put(const Manifest& m) { return store_->Put(m, dir_.Sub(m.name + ".upload"), nullptr); }

  std::vector<std::string> StoreFiles() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_.Sub("store"))) {
      out.push_back(e.path().filename());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::optional<Manifest> Latest() {
    auto latest = store_->Latest();
    EXPECT_TRUE(IsOk(latest));
    return latest.ok() ? *latest : std::nullopt;
  }

  test::TempDir dir_;
  std::unique_ptr<SnapshotStore> store_;
};

TEST_F(FileStoreTest, EmptyOrMissingDirectoryHasNoSnapshot) {
  EXPECT_EQ(Latest(), std::nullopt);
  EXPECT_EQ(store_->Describe(), "directory " + dir_.Sub("store"));
}

TEST_F(FileStoreTest, LatestIsTheNewerOfTwo) {
  const Manifest older = MakeSnapshot("20261123T120501Z-7");
  const Manifest newer = MakeSnapshot("20261123T120502Z-3");
  ASSERT_TRUE(IsOk(Put(older)));
  EXPECT_EQ(Latest(), older);
  ASSERT_TRUE(IsOk(Put(newer)));
  EXPECT_EQ(Latest(), newer);
  EXPECT_EQ(StoreFiles().size(), 4u);
}

TEST_F(FileStoreTest, ChangeMarkerChangesWithEveryPutAndPruneOnly) {
  auto marker = [&] {
    auto m = store_->ChangeMarker();
    EXPECT_TRUE(IsOk(m));
    return m.ok() ? *m : std::string("?");
  };
  const std::string empty = marker();
  EXPECT_EQ(marker(), empty) << "nothing changed";
  ASSERT_TRUE(IsOk(Put(MakeSnapshot("20261123T120501Z-1", 1000))));
  const std::string one = marker();
  EXPECT_NE(one, empty);
  EXPECT_EQ(marker(), one);
  ASSERT_TRUE(IsOk(Put(MakeSnapshot("20261123T120502Z-1", 1000))));
  const std::string two = marker();
  EXPECT_NE(two, one);
  ASSERT_TRUE(IsOk(Put(MakeSnapshot("20261123T120503Z-1", 1000))));  // prunes the first
  EXPECT_NE(marker(), two);
}

TEST_F(FileStoreTest, ThirdPutKeepsOnlyTheNewestTwo) {
  const Manifest a = MakeSnapshot("20261123T120501Z-1");
  const Manifest b = MakeSnapshot("20261123T120502Z-1");
  const Manifest c = MakeSnapshot("20261123T120503Z-1");
  for (const Manifest& m : {a, b, c}) ASSERT_TRUE(IsOk(Put(m)));
  EXPECT_EQ(Latest(), c);
  EXPECT_EQ(StoreFiles(),
            (std::vector<std::string>{"20261123T120502Z-1.db.zst", "20261123T120502Z-1.json",
                                      "20261123T120503Z-1.db.zst", "20261123T120503Z-1.json"}));
}

TEST_F(FileStoreTest, IncompleteEntriesAreIgnored) {
  const Manifest good = MakeSnapshot("20261123T120501Z-1");
  ASSERT_TRUE(IsOk(Put(good)));
  const std::string store = dir_.Sub("store");
  // A newer manifest whose data file is missing (removed by hand, or a foreign writer's bug).
  WriteAll(store + "/20261123T120509Z-1.json", EncodeManifest(MakeSnapshot("20261123T120509Z-1")));
  // A newer Put in progress: only temporaries.
  WriteAll(store + "/20261123T120510Z-1.db.zst.tmp", "partial");
  WriteAll(store + "/20261123T120510Z-1.json.tmp",
           EncodeManifest(MakeSnapshot("20261123T120510Z-1")));
  // A newer entry whose manifest is damaged, and one whose data is short.
  WriteAll(store + "/20261123T120511Z-1.json", "{\"format\":");
  WriteAll(store + "/20261123T120511Z-1.db.zst", "x");
  WriteAll(store + "/20261123T120512Z-1.json", EncodeManifest(MakeSnapshot("20261123T120512Z-1")));
  WriteAll(store + "/20261123T120512Z-1.db.zst", "short");
  // Not ours at all.
  WriteAll(store + "/README", "hello");
  EXPECT_EQ(Latest(), good);
}

TEST_F(FileStoreTest, GetCopiesTheStoredBytesWithProgress) {
  const Manifest m = MakeSnapshot("20261123T120501Z-1");
  std::vector<std::pair<uint64_t, uint64_t>> put_progress;
  ASSERT_TRUE(IsOk(store_->Put(m, dir_.Sub(m.name + ".upload"), [&](uint64_t done, uint64_t total) {
    put_progress.emplace_back(done, total);
  })));
  ASSERT_FALSE(put_progress.empty());
  EXPECT_EQ(put_progress.back(), std::make_pair(m.compressed_bytes, m.compressed_bytes));

  std::vector<std::pair<uint64_t, uint64_t>> get_progress;
  const std::string out = dir_.Sub("downloaded");
  ASSERT_TRUE(IsOk(store_->Get(
      m, out, [&](uint64_t done, uint64_t total) { get_progress.emplace_back(done, total); })));
  EXPECT_EQ(ReadAll(out), ReadAll(dir_.Sub(m.name + ".upload")));
  ASSERT_GE(get_progress.size(), 2u);  // 3 MiB in 1 MiB chunks
  EXPECT_TRUE(std::is_sorted(get_progress.begin(), get_progress.end()));
  EXPECT_EQ(get_progress.back(), std::make_pair(m.compressed_bytes, m.compressed_bytes));
}

TEST_F(FileStoreTest, GetOfAPrunedSnapshotIsNotFound) {
  Status s = store_->Get(MakeSnapshot("20261123T120501Z-1"), dir_.Sub("out"), nullptr);
  EXPECT_EQ(s.code(), Status::Code::kNotFound) << s.ToString();
}

TEST_F(FileStoreTest, BytesNotMatchingTheManifestAreNotPublished) {
  const Manifest good = MakeSnapshot("20261123T120501Z-1");
  ASSERT_TRUE(IsOk(Put(good)));
  Manifest bad = MakeSnapshot("20261123T120502Z-1");
  bad.xxh3 ^= 1;
  Status s = Put(bad);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_EQ(Latest(), good);
  EXPECT_EQ(StoreFiles().size(), 2u) << "no temporaries left";
}

TEST_F(FileStoreTest, InvalidNameIsRefused) {
  Manifest m = MakeSnapshot("20261123T120501Z-1");
  m.name = "../escape";
  Status s = store_->Put(m, dir_.Sub("20261123T120501Z-1.upload"), nullptr);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_FALSE(fs::exists(dir_.Sub("escape.json")));
}

// What crashed Puts of older names left behind goes with the next prune.
TEST_F(FileStoreTest, PruneRemovesLeftoversOfOlderNames) {
  fs::create_directories(dir_.Sub("store"));
  WriteAll(dir_.Sub("store/20261123T120500Z-1.db.zst.tmp"), "partial");
  WriteAll(dir_.Sub("store/20261123T120500Z-2.db.zst"), "orphan");
  for (const char* name : {"20261123T120501Z-1", "20261123T120502Z-1", "20261123T120503Z-1"}) {
    ASSERT_TRUE(IsOk(Put(MakeSnapshot(name, 1000))));
  }
  EXPECT_EQ(StoreFiles(),
            (std::vector<std::string>{"20261123T120502Z-1.db.zst", "20261123T120502Z-1.json",
                                      "20261123T120503Z-1.db.zst", "20261123T120503Z-1.json"}));
}

}  // namespace
}  // namespace harmony::snapshot
