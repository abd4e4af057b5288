#include "tests/chaos/checks.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "sqlite/database.h"
#include "tests/chaos/writer.h"

namespace harmony::chaos {
namespace {

uint64_t Fnv1a(const std::string& bytes, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Escaped(const std::string& bytes, bool as_hex) {
  std::string out = std::to_string(bytes.size()) + ":";
  char buf[8];
  for (unsigned char c : bytes) {
    if (!as_hex && c >= 0x20 && c < 0x7f && c != '\\' && c != '|') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, as_hex ? "%02x" : "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string Render(const Value& v) {
  if (std::holds_alternative<Null>(v)) return "NULL";
  if (const int64_t* i = std::get_if<int64_t>(&v)) return "i:" + std::to_string(*i);
  if (const double* d = std::get_if<double>(&v)) {
    uint64_t bits;
    std::memcpy(&bits, d, sizeof bits);
    char buf[64];
    std::snprintf(buf, sizeof buf, "r:%016" PRIx64 "(%.17g)", bits, *d);
    return buf;
  }
  if (const Text* t = std::get_if<Text>(&v)) return "t:" + Escaped(t->bytes, false);
  return "b:" + Escaped(std::get<Blob>(v).bytes, true);
}

Result<sqlite::Database> OpenForReading(const std::string& db_path) {
  sqlite::OpenOptions options;
  options.wal = false;  // leave the journal mode alone
  options.busy_timeout_ms = 10000;
  return sqlite::Database::Open(db_path, options);
}

}  // namespace

Result<TableRows> ReadTables(const std::string& db_path) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, OpenForReading(db_path));
  // One read transaction: every table as of the same commit.
  HARMONY_RETURN_IF_ERROR(db.Exec("BEGIN"));
  std::vector<std::string> names;
  {
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement list,
        db.Prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' "
                   "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                   "AND name NOT LIKE '\\_\\_harmony%' ESCAPE '\\' ORDER BY name"));
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool more, list.Step());
      if (!more) break;
      names.push_back(list.ColumnText(0));
    }
  }
  TableRows tables;
  for (const std::string& name : names) {
    const std::string select = "SELECT * FROM " + sqlite::QuoteIdentifier(name);
    int columns = 0;
    {
      HARMONY_ASSIGN_OR_RETURN(sqlite::Statement probe, db.Prepare(select));
      columns = probe.ColumnCount();
    }
    std::string order;
    for (int c = 1; c <= columns; ++c) order += (c > 1 ? "," : "") + std::to_string(c);
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement stmt, db.Prepare(select + " ORDER BY " + order));
    std::vector<std::string>& rows = tables[name];
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool more, stmt.Step());
      if (!more) break;
      std::string row;
      for (int c = 0; c < columns; ++c) {
        if (c > 0) row += " | ";
        row += Render(stmt.Column(c));
      }
      rows.push_back(std::move(row));
    }
  }
  HARMONY_RETURN_IF_ERROR(db.Exec("COMMIT"));
  return tables;
}

std::string Digest(const TableRows& tables) {
  std::string out;
  for (const auto& [name, rows] : tables) {
    uint64_t h = Fnv1a(name);
    for (const std::string& row : rows) h = Fnv1a(row + "\n", h);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
    out += (out.empty() ? "" : ", ") + name + "=" + std::to_string(rows.size()) + "/" + buf;
  }
  return out;
}

