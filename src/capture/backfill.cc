#include "capture/backfill.h"

#include "capture/change_log.h"

namespace harmony::capture {
namespace {

using sqlite::QuoteIdentifier;

constexpr char kBackfillKeyPrefix[] = "backfill:";
constexpr char kCaptureRemovedKey[] = "capture_removed";

}  // namespace

Result<size_t> BackfillTable(sqlite::Database& db, const TrackedTable& t) {
  std::string values, columns;
  for (size_t i = 0; i < t.schema.columns.size(); ++i) {
    values += ", c" + std::to_string(i);
    columns += (i ? ", " : "") + QuoteIdentifier(t.schema.columns[i]);
  }
  HARMONY_RETURN_IF_ERROR(db.Exec("INSERT INTO __harmony_change_log(tid, op" + values +
                                  ") SELECT " + std::to_string(t.tid) + ", " +
                                  std::to_string(static_cast<int>(LogOp::kBackfill)) + ", " +
                                  columns + " FROM " + QuoteIdentifier(t.schema.name)));
  return static_cast<size_t>(db.Changes());
}

Status DeferBackfill(sqlite::Database& db, const std::string& table) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement ins,
      db.Prepare("INSERT OR REPLACE INTO __harmony_state(key, value) VALUES(?1, 1)"));
  HARMONY_RETURN_IF_ERROR(ins.BindText(1, kBackfillKeyPrefix + table));
  return ins.Run().WithContext("defer the backfill of table \"" + table + "\"");
}

Result<std::vector<std::string>> DeferredBackfills(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement sel,
      db.Prepare("SELECT substr(key, ?2) FROM __harmony_state WHERE substr(key, 1, ?1) = ?3 "
                 "ORDER BY key"));
  const std::string prefix = kBackfillKeyPrefix;
  HARMONY_RETURN_IF_ERROR(sel.BindInt(1, static_cast<int64_t>(prefix.size())));
  HARMONY_RETURN_IF_ERROR(sel.BindInt(2, static_cast<int64_t>(prefix.size()) + 1));
  HARMONY_RETURN_IF_ERROR(sel.BindText(3, prefix));
  std::vector<std::string> names;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, sel.Step());
    if (!row) break;
    names.push_back(sel.ColumnText(0));
  }
  return names;
}

Result<size_t> RunDeferredBackfill(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(auto tx,
                           sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kImmediate));
  HARMONY_ASSIGN_OR_RETURN(std::vector<std::string> names, DeferredBackfills(db));
  size_t rows = 0;
  for (const std::string& name : names) {
    // The table's current shape: the publish loop follows schema changes before it gets here.
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement shape,
        db.Prepare("SELECT max(tid) FROM __harmony_tables WHERE name = ?1 AND active = 1"));
    HARMONY_RETURN_IF_ERROR(shape.BindText(1, name));
    HARMONY_ASSIGN_OR_RETURN(bool row, shape.Step());
    if (row && !shape.ColumnIsNull(0)) {
      TrackedTable t;
      t.tid = shape.ColumnInt(0);
      HARMONY_ASSIGN_OR_RETURN(t.schema, LoadShape(db, t.tid));
      HARMONY_ASSIGN_OR_RETURN(size_t n, BackfillTable(db, t));
      rows += n;
    }
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement del,
                             db.Prepare("DELETE FROM __harmony_state WHERE key = ?1"));
    HARMONY_RETURN_IF_ERROR(del.BindText(1, kBackfillKeyPrefix + name));
    HARMONY_RETURN_IF_ERROR(del.Run());
  }
  HARMONY_RETURN_IF_ERROR(tx.Commit());
  return rows;
}

Status MarkCaptureRemoved(sqlite::Database& db) {
  HARMONY_RETURN_IF_ERROR(db.Exec("INSERT OR REPLACE INTO __harmony_state(key, value) VALUES('" +
                                  std::string(kCaptureRemovedKey) + "', 1)"));
  return db.Exec("DELETE FROM __harmony_state WHERE substr(key, 1, " +
                 std::to_string(std::string(kBackfillKeyPrefix).size()) + ") = '" +
                 kBackfillKeyPrefix + "'");
}

Result<bool> TakeCaptureRemoved(sqlite::Database& db) {
  HARMONY_RETURN_IF_ERROR(db.Exec("DELETE FROM __harmony_state WHERE key = '" +
                                  std::string(kCaptureRemovedKey) + "'"));
  return db.Changes() > 0;
}

}  // namespace harmony::capture
