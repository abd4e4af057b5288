#include "capture/schema_sync.h"

#include <xxhash.h>

#include <memory>
#include <set>
#include <unordered_set>

#include "capture/backfill.h"
#include "capture/change_log.h"
#include "capture/schema_diff.h"
#include "state/schema_history.h"
#include "change/shard.h"

namespace harmony::capture {
namespace {

using sqlite::QuoteIdentifier;

std::string ValueColumns(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += ", c" + std::to_string(i);
  return out;
}

std::string SelectColumns(const change::TableSchema& t) {
  std::string out;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    out += (i ? ", " : "") + QuoteIdentifier(t.columns[i]);
  }
  return out;
}

// The key's column names, in key order.
std::vector<std::string> KeyNames(const change::TableSchema& t) {
  std::vector<std::string> names;
  for (uint32_t i : t.pk) names.push_back(t.columns[i]);
  return names;
}

// Replaces unpublished changes of `t` captured with its retired shapes by the rows' current
// state in the new shape.
Result<size_t> Recapture(sqlite::Database& db, const TrackedTable& t) {
  HARMONY_ASSIGN_OR_RETURN(uint64_t published, ReadPublishedSeq(db));
  std::vector<std::vector<Value>> keys;  // in order of first appearance
  std::unordered_set<uint64_t> seen;
  for (int64_t old_tid : t.retired_tids) {
    HARMONY_ASSIGN_OR_RETURN(change::TableSchema old, LoadShape(db, old_tid));
    // Only changes that name rows by the same key can be re-read by key (the same key columns,
    // or the same positions when a column was renamed). A table without a key (whole-row
    // identity), or whose key index changed (issue #10, item 3), keeps its changes as captured,
    // under their old shape; the scanner counts their copies over the columns the table still
    // has (Scanner::CountCopies).
    const bool same_key =
        !old.pk.empty() &&
        (KeyNames(old) == KeyNames(t.schema) ||  // columns added or dropped around the key
         (old.columns.size() == t.schema.columns.size() && old.pk == t.schema.pk));  // renamed
    if (!same_key) continue;
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement rows,
        db.Prepare("SELECT * FROM __harmony_change_log WHERE tid = ?1 AND seq > ?2 ORDER BY seq"));
    HARMONY_RETURN_IF_ERROR(rows.BindInt(1, old_tid));
    HARMONY_RETURN_IF_ERROR(rows.BindInt(2, static_cast<int64_t>(published)));
    const LogColumns cols = MapLogColumns(rows);
    std::vector<int> new_key_positions;
    for (uint32_t i : old.pk) {
      new_key_positions.push_back(i < cols.values.size() ? cols.values[i] : -1);
    }
    auto remember = [&](std::vector<Value> key) {
      if (seen.insert(change::RowKeyHash(t.schema, key)).second) keys.push_back(std::move(key));
    };
    auto has_null = [](const std::vector<Value>& key) {
      for (const Value& v : key) {
        if (std::holds_alternative<Null>(v)) return true;
      }
      return false;
    };
    // Changes of rows whose key has a NULL cannot be re-read by key: they stay in the log as
    // captured, under their old shape (registered shapes never change, so they still decode).
    std::vector<int64_t> recaptured;
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, rows.Step());
      if (!row) break;
      const auto op = static_cast<LogOp>(rows.ColumnInt(2));
      std::vector<Value> old_key, new_key;
      if (op == LogOp::kDeleteRow) continue;
      const bool has_old = op == LogOp::kUpdate || op == LogOp::kDelete;
      const bool has_new = op == LogOp::kInsert || op == LogOp::kUpdate || op == LogOp::kBackfill;
      if (has_old) ReadLogValues(rows, cols.keys, old.pk.size(), &old_key);
      if (has_new) ReadLogValues(rows, new_key_positions, old.pk.size(), &new_key);
      if (has_null(old_key) || has_null(new_key)) continue;
      recaptured.push_back(rows.ColumnInt(0));
      if (has_old) remember(std::move(old_key));
      if (has_new) remember(std::move(new_key));
    }
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement del,
                             db.Prepare("DELETE FROM __harmony_change_log WHERE seq = ?1"));
    for (int64_t seq : recaptured) {
      HARMONY_RETURN_IF_ERROR(del.BindInt(1, seq));
      HARMONY_RETURN_IF_ERROR(del.Run());
    }
  }
  if (keys.empty() || t.schema.pk.empty()) return size_t{0};

  std::string where;
  std::string key_cols;
  for (size_t i = 0; i < t.schema.pk.size(); ++i) {
    where += (i ? " AND " : "") + QuoteIdentifier(t.schema.columns[t.schema.pk[i]]) + " IS ?" +
             std::to_string(i + 1);
    key_cols += ", k" + std::to_string(i);
  }
  std::string key_params;
  for (size_t i = 0; i < t.schema.pk.size(); ++i) key_params += ", ?" + std::to_string(i + 1);
  const std::string tid = std::to_string(t.tid);
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement upsert,
                           db.Prepare("INSERT INTO __harmony_change_log(tid, op" +
                                      ValueColumns(t.schema.columns.size()) + ") SELECT " + tid +
                                      ", 1, " + SelectColumns(t.schema) + " FROM " +
                                      QuoteIdentifier(t.schema.name) + " WHERE " + where));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement remove,
                           db.Prepare("INSERT INTO __harmony_change_log(tid, op" + key_cols +
                                      ") VALUES(" + tid + ", 3" + key_params + ")"));
  for (const std::vector<Value>& key : keys) {
    for (size_t i = 0; i < key.size(); ++i) {
      HARMONY_RETURN_IF_ERROR(upsert.Bind(static_cast<int>(i + 1), key[i]));
    }
    HARMONY_RETURN_IF_ERROR(upsert.Run());
    if (db.Changes() > 0) continue;
    for (size_t i = 0; i < key.size(); ++i) {
      HARMONY_RETURN_IF_ERROR(remove.Bind(static_cast<int>(i + 1), key[i]));
    }
    HARMONY_RETURN_IF_ERROR(remove.Run());
  }
  return keys.size();
}

