// sqlite: move-only RAII owners for sqlite3* and sqlite3_stmt*, transactions, identifier quoting
// and binding of harmony::Value with its storage class kept exactly. The only folder that uses
// sqlite3.h raw; everything above talks to SQLite through these types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "common/value.h"

struct sqlite3;
struct sqlite3_stmt;

namespace harmony::sqlite {

class Statement;

struct OpenOptions {
  bool read_only = false;
  bool create = false;  // create the file if missing
  int busy_timeout_ms = 10000;
  // false turns off every trigger on this connection (SQLITE_DBCONFIG_ENABLE_TRIGGER): used by the
  // apply connection so replicated rows fire neither harmony's capture nor the app's triggers
  // (except those that keep derived data: apply::RowWriter turns them on for those).
  bool enable_triggers = true;
  bool foreign_keys = false;
  // Switch the database to WAL journal mode (persistent, needed for concurrency) and this
  // connection to synchronous=NORMAL (no fsync per commit).
  bool wal = true;
};

// One connection. Not thread-safe: one thread owns a Database (SQLite's own mutex is kept on
// anyway, as a backstop).
class Database {
 public:
  static Result<Database> Open(const std::string& path, const OpenOptions& options);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more statements that return no rows of interest.
  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // Runs a query returning a single integer (first column of the first row); NotFound if no row.
  Result<int64_t> QueryInt(std::string_view sql);

  int64_t Changes() const;
  const std::string& path() const { return path_; }
  sqlite3* raw() const { return db_; }

  // The current error text of this connection, with the path, for building Status messages.
  std::string ErrorText() const;

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement. Must not outlive the Database that prepared it.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds 1-based parameter `index`; TEXT and BLOB bytes are copied (SQLITE_TRANSIENT).
  Status Bind(int index, const Value& value);
  Status BindInt(int index, int64_t value);
  Status BindText(int index, std::string_view text);

  // Advances; true when a row is available, false when done.
  Result<bool> Step();
  // Steps to completion, ignoring rows, then resets.
  Status Run();
  // Resets so the statement can run again, clearing bindings.
  void Reset();

  int ColumnCount() const;
  Value Column(int index) const;  // exact storage class of the cell
  int64_t ColumnInt(int index) const;
  std::string ColumnText(int index) const;
  bool ColumnIsNull(int index) const;
  std::string ColumnName(int index) const;
  std::string_view sql() const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  Status Error(std::string_view what) const;
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;  // not owned
};

// BEGIN on construction (through Begin), ROLLBACK in the destructor unless committed.
class Transaction {
 public:
  enum class Mode { kDeferred, kImmediate };
  static Result<Transaction> Begin(Database& db, Mode mode);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status Commit();
  void Rollback();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;  // not owned; null once finished
};

// PRAGMA quick_check: Ok, or kCorruption carrying SQLite's first complaint (an error reading the
// file passes through with its own code: kUnavailable while another connection locks it).
// Reads every page, so it takes time in proportion to the file's size.
Status QuickCheck(Database& db);

// True if the main schema of `db` has a table named `name` (matched as SQLite matches names,
// ASCII case-insensitively; a view does not count). Errors: SQLite's, other than "no such table".
Result<bool> TableExists(Database& db, std::string_view name);

// True when table `name` of the main schema has a UNIQUE constraint or index besides its PRIMARY
// KEY (partial and expression indexes included): PRAGMA index_list rows with unique = 1 and
// origin other than 'pk', and (when given) other than index `key_index`, a UNIQUE index that stands
// in for a missing PRIMARY KEY. False for a table that does not exist. Errors: SQLite's.
Result<bool> HasUniqueIndexBesidesKey(Database& db, std::string_view name,
                                      std::string_view key_index = {});

// Drops, in one IMMEDIATE transaction, every trigger, view, index and table whose name starts with
// `prefix` (matched literally), triggers first. Indexes SQLite created itself go with their table.
Status DropObjectsWithPrefix(Database& db, std::string_view prefix);

// True when SQLite takes `a` and `b` for the same identifier (table, column, index name): equal
// after folding ASCII A-Z to a-z, and nothing else (sqlite3StrICmp; "É" and "é" differ).
bool SameIdentifier(std::string_view a, std::string_view b);
// Orders identifiers so that those SameIdentifier takes for one compare equal: a map keyed with
// it finds a column named "Name" under "name", as SQLite does.
struct IdentifierLess {
  bool operator()(std::string_view a, std::string_view b) const;
};

// A WHERE condition matching rows identical to parameters ?1..?n (one per column, in order):
// `"c" IS ?i COLLATE BINARY AND typeof("c") = typeof(?i)` for each, so that 'a' never matches
// 'A' in a NOCASE column and 1 never matches 1.0 — the identity of a row with no usable key
// (docs/architecture.md, "Row identity"). "1" when there are no columns.
std::string IdenticalRowWhere(const std::vector<std::string>& columns);

// "name" with embedded double quotes doubled: safe for any table or column name.
std::string QuoteIdentifier(std::string_view name);
// `name` as it is when it needs no quotes (letters, digits, '_' and '$', not starting with a digit,
// not an SQL keyword: sqlite3_keyword_check), else QuoteIdentifier(name).
std::string QuoteIdentifierIfNeeded(std::string_view name);
// 'text' with embedded single quotes doubled.
std::string QuoteString(std::string_view text);

}  // namespace harmony::sqlite
