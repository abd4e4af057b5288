#include "sqlite/database.h"

#include <cctype>

#include <algorithm>

#include <sqlite3.h>

#include <string>
#include <utility>
#include <vector>

namespace harmony::sqlite {
namespace {

Status FromCode(int rc, std::string msg) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(std::move(msg));
    case SQLITE_CANTOPEN:
      return Status::NotFound(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(msg));
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return Status::Rejected(std::move(msg));
    case SQLITE_FULL:
      // A full disk (or max_page_count reached) clears once space is freed: retrying may help,
      // unlike a failed read or write.
      return Status::Unavailable(std::move(msg));
    case SQLITE_IOERR:
      // SQLITE_IOERR_NOMEM is memory, not the disk: worth retrying like SQLITE_NOMEM.
      if (rc == SQLITE_IOERR_NOMEM) return Status::Internal(std::move(msg));
      return Status::IoError(std::move(msg));
    case SQLITE_READONLY:
      return Status::IoError(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

}  // namespace

Result<Database> Database::Open(const std::string& path, const OpenOptions& options) {
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (options.create && !options.read_only) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_FULLMUTEX;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw, path);  // owns raw even on failure
  if (rc != SQLITE_OK) {
    return FromCode(
        rc, "open database " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  int unused = 0;
  sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_TRIGGER, options.enable_triggers ? 1 : 0, &unused);
  HARMONY_RETURN_IF_ERROR(
      db.Exec(options.foreign_keys ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF"));
  // A harmless read that fails early and clearly if the file is not a database.
  auto probe = db.QueryInt("SELECT count(*) FROM sqlite_schema");
  if (!probe.ok()) return probe.status();
  if (options.wal && !options.read_only) {
    HARMONY_RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode=WAL"));
    // In WAL mode NORMAL syncs at checkpoints only: a commit costs no fsync and stays atomic and
    // consistent; only the last commits before a power cut can be lost.
    HARMONY_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=NORMAL"));
  }
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

std::string Database::ErrorText() const {
  return std::string(sqlite3_errmsg(db_)) + " (" + path_ + ")";
}

Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  if (text.size() > 120) text = text.substr(0, 120) + "...";
  return FromCode(rc, msg + " (" + path_ + ", in: " + text + ")");
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    std::string text(sql.substr(0, 120));
    return FromCode(rc, "prepare: " + ErrorText() + ", in: " + text);
  }
  return Statement(stmt, db_);
}

Result<int64_t> Database::QueryInt(std::string_view sql) {
  HARMONY_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  HARMONY_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Status::NotFound("no row from: " + std::string(sql));
  return stmt.ColumnInt(0);
}

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Status Statement::Error(std::string_view what) const {
  std::string msg(what);
  msg += ": ";
  msg += sqlite3_errmsg(db_);
  // Which file, so that the one line harmony may stop with says where.
  const char* file = sqlite3_db_filename(db_, "main");
  if (file != nullptr && file[0] != '\0') {
    msg += " (";
    msg += file;
    msg += ")";
  }
  std::string_view text = sql();
  msg += ", in: ";
  msg += text.substr(0, 120);
  return FromCode(sqlite3_extended_errcode(db_), std::move(msg));
}

Status Statement::Bind(int index, const Value& value) {
  int rc = SQLITE_OK;
  if (std::holds_alternative<Null>(value)) {
    rc = sqlite3_bind_null(stmt_, index);
  } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
    rc = sqlite3_bind_int64(stmt_, index, *i);
  } else if (const double* d = std::get_if<double>(&value)) {
    rc = sqlite3_bind_double(stmt_, index, *d);
  } else if (const Text* t = std::get_if<Text>(&value)) {
    rc = sqlite3_bind_text64(stmt_, index, t->bytes.data(), t->bytes.size(), SQLITE_TRANSIENT,
                             SQLITE_UTF8);
  } else {
    const Blob& b = std::get<Blob>(value);
    // A zero-length blob must stay a BLOB, not become NULL: bind_zeroblob keeps the class.
    rc = b.bytes.empty()
             ? sqlite3_bind_zeroblob(stmt_, index, 0)
             : sqlite3_bind_blob64(stmt_, index, b.bytes.data(), b.bytes.size(), SQLITE_TRANSIENT);
  }
  if (rc != SQLITE_OK) return Error("bind parameter " + std::to_string(index));
  return Status::Ok();
}

Status Statement::BindInt(int index, int64_t value) { return Bind(index, Value{value}); }

Status Statement::BindText(int index, std::string_view text) {
  if (sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8) !=
      SQLITE_OK) {
    return Error("bind parameter " + std::to_string(index));
  }
  return Status::Ok();
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = Error("step");
  sqlite3_reset(stmt_);
  return s;
}

Status Statement::Run() {
  while (true) {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
  }
  Reset();
  return Status::Ok();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

Value Statement::Column(int index) const {
  switch (sqlite3_column_type(stmt_, index)) {
    case SQLITE_INTEGER:
      return sqlite3_column_int64(stmt_, index);
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt_, index);
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
      return Text{std::string(p, sqlite3_column_bytes(stmt_, index))};
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
      int n = sqlite3_column_bytes(stmt_, index);
      return Blob{n ? std::string(p, n) : std::string()};
    }
    default:
      return Null{};
  }
}

int64_t Statement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::ColumnText(int index) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (!p) return {};
  return std::string(p, sqlite3_column_bytes(stmt_, index));
}

