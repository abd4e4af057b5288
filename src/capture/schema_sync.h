#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capture/catalog.h"
#include "capture/triggers.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::capture {

struct SyncResult {
  std::vector<TrackedTable> tracked;
  std::vector<SkippedTable> skipped;
  int64_t schema_version = 0;  // PRAGMA schema_version the triggers now match
  size_t backfilled_rows = 0;  // rows of new or repaired tables captured as upserts
  size_t recaptured_rows = 0;  // unpublished changes re-captured in a table's new shape
};

// Brings capture in line with the schema as it is now, in one IMMEDIATE transaction (so no
// application commit can fall in between):
//  - tables are (re)discovered and their triggers installed or replaced (InstallTriggers);
//  - a table whose columns changed gets a new shape; its changes captured with the old shape and
//    not yet published are replaced by its current rows (or deletes, for rows gone), so values of
//    a column added meanwhile are not lost;
//  - with `backfill`, every row of a table that is new to harmony (created while harmony ran or
//    was stopped), or whose triggers had been removed, is captured as an upsert, so rows written
//    before its triggers existed reach the other nodes too. The first install of all does not
//    backfill: nodes are expected to start from the same data.
Result<SyncResult> SyncCapture(sqlite::Database& db, const CatalogOptions& options, bool backfill);

// True once harmony has installed capture in this database at least once.
Result<bool> CaptureInstalled(sqlite::Database& db);

// PRAGMA schema_version of `db` (changes with every committed DDL statement).
Result<int64_t> SchemaVersion(sqlite::Database& db);

}  // namespace harmony::capture
