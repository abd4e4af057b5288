#include "bench/micro/workload.h"

#include <algorithm>
#include <array>

#include "change/codec.h"

namespace harmony::bench {
namespace {

constexpr std::array<const char*, 32> kWords = {
    "order",     "shipped", "customer", "invoice", "pending",  "the",    "of",      "and",
    "account",   "balance", "updated",  "item",    "quantity", "price",  "total",   "status",
    "warehouse", "berlin",  "paris",    "tokyo",   "express",  "return", "refund",  "note",
    "priority",  "normal",  "delivery", "address", "street",   "city",   "country", "code"};

// splitmix64: a cheap, well-mixed, deterministic sequence.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

change::Batch EmptyBatch() {
  change::Batch b;
  b.node_id = 2;
  b.epoch = 0x5eed;
  b.first_seq = 1;
  b.last_seq = 1;
  return b;
}

}  // namespace

change::TableSchema BenchTable() { return {"bench", {"id", "k", "payload"}, {0}}; }

std::string Payload(int64_t id, uint64_t variant) {
  std::string out;
  out.reserve(kPayloadBytes + 16);
  uint64_t state = Mix(static_cast<uint64_t>(id) * 0x100000001b3ULL ^ Mix(variant));
  out += std::to_string(id);  // a unique token, as real rows carry
  while (out.size() < kPayloadBytes) {
    state = Mix(state);
    out += ' ';
    out += kWords[state % kWords.size()];
  }
  out.resize(kPayloadBytes);
  return out;
}

change::Batch UpsertBatch(int64_t first_id, size_t rows, uint64_t variant) {
  change::Batch b = EmptyBatch();
  b.last_seq = rows;
  b.tables.push_back(BenchTable());
  b.changes.reserve(rows);
  for (size_t i = 0; i < rows; ++i) {
    const int64_t id = first_id + static_cast<int64_t>(i);
    b.changes.push_back({change::Op::kUpsert,
                         0,
                         {id, static_cast<int64_t>(Mix(static_cast<uint64_t>(id)) % 1000000),
                          Text{Payload(id, variant)}}});
  }
  return b;
}

change::Batch MixedBatch(int64_t first_id, size_t rows) {
  change::Batch b = EmptyBatch();
  b.last_seq = rows;
  b.tables.push_back(BenchTable());
  b.tables.push_back({"event", {"id", "at", "body", "note"}, {0}});
  b.changes.reserve(rows);
  for (size_t i = 0; i < rows; ++i) {
    const int64_t id = first_id + static_cast<int64_t>(i);
    const uint64_t h = Mix(static_cast<uint64_t>(id));
    if (i % 8 == 0) {
      b.changes.push_back({change::Op::kDelete, 0, {id}});
    } else if (i % 8 == 1) {
      std::string body(64, '\0');
      for (size_t j = 0; j < body.size(); ++j) body[j] = static_cast<char>(Mix(h + j) & 0xff);
      b.changes.push_back(
          {change::Op::kUpsert,
           1,
           {Text{"evt-" + std::to_string(h)}, 1.7e9 + static_cast<double>(h % 100000) / 7.0,
            Blob{std::move(body)}, Null{}}});
    } else {
      b.changes.push_back(
          {change::Op::kUpsert, 0, {id, static_cast<int64_t>(h % 1000000), Text{Payload(id, 0)}}});
    }
  }
  return b;
}

std::vector<std::string> EncodedUpserts(size_t messages, size_t rows_per_message, bool compress,
                                        uint64_t variant) {
  std::vector<std::string> out;
  out.reserve(messages);
  for (size_t m = 0; m < messages; ++m) {
    change::Batch b =
        UpsertBatch(static_cast<int64_t>(m * rows_per_message) + 1, rows_per_message, variant);
    b.first_seq = m * rows_per_message + 1;
    b.last_seq = (m + 1) * rows_per_message;
    out.push_back(change::Encode(b, {.compress = compress}));
  }
  return out;
}

Status InsertBenchRows(sqlite::Database& db, size_t rows, size_t rows_per_txn) {
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement insert, db.Prepare(kInsertBenchRow));
  for (size_t done = 0; done < rows;) {
    HARMONY_ASSIGN_OR_RETURN(sqlite::Transaction tx,
                             sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kImmediate));
    const size_t end = std::min(rows, done + rows_per_txn);
    for (; done < end; ++done) {
      const auto id = static_cast<int64_t>(done + 1);
      HARMONY_RETURN_IF_ERROR(insert.BindInt(1, id));
      HARMONY_RETURN_IF_ERROR(
          insert.BindInt(2, static_cast<int64_t>(Mix(static_cast<uint64_t>(id)) % 1000000)));
      HARMONY_RETURN_IF_ERROR(insert.BindText(3, Payload(id, 0)));
      HARMONY_RETURN_IF_ERROR(insert.Run());
    }
    HARMONY_RETURN_IF_ERROR(tx.Commit());
  }
  return Status::Ok();
}

}  // namespace harmony::bench
