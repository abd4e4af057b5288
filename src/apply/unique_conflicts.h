#pragma once

#include <vector>

#include "change/change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::apply {

// The primary keys of the local rows that an upsert of `values` (one per table.columns) into
// `table` would collide with through a UNIQUE constraint other than the primary key: rows whose
// columns of some UNIQUE index equal the incoming ones (compared with the columns' collations;
// NULLs never collide, as in SQLite) and whose key differs. Indexes on expressions, and indexes
// over columns the sender does not send, are not looked at. Each key is in primary-key order.
// Errors: SQLite's.
Result<std::vector<std::vector<Value>>> FindUniqueConflicts(sqlite::Database& db,
                                                            const change::TableSchema& table,
                                                            const std::vector<Value>& values);

}  // namespace harmony::apply
