// The directory SnapshotStore: <dir>/<name>.db.zst and <dir>/<name>.json.
#pragma once

#include <memory>
#include <string>

#include "snapshot/store.h"

namespace harmony::snapshot {

// Both files are written as "<file>.tmp", fsynced and renamed, data first and manifest last: the
// manifest's rename is the commit point, so a reader (another process, another node on a shared
// mount) never sees a half-written snapshot. Latest() takes the greatest name with both files
// present, a decodable manifest naming itself and a data file of the manifest's size; *.tmp files
// are ignored. `dir` is created on the first Put. Put keeps the newest `keep` snapshots and
// removes every file of older names, including what crashed Puts left.
std::unique_ptr<SnapshotStore> NewFileStore(std::string dir, int keep = 2);

}  // namespace harmony::snapshot
