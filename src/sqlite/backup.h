#pragma once

#include "common/status.h"
#include "sqlite/database.h"

namespace harmony::sqlite {

// Copies the whole main database of `source` over that of `target` with SQLite's online backup
// API, in one step: one write transaction on the target (busy timeout of `target` applies), so
// the target's other readers switch from the old content to the new at a single commit. The page
// sizes must match when the target is in WAL mode. kUnavailable when the target stayed locked.
Status CopyDatabase(Database& source, Database& target);

}  // namespace harmony::sqlite
