#include "snapshot/snapshot_file.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "snapshot/compression.h"
#include "snapshot/snapshot_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace harmony::snapshot {
namespace {

namespace fs = std::filesystem;
using test::IsOk;
using testing_util::HarmonyObjects;
using testing_util::Rows;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class SnapshotFileTest : public ::testing::Test {
 protected:
  std::string app() const { return dir_.Sub("app.db"); }
  std::string work() const { return dir_.Sub("work"); }
  std::string stored() const { return dir_.Sub("snap.db.zst"); }
  std::string extracted() const { return dir_.Sub("restored.db"); }

  Manifest CreateFromApp() {
    testing_util::MakeAppDatabase(app());
    auto m = CreateSnapshot(app(), work(), stored(), 7);
    EXPECT_TRUE(IsOk(m));
    return m.ok() ? *m : Manifest{};
  }

  // Every file directly in `dir` (none if it does not exist).
  static std::vector<std::string> Files(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename());
    return out;
  }

  test::TempDir dir_;
};

TEST_F(SnapshotFileTest, ExtractGivesTheUserDataWithoutHarmonyObjects) {
  const Manifest m = CreateFromApp();
  EXPECT_EQ(m.node_id, 7u);
  EXPECT_TRUE(m.name.ends_with("Z-7")) << m.name;
  EXPECT_EQ(m.positions, (std::map<uint32_t, uint64_t>{{0, 42}, {5, 7}}));
  EXPECT_EQ(m.schema, testing_util::kAppSchema);
  const std::string bytes = ReadAll(stored());
  EXPECT_EQ(m.compressed_bytes, bytes.size());
  EXPECT_EQ(m.xxh3, XXH3_64bits(bytes.data(), bytes.size()));
  EXPECT_TRUE(Files(work()).empty()) << "temporaries left in the work dir";
  EXPECT_FALSE(fs::exists(stored() + ".tmp"));

  ASSERT_TRUE(IsOk(ExtractSnapshot(m, stored(), extracted())));
  EXPECT_EQ(fs::file_size(extracted()), m.db_bytes);
  EXPECT_FALSE(fs::exists(extracted() + ".extracting"));
  sqlite::Database source = testing_util::Open(app());
  sqlite::Database restored = testing_util::Open(extracted());
  EXPECT_EQ(Rows(restored, "items").size(), 100u);
  EXPECT_EQ(Rows(restored, "items"), Rows(source, "items"));
  EXPECT_EQ(Rows(restored, "audit"), Rows(source, "audit"));
  EXPECT_TRUE(HarmonyObjects(restored).empty());
  EXPECT_FALSE(HarmonyObjects(source).empty()) << "the live database must be left alone";
  // The application's trigger and index came along; the capture trigger did not.
  testing_util::Exec(restored, "INSERT INTO items(id, name) VALUES(1000, 'new')");
  EXPECT_EQ(*restored.QueryInt("SELECT count(*) FROM audit WHERE item = 1000"), 1);
  EXPECT_EQ(*restored.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'items_name'"), 1);
}

TEST_F(SnapshotFileTest, DatabaseThatNeverAppliedHasNoPositions) {
  {
    sqlite::Database db = testing_util::Open(app());
    testing_util::Exec(db, "CREATE TABLE t(a); INSERT INTO t VALUES(1)");
  }
  auto m = CreateSnapshot(app(), work(), stored(), 3);
  ASSERT_TRUE(IsOk(m));
  EXPECT_TRUE(m->positions.empty());
  EXPECT_EQ(m->schema, "CREATE TABLE t(a)");
}

// Held changes are inside the positions but not in the rows: the snapshot carries them, as it
// carries unfinished messages, so a restored node applies them once its schema can take them
// (snapshots used to be refused instead, for good if the table was dropped; issue #10).
TEST_F(SnapshotFileTest, HeldChangesAndUnfinishedMessagesTravelWithTheSnapshot) {
  testing_util::MakeAppDatabase(app());
  {
    sqlite::Database db = testing_util::Open(app());
    testing_util::Exec(db,
                       "CREATE TABLE __harmony_held(id INTEGER PRIMARY KEY, tbl TEXT, changes, "
                       "batch BLOB); INSERT INTO __harmony_held VALUES(1, 'later', 1, x'00');"
                       "CREATE TABLE __harmony_partial(k PRIMARY KEY, piece BLOB);"
                       "INSERT INTO __harmony_partial VALUES('m', x'01');"
                       "CREATE TABLE __harmony_other(x); INSERT INTO __harmony_other VALUES(1)");
  }
  auto m = CreateSnapshot(app(), work(), stored(), 7);
  ASSERT_TRUE(IsOk(m));
  EXPECT_EQ(m->schema.find("__harmony"), std::string::npos) << m->schema;
  ASSERT_TRUE(IsOk(ExtractSnapshot(*m, stored(), extracted())));
  sqlite::Database restored = testing_util::Open(extracted());
  std::vector<std::string> objects = testing_util::HarmonyObjects(restored);
  std::sort(objects.begin(), objects.end());
  EXPECT_EQ(objects, (std::vector<std::string>{"__harmony_held", "__harmony_partial"}));
  EXPECT_EQ(testing_util::Rows(restored, "__harmony_held").size(), 1u);
  EXPECT_EQ(testing_util::Rows(restored, "__harmony_partial").size(), 1u);
}

TEST_F(SnapshotFileTest, MissingDatabaseIsAnError) {
  auto m = CreateSnapshot(dir_.Sub("nope.db"), work(), stored(), 7);
  EXPECT_FALSE(m.ok());
  EXPECT_FALSE(fs::exists(dir_.Sub("nope.db")));
  EXPECT_FALSE(fs::exists(stored()));
}

TEST_F(SnapshotFileTest, CorruptedByteIsRejectedBeforeDecompressing) {
  const Manifest m = CreateFromApp();
  {
    std::fstream f(stored(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(m.compressed_bytes / 2));
    char c = 0;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(m.compressed_bytes / 2));
    f.put(static_cast<char>(c ^ 0x01));
  }
  Status s = ExtractSnapshot(m, stored(), extracted());
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("snapshot " + m.name + ": checksum mismatch (expected "),
            std::string::npos)
      << s.message();
  EXPECT_FALSE(fs::exists(extracted()));
  EXPECT_FALSE(fs::exists(extracted() + ".extracting"));
}

