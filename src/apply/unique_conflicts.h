#pragma once

#include <vector>

#include "change/change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::apply {

// The primary keys of the local rows that an upsert of `values` (one per table.columns) into
// `table` would collide with through a UNIQUE constraint other than the primary key: rows whose
// columns of some UNIQUE index equal the incoming ones (compared with the columns' collations;
// NULLs never collide, as in SQLite; each column compared with the index's collation) and whose
// key differs. Partial indexes, indexes on expressions and indexes over columns the sender does
// not send are not looked at (a collision through one is resolved by INSERT OR REPLACE without
// this check). Each key is in primary-key order.
// Errors: SQLite's.
Result<std::vector<std::vector<Value>>> FindUniqueConflicts(sqlite::Database& db,
                                                            const change::TableSchema& table,
                                                            const std::vector<Value>& values);

}  // namespace harmony::apply