bool Statement::ColumnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

std::string Statement::ColumnName(int index) const {
  const char* name = sqlite3_column_name(stmt_, index);
  return name ? std::string(name) : std::string();
}

std::string_view Statement::sql() const {
  const char* s = sqlite3_sql(stmt_);
  return s ? std::string_view(s) : std::string_view();
}

Result<Transaction> Transaction::Begin(Database& db, Mode mode) {
  HARMONY_RETURN_IF_ERROR(db.Exec(mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() { Rollback(); }

Status Transaction::Commit() {
  if (!db_) return Status::Internal("commit of a finished transaction");
  Status s = db_->Exec("COMMIT");
  if (s.ok()) db_ = nullptr;
  return s;
}

void Transaction::Rollback() {
  if (!db_) return;
  // Ignored on purpose: ROLLBACK only fails when no transaction is open, which is what we want.
  (void)db_->Exec("ROLLBACK");
  db_ = nullptr;
}

std::string QuoteIdentifierIfNeeded(std::string_view name) {
  bool plain = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$');
  }
  if (plain && sqlite3_keyword_check(name.data(), static_cast<int>(name.size())) == 0) {
    return std::string(name);
  }
  return QuoteIdentifier(name);
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('"');
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string QuoteString(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  for (char c : text) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

Result<bool> TableExists(Database& db, std::string_view name) {
  // A look-up in the schema's hash table (SQLITE_ENABLE_COLUMN_METADATA, which Debian's SQLite
  // has): sqlite_schema has no index, and scanning it on every publish round cost milliseconds
  // with 1,000 tables (issue #10, item 5). With no column name it only checks the table exists;
  // a view is an error.
  const std::string table(name);
  const int rc = sqlite3_table_column_metadata(db.raw(), "main", table.c_str(), nullptr, nullptr,
                                               nullptr, nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return true;
  if (rc == SQLITE_ERROR) return false;
  return Status::Internal("look up table " + table + ": " + sqlite3_errstr(rc));
}

std::string IdenticalRowWhere(const std::vector<std::string>& columns) {
  std::string where;
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string c = QuoteIdentifier(columns[i]);
    const std::string p = "?" + std::to_string(i + 1);
    where += (i ? " AND " : "") + c + " IS " + p + " COLLATE BINARY AND typeof(" + c +
             ") = typeof(" + p + ")";
  }
  return where.empty() ? "1" : where;
}

bool SameIdentifier(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

bool IdentifierLess::operator()(std::string_view a, std::string_view b) const {
  auto lower = [](char c) {
    return static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  };
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [&](char x, char y) { return lower(x) < lower(y); });
}

Result<bool> HasUniqueIndexBesidesKey(Database& db, std::string_view name,
                                      std::string_view key_index) {
  HARMONY_ASSIGN_OR_RETURN(
      Statement q, db.Prepare("SELECT count(*) FROM pragma_index_list(?1, 'main') WHERE "
                              "\"unique\" = 1 AND origin != 'pk' AND name IS NOT ?2"));
  HARMONY_RETURN_IF_ERROR(q.BindText(1, name));
  HARMONY_RETURN_IF_ERROR(q.BindText(2, key_index));
  HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
  return row && q.ColumnInt(0) > 0;
}

Status QuickCheck(Database& db) {
  // One complaint is enough to refuse the file, and stops the check early.
  HARMONY_ASSIGN_OR_RETURN(Statement check, db.Prepare("PRAGMA quick_check(1)"));
  HARMONY_ASSIGN_OR_RETURN(bool row, check.Step());
  std::string verdict = row ? check.ColumnText(0) : "no result";
  if (verdict == "ok") return Status::Ok();
  // "*** in database main ***\nTree 2 page 2: ...": one line, for a one-line error.
  for (char& c : verdict) {
    if (c == '\n') c = ' ';
  }
  return Status::Corruption("PRAGMA quick_check: " + verdict);
}

Status DropObjectsWithPrefix(Database& db, std::string_view prefix) {
  HARMONY_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db, Transaction::Mode::kImmediate));
  HARMONY_ASSIGN_OR_RETURN(
      Statement list,
      db.Prepare("SELECT type, name FROM sqlite_schema WHERE substr(name, 1, ?1) = ?2"
                 " ORDER BY CASE type WHEN 'trigger' THEN 0 WHEN 'view' THEN 1"
                 " WHEN 'index' THEN 2 ELSE 3 END"));
  HARMONY_RETURN_IF_ERROR(list.BindInt(1, static_cast<int64_t>(prefix.size())));
  HARMONY_RETURN_IF_ERROR(list.BindText(2, prefix));
  std::vector<std::pair<std::string, std::string>> objects;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    objects.emplace_back(list.ColumnText(0), list.ColumnText(1));
  }
  list.Reset();
  for (const auto& [type, name] : objects) {
    if (type == "index" && name.starts_with("sqlite_autoindex")) continue;
    const char* kind = type == "trigger" ? "TRIGGER"
                       : type == "view"  ? "VIEW"
                       : type == "index" ? "INDEX"
                                         : "TABLE";
    HARMONY_RETURN_IF_ERROR(
        db.Exec(std::string("DROP ") + kind + " IF EXISTS " + QuoteIdentifier(name)));
  }
  return tx.Commit();
}

}  // namespace harmony::sqlite