TEST_F(SnapshotFileTest, TruncatedFileIsRejected) {
  const Manifest m = CreateFromApp();
  const uint64_t half = m.compressed_bytes / 2;
  fs::resize_file(stored(), half);
  Status s = ExtractSnapshot(m, stored(), extracted());
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("snapshot " + m.name + ": truncated: " + std::to_string(half) +
                             " of " + std::to_string(m.compressed_bytes) + " bytes"),
            std::string::npos)
      << s.message();
  EXPECT_FALSE(fs::exists(extracted()));
}

// A manifest that matches bad bytes (a faulty creator rather than a bad download) is still
// caught, and the partial output removed.
TEST_F(SnapshotFileTest, IncompleteZstdFrameIsRejected) {
  Manifest m = CreateFromApp();
  fs::resize_file(stored(), m.compressed_bytes - 10);
  const std::string bytes = ReadAll(stored());
  m.compressed_bytes = bytes.size();
  m.xxh3 = XXH3_64bits(bytes.data(), bytes.size());
  Status s = ExtractSnapshot(m, stored(), extracted());
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_FALSE(fs::exists(extracted()));
  EXPECT_FALSE(fs::exists(extracted() + ".extracting"));
}

TEST_F(SnapshotFileTest, SizeDisagreeingWithTheManifestIsRejected) {
  const Manifest m = CreateFromApp();
  for (int64_t delta : {-1, 1}) {
    Manifest wrong = m;
    wrong.db_bytes += delta;
    Status s = ExtractSnapshot(wrong, stored(), extracted());
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
    EXPECT_FALSE(fs::exists(extracted()));
    EXPECT_FALSE(fs::exists(extracted() + ".extracting"));
  }
}

TEST_F(SnapshotFileTest, ContentThatIsNotADatabaseIsRejected) {
  const std::string junk = dir_.Sub("junk");
  std::ofstream(junk) << std::string(8192, 'x');
  auto compressed = CompressFile(junk, stored());
  ASSERT_TRUE(IsOk(compressed));
  Manifest m = NewManifest(1, std::chrono::system_clock::now());
  m.db_bytes = compressed->in_bytes;
  m.compressed_bytes = compressed->out_bytes;
  m.xxh3 = compressed->xxh3;
  Status s = ExtractSnapshot(m, stored(), extracted());
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_FALSE(fs::exists(extracted()));
  EXPECT_FALSE(fs::exists(extracted() + ".extracting"));
}

TEST_F(SnapshotFileTest, ExtractReplacesAnOlderFileAndItsWal) {
  const Manifest m = CreateFromApp();
  {
    sqlite::Database old = testing_util::Open(extracted());
    testing_util::Exec(old, "CREATE TABLE old(a)");
  }
  std::ofstream(extracted() + "-wal") << "stale";
  ASSERT_TRUE(IsOk(ExtractSnapshot(m, stored(), extracted())));
  EXPECT_FALSE(fs::exists(extracted() + "-wal"));
  sqlite::Database restored = testing_util::Open(extracted());
  EXPECT_EQ(*restored.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'old'"), 0);
  EXPECT_EQ(*restored.QueryInt("SELECT count(*) FROM items"), 100);
}

}  // namespace
}  // namespace harmony::snapshot
