#include "tests/e2e/cluster_fixture.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/support/await.h"

namespace harmony::test {
namespace {

// FNV-1a: enough to tell long TEXT and BLOB values apart in a dump without printing megabytes.
uint64_t Fnv1a(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Escaped(const std::string& bytes, bool as_hex) {
  constexpr size_t kShown = 48;
  std::string out = std::to_string(bytes.size()) + ":";
  const size_t n = std::min(bytes.size(), kShown);
  char buf[8];
  for (size_t k = 0; k < n; ++k) {
    unsigned char c = static_cast<unsigned char>(bytes[k]);
    if (!as_hex && c >= 0x20 && c < 0x7f && c != '\\' && c != '|') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, as_hex ? "%02x" : "\\x%02x", c);
      out += buf;
    }
  }
  if (bytes.size() > kShown) {
    out += "...";
    char hash[24];
    std::snprintf(hash, sizeof hash, "#%016" PRIx64, Fnv1a(bytes));
    out += hash;
  }
  return out;
}

// One value with its storage class and exact bits: "NULL", "i:42", "r:<bits>(<%.17g>)",
// "t:<len>:<text>", "b:<len>:<hex>".
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

std::string FirstDifference(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t k = 0; k < std::max(a.size(), b.size()); ++k) {
    const std::string left = k < a.size() ? a[k] : "(no row)";
    const std::string right = k < b.size() ? b[k] : "(no row)";
    if (left != right) {
      return "row " + std::to_string(k + 1) + " of " + std::to_string(a.size()) + " vs " +
             std::to_string(b.size()) + ": " + left + "  vs  " + right;
    }
  }
  return "";
}

}  // namespace

std::string QueryText(const std::string& db_path, const std::string& sql) {
  sqlite::OpenOptions options;
  options.wal = false;
  auto db = sqlite::Database::Open(db_path, options);
  if (!db.ok()) return db.status().ToString();
  auto stmt = db->Prepare(sql);
  if (!stmt.ok()) return stmt.status().ToString();
  auto row = stmt->Step();
  if (!row.ok() || !*row) return "";
  return stmt->ColumnText(0);
}

void ClusterTest::SetUp() {
  auto nats = NatsServerProcess::Start(dir_.path() + "/nats");
  ASSERT_TRUE(nats.ok()) << nats.status().ToString();
  nats_ = std::move(nats).value();
  nodes_.resize(3);
  for (int i = 0; i < 3; ++i) {
    Node& n = nodes_[i];
    n.db_path = dir_.path() + "/node" + std::to_string(i + 1) + ".db";
    n.config_path = dir_.path() + "/node" + std::to_string(i + 1) + ".toml";
    n.log_path = dir_.path() + "/node" + std::to_string(i + 1) + ".log";
    Exec(i, NodeSchema(i));
    std::ofstream config(n.config_path);
    config << "db_path = \"" << n.db_path << "\"\n"
           << "node_id = " << (i + 1) << "\n"
           << "polling_interval = 1000\n"
           << "cleanup_interval = 500\n"
           << ExtraConfig(i) << "\n"
           << "[nats]\nurls = [\"" << nats_->url() << "\"]\n"
           << "connect_retries = 10\nreconnect_wait_seconds = 1\n"
           << "[logging]\nverbose = true\n";
  }
  for (int i = 0; i < 3; ++i) StartNode(i);
}

void ClusterTest::TearDown() {
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    if (nodes_[i].process && nodes_[i].process->running()) StopNode(i);
  }
}

void ClusterTest::StartNode(int i) {
  Node& n = nodes_[i];
  n.process = std::make_unique<HarmonyProcess>(std::vector<std::string>{"-config", n.config_path},
                                               n.log_path);
  ASSERT_TRUE(n.process->Start());
  ASSERT_TRUE(
      n.process->WaitForLog("node " + std::to_string(i + 1) + " ready", std::chrono::seconds(30)))
      << "node " << i + 1 << " did not start:\n"
      << n.process->Log();
}

void ClusterTest::StopNode(int i) {
  Node& n = nodes_[i];
  int code = n.process->Stop();
  EXPECT_EQ(code, 0) << "node " << i + 1 << " log:\n" << n.process->Log();
}

