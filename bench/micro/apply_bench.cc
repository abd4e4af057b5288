// Apply without the network: apply::Applier::Apply of pre-encoded messages, each one batch of
// kRowsPerBatch upserts of the bench table, as the apply loop hands them over from the shard
// stream. The applier opens its connection exactly as in production (sqlite::Database::Open: WAL,
// the build's default synchronous, which the "synchronous" counter reports), with no pending-keys
// callback (a node that only replicates). Decode is part of the timed work; building the database
// and the message vectors is not. Rates use wall-clock time (UseRealTime): with synchronous=FULL
// a commit waits for fsync, which CPU time would not see.
//  - BM_ApplyInsert: 200 messages of new rows into a fresh, empty table each iteration.
//    msgs_per_txn:200 is a node catching up (the apply loop takes up to 256 queued messages per
//    transaction); msgs_per_txn:1 is a steady trickle, one commit per message.
//  - BM_ApplyUpdate: the same 200 messages rewrite every row of an already populated table with
//    new payloads (alternating between two generations so each upsert really changes the row).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apply/applier.h"
#include "tests/support/temp_dir.h"
#include "bench/micro/workload.h"
#include "sqlite/database.h"

namespace harmony::bench {
namespace {

constexpr size_t kMessages = 200;  // 200 * 512 = 102,400 rows
constexpr int64_t kMessagesArg = kMessages;

// A database with an empty bench table and an Applier on it. Members in dependency order: the
// applier's connection closes before the directory holding the file is removed.
struct ApplyTarget {
  test::TempDir dir;
  std::unique_ptr<apply::Applier> applier;
  int64_t synchronous = -1;  // PRAGMA synchronous of a connection opened with default options
};

Result<ApplyTarget> PrepareTarget() {
  test::TempDir dir("harmony-micro-apply");
  const std::string path = dir.Sub("replica.db");
  int64_t synchronous = -1;
  {
    sqlite::OpenOptions app;
    app.create = true;
    HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(path, app));
    HARMONY_RETURN_IF_ERROR(db.Exec(kCreateBenchTable));
    HARMONY_ASSIGN_OR_RETURN(synchronous, db.QueryInt("PRAGMA synchronous"));
  }
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<apply::Applier> applier,
                           apply::Applier::Open({.db_path = path, .node_id = 1}, nullptr));
  return ApplyTarget{std::move(dir), std::move(applier), synchronous};
}

// The payloads as shard-1 deliveries with stream sequences first_seq, first_seq + 1, ..., grouped
// into Apply calls of `per_call` messages.
std::vector<std::vector<apply::Incoming>> Deliveries(const std::vector<std::string>& payloads,
                                                     size_t per_call, uint64_t first_seq) {
  std::vector<std::vector<apply::Incoming>> calls;
  for (size_t i = 0; i < payloads.size(); i += per_call) {
    std::vector<apply::Incoming> call;
    for (size_t j = i; j < std::min(payloads.size(), i + per_call); ++j) {
      call.push_back({1, first_seq + j, payloads[j], std::nullopt});
    }
    calls.push_back(std::move(call));
  }
  return calls;
}

size_t TotalBytes(const std::vector<std::string>& payloads) {
  size_t n = 0;
  for (const std::string& p : payloads) n += p.size();
  return n;
}

// Applies every call in order; false (with the benchmark marked as failed) on the first error or
// if not every row of the kMessages messages was written.
bool ApplyAll(benchmark::State& state, apply::Applier& applier,
              std::vector<std::vector<apply::Incoming>>&& calls) {
  const uint64_t before = applier.stats().changes.load();
  for (std::vector<apply::Incoming>& call : calls) {
    Status s = applier.Apply(call);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return false;
    }
  }
  const uint64_t applied = applier.stats().changes.load() - before;
  if (applied != kMessages * kRowsPerBatch || applier.stats().dead_letters.load() != 0) {
    state.SkipWithError(("applied " + std::to_string(applied) + " changes, expected " +
                         std::to_string(kMessages * kRowsPerBatch))
                            .c_str());
    return false;
  }
  return true;
}

void SetRates(benchmark::State& state, size_t bytes_per_iteration, int64_t synchronous) {
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kMessages * kRowsPerBatch));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes_per_iteration));
  state.counters["synchronous"] = static_cast<double>(synchronous);
}

void BM_ApplyInsert(benchmark::State& state) {
  const auto per_call = static_cast<size_t>(state.range(0));
  const bool compress = state.range(1) != 0;
  const std::vector<std::string> payloads =
      EncodedUpserts(kMessages, kRowsPerBatch, compress, /*variant=*/0);
  int64_t synchronous = -1;
  // Kept until the next iteration's untimed setup, so closing and deleting it is not timed either.
  std::optional<ApplyTarget> target;
  for (auto _ : state) {
    state.PauseTiming();
    target.reset();
    Result<ApplyTarget> prepared = PrepareTarget();
    if (!prepared.ok()) {
      state.SkipWithError(prepared.status().ToString().c_str());
      break;
    }
    target.emplace(std::move(prepared).value());
    synchronous = target->synchronous;
    auto calls = Deliveries(payloads, per_call, 1);
    state.ResumeTiming();
    if (!ApplyAll(state, *target->applier, std::move(calls))) break;
  }
  SetRates(state, TotalBytes(payloads), synchronous);
}

void BM_ApplyUpdate(benchmark::State& state) {
  const auto per_call = static_cast<size_t>(state.range(0));
  const bool compress = state.range(1) != 0;
  Result<ApplyTarget> target = PrepareTarget();
  if (!target.ok()) {
    state.SkipWithError(target.status().ToString().c_str());
    return;
  }
  // Generation 0 populates the table; the timed iterations alternate generations 1 and 2.
  const std::vector<std::vector<std::string>> generations = {
      EncodedUpserts(kMessages, kRowsPerBatch, compress, 0),
      EncodedUpserts(kMessages, kRowsPerBatch, compress, 1),
      EncodedUpserts(kMessages, kRowsPerBatch, compress, 2)};
  uint64_t next_seq = 1;
  if (!ApplyAll(state, *target->applier, Deliveries(generations[0], kMessages, next_seq))) return;
  next_seq += kMessages;
  size_t generation = 1;
  for (auto _ : state) {
    state.PauseTiming();
    auto calls = Deliveries(generations[generation], per_call, next_seq);
    next_seq += kMessages;
    generation = 3 - generation;
    state.ResumeTiming();
    if (!ApplyAll(state, *target->applier, std::move(calls))) break;
  }
  SetRates(state, TotalBytes(generations[1]), target->synchronous);
}

BENCHMARK(BM_ApplyInsert)
    ->ArgNames({"msgs_per_txn", "zstd"})
    ->Args({kMessagesArg, 1})
    ->Args({kMessagesArg, 0})
    ->Args({1, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ApplyUpdate)
    ->ArgNames({"msgs_per_txn", "zstd"})
    ->Args({kMessagesArg, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace harmony::bench
