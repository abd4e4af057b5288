#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capture/catalog.h"
#include "capture/triggers.h"
#include "change/schema_change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::capture {

struct SyncResult {
  std::vector<TrackedTable> tracked;
  std::vector<SkippedTable> skipped;
  int64_t schema_version = 0;  // PRAGMA schema_version the triggers now match
  uint64_t fingerprint = 0;    // SchemaState::fingerprint the triggers now match
  size_t backfilled_rows = 0;  // rows of new or repaired tables captured as upserts
  // BackfillMode::kDeferred: the tables recorded for a later RunDeferredBackfill (backfill.h).
  std::vector<std::string> deferred_backfills;
  // Capture had been removed by publish = false; nothing was backfilled (backfill.h).
  bool promoted = false;
  size_t recaptured_rows = 0;  // unpublished changes re-captured in a table's new shape
  // SchemaCapture::kRecord / kPublish: the application's schema change found (steps, and tables
  // whose change could not be told apart, with why; those are left out).
  std::optional<change::SchemaChange> schema_change;
  std::vector<std::string> schema_unsupported;
};

// What a sync does with the application's own schema changes (issue #10 item 1).
enum class SchemaCapture {
  kNone,     // nothing (tools, tests)
  kRecord,   // keep the reading (__harmony_schema) and record renames and drops
             // (state::RecordSchemaChange), so row changes named the old way still land here
  kPublish,  // kRecord, and log the change (LogOp::kSchema) to be sent to every shard stream
};

// What a sync does with the rows of tables whose changes went uncaptured (backfill.h).
enum class BackfillMode {
  kNone,      // nothing: the very first install (nodes start from the same data), or tools
  kNow,       // log them in the sync's transaction (a running node, caught up with the cluster)
  kDeferred,  // record the tables; RunDeferredBackfill logs them once the node has caught up
};

// Brings capture in line with the schema as it is now, in one IMMEDIATE transaction (so no
// application commit can fall in between):
//  - tables are (re)discovered and their triggers installed or replaced (InstallTriggers);
//  - a table whose columns changed gets a new shape; its changes captured with the old shape and
//    not yet published are replaced by its current rows (or deletes, for rows gone), so values of
//    a column added meanwhile are not lost;
//  - per `backfill`, every row of a table that is new to harmony (created while harmony ran or
//    was stopped), or whose triggers had been removed, is captured as an upsert (now, or later
//    when deferred), so rows written before its triggers existed reach the other nodes too.
//    Nothing is backfilled when the triggers were removed by publish = false (result.promoted).
//  - with `schema` other than kNone, the application's schema is compared with the reading stored
//    at the last sync (DiffSchema) first, before any trigger is touched (renames are read off
//    harmony's triggers); the first sync of all only stores the reading.
Result<SyncResult> SyncCapture(sqlite::Database& db, const CatalogOptions& options,
                               BackfillMode backfill, SchemaCapture schema = SchemaCapture::kNone);
// `backfill` true: kNow; false: kNone.
inline Result<SyncResult> SyncCapture(sqlite::Database& db, const CatalogOptions& options,
                                      bool backfill, SchemaCapture schema = SchemaCapture::kNone) {
  return SyncCapture(db, options, backfill ? BackfillMode::kNow : BackfillMode::kNone, schema);
}

// Installs and adjusts the triggers for the tables as they are now, re-capturing unpublished
// changes of reshaped tables, without backfill: for a schema change carried out by the applier
// (ApplySchemaChange), inside its transaction.
Status FollowShapesInTransaction(sqlite::Database& db, const CatalogOptions& options);

// True once harmony has installed capture in this database at least once.
Result<bool> CaptureInstalled(sqlite::Database& db);

// PRAGMA schema_version of `db` (changes with every committed DDL statement).
Result<int64_t> SchemaVersion(sqlite::Database& db);

// The schema as capture cares about it: PRAGMA schema_version, and an XXH3 of every row of
// sqlite_schema (type, name, tbl_name, sql, by type and name) except those of harmony's own tables
// and their indexes (harmony's triggers, which belong to the application's tables, are in).
// The version moves with every DDL statement, harmony's own included (creating its state tables,
// widening its log); the fingerprint only when the application's schema or capture's triggers
// changed, so an unchanged fingerprint means a sync would change nothing and can be skipped: a
// sync reads the whole catalog, which costs seconds with thousands of tables (issue #10, item
// 5). Read in one read transaction, so the two agree. Errors: SQLite's.
struct SchemaState {
  int64_t version = 0;
  uint64_t fingerprint = 0;
};
Result<SchemaState> ReadSchemaState(sqlite::Database& db);

}  // namespace harmony::capture
