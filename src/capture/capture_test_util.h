#pragma once

#include <gtest/gtest.h>

#include <string>

#include "sqlite/database.h"
#include "tests/support/temp_dir.h"

namespace harmony::capture::testing_util {

// Opens (creating) a database in `dir` with default settings, like an application would.
inline sqlite::Database OpenApp(const test::TempDir& dir, const std::string& name = "app.db") {
  sqlite::OpenOptions options;
  options.create = true;
  auto db = sqlite::Database::Open(dir.path() + "/" + name, options);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

inline void Exec(sqlite::Database& db, const std::string& sql) {
  Status s = db.Exec(sql);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

inline int64_t Int(sqlite::Database& db, const std::string& sql) {
  auto v = db.QueryInt(sql);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : -1;
}

}  // namespace harmony::capture::testing_util
