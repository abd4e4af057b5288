// Installs (or removes) change capture in the database at start-up, before anything else reads
// the change log: triggers on every replicated table, backfills of tables new to harmony.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "capture/catalog.h"
#include "common/result.h"

namespace harmony::node {

// What PrepareCapture needs; mapped once from the config (node_options.h).
struct CaptureOptions {
  std::string db_path;
  bool publish = true;        // false: capture is removed, local changes stay local
  bool replicate = true;      // true: start-up backfills wait until the node caught up
  bool replicate_ddl = true;  // schema changes are published (else only recorded)
  uint32_t shards = 1;        // only for the log line naming one-shard tables
  capture::CatalogOptions catalog;
};

// What the installed capture matches, for the publish loop and the applier.
struct CaptureState {
  int64_t schema_version = -1;  // PRAGMA schema_version the triggers match (-1: none installed)
  uint64_t epoch = 0;           // of this database's change log
  std::set<std::string> reported_skipped;  // tables whose "not replicated" warning was logged
  uint64_t schema_fingerprint = 0;         // capture::SchemaState::fingerprint of that install
};

// Installs capture (capture::SyncCapture) or, with publish = false, removes its triggers, and
// logs what it did: the tables captured, those not replicated and why, rows backfilled. The very
// first install backfills nothing; later ones defer backfills until the node has caught up when
// it replicates (capture/backfill.h, issue #11 item 6). Errors: SQLite's and capture's, naming
// the table. Not thread-safe against another PrepareCapture on the same database.
Result<CaptureState> PrepareCapture(const CaptureOptions& options);

}  // namespace harmony::node
