// Change-log scan: capture::Scanner::Scan over N committed changes of the bench table, captured by
// harmony's own triggers (installed with capture::SyncCapture, as the publish loop does). The
// database is written once per benchmark run, outside the timed region; Scan does not delete what
// it read, so every iteration rescans the same N rows. The count variant's sink only looks at each
// batch (the cost of reading the log into batches); the encode_zstd variant's sink also
// zstd-encodes every batch part, which is the publish loop's CPU work for a message short of
// handing it to NATS.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "bench/micro/workload.h"
#include "capture/scanner.h"
#include "capture/schema_sync.h"
#include "change/codec.h"
#include "sqlite/database.h"
#include "tests/support/temp_dir.h"

namespace harmony::bench {
namespace {

constexpr size_t kRowsPerAppTxn = 100;

// A captured database and the publish loop's connection to it. Members in dependency order: the
// connection closes before the directory holding the file is removed.
struct ScanSource {
  test::TempDir dir;
  sqlite::Database db;
  int64_t schema_version = 0;
};

Result<ScanSource> PrepareScanSource(size_t rows) {
  test::TempDir dir("harmony-micro-scan");
  const std::string path = dir.Sub("app.db");
  int64_t schema_version = 0;
  {
    sqlite::OpenOptions app;
    app.create = true;
    HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(path, app));
    HARMONY_RETURN_IF_ERROR(db.Exec(kCreateBenchTable));
    HARMONY_ASSIGN_OR_RETURN(capture::SyncResult sync,
                             capture::SyncCapture(db, {}, /*backfill=*/false));
    schema_version = sync.schema_version;
    // The application's own connection: NORMAL is the usual choice in WAL mode, and this part is
    // setup, not what is measured.
    HARMONY_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=NORMAL"));
    HARMONY_RETURN_IF_ERROR(InsertBenchRows(db, rows, kRowsPerAppTxn));
  }
  // Opened like replication::PublishLoop::Start opens its connection.
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database reader, sqlite::Database::Open(path, {}));
  return ScanSource{std::move(dir), std::move(reader), schema_version};
}

void BM_Scan(benchmark::State& state, bool encode) {
  const auto rows = static_cast<size_t>(state.range(0));
  const auto shards = static_cast<uint32_t>(state.range(1));
  Result<ScanSource> source = PrepareScanSource(rows);
  if (!source.ok()) {
    state.SkipWithError(source.status().ToString().c_str());
    return;
  }
  capture::Scanner scanner(
      &source->db, {.shards = shards, .max_changes_per_batch = kRowsPerBatch, .node_id = 1});
  scanner.set_schema_version(source->schema_version);
  size_t wire_bytes = 0;
  size_t batches = 0;
  const capture::BatchSink sink = [&](uint32_t, change::Batch&& batch) {
    if (encode) wire_bytes += change::Encode(batch, {.compress = true}).size();
    benchmark::DoNotOptimize(batch.changes.data());
    return Status::Ok();
  };
  for (auto _ : state) {
    Result<capture::ScanResult> scanned = scanner.Scan(0, 0, sink);
    if (!scanned.ok()) {
      state.SkipWithError(scanned.status().ToString().c_str());
      break;
    }
    if (scanned->changes != rows) {
      state.SkipWithError(("scanned " + std::to_string(scanned->changes) + " changes, expected " +
                           std::to_string(rows))
                              .c_str());
      break;
    }
    batches = scanned->batches;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rows));
  if (encode) state.SetBytesProcessed(static_cast<int64_t>(wire_bytes));
  state.counters["batches"] = static_cast<double>(batches);
}

BENCHMARK_CAPTURE(BM_Scan, count, false)
    ->ArgNames({"rows", "shards"})
    ->Args({100000, 1})
    ->Args({100000, 4})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Scan, encode_zstd, true)
    ->ArgNames({"rows", "shards"})
    ->Args({100000, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace harmony::bench
