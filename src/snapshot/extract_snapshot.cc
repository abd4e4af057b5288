// ExtractSnapshot (declared in snapshot_file.h).
#include <string>

#include "snapshot/checksum.h"
#include "snapshot/compression.h"
#include "snapshot/file_io.h"
#include "snapshot/snapshot_file.h"
#include "sqlite/database.h"

namespace harmony::snapshot {
namespace {

// The stored bytes are exactly what the manifest describes; checked before any decompression so
// a damaged download is reported as such rather than as a zstd or SQLite error.
Status VerifyStored(const Manifest& m, const std::string& stored_path) {
  HARMONY_ASSIGN_OR_RETURN(uint64_t size, FileSize(stored_path));
  if (size < m.compressed_bytes) {
    return Status::Corruption("truncated: " + std::to_string(size) + " of " +
                              std::to_string(m.compressed_bytes) + " bytes");
  }
  if (size > m.compressed_bytes) {
    return Status::Corruption("size mismatch: " + std::to_string(size) + " bytes, expected " +
                              std::to_string(m.compressed_bytes));
  }
  HARMONY_ASSIGN_OR_RETURN(uint64_t digest, HashFile(stored_path));
  if (digest != m.xxh3) {
    return Status::Corruption("checksum mismatch (expected " + HexDigest(m.xxh3) + ", got " +
                              HexDigest(digest) + ")");
  }
  return Status::Ok();
}

Status VerifyDatabase(const Manifest& m, const std::string& path) {
  HARMONY_ASSIGN_OR_RETURN(uint64_t size, FileSize(path));
  if (size != m.db_bytes) {
    return Status::Corruption("database is " + std::to_string(size) + " bytes, expected " +
                              std::to_string(m.db_bytes));
  }
  sqlite::OpenOptions options;
  options.read_only = true;
  options.wal = false;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(path, options));
  // quick_check reads every page and checks the b-trees, but not index-versus-table agreement:
  // enough after a matching checksum, and linear time even for large databases.
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement check, db.Prepare("PRAGMA quick_check"));
  HARMONY_ASSIGN_OR_RETURN(bool row, check.Step());
  std::string verdict = row ? check.ColumnText(0) : "no result";
  if (verdict != "ok") return Status::Corruption("quick_check: " + verdict);
  return Status::Ok();
}

Status Extract(const Manifest& m, const std::string& stored_path, const std::string& db_out) {
  if (m.format != kManifestFormat) {
    return Status::InvalidArgument("unsupported manifest format " + std::to_string(m.format));
  }
  HARMONY_RETURN_IF_ERROR(VerifyStored(m, stored_path));
  const std::string tmp = db_out + ".extracting";
  RemoveOnExit cleanup(WithSqliteSidecars(tmp));
  HARMONY_ASSIGN_OR_RETURN(uint64_t written, DecompressFile(stored_path, tmp, m.db_bytes));
  if (written != m.db_bytes) {
    return Status::Corruption("decompressed to " + std::to_string(written) + " bytes, expected " +
                              std::to_string(m.db_bytes));
  }
  HARMONY_RETURN_IF_ERROR(VerifyDatabase(m, tmp));
  // A -wal left beside an older db_out would be replayed into the new file when it is opened.
  for (const std::string& path : WithSqliteSidecars(db_out)) {
    if (path != db_out) HARMONY_RETURN_IF_ERROR(RemoveFile(path));
  }
  HARMONY_RETURN_IF_ERROR(RenameFile(tmp, db_out));
  return SyncDirectory(DirectoryOf(db_out));
}

}  // namespace

Status ExtractSnapshot(const Manifest& m, const std::string& stored_path,
                       const std::string& db_out) {
  return Extract(m, stored_path, db_out).WithContext("snapshot " + m.name);
}

}  // namespace harmony::snapshot
