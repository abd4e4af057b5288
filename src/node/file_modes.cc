#include "node/file_modes.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

namespace harmony::node {

mode_t UmaskFor(mode_t db_mode) {
  mode_t mask = 0;
  for (const int shift : {3, 0}) {  // group, others
    const mode_t bits = (db_mode >> shift) & 07;
    if ((bits & 06) == 0) {
      mask |= 07 << shift;  // neither read nor write: nothing
    } else if ((bits & 02) == 0) {
      mask |= 02 << shift;  // read only: no write
    }
  }
  return mask;
}

Status AdoptDatabaseMode(const std::string& db_path) {
  struct stat st;
  if (::stat(db_path.c_str(), &st) != 0) {
    return Status::IoError("stat " + db_path + ": " + strerror(errno));
  }
  ::umask(UmaskFor(st.st_mode & 0777));
  return Status::Ok();
}

}  // namespace harmony::node
