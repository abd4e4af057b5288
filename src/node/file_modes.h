#pragma once

#include <string>
#include <sys/types.h>

#include "common/status.h"

namespace harmony::node {

// The umask that gives files harmony creates no more access than the database file has: for
// group and others, no bit when the database grants them nothing, write masked when it grants
// read only. Files created 0666 then get the database's mode (0600 -> 0600, 0644 -> 0644,
// 0660 -> 0660); directories created 0777 get its read/write bits plus search where read or
// write is granted (0600 -> 0700, 0644 -> 0755, 0640 -> 0750). The owner keeps full access.
mode_t UmaskFor(mode_t db_mode);

// Sets the process umask to UmaskFor(the mode of `db_path`), so that everything harmony and its
// nats-server child create (lock file, snapshot copies and scratch files, the embedded broker's
// store, file-store snapshots) is never more open than the database (issue #11, item 7b). Call
// before any thread or child that creates files starts; SQLite's own -wal/-shm files already take
// the database's mode. Errors: kIoError naming the path when it cannot be stat'ed.
Status AdoptDatabaseMode(const std::string& db_path);

}  // namespace harmony::node
