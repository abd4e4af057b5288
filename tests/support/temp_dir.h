#pragma once

#include <string>

namespace harmony::test {

// A fresh directory under $TMPDIR (or /tmp), removed recursively on destruction unless
// HARMONY_KEEP_TEST_DIRS is set in the environment (for post-mortems). If the directory cannot
// be created the test environment is broken: the constructor aborts with a message. Move-only;
// not thread-safe.
class TempDir {
 public:
  TempDir() : TempDir("harmony-test") {}
  explicit TempDir(const std::string& prefix);
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The whole content of the file at `path`; "" if it cannot be read.
std::string ReadFileText(const std::string& path);

}  // namespace harmony::test
