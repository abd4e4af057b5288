#include "tests/e2e/cluster_fixture.h"

#include <fstream>

namespace harmony::test {

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
    Exec(i, Schema());
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
  n.process = std::make_unique<HarmonyProcess>(
      std::vector<std::string>{"-config", n.config_path}, n.log_path);
  ASSERT_TRUE(n.process->Start());
  ASSERT_TRUE(n.process->WaitForLog("ready", std::chrono::seconds(30)))
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

std::vector<std::vector<Value>> ClusterTest::Rows(int i, const std::string& sql) {
  sqlite::OpenOptions options;
  options.wal = false;
  std::vector<std::vector<Value>> out;
  auto fail = [&](const Status& s) {
    out = {{Text{"error: " + s.ToString()}}};
    return out;
  };
  auto db = sqlite::Database::Open(nodes_[i].db_path, options);
  if (!db.ok()) return fail(db.status());
  auto stmt = db->Prepare(sql);
  if (!stmt.ok()) return fail(stmt.status());
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return fail(row.status());
    if (!*row) break;
    std::vector<Value> values;
    for (int c = 0; c < stmt->ColumnCount(); ++c) values.push_back(stmt->Column(c));
    out.push_back(std::move(values));
  }
  return out;
}

namespace {

bool SameRows(const std::vector<std::vector<Value>>& a, const std::vector<std::vector<Value>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t r = 0; r < a.size(); ++r) {
    if (a[r].size() != b[r].size()) return false;
    for (size_t c = 0; c < a[r].size(); ++c) {
      if (!SameValue(a[r][c], b[r][c])) return false;
    }
  }
  return true;
}

}  // namespace

bool ClusterTest::WaitForSameRows(const std::string& sql, std::chrono::milliseconds timeout) {
  std::vector<std::vector<Value>> rows[3];
  bool ok = Eventually(
      [&] {
        for (int i = 0; i < 3; ++i) rows[i] = Rows(i, sql);
        return SameRows(rows[0], rows[1]) && SameRows(rows[0], rows[2]);
      },
      timeout);
  if (!ok) {
    std::string detail;
    for (int i = 0; i < 3; ++i) {
      detail += "node " + std::to_string(i + 1) + ": " + std::to_string(rows[i].size()) + " rows";
      for (size_t r = 0; r < rows[i].size() && r < 5; ++r) {
        detail += "\n  ";
        for (const Value& v : rows[i][r]) detail += DebugString(v) + " ";
      }
      detail += "\n";
    }
    ADD_FAILURE() << "nodes differ on: " << sql << "\n" << detail;
  }
  return ok;
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
