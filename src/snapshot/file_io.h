// Internal to snapshot: POSIX file handling with errors as Status (an owned descriptor, sizes,
// durable renames, temporaries removed on every path). Not part of the module's public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"

namespace harmony::snapshot {

// Owns one file descriptor; closed on destruction. Move-only; not thread-safe.
class File {
 public:
  static Result<File> OpenForRead(const std::string& path);
  // Creates or truncates `path` for writing (mode 0644).
  static Result<File> Create(const std::string& path);

  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  // Reads up to `n` bytes; 0 means end of file.
  Result<size_t> Read(char* buf, size_t n);
  Status Write(const char* data, size_t n);
  Status Sync();
  // Closes and reports the error a destructor would have to ignore (write-back failures show
  // up here on some file systems).
  Status Close();

  const std::string& path() const { return path_; }

 private:
  File(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// kIoError "<what> <path>: <strerror>" (kNotFound for ENOENT).
Status ErrnoStatus(std::string_view what, const std::string& path, int err);

// NotFound if the file does not exist.
Result<uint64_t> FileSize(const std::string& path);
bool FileExists(const std::string& path);
Status CreateDirectories(const std::string& dir);
// rename(2): atomic replacement of `to` on the same file system.
Status RenameFile(const std::string& from, const std::string& to);
// fsync of a directory, so that renames and unlinks in it survive a crash.
Status SyncDirectory(const std::string& dir);
// Removes `path`; a missing file is fine.
Status RemoveFile(const std::string& path);
// The directory part of `path` ("." if none).
std::string DirectoryOf(const std::string& path);

// Reads `path` to the end in chunks, handing each to `chunk`.
Status ForEachChunk(const std::string& path,
                    const std::function<Status(const char* data, size_t n)>& chunk);

// Removes the listed files when it goes out of scope, unless Release()d: temporaries are
// cleaned up on every early return. A failed removal is logged, since a destructor cannot
// report it. Not thread-safe.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::vector<std::string> paths) : paths_(std::move(paths)) {}
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;
  ~RemoveOnExit();
  void Release() { paths_.clear(); }

 private:
  std::vector<std::string> paths_;
};

// The files SQLite keeps beside a database: "-journal", "-wal", "-shm".
std::vector<std::string> WithSqliteSidecars(const std::string& db_path);

}  // namespace harmony::snapshot
