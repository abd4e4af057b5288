// writer: the chaos suite's "application", run as a process of its own (the driver re-executes
// itself as `harmony-chaos writer ...`) so that it can be killed in the middle of a transaction
// independently of the harmony sidecar beside it. Plain SQLite, like an app that does not know
// harmony exists: BEGIN IMMEDIATE, busy_timeout 5000.
//
// Each transaction does a few hot-key writes (upserts, replaces, updates, deletes on a small key
// set every node writes) and inserts rows into the append-only `ledger` table whose ids cannot
// collide across nodes or runs ("n<node>g<gen>t<seq>-<k>"). The journal file records, one line
// per event, written with a single write(2) so that a kill -9 never leaves half a line:
//
//   begin <txn> <rows>       every statement ran; the transaction is still open
//   committing <txn>         COMMIT is about to run (its outcome is unknown if killed now)
//   commit <txn> <rows>      COMMIT returned SQLITE_OK: these ledger rows must survive
//   abort <txn> <reason>     rolled back (busy past the timeout, or a statement failed)
//   paused | resumed | exit  SIGUSR1 / SIGUSR2 / SIGTERM were acted on
//
// A transaction whose last line is `begin` or `abort` never committed: its rows must appear on no
// node.
#pragma once

#include <cstdint>
#include <string>

namespace harmony::chaos {

// The tables every node starts with.
std::string ChaosSchema();

// The payload column of ledger row `id` (the checker verifies it).
std::string LedgerPayload(const std::string& id);

struct WriterOptions {
  std::string db_path;
  std::string journal_path;
  int node = 1;        // 1-based, part of the ledger ids and written into rows
  int generation = 0;  // which start of this writer: keeps ids unique across restarts
  uint64_t seed = 1;
  int keys = 16;         // hot keys 1..keys
  int min_pause_ms = 5;  // sleep between transactions, uniformly in [min, max]
  int max_pause_ms = 30;
  int hold_ms = 0;  // sleep inside each transaction, after its writes, before COMMIT
  // The app holding the write lock: larger transactions, 0.3-0.8 s apart, held alternately
  // 1.5-3.5 s and 10.5-12.5 s, the latter longer than harmony's busy timeout (10 s) so that its
  // apply transaction fails and must be retried ("L" in the ids instead of "g").
  bool lock_holder = false;
};

// Runs until SIGTERM; returns the process exit code (0 after a clean stop, 1 if the database
// could not be opened or the journal written).
int RunWriter(const WriterOptions& options);

}  // namespace harmony::chaos
