// Asks a separate process whether this process's SQLite locks on a database still hold.
//
// POSIX advisory locks (fcntl) belong to a process, and closing any descriptor of a file drops all
// of them (sqlite.org/howtocorrupt.html, section 2.2). A test therefore cannot see a dropped lock
// from inside the process that dropped it: the probe runs tests/support/sqlite_lock_probe, a
// process of its own (spawned, not forked: a forked child would share this process's SQLite
// state).
#pragma once

#include <string>

namespace harmony::test {

enum class ProbeResult {
  kBlocked,  // another process's lock stopped the probe, as SQLite's locking promises
  kPassed,   // the probe got through: no other process holds the lock
  kError,    // the probe could not run or failed for another reason (printed on stderr)
};

// Tries BEGIN IMMEDIATE on `db_path` with no busy wait: kBlocked while another connection (of any
// process) holds the write lock, i.e. is inside a write transaction.
ProbeResult ProbeWriteLock(const std::string& db_path);

// Tries PRAGMA wal_checkpoint(TRUNCATE) on the WAL database `db_path` with no busy wait: kBlocked
// while another connection holds a read transaction on a snapshot the checkpoint would have to
// overwrite, or the write lock.
ProbeResult ProbeCheckpoint(const std::string& db_path);

const char* ToString(ProbeResult result);

// Another process with an idle connection open on a database, as an application has: it has
// read the file, so in WAL mode SQLite holds a shared lock on it until the connection closes.
// Not thread-safe.
class DatabaseHolder {
 public:
  // Spawns sqlite_lock_probe hold `db_path` and waits until it holds the connection; ok() is
  // false if it could not (the reason went to stderr).
  explicit DatabaseHolder(const std::string& db_path);
  // Closes the connection: ends the child's input and waits for it.
  ~DatabaseHolder();
  DatabaseHolder(const DatabaseHolder&) = delete;
  DatabaseHolder& operator=(const DatabaseHolder&) = delete;

  bool ok() const { return ready_; }

 private:
  int pid_ = -1;
  int input_ = -1;  // the write end of the child's standard input
  bool ready_ = false;
};

}  // namespace harmony::test
