#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sqlite/database.h"
#include "tests/support/harmony_process.h"
#include "tests/support/nats_server_process.h"
#include "tests/support/temp_dir.h"

namespace harmony::test {

// The first column of the first row `sql` gives on the database at `db_path` (read without
// changing its journal mode) as text; "" when no row, the error's text when it fails.
std::string QueryText(const std::string& db_path, const std::string& sql);

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
  // Schema of node i's database; Schema() unless a test gives one node a different one.
  virtual std::string NodeSchema(int node) const { return Schema(); }
  virtual std::string ExtraConfig(int node) const { return ""; }

  void SetUp() override;
  void TearDown() override;

  void StartNode(int i);
  // Stops node i with SIGTERM and expects a clean exit (0).
  void StopNode(int i);
  void Exec(int i, const std::string& sql);
  // First column of the first row as text ("" when no row, "NULL" for NULL).
  std::string Query(int i, const std::string& sql);
  // Waits until `sql` gives `expected` on node i.
  bool WaitFor(int i, const std::string& sql, const std::string& expected,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // A connection of the test's own to node i's database (writer threads, read loops). Reads
  // should pass options.wal = false so they do not change the journal mode.
  Result<sqlite::Database> Connect(int i, const sqlite::OpenOptions& options = {}) const;

  // Every row of `table` on node i in a canonical text form that keeps each value's storage class
  // and exact bits (REALs as their bit pattern, TEXT and BLOB as bytes; long ones as length and
  // hash), ordered by every column. One string per row; {"error: ..."} if the table cannot be read.
  std::vector<std::string> Dump(int i, const std::string& table) const;
  // Dump() of every user table of node i (not sqlite_*, not __harmony*, not virtual or shadow
  // tables), by table name.
  std::map<std::string, std::vector<std::string>> DumpAll(int i) const;
  // Waits until all three nodes hold the same rows in each of `tables` (every user table when
  // `tables` is empty); on timeout adds a failure showing the first difference.
  bool WaitForSameData(const std::vector<std::string>& tables = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Dump() of each of `tables` of node i (DumpAll when empty).
  std::map<std::string, std::vector<std::string>> Snapshot(
      int i, const std::vector<std::string>& tables) const;
  // The first difference between node a's and node b's data in `tables` (every user table when
  // empty), or "" when they hold the same rows.
  std::string DataDifference(int a, int b, const std::vector<std::string>& tables = {}) const;

  // Drops harmony's capture triggers on `table` in node i's database, as an ALTER TABLE DROP
  // COLUMN does while harmony is stopped (docs/operations.md): the next start installs them
  // again and records a deferred backfill of the table (capture/backfill.h). Asserts they existed.
  void DropCaptureTriggers(int i, const std::string& table);
  // True while node i's harmony process has not exited (reaps it if it has).
  bool NodeRunning(int i);
  // The first line of node i's log that contains every one of `parts`, or "" if none does.
  std::string LogLine(int i, std::initializer_list<std::string> parts) const;

  TempDir dir_;
  std::unique_ptr<NatsServerProcess> nats_;
  std::vector<Node> nodes_;
};

}  // namespace harmony::test