Result<uint64_t> Fingerprint(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema WHERE "
                 "substr(tbl_name, 1, 9) IS NOT '__harmony' ORDER BY type, name"));
  XXH3_state_t* state = XXH3_createState();
  if (state == nullptr) return Status::Internal("XXH3_createState: out of memory");
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> owned(state, XXH3_freeState);
  XXH3_64bits_reset(state);
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    for (int i = 0; i < 4; ++i) {
      const std::string text = q.ColumnText(i);
      // Length first: ("ab", "c") and ("a", "bc") must differ.
      const uint64_t size = text.size();
      XXH3_64bits_update(state, &size, sizeof size);
      XXH3_64bits_update(state, text.data(), text.size());
    }
  }
  return static_cast<uint64_t>(XXH3_64bits_digest(state));
}

}  // namespace

Result<SchemaState> ReadSchemaState(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(auto tx,
                           sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kDeferred));
  SchemaState state;
  HARMONY_ASSIGN_OR_RETURN(state.version, SchemaVersion(db));
  HARMONY_ASSIGN_OR_RETURN(state.fingerprint, Fingerprint(db));
  HARMONY_RETURN_IF_ERROR(tx.Commit());
  return state;
}

Result<int64_t> SchemaVersion(sqlite::Database& db) { return db.QueryInt("PRAGMA schema_version"); }

Result<bool> CaptureInstalled(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(
      int64_t n, db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = '__harmony_tables'"));
  return n > 0;
}

namespace {

// Compares the application's schema with the stored reading; records and logs what changed.
Status CaptureSchemaChange(sqlite::Database& db, const CatalogOptions& options,
                           SchemaCapture schema, SyncResult* result) {
  HARMONY_ASSIGN_OR_RETURN(std::optional<std::vector<SchemaObject>> stored, LoadSchemaReading(db));
  if (!stored) return Status::Ok();  // the first reading: nothing to compare with
  HARMONY_ASSIGN_OR_RETURN(std::vector<SchemaObject> live, ReadSchemaObjects(db, options));
  SchemaDiff diff = DiffSchema(*stored, live);
  result->schema_unsupported = std::move(diff.unsupported);
  if (diff.change.steps.empty()) return Status::Ok();
  diff.change.id = "local";  // the scanner names a logged change by its node, epoch and seq
  HARMONY_RETURN_IF_ERROR(state::RecordSchemaChange(db, diff.change));
  // A rebuilt table's columns that are gone: rows sent with them still land, without them.
  std::vector<state::HistoryEntry> dropped;
  for (const std::string& name : diff.rebuilt) {
    const SchemaObject* old_table = nullptr;
    const SchemaObject* new_table = nullptr;
    for (const SchemaObject& o : *stored) {
      if (o.type == "table" && sqlite::SameIdentifier(o.name, name)) old_table = &o;
    }
    for (const SchemaObject& o : live) {
      if (o.type == "table" && sqlite::SameIdentifier(o.name, name)) new_table = &o;
    }
    if (old_table == nullptr || new_table == nullptr) continue;
    for (state::HistoryEntry& e :
         state::DroppedColumns(diff.change.id, name, old_table->columns, new_table->columns)) {
      dropped.push_back(std::move(e));
    }
  }
  HARMONY_RETURN_IF_ERROR(state::RecordHistoryEntries(db, dropped));
  if (schema == SchemaCapture::kPublish) {
    HARMONY_ASSIGN_OR_RETURN(LogWidth width, ReadLogWidth(db));
    if (width.value_columns < 1) {
      width.value_columns = 1;
      HARMONY_RETURN_IF_ERROR(WidenLog(db, width));
    }
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement insert,
        db.Prepare("INSERT INTO __harmony_change_log(tid, op, c0) VALUES(0, ?1, ?2)"));
    HARMONY_RETURN_IF_ERROR(insert.BindInt(1, static_cast<int64_t>(LogOp::kSchema)));
    HARMONY_RETURN_IF_ERROR(insert.BindText(2, change::EncodeSchemaChange(diff.change)));
    HARMONY_RETURN_IF_ERROR(insert.Run());
  }
  result->schema_change = std::move(diff.change);
  return Status::Ok();
}

Result<std::vector<TrackedTable>> FollowShapes(sqlite::Database& db, const CatalogOptions& options,
                                               SyncResult* result) {
  HARMONY_ASSIGN_OR_RETURN(Catalog catalog, ReadCatalog(db, options));
  HARMONY_ASSIGN_OR_RETURN(std::vector<TrackedTable> tracked,
                           InstallTriggersInTransaction(db, catalog.tables));
  result->skipped = std::move(catalog.skipped);
  for (const TrackedTable& t : tracked) {
    if (t.install == TrackedTable::Install::kReshaped) {
      HARMONY_ASSIGN_OR_RETURN(size_t n, Recapture(db, t));
      result->recaptured_rows += n;
    }
  }
  return tracked;
}

}  // namespace

