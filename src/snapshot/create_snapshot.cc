// CreateSnapshot (declared in snapshot_file.h).
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "snapshot/compression.h"
#include "snapshot/file_io.h"
#include "snapshot/snapshot_file.h"
#include "sqlite/database.h"
#include "state/positions.h"

namespace harmony::snapshot {
namespace {

// LIKE patterns with "_" escaped (it is a one-character wildcard). LIKE ignores ASCII case, as
// capture's own removal does, so "__HARMONY_x" counts as harmony's too.
constexpr char kHarmonyLike[] = "'\\_\\_harmony%' ESCAPE '\\'";
constexpr char kSqliteLike[] = "'sqlite\\_%' ESCAPE '\\'";

// Drops harmony's objects from the copy, except the state a node restored from it needs to go on
// where the copy's positions leave off: the pieces of unfinished messages (__harmony_partial)
// and the changes held for tables this database lacks (__harmony_held). The positions count
// both as taken in; without them a restored node would never complete those messages or apply
// those changes. Snapshots used to be refused while changes were held, so a table dropped on one
// node with changes in flight kept every later snapshot from being saved (issue #10). The schema
// changes carried out (and, per shard, those whose copy is still to come) go along for the same
// reason: the copy of a schema change still to arrive after the positions must find it carried
// out, and the rows before it translated (state/schema_history.h).
Status DropHarmonyObjects(sqlite::Database& copy) {
  std::vector<std::string> kept;
  for (const char* table : {"__harmony_partial", "__harmony_held", "__harmony_schema_applied",
                            "__harmony_schema_ahead", "__harmony_schema_history"}) {
    HARMONY_ASSIGN_OR_RETURN(bool exists, sqlite::TableExists(copy, table));
    if (!exists) continue;
    const std::string aside = std::string("harmony_snapshot_kept") + (table + 9);
    HARMONY_RETURN_IF_ERROR(copy.Exec(std::string("ALTER TABLE ") + table + " RENAME TO " + aside));
    kept.push_back(table);
  }
  HARMONY_RETURN_IF_ERROR(sqlite::DropObjectsWithPrefix(copy, "__harmony"));
  for (const std::string& table : kept) {
    const std::string aside = "harmony_snapshot_kept" + table.substr(9);
    HARMONY_RETURN_IF_ERROR(copy.Exec("ALTER TABLE " + aside + " RENAME TO " + table));
  }
  return Status::Ok();
}

// Steps 1 and 2: the consistent, harmony-free copy at `copy_path`; fills positions and schema.
Status MakeCopy(const std::string& db_path, const std::string& copy_path, Manifest* m) {
  {
    sqlite::OpenOptions source_options;
    source_options.wal = false;  // leave the live database's journal mode alone
    HARMONY_ASSIGN_OR_RETURN(sqlite::Database source,
                             sqlite::Database::Open(db_path, source_options));
    HARMONY_RETURN_IF_ERROR(source.Exec("VACUUM INTO " + sqlite::QuoteString(copy_path)));
  }  // closed: the rest works on the private copy only
  sqlite::OpenOptions copy_options;
  copy_options.wal = false;
  copy_options.enable_triggers = false;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database copy, sqlite::Database::Open(copy_path, copy_options));
  // VACUUM INTO writes a rollback-journal database; make sure it stays one self-contained file.
  HARMONY_RETURN_IF_ERROR(copy.Exec("PRAGMA journal_mode=DELETE"));
  HARMONY_ASSIGN_OR_RETURN(state::Positions positions, state::LoadPositions(copy));
  m->positions = positions.StreamSeqs();
  HARMONY_RETURN_IF_ERROR(DropHarmonyObjects(copy));
  HARMONY_RETURN_IF_ERROR(copy.Exec("VACUUM"));  // give back the pages the drops freed
  HARMONY_ASSIGN_OR_RETURN(m->schema, UserSchema(copy));
  return Status::Ok();
}

// Steps 1 to 3, with `m` named; fills the rest of `m`.
Status Create(const std::string& db_path, const std::string& work_dir, const std::string& out_path,
              Manifest* m) {
  HARMONY_RETURN_IF_ERROR(CreateDirectories(work_dir));
  const std::string copy_path = work_dir + "/" + m->name + ".copy.db";
  const std::string out_tmp = out_path + ".tmp";
  std::vector<std::string> temporaries = WithSqliteSidecars(copy_path);
  temporaries.push_back(out_tmp);
  RemoveOnExit cleanup(temporaries);
  // VACUUM INTO refuses to write into a non-empty file: clear what a crashed run left.
  for (const std::string& path : WithSqliteSidecars(copy_path)) {
    HARMONY_RETURN_IF_ERROR(RemoveFile(path));
  }
  HARMONY_RETURN_IF_ERROR(MakeCopy(db_path, copy_path, m));
  HARMONY_ASSIGN_OR_RETURN(Compressed compressed, CompressFile(copy_path, out_tmp));
  m->db_bytes = compressed.in_bytes;
  m->compressed_bytes = compressed.out_bytes;
  m->xxh3 = compressed.xxh3;
  return RenameFile(out_tmp, out_path);
}

}  // namespace

Result<std::string> UserSchema(sqlite::Database& copy) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      copy.Prepare(std::string("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL"
                               " AND name NOT LIKE ") +
                   kSqliteLike + " AND name NOT LIKE " + kHarmonyLike + " ORDER BY name"));
  std::string schema;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    if (!schema.empty()) schema += ";\n";
    schema += q.ColumnText(0);
  }
  return schema;
}

Result<Manifest> CreateSnapshot(const std::string& db_path, const std::string& work_dir,
                                const std::string& out_path, uint64_t node_id) {
  Manifest m = NewManifest(node_id, std::chrono::system_clock::now());
  Status created = Create(db_path, work_dir, out_path, &m);
  if (!created.ok()) return created.WithContext("snapshot " + m.name + " of " + db_path);
  return m;
}

}  // namespace harmony::snapshot
