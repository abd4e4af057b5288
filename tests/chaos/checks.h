// checks: what the chaos suite verifies once a fault is healed and the writers have stopped:
// the three databases hold identical data (every user table, every value with its storage
// class), every ledger row whose COMMIT returned is on every node, no row of a transaction that
// never committed is anywhere, and every ledger row carries the payload it was written with.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace harmony::chaos {

// Every user table of a database (not sqlite_*, not __harmony*), each row rendered with every
// value's storage class and exact bits ("i:42", "r:<hex bits>", "t:<len>:<text>",
// "b:<len>:<hex>", "NULL"), rows ordered by every column.
using TableRows = std::map<std::string, std::vector<std::string>>;
Result<TableRows> ReadTables(const std::string& db_path);

// One hash per table and row count, for logs: "hot=16/8c1e..., ledger=4021/..."
std::string Digest(const TableRows& tables);

// "" when equal; otherwise, per differing table, the row counts and the first rows only one
// side has.
std::string Difference(const TableRows& a, const TableRows& b, const std::string& a_name,
                       const std::string& b_name);

// What the writers' journals say about ledger transactions.
struct JournalSummary {
  std::map<std::string, int> committed;    // txn -> rows (COMMIT returned)
  std::set<std::string> never_committed;   // last line `begin` or `abort`
  int unknown = 0;                         // killed between `committing` and `commit`
  int aborted = 0;                         // of never_committed, those with an `abort` line
  std::vector<std::string> abort_reasons;  // the first few
};
// Adds one journal file to `summary`.
Status ReadJournal(const std::string& path, JournalSummary* summary);

struct LedgerCheck {
  int64_t committed_rows = 0;
  int64_t lost_rows = 0;     // committed rows missing on at least one node
  int64_t phantom_rows = 0;  // rows of never-committed transactions, on any node
  int64_t bad_payload_rows = 0;
  std::vector<int64_t> missing_per_node;
  std::string example;  // the first lost / phantom / bad row, for the report
};
struct LedgerRow {
  std::string txn;
  std::string payload;
};
using Ledger = std::map<std::string, LedgerRow>;  // by id
Result<Ledger> ReadLedger(const std::string& db_path);

// `ledgers[i]`: node i's ledger.
LedgerCheck CheckLedger(const JournalSummary& journal, const std::vector<Ledger>& ledgers);

// Rows of __harmony_dead_letters (messages harmony could not decode), 0 if the table is absent.
Result<int64_t> DeadLetters(const std::string& db_path);

}  // namespace harmony::chaos