Status FollowShapesInTransaction(sqlite::Database& db, const CatalogOptions& options) {
  SyncResult ignored;
  return FollowShapes(db, options, &ignored).status();
}

Result<SyncResult> SyncCapture(sqlite::Database& db, const CatalogOptions& options,
                               BackfillMode backfill, SchemaCapture schema) {
  HARMONY_ASSIGN_OR_RETURN(auto tx,
                           sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kImmediate));
  SyncResult result;
  if (schema != SchemaCapture::kNone) {
    HARMONY_RETURN_IF_ERROR(CaptureSchemaChange(db, options, schema, &result));
  }
  HARMONY_ASSIGN_OR_RETURN(result.tracked, FollowShapes(db, options, &result));
  // Triggers harmony removed itself (publish = false) are missing on purpose: what was written
  // meanwhile was not to be replicated, and the rows came from the cluster (backfill.h).
  HARMONY_ASSIGN_OR_RETURN(result.promoted, TakeCaptureRemoved(db));
  if (result.promoted) backfill = BackfillMode::kNone;
  // A renamed table is new to harmony under its new name, but its rows are not new: its
  // triggers moved with it (RENAME TABLE), so nothing went uncaptured.
  std::set<std::string, sqlite::IdentifierLess> renamed;
  if (result.schema_change) {
    for (const change::SchemaStep& s : result.schema_change->steps) {
      if (s.kind == change::SchemaStep::Kind::kRenameTable) renamed.insert(s.name);
    }
  }
  for (const TrackedTable& t : result.tracked) {
    // Changes made while a table had no triggers (new to harmony, or triggers dropped to run
    // ALTER TABLE DROP COLUMN) were not captured: capture the whole table instead.
    if (t.install == TrackedTable::Install::kNew && renamed.count(t.schema.name)) continue;
    if (t.install != TrackedTable::Install::kNew && !t.triggers_were_missing) continue;
    if (backfill == BackfillMode::kNow) {
      HARMONY_ASSIGN_OR_RETURN(size_t n, BackfillTable(db, t));
      result.backfilled_rows += n;
    } else if (backfill == BackfillMode::kDeferred) {
      HARMONY_RETURN_IF_ERROR(DeferBackfill(db, t.schema.name));
      result.deferred_backfills.push_back(t.schema.name);
    }
  }
  if (schema != SchemaCapture::kNone) {
    HARMONY_ASSIGN_OR_RETURN(std::vector<SchemaObject> now, ReadSchemaObjects(db, options));
    HARMONY_RETURN_IF_ERROR(StoreSchemaReading(db, now));
  }
  HARMONY_ASSIGN_OR_RETURN(result.schema_version, SchemaVersion(db));
  HARMONY_ASSIGN_OR_RETURN(result.fingerprint, Fingerprint(db));
  HARMONY_RETURN_IF_ERROR(tx.Commit());
  return result;
}

}  // namespace harmony::capture
