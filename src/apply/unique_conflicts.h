#pragma once

#include <string>
#include <vector>

#include "change/change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::apply {

// One UNIQUE index of a local table besides its primary key, over plain columns: the columns in
// index order and the collation each is compared with (the index's, which may differ from the
// column's; an application-defined one is taken as BINARY). Partial indexes and indexes on
// expressions are left out (a collision through one is resolved by INSERT OR REPLACE, in stream
// order, without the checks below).
struct UniqueIndex {
  std::vector<std::string> columns;
  std::vector<change::Collation> collations;
};

// The UNIQUE indexes of local table `table` (main schema) other than its primary key, as above.
// Errors: SQLite's.
Result<std::vector<UniqueIndex>> UniqueIndexesOf(sqlite::Database& db, const std::string& table);

// True when row `a` (values of shape `ta`) and row `b` (values of shape `tb`) of one table would
// collide through `index`: every column of the index is in both shapes and its values are equal
// and not NULL (NULLs never collide, as in SQLite) under the index's collation.
bool CollideThrough(const UniqueIndex& index, const change::TableSchema& ta,
                    const std::vector<Value>& a, const change::TableSchema& tb,
                    const std::vector<Value>& b);

// The primary keys of the local rows that an upsert of `values` (one per table.columns) into
// `table` would collide with through `indexes` (UniqueIndexesOf): rows whose index columns equal
// the incoming ones and whose key differs. Each key is in primary-key order.
// Errors: SQLite's.
Result<std::vector<std::vector<Value>>> FindUniqueConflicts(sqlite::Database& db,
                                                            const change::TableSchema& table,
                                                            const std::vector<Value>& values,
                                                            const std::vector<UniqueIndex>& indexes);

}  // namespace harmony::apply
