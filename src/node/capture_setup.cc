#include "node/capture_setup.h"

#include <spdlog/spdlog.h>

#include "capture/backfill.h"
#include "capture/change_log.h"
#include "capture/schema_sync.h"
#include "capture/triggers.h"
#include "replication/publish_loop.h"
#include "sqlite/database.h"

namespace harmony::node {

Result<CaptureState> PrepareCapture(const CaptureOptions& options) {
  sqlite::OpenOptions open;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(options.db_path, open));
  if (!options.publish) {
    spdlog::info("publish = false: local changes are not captured");
    HARMONY_RETURN_IF_ERROR(capture::RemoveTriggers(db));
    return CaptureState{};
  }
  // Tables created while harmony was stopped are backfilled; the very first install is not.
  HARMONY_ASSIGN_OR_RETURN(bool installed_before, capture::CaptureInstalled(db));
  const capture::SchemaCapture schema =
      options.replicate_ddl ? capture::SchemaCapture::kPublish : capture::SchemaCapture::kRecord;
  // Backfills at start-up wait until this node has applied what is already in the streams (its
  // rows may be stale): capture/backfill.h.
  const capture::BackfillMode backfill = !installed_before   ? capture::BackfillMode::kNone
                                         : options.replicate ? capture::BackfillMode::kDeferred
                                                             : capture::BackfillMode::kNow;
  HARMONY_ASSIGN_OR_RETURN(capture::SyncResult sync,
                           capture::SyncCapture(db, options.catalog, backfill, schema));
  replication::LogSchemaChange(sync, schema);
  if (sync.promoted) {
    spdlog::info(
        "publish = true after publish = false: capture installed again without sending "
        "existing rows (what was written while publishing was off stays local)");
  }
  std::set<std::string> reported;
  for (const capture::SkippedTable& skipped : sync.skipped) {
    spdlog::warn("table \"{}\" is not replicated: {}", skipped.name, skipped.reason);
    reported.insert(skipped.name);
  }
  std::string names;
  for (const auto& t : sync.tracked) names += (names.empty() ? "" : ", ") + t.schema.name;
  if (options.shards > 1) {
    std::string one_shard;
    for (const auto& t : sync.tracked) {
      if (t.schema.one_shard) one_shard += (one_shard.empty() ? "" : ", ") + t.schema.name;
    }
    if (!one_shard.empty()) {
      spdlog::info(
          "table(s) with a UNIQUE constraint besides the primary key, each sent in one "
          "shard so that colliding rows are ordered: {}",
          one_shard);
    }
  }
  spdlog::info("capturing changes on {} table(s): {}", sync.tracked.size(), names);
  if (sync.backfilled_rows || sync.recaptured_rows) {
    spdlog::info("{} row(s) of new tables backfilled, {} re-captured after column changes",
                 sync.backfilled_rows, sync.recaptured_rows);
  }
  HARMONY_ASSIGN_OR_RETURN(uint64_t epoch, capture::ReadEpoch(db));
  return CaptureState{sync.schema_version, epoch, std::move(reported), sync.fingerprint};
}

}  // namespace harmony::node
