#include "tests/chaos/writer.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "sqlite/database.h"

namespace harmony::chaos {
namespace {

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_paused = 0;

void OnSignal(int sig) {
  if (sig == SIGTERM || sig == SIGINT) g_stop = 1;
  if (sig == SIGUSR1) g_paused = 1;
  if (sig == SIGUSR2) g_paused = 0;
}

// Appends one line with one write(2).
class Journal {
 public:
  explicit Journal(const std::string& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {}
  ~Journal() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool Line(const std::string& text) {
    const std::string line = text + "\n";
    return ::write(fd_, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  }

 private:
  int fd_;
};

// A value of a random storage class, so that conflicting writes also mix types.
Value RandomValue(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:
      return Null{};
    case 1:
      return static_cast<int64_t>(rng() % 100000) - 50000;
    case 2:
      return static_cast<double>(rng() % 100000) / 7.0;
    case 3:
      return Text{"t" + std::to_string(rng() % 100000)};
    default:
      return Blob{std::string(1 + rng() % 6, static_cast<char>(rng() % 256))};
  }
}

class Writer {
 public:
  Writer(const WriterOptions& o, sqlite::Database db, Journal* journal)
      : o_(o), db_(std::move(db)), journal_(journal), rng_(o.seed) {}

  // One transaction; false only when the journal cannot be written (nothing can be checked).
  bool Transaction() {
    const std::string txn = "n" + std::to_string(o_.node) + (o_.lock_holder ? "L" : "g") +
                            std::to_string(o_.generation) + "t" + std::to_string(seq_++);
    auto begin = sqlite::Transaction::Begin(db_, sqlite::Transaction::Mode::kImmediate);
    if (!begin.ok()) return journal_->Line("abort " + txn + " begin: " + OneLine(begin.status()));
    sqlite::Transaction t = std::move(begin).value();
    const int hot_ops = o_.lock_holder ? 4 + rng_() % 4 : 1 + rng_() % 3;
    const int rows = o_.lock_holder ? 3 : 1 + rng_() % 2;
    Status s;
    for (int i = 0; s.ok() && i < hot_ops; ++i) s = HotWrite();
    for (int k = 0; s.ok() && k < rows; ++k) s = LedgerInsert(txn, k);
    if (!s.ok()) {
      t.Rollback();
      return journal_->Line("abort " + txn + " " + OneLine(s));
    }
    if (!journal_->Line("begin " + txn + " " + std::to_string(rows))) return false;
    int hold = o_.hold_ms;
    if (o_.lock_holder) {
      hold = seq_ % 2 == 0 ? 10500 + static_cast<int>(rng_() % 2000)
                           : 1500 + static_cast<int>(rng_() % 2000);
    }
    if (hold > 0) std::this_thread::sleep_for(std::chrono::milliseconds(hold));
    if (!journal_->Line("committing " + txn)) return false;
    s = t.Commit();
    if (!s.ok()) return journal_->Line("abort " + txn + " commit: " + OneLine(s));
    return journal_->Line("commit " + txn + " " + std::to_string(rows));
  }

  int PauseMs() {
    if (o_.lock_holder) return 300 + static_cast<int>(rng_() % 500);
    const int span = std::max(0, o_.max_pause_ms - o_.min_pause_ms);
    return o_.min_pause_ms + static_cast<int>(rng_() % (span + 1));
  }

 private:
  static std::string OneLine(const Status& s) {
    std::string m = s.message();
    for (char& c : m) {
      if (c == '\n') c = ' ';
    }
    return m;
  }

  Status HotWrite() {
    const int64_t key = 1 + static_cast<int64_t>(rng_() % o_.keys);
    std::string sql;
    std::vector<Value> args;
    switch (rng_() % 6) {
      case 0:
      case 1:
        sql =
            "INSERT INTO hot(k, v, node, n) VALUES(?1, ?2, ?3, 1) ON CONFLICT(k) DO UPDATE SET "
            "v = excluded.v, node = excluded.node, n = n + 1";
        args = {key, RandomValue(rng_), int64_t{o_.node}};
        break;
      case 2:
        sql = "INSERT OR REPLACE INTO hot(k, v, node, n) VALUES(?1, ?2, ?3, 0)";
        args = {key, RandomValue(rng_), int64_t{o_.node}};
        break;
      case 3:
        sql = "UPDATE hot SET v = ?2, node = ?3, n = n + 1 WHERE k = ?1";
        args = {key, RandomValue(rng_), int64_t{o_.node}};
        break;
      default:
        sql = "DELETE FROM hot WHERE k = ?1";
        args = {key};
        break;
    }
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement stmt, db_.Prepare(sql));
    for (size_t i = 0; i < args.size(); ++i) {
      HARMONY_RETURN_IF_ERROR(stmt.Bind(static_cast<int>(i + 1), args[i]));
    }
    return stmt.Run();
  }

  Status LedgerInsert(const std::string& txn, int k) {
    const std::string id = txn + "-" + std::to_string(k);
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement stmt,
        db_.Prepare("INSERT INTO ledger(id, node, txn, payload) VALUES(?1, ?2, ?3, ?4)"));
    HARMONY_RETURN_IF_ERROR(stmt.BindText(1, id));
    HARMONY_RETURN_IF_ERROR(stmt.BindInt(2, o_.node));
    HARMONY_RETURN_IF_ERROR(stmt.BindText(3, txn));
    HARMONY_RETURN_IF_ERROR(stmt.BindText(4, LedgerPayload(id)));
    return stmt.Run();
  }

  const WriterOptions& o_;
  sqlite::Database db_;
  Journal* journal_;
  std::mt19937_64 rng_;
  int64_t seq_ = 0;
};

}  // namespace

std::string LedgerPayload(const std::string& id) { return "p:" + id; }

std::string ChaosSchema() {
  return "CREATE TABLE hot(k INTEGER PRIMARY KEY, v, node INTEGER NOT NULL, n INTEGER NOT NULL);"
         "CREATE TABLE ledger(id TEXT PRIMARY KEY, node INTEGER NOT NULL, txn TEXT NOT NULL, "
         "payload TEXT NOT NULL);";
}

int RunWriter(const WriterOptions& options) {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) ::sigaction(sig, &sa, nullptr);

  Journal journal(options.journal_path);
  if (!journal.ok()) {
    std::fprintf(stderr, "writer: cannot open journal %s\n", options.journal_path.c_str());
    return 1;
  }
  sqlite::OpenOptions open;
  open.busy_timeout_ms = 5000;
  auto db = sqlite::Database::Open(options.db_path, open);
  if (!db.ok()) {
    std::fprintf(stderr, "writer: %s\n", db.status().ToString().c_str());
    return 1;
  }
  Writer writer(options, std::move(db).value(), &journal);
  bool paused = false;
  while (!g_stop) {
    if (g_paused != paused) {
      paused = g_paused;
      if (!journal.Line(paused ? "paused" : "resumed")) return 1;
    }
    if (paused) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (!writer.Transaction()) {
      std::fprintf(stderr, "writer: cannot write journal %s\n", options.journal_path.c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(writer.PauseMs()));
  }
  journal.Line("exit");
  return 0;
}

}  // namespace harmony::chaos