void ClusterTest::Exec(int i, const std::string& sql) {
  sqlite::OpenOptions options;
  options.create = true;
  auto db = sqlite::Database::Open(nodes_[i].db_path, options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Status s = db->Exec(sql);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

std::string ClusterTest::Query(int i, const std::string& sql) {
  sqlite::OpenOptions options;
  options.wal = false;
  auto db = sqlite::Database::Open(nodes_[i].db_path, options);
  if (!db.ok()) return "error: " + db.status().ToString();
  auto stmt = db->Prepare(sql);
  if (!stmt.ok()) return "error: " + stmt.status().ToString();
  auto row = stmt->Step();
  if (!row.ok()) return "error: " + row.status().ToString();
  if (!*row) return "";
  if (stmt->ColumnIsNull(0)) return "NULL";
  return stmt->ColumnText(0);
}

bool ClusterTest::WaitFor(int i, const std::string& sql, const std::string& expected,
                          std::chrono::milliseconds timeout) {
  std::string last;
  bool ok = Eventually(
      [&] {
        last = Query(i, sql);
        return last == expected;
      },
      timeout);
  if (!ok) {
    ADD_FAILURE() << "node " << i + 1 << ": " << sql << " gave '" << last << "', expected '"
                  << expected << "'\nlog:\n"
                  << (nodes_[i].process ? nodes_[i].process->Log() : "");
  }
  return ok;
}

}  // namespace harmony::test

namespace harmony::test {

Result<sqlite::Database> ClusterTest::Connect(int i, const sqlite::OpenOptions& options) const {
  return sqlite::Database::Open(nodes_[i].db_path, options);
}

std::vector<std::string> ClusterTest::Dump(int i, const std::string& table) const {
  sqlite::OpenOptions options;
  options.wal = false;
  auto db = Connect(i, options);
  if (!db.ok()) return {"error: " + db.status().ToString()};
  const std::string select = "SELECT * FROM " + sqlite::QuoteIdentifier(table);
  int columns = 0;
  {
    auto probe = db->Prepare(select);
    if (!probe.ok()) return {"error: " + probe.status().ToString()};
    columns = probe->ColumnCount();
  }
  std::string order;
  for (int c = 1; c <= columns; ++c) order += (c > 1 ? "," : "") + std::to_string(c);
  auto stmt = db->Prepare(select + (columns > 0 ? " ORDER BY " + order : ""));
  if (!stmt.ok()) return {"error: " + stmt.status().ToString()};
  std::vector<std::string> rows;
  while (true) {
    auto more = stmt->Step();
    if (!more.ok()) return {"error: " + more.status().ToString()};
    if (!*more) break;
    std::string row;
    for (int c = 0; c < columns; ++c) {
      if (c > 0) row += " | ";
      row += Render(stmt->Column(c));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::map<std::string, std::vector<std::string>> ClusterTest::DumpAll(int i) const {
  std::map<std::string, std::vector<std::string>> all;
  sqlite::OpenOptions options;
  options.wal = false;
  auto db = Connect(i, options);
  if (!db.ok()) return {{"", {"error: " + db.status().ToString()}}};
  std::vector<std::string> names;
  {
    auto list = db->Prepare(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND "
        "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_\\_harmony%' ESCAPE '\\' "
        "ORDER BY name");
    if (!list.ok()) return {{"", {"error: " + list.status().ToString()}}};
    while (true) {
      auto more = list->Step();
      if (!more.ok()) return {{"", {"error: " + more.status().ToString()}}};
      if (!*more) break;
      names.push_back(list->ColumnText(0));
    }
  }
  for (const std::string& name : names) all[name] = Dump(i, name);
  return all;
}

namespace {

using Tables = std::map<std::string, std::vector<std::string>>;

std::string Difference(const Tables& left, const Tables& right, int a, int b) {
  for (const auto& [name, rows] : left) {
    auto it = right.find(name);
    if (it == right.end()) {
      return "table \"" + name + "\" exists on node " + std::to_string(a + 1) + " only";
    }
    std::string diff = FirstDifference(rows, it->second);
    if (!diff.empty()) {
      return "table \"" + name + "\", node " + std::to_string(a + 1) + " vs node " +
             std::to_string(b + 1) + ": " + diff;
    }
  }
  for (const auto& [name, rows] : right) {
    if (!left.count(name)) {
      return "table \"" + name + "\" exists on node " + std::to_string(b + 1) + " only";
    }
  }
  return "";
}

}  // namespace

Tables ClusterTest::Snapshot(int i, const std::vector<std::string>& tables) const {
  if (tables.empty()) return DumpAll(i);
  Tables out;
  for (const std::string& t : tables) out[t] = Dump(i, t);
  return out;
}

std::string ClusterTest::DataDifference(int a, int b,
                                        const std::vector<std::string>& tables) const {
  return Difference(Snapshot(a, tables), Snapshot(b, tables), a, b);
}

bool ClusterTest::WaitForSameData(const std::vector<std::string>& tables,
                                  std::chrono::milliseconds timeout) {
  std::string diff;
  // Dumps are heavier than a single query: poll every 20 ms, not in a tight loop.
  bool ok = PollUntil(
      [&] {
        // Each node is read once per round: comparing node 1 read early with node 2 and node 1
        // read later with node 3 could find "equal" pairs while the three never were.
        const Tables first = Snapshot(0, tables);
        diff = Difference(first, Snapshot(1, tables), 0, 1);
        if (diff.empty()) diff = Difference(first, Snapshot(2, tables), 0, 2);
        return diff.empty();
      },
      timeout, std::chrono::milliseconds(20));
  if (!ok) {
    ADD_FAILURE() << "nodes still differ after " << timeout.count() << " ms: " << diff;
  }
  return ok;
}

void ClusterTest::DropCaptureTriggers(int i, const std::string& table) {
  auto db = Connect(i);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::vector<std::string> triggers;
  {
    auto list = db->Prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND "
        "tbl_name = ?1 AND name LIKE '\\_\\_harmony%' ESCAPE '\\'");
    ASSERT_TRUE(list.ok());
    ASSERT_TRUE(list->BindText(1, table).ok());
    while (true) {
      auto row = list->Step();
      ASSERT_TRUE(row.ok());
      if (!*row) break;
      triggers.push_back(list->ColumnText(0));
    }
  }
  ASSERT_FALSE(triggers.empty()) << "no capture trigger on " << table;
  for (const std::string& t : triggers) {
    ASSERT_TRUE(db->Exec("DROP TRIGGER \"" + t + "\"").ok());
  }
}

bool ClusterTest::NodeRunning(int i) {
  HarmonyProcess* p = nodes_[i].process.get();
  if (p == nullptr || !p->running()) return false;
  // WaitForLog reaps the child if it has exited; with a zero timeout it looks exactly once.
  p->WaitForLog("\n\x01 never logged \x01", std::chrono::seconds(0));
  return p->running();
}

std::string ClusterTest::LogLine(int i, std::initializer_list<std::string> parts) const {
  std::istringstream log(nodes_[i].process ? nodes_[i].process->Log() : "");
  std::string line;
  while (std::getline(log, line)) {
    bool all = true;
    for (const std::string& part : parts) all = all && line.find(part) != std::string::npos;
    if (all) return line;
  }
  return "";
}

}  // namespace harmony::test
