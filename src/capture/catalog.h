// capture: everything that happens on the application's side of the database. Installs and
// removes harmony's change-log tables and the AFTER INSERT/UPDATE/DELETE triggers that record
// each row change inside the application's own transaction, and scans committed changes into
// change::Batch values for the bus. Trigger bodies use nothing but plain INSERT statements, so
// they run on an unmodified app connection with trusted_schema=OFF and defensive mode on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "change/change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::capture {

// Every object harmony creates in the application's database starts with this prefix, which is
// how -cleanup finds them all and how user-table discovery skips them.
inline constexpr char kObjectPrefix[] = "__harmony";

// Columns of SQLite's per-table limit kept for the change log's own columns (seq, tid, op and
// any added later): a table is captured only if its columns plus the widest key plus this many
// fit under SQLITE_LIMIT_COLUMN.
inline constexpr int kLogOwnColumnsReserve = 16;

// Which user tables to replicate. Each entry is an fnmatch(3) glob ('*', '?', '[...]', and a
// backslash to escape), matched case-sensitively against the whole table name. A table is
// replicated when include_tables is empty or one of its patterns matches, and no ignore_tables
// pattern matches. Patterns never select sqlite_* or harmony's own tables. Patterns are expected
// to be valid (the config module checks them); a malformed one gets fnmatch's own reading of it.
struct CatalogOptions {
  std::vector<std::string> include_tables;
  std::vector<std::string> ignore_tables;
};

// Why include_tables / ignore_tables leave table `name` out (naming the pattern), or "" when they
// keep it. Errors: kInvalidArgument when fnmatch(3) fails on a pattern.
Result<std::string> ExclusionReason(const std::string& name, const CatalogOptions& options);

struct SkippedTable {
  std::string name;
  std::string reason;
};

struct Catalog {
  std::vector<change::TableSchema> tables;  // replicable user tables, by name
  std::vector<SkippedTable> skipped;        // user tables harmony will not track, and why
};


// Reads the user tables of the main schema: ordinary tables only (not sqlite_*, not harmony's,
// not virtual tables or their shadow tables, not views). Generated columns are left out of the
// column list because each node computes them itself. A table without a declared PRIMARY KEY is
// keyed by its first usable UNIQUE index (by name; not partial, plain NOT NULL columns, built-in
// collations), else it gets an empty pk: whole-row identity (issue #10, item 3; rowids are
// assigned independently on each node and never serve as a key). Tables whose key uses an
// application-defined collation are skipped, naming the column: no other node could tell which
// keys it considers equal. So are tables too wide for the change log (kLogOwnColumnsReserve). Each table's key collations are in pk_collations. Tables left
// out by `options` are skipped too, with the pattern that excluded them as the reason; that
// check comes first, so a deliberately excluded table is not also reported as unreplicable.
// A table with a UNIQUE constraint or index besides its key (partial and expression indexes
// included) gets TableSchema::one_shard.
Result<Catalog> ReadCatalog(sqlite::Database& db, const CatalogOptions& options = {});

}  // namespace harmony::capture
