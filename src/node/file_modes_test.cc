#include "node/file_modes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace harmony::node {
namespace {

TEST(UmaskForTest, MirrorsTheDatabasesGroupAndOtherBits) {
  EXPECT_EQ(UmaskFor(0600), 0077u);
  EXPECT_EQ(UmaskFor(0644), 0022u);
  EXPECT_EQ(UmaskFor(0640), 0027u);
  EXPECT_EQ(UmaskFor(0660), 0007u);
  EXPECT_EQ(UmaskFor(0666), 0000u);
  EXPECT_EQ(UmaskFor(0700), 0077u);  // execute alone grants nothing to read or write
}

TEST(AdoptDatabaseModeTest, FilesAndDirectoriesCreatedAfterwardsTakeTheDatabasesMode) {
  test::TempDir dir;
  const std::string db = dir.Sub("app.db");
  std::ofstream(db).close();
  ASSERT_EQ(::chmod(db.c_str(), 0600), 0);
  const mode_t before = ::umask(0);
  ::umask(before);
  ASSERT_TRUE(AdoptDatabaseMode(db).ok());
  std::ofstream(dir.Sub("created")).close();
  ASSERT_EQ(::mkdir(dir.Sub("d").c_str(), 0777), 0);
  ::umask(before);  // the process umask is shared by every test of this binary
  struct stat st;
  ASSERT_EQ(::stat(dir.Sub("created").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir.Sub("d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(AdoptDatabaseModeTest, MissingDatabaseNamesThePath) {
  Status s = AdoptDatabaseMode("/nonexistent/harmony/app.db");
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find("/nonexistent/harmony/app.db"), std::string::npos);
}

}  // namespace
}  // namespace harmony::node
