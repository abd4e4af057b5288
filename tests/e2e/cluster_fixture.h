#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sqlite/database.h"
#include "tests/e2e/harmony_process.h"
#include "tests/support/nats_server_process.h"
#include "tests/support/temp_dir.h"

namespace harmony::test {

// Three harmony nodes, each with its own SQLite file, sharing one real nats-server.
class ClusterTest : public ::testing::Test {
 protected:
  struct Node {
    std::string db_path;
    std::string config_path;
    std::string log_path;
    std::unique_ptr<HarmonyProcess> process;
  };

  // Schema every node's database starts with (before harmony starts).
  virtual std::string Schema() const {
    return "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER);";
  }
  virtual std::string ExtraConfig(int node) const { return ""; }

  void SetUp() override;
  void TearDown() override;

  void StartNode(int i);
  // Stops node i with SIGTERM and expects a clean exit (0).
  void StopNode(int i);
  void Exec(int i, const std::string& sql);
  // First column of the first row as text ("" when no row, "NULL" for NULL).
  std::string Query(int i, const std::string& sql);
  // Every row of `sql` on node i, with exact values (an error becomes one row with its text).
  std::vector<std::vector<Value>> Rows(int i, const std::string& sql);
  // Waits until `sql` returns exactly the same rows (bit for bit) on all three nodes.
  bool WaitForSameRows(const std::string& sql,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Waits until `sql` gives `expected` on node i.
  bool WaitFor(int i, const std::string& sql, const std::string& expected,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

  TempDir dir_;
  std::unique_ptr<NatsServerProcess> nats_;
  std::vector<Node> nodes_;
};

}  // namespace harmony::test
