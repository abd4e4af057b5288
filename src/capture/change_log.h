#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::capture {

// Harmony's bookkeeping tables in the application database:
//   __harmony_change_log(seq, tid, op, k0.., c0..)  one row per captured row change
//   __harmony_tables(tid, name, active)              one row per tracked table shape
//   __harmony_columns(tid, idx, name, pk_pos, collation)  the columns of each shape; collation
//                                                    of key columns (NULL: BINARY)
//   __harmony_state(key, value)                      publish progress and the log's epoch
// k<i> hold the old primary-key values (UPDATE, DELETE), c<i> the new row (INSERT, UPDATE) or, for
// kDeleteRow, the whole old row. Both are untyped, so every value keeps its storage class exactly.
inline constexpr char kChangeLogTable[] = "__harmony_change_log";

enum class LogOp : int64_t {
  kInsert = 1,
  kUpdate = 2,  // never with a NULL in the old key: that is kDeleteRow + kInsert
  kDelete = 3,  // never with a NULL in the old key: that is kDeleteRow
  // The old row, whose key has a NULL, was deleted (or updated away): it has no identity by key,
  // so the whole old row is logged in c<i> (change::Op::kDeleteRow).
  kDeleteRow = 4,
  // A row that exists, captured by a backfill (not by a trigger): an upsert for a row with a key,
  // change::Op::kEnsureRow for one whose key has a NULL.
  kBackfill = 5,
  // A schema change of the application (tid 0; c0 holds change::SchemaChange as JSON, its id
  // left for the scanner to fill in): sent to every shard stream (change::Op::kSchema).
  kSchema = 6,
};

// Creates the tables if absent and, the first time, a random epoch that makes message ids unique
// even if the change log is later dropped and its sequence numbers start again.
Status CreateLogTables(sqlite::Database& db);

struct LogWidth {
  int key_columns = 0;    // k0..k(n-1)
  int value_columns = 0;  // c0..c(n-1)
};
Result<LogWidth> ReadLogWidth(sqlite::Database& db);
// Adds k/c columns until the log is at least `want` wide, keeping its rows: a few with ALTER TABLE
// ADD COLUMN, more by building the wider table once and renaming it into place (each ADD COLUMN
// re-parses the schema: thousands took seconds; issue #10, item 5). Call inside the install
// transaction. Errors: SQLite's ("too many columns" past SQLITE_LIMIT_COLUMN).
Status WidenLog(sqlite::Database& db, LogWidth want);

// Up to this many columns are added one ALTER TABLE at a time.
inline constexpr int kAlterAddLimit = 8;

// Positions of k<i> and c<i> in a "SELECT * FROM __harmony_change_log" statement (-1: absent).
struct LogColumns {
  std::vector<int> keys;
  std::vector<int> values;
};
LogColumns MapLogColumns(const sqlite::Statement& select_all);

// `n` values read from the given positions of the current row (NULL where a position is absent).
void ReadLogValues(const sqlite::Statement& row, const std::vector<int>& positions, size_t n,
                   std::vector<Value>* out);

Result<uint64_t> ReadEpoch(sqlite::Database& db);
// Highest change-log seq whose changes JetStream has acknowledged (0 if none yet).
Result<uint64_t> ReadPublishedSeq(sqlite::Database& db);
Status WritePublishedSeq(sqlite::Database& db, uint64_t seq);

// Deletes published rows with seq <= up_to (every published row when up_to is nullopt). The
// newest row is always kept so that the next seq (max + 1) never goes back to a number already
// used for a message id. Returns the number of rows deleted.
Result<int64_t> CleanupPublished(sqlite::Database& db,
                                 std::optional<uint64_t> up_to = std::nullopt);

// Drops every trigger, index, view and table whose name starts with "__harmony", in one
// transaction. Application objects are untouched. Safe to run when nothing is installed.
Status RemoveAllObjects(sqlite::Database& db);

}  // namespace harmony::capture
