#include "tests/support/database_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace harmony::test {

bool CorruptPage(const std::string& path, int64_t page, int page_size) {
  if (page < 1 || page_size <= 0) return false;
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  // 0xA5 is no valid b-tree page type (2, 5, 10 or 13), and no valid cell pointer either.
  const std::string garbage(static_cast<size_t>(page_size), '\xA5');
  const ssize_t n = pwrite(fd, garbage.data(), garbage.size(), (page - 1) * page_size);
  const bool synced = fsync(fd) == 0;
  close(fd);
  return n == static_cast<ssize_t>(garbage.size()) && synced;
}

}  // namespace harmony::test
