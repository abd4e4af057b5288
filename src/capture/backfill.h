// capture/backfill: sending the rows a table already holds, when harmony could not capture how
// they got there (a table new to harmony, or one whose triggers were missing for a while).
//
// A backfill is logged as LogOp::kBackfill rows, which the receivers apply as upserts after
// everything before them in the stream. Taken from stale rows it would roll newer values back on
// every node, so at start-up it is deferred (issue #11, item 6): SyncCapture records the tables,
// and the publish loop runs RunDeferredBackfill once the applier has taken in every message that
// was in the streams when the node started. The record lives in __harmony_state (keys
// "backfill:<table>"), so a stop in between only delays it. Snapshots never carry it.
//
// A replica promoted to publishing (publish = false, then true) is not backfilled at all: its
// triggers were removed by harmony, and what was written locally meanwhile was, by that setting,
// not to be replicated (MarkCaptureRemoved / TakeCaptureRemoved).
//
// Functions run on the caller's connection; they are not thread-safe per connection.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "capture/triggers.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::capture {

// Logs every current row of `t` as a backfill. Returns the number of rows. Call inside the
// caller's write transaction. Errors: SQLite's.
Result<size_t> BackfillTable(sqlite::Database& db, const TrackedTable& t);

// Records that `table` is to be backfilled later. Inside the caller's transaction.
Status DeferBackfill(sqlite::Database& db, const std::string& table);

// The tables whose backfill is deferred, by name.
Result<std::vector<std::string>> DeferredBackfills(sqlite::Database& db);

// Backfills every deferred table that is still captured (by its current shape) and forgets the
// record, in one IMMEDIATE transaction; a table gone meanwhile is forgotten. Returns the rows
// logged. Errors: SQLite's (nothing is forgotten then).
Result<size_t> RunDeferredBackfill(sqlite::Database& db);

// publish = false: records that harmony removed the triggers itself, and forgets deferred
// backfills. Inside the caller's transaction.
Status MarkCaptureRemoved(sqlite::Database& db);

// True, once, when MarkCaptureRemoved was the last thing done to capture: the record is
// cleared. Inside the caller's transaction.
Result<bool> TakeCaptureRemoved(sqlite::Database& db);

}  // namespace harmony::capture
