#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "change/change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::apply {

struct RetryReport {
  int64_t applied = 0;     // applied now and removed from __harmony_dead_letters
  int64_t failed = 0;      // refused again; their error text is updated
  int64_t superseded = 0;  // left alone: a later change to the row was applied since
  int64_t messages = 0;    // undecodable messages, which cannot be applied (discard them)
};

// `harmony dead-letters retry`: applies again, oldest first, every pending set-aside change of
// the database at `db_path` (or only those in `ids`, when not empty), each in its own
// transaction on a connection with triggers off, exactly as the applier would have. Safe while
// the node runs (SQLite serialises the writers; busy_timeout_ms applies). A change superseded by
// a later change to its row is never applied again: that would roll the row back. Nor is one
// whose row has a local change not yet published (`pending`, capture::PendingRowKeys; may be
// empty for a node that does not publish): that change comes later in the stream everywhere, so
// the entry is marked superseded instead.
// Errors: kNotFound for an id that does not exist; SQLite errors other than a refusal.
using PendingRowsFn = std::function<Result<change::PendingChanges>(sqlite::Database&)>;
Result<RetryReport> RetryDeadLetters(const std::string& db_path, const std::vector<int64_t>& ids,
                                     int busy_timeout_ms, const PendingRowsFn& pending);

}  // namespace harmony::apply
