#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/value.h"
#include "sqlite/database.h"

namespace harmony::state {

// One change that lost to a concurrent change of another node (issue #9, item 9). "Concurrent":
// the winning change was made on this node before this node had applied the losing one, so
// neither writer had seen the other's; this node detects it when the losing change arrives while
// its own, later-in-the-stream change is still protected (docs/architecture.md, "Conflicts are
// recorded"). Every such pair is recorded on the winner's node.
struct Conflict {
  std::string table;
  std::string kind;                  // "row": same row; "unique": a UNIQUE collision
  std::vector<Value> key;            // the losing change's key (its whole row for NULL keys)
  std::vector<Value> losing_values;  // upsert: every column it sent; delete: empty
  std::string losing_op;             // "upsert", "delete", ...
  uint64_t losing_origin = 0;        // node that made the losing change
  uint64_t winning_origin = 0;       // this node
  uint32_t shard = 0;                // where the losing change sat in the stream
  uint64_t stream_seq = 0;
};

// __harmony_conflicts: the newest `max_rows` conflicts (older ones are pruned as new ones come;
// max_rows 0 records nothing). Keys and values are stored as JSON arrays (TEXT as strings,
// INTEGER and REAL as numbers, NULL as null, BLOB as {"hex": "..."}) so sqlite3's JSON
// functions can query them. Not thread-safe: the applier's thread uses it in its transaction.
class Conflicts {
 public:
  // "db" must outlive this.
  Conflicts(sqlite::Database* db, int64_t max_rows) : db_(db), max_rows_(max_rows) {}

  Status CreateTable();
  Status Record(const Conflict& c);

 private:
  sqlite::Database* db_;  // not owned
  int64_t max_rows_;
  int64_t since_prune_ = 0;
};

// `values` as a JSON array, as stored in __harmony_conflicts.
std::string ValuesAsJson(const std::vector<Value>& values);

}  // namespace harmony::state