std::string Difference(const TableRows& a, const TableRows& b, const std::string& a_name,
                       const std::string& b_name) {
  constexpr size_t kShown = 3;
  std::string out;
  std::set<std::string> names;
  for (const auto& [name, rows] : a) names.insert(name);
  for (const auto& [name, rows] : b) names.insert(name);
  for (const std::string& name : names) {
    auto ia = a.find(name);
    auto ib = b.find(name);
    if (ia == a.end() || ib == b.end()) {
      out += "table " + name + " only on " + (ia == a.end() ? b_name : a_name) + "; ";
      continue;
    }
    if (ia->second == ib->second) continue;
    std::set<std::string> left(ia->second.begin(), ia->second.end());
    std::set<std::string> right(ib->second.begin(), ib->second.end());
    std::vector<std::string> only_a, only_b;
    for (const std::string& r : left) {
      if (!right.count(r)) only_a.push_back(r);
    }
    for (const std::string& r : right) {
      if (!left.count(r)) only_b.push_back(r);
    }
    out += "table " + name + ": " + a_name + " " + std::to_string(ia->second.size()) + " rows, " +
           b_name + " " + std::to_string(ib->second.size()) + " rows; " +
           std::to_string(only_a.size()) + " only on " + a_name + ", " +
           std::to_string(only_b.size()) + " only on " + b_name;
    for (size_t k = 0; k < only_a.size() && k < kShown; ++k) {
      out += "\n    only on " + a_name + ": " + only_a[k];
    }
    for (size_t k = 0; k < only_b.size() && k < kShown; ++k) {
      out += "\n    only on " + b_name + ": " + only_b[k];
    }
    out += "\n  ";
  }
  return out;
}

Status ReadJournal(const std::string& path, JournalSummary* summary) {
  std::ifstream in(path);
  if (!in) return Status::IoError("cannot read journal " + path);
  std::map<std::string, std::string> last;  // txn -> its last event
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string event, txn;
    words >> event >> txn;
    if (txn.empty()) continue;  // paused / resumed / exit
    if (event == "commit") {
      int rows = 0;
      words >> rows;
      summary->committed[txn] = rows;
    } else if (event == "abort") {
      ++summary->aborted;
      if (summary->abort_reasons.size() < 3) summary->abort_reasons.push_back(line);
    }
    last[txn] = event;
  }
  for (const auto& [txn, event] : last) {
    if (event == "begin" || event == "abort") summary->never_committed.insert(txn);
    if (event == "committing") ++summary->unknown;
  }
  return Status::Ok();
}

Result<Ledger> ReadLedger(const std::string& db_path) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, OpenForReading(db_path));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement stmt,
                           db.Prepare("SELECT id, txn, payload FROM ledger"));
  Ledger ledger;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool more, stmt.Step());
    if (!more) break;
    ledger[stmt.ColumnText(0)] = {stmt.ColumnText(1), stmt.ColumnText(2)};
  }
  return ledger;
}

LedgerCheck CheckLedger(const JournalSummary& journal, const std::vector<Ledger>& ledgers) {
  LedgerCheck check;
  check.missing_per_node.assign(ledgers.size(), 0);
  for (const auto& [txn, rows] : journal.committed) {
    for (int k = 0; k < rows; ++k) {
      const std::string id = txn + "-" + std::to_string(k);
      ++check.committed_rows;
      bool lost = false;
      for (size_t n = 0; n < ledgers.size(); ++n) {
        if (!ledgers[n].count(id)) {
          ++check.missing_per_node[n];
          if (!lost && check.example.empty()) {
            check.example = "lost " + id + " on node " + std::to_string(n + 1);
          }
          lost = true;
        }
      }
      if (lost) ++check.lost_rows;
    }
  }
  std::set<std::string> phantoms;
  for (size_t n = 0; n < ledgers.size(); ++n) {
    for (const auto& [id, row] : ledgers[n]) {
      if (journal.never_committed.count(row.txn) && phantoms.insert(id).second &&
          check.example.empty()) {
        check.example = "phantom " + id + " (never committed) on node " + std::to_string(n + 1);
      }
      if (row.payload != LedgerPayload(id)) {
        ++check.bad_payload_rows;
        if (check.example.empty()) {
          check.example =
              "payload of " + id + " on node " + std::to_string(n + 1) + ": " + row.payload;
        }
      }
    }
  }
  check.phantom_rows = static_cast<int64_t>(phantoms.size());
  return check;
}

Result<int64_t> DeadLetters(const std::string& db_path) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, OpenForReading(db_path));
  HARMONY_ASSIGN_OR_RETURN(
      int64_t exists,
      db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = '__harmony_dead_letters'"));
  if (exists == 0) return int64_t{0};
  return db.QueryInt("SELECT count(*) FROM __harmony_dead_letters");
}

}  // namespace harmony::chaos
