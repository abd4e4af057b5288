// The database file itself at start-up: created for a new node, and what becomes of it when the
// cluster has nothing to fill it with.
#pragma once

#include <string>

#include "common/result.h"
#include "common/status.h"

namespace harmony::node {

// A missing database file is created empty (through SQLite, in WAL mode) when snapshots can fill
// it (`snapshots`: a new node joining); otherwise kNotFound naming the path. A path that exists
// but is not a regular file is kInvalidArgument. Returns true when it created the file.
Result<bool> PrepareDatabaseFile(const std::string& db_path, bool snapshots);

// For a database file PrepareDatabaseFile created that nothing could fill (RestoreIfNeeded found
// no snapshot, no change and no node to ask). A typo'd db_path must not be served as an empty
// database (issue #11, item 6), but an application that meanwhile started using the new file
// must not lose it either:
// - if the application has created a table (or any other schema object) in it, or another
//   connection has it open and has read it (SQLite then holds a shared lock on it for as long as
//   it is open, in WAL mode), returns Ok: the node goes on as the first node of a new cluster;
// - otherwise removes the file and its -wal, -shm and -journal, holding an exclusive lock while
//   it decides and removes, and returns the kNotFound error to stop with.
// Errors: those of opening or reading the file (the file is then kept); kNotFound naming what
// could not be removed. Harmony's own objects (names starting "__harmony") do not count as the
// application's.
// Precondition: no other connection of this process is open on the file (it would make the file
// look in use, so a typo'd path would never be removed); Node::Open calls it with none open.
// Limit: SQLite opens a file lazily, so an application connection that opened the file but has
// not read it holds no lock and cannot be seen; its later writes would go to the removed file.
// Hence the advice in docs/operations.md: create the file first, or start the app after harmony.
Status RefuseUnfilledDatabase(const std::string& db_path);

}  // namespace harmony::node
