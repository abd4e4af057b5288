#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "change/change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::capture {

struct ScanOptions {
  uint32_t shards = 1;
  uint32_t max_changes_per_batch = 512;  // a shard's batch is split into parts beyond this
  uint64_t node_id = 0;
};

struct ScanResult {
  // The schema changed since the triggers were installed (see set_schema_version): nothing was
  // read; sync capture (SyncCapture) and scan again.
  bool schema_changed = false;
  uint64_t last_seq = 0;  // highest change-log seq covered (0 when nothing was there)
  size_t changes = 0;     // row changes emitted (a key-changing UPDATE counts twice)
  size_t batches = 0;     // batch parts handed to the sink
  // Changes with whole-row identity of a table that no longer exists under that name (renamed or
  // dropped before they were sent): their copies cannot be counted, so they are not sent.
  size_t unsendable = 0;
};

// Receives each batch part for its 1-based shard, in change-log order per shard.
using BatchSink = std::function<Status(uint32_t shard, change::Batch&& batch)>;

// Turns committed change-log rows into per-shard batches. Not thread-safe.
class Scanner {
 public:
  // "db" must outlive the Scanner.
  Scanner(sqlite::Database* db, ScanOptions options) : db_(db), options_(options) {}

  // Reads rows with after_seq < seq <= up_to (up_to == 0: up to the newest committed row) inside
  // one read transaction, so the scan covers whole committed transactions only. Each shard's
  // changes become one batch; a batch longer than max_changes_per_batch is split into parts
  // whose last one has last_part set. An UPDATE that changes the primary key becomes a delete
  // of the old key (in the old key's shard) followed by an upsert of the new row.
  Result<ScanResult> Scan(uint64_t after_seq, uint64_t up_to, const BatchSink& sink);

  // Highest seq in the change log (0 if empty).
  Result<uint64_t> NewestSeq();

  // The PRAGMA schema_version the installed triggers match. Scan reports schema_changed when the
  // database's differs; rows captured under a stale shape are never published that way.
  void set_schema_version(int64_t version) { schema_version_ = version; }

 private:
  Result<const change::TableSchema*> Shape(int64_t tid);
  // How many rows of `shape`'s table are identical to `row` in every column of that shape that the
  // table still has (sqlite::IdenticalRowWhere; a column dropped since the change was captured is
  // left out, rather than fail every scan from then on), as of the open read transaction; nullopt
  // when the table is gone. `shape` must be one of shapes_.
  Result<std::optional<int64_t>> CountCopies(const change::TableSchema& shape,
                                             const std::vector<Value>& row);

  sqlite::Database* db_;  // not owned
  ScanOptions options_;
  uint64_t epoch_ = 0;
  int64_t schema_version_ = -1;                    // -1: not checked
  std::map<int64_t, change::TableSchema> shapes_;  // registered shapes never change
  // Shape (in shapes_, whose entries never move) -> its CountCopies statement: per shape, not per
  // table, since a table's later shape has other columns.
  struct CountQuery {
    std::optional<sqlite::Statement> statement;  // none: the table is gone
    std::vector<size_t> columns;                 // the shape's columns it compares, in order
  };
  std::map<const change::TableSchema*, CountQuery> count_statements_;
};

// For every row with a local change still protected from remote changes: its row-key hash
// (change::RowKeyHash) -> the newest change-log seq touching it and the shard (1..shards) its
// messages are sent in, routed exactly as Scanner routes them. Protected are the changes with
// seq > after_seq, or, when after_seq is nullopt, those not yet recorded as published. The
// applier skips remote changes to these rows while the local change is not yet in the stream
// ahead of them: that change comes later in the stream and wins on every node anyway; skipping
// avoids showing the older value meanwhile.
// Also lists, for tables with TableSchema::one_shard, the values every such change wrote
// (PendingChanges::upserts): inserts, the new side of updates, backfills.
Result<change::PendingChanges> PendingRowKeys(sqlite::Database& db, uint32_t shards,
                                             std::optional<uint64_t> after_seq = std::nullopt);

}  // namespace harmony::capture
