#include "node/snapshots.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <vector>

#include "apply/applier.h"
#include "snapshot/file_store.h"
#include "snapshot/nats_store.h"
#include "snapshot/snapshot_file.h"
#include "sqlite/database.h"
#include "state/positions.h"

namespace harmony::node {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double kMiB = 1024.0 * 1024.0;

// A scratch directory next to the database (same file system, so the database-sized files it
// holds need no copy across devices), removed on every path.
class WorkDir {
 public:
  explicit WorkDir(const std::string& db_path) : path_(db_path + "-harmony-snapshot") {
    std::error_code ec;
    fs::remove_all(path_, ec);  // left over from a crash
    fs::create_directories(path_, ec);
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Logs the progress of a long transfer at most every two seconds: bytes, percent, rate.
snapshot::Progress ProgressLog(std::string what) {
  auto start = Clock::now();
  auto last = start;
  return [what = std::move(what), start, last](uint64_t done, uint64_t total) mutable {
    const auto now = Clock::now();
    if (now - last < std::chrono::seconds(2) && done < total) return;
    last = now;
    const double seconds = std::chrono::duration<double>(now - start).count();
    spdlog::info("{}: {:.1f} of {:.1f} MiB ({:.0f}%), {:.1f} MiB/s", what, done / kMiB,
                 total / kMiB, total > 0 ? 100.0 * done / total : 100.0,
                 seconds > 0 ? done / kMiB / seconds : 0.0);
  };
}

std::string Positions(const std::map<uint32_t, uint64_t>& positions) {
  std::string out;
  for (const auto& [shard, seq] : positions) {
    out += (out.empty() ? "" : ", ") + std::string("shard ") + std::to_string(shard) + " up to " +
           std::to_string(seq);
  }
  return out.empty() ? "no stream positions" : out;
}

// The first statement that differs between two schemas, for an error message.
std::string FirstDifference(const std::string& local, const std::string& snapshot) {
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size() && !s.empty()) {
      const size_t end = s.find(";\n", start);
      out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 2;
    }
    return out;
  };
  const std::vector<std::string> a = split(local), b = split(snapshot);
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string left = i < a.size() ? a[i] : "(nothing)";
    const std::string right = i < b.size() ? b[i] : "(nothing)";
    if (left != right) return "here: " + left + "; in the snapshot: " + right;
  }
  return "they differ";
}

}  // namespace

Result<std::unique_ptr<snapshot::SnapshotStore>> OpenSnapshotStore(
    const SnapshotOptions& options, std::shared_ptr<nats::Connection> connection) {
  if (options.store == "file") return snapshot::NewFileStore(options.file_dir);
  return snapshot::NewNatsStore(std::move(connection), options.nats_bucket, options.nats_replicas);
}

Result<snapshot::Manifest> SaveSnapshot(const std::string& db_path, uint64_t node_id,
                                        snapshot::SnapshotStore& store) {
  const auto start = Clock::now();
  WorkDir work(db_path);
  const std::string stored = work.Sub("snapshot.db.zst");
  HARMONY_ASSIGN_OR_RETURN(snapshot::Manifest m,
                           snapshot::CreateSnapshot(db_path, work.Sub("tmp"), stored, node_id));
  spdlog::info("snapshot {}: {:.1f} MiB database, {:.1f} MiB compressed, {}; storing in {}", m.name,
               m.db_bytes / kMiB, m.compressed_bytes / kMiB, Positions(m.positions),
               store.Describe());
  HARMONY_RETURN_IF_ERROR(store.Put(m, stored, ProgressLog("storing snapshot " + m.name))
                              .WithContext("store snapshot " + m.name));
  spdlog::info("snapshot {} saved in {:.1f} s", m.name,
               std::chrono::duration<double>(Clock::now() - start).count());
  return m;
}

std::string SnapshotRequestSubject(const std::string& stream_prefix) {
  return stream_prefix + "-snapshot-request";
}

std::string ReplayGap(const StreamView& view) {
  for (const auto& [shard, first] : view.first_seq) {
    const uint64_t last = view.last_seq.count(shard) ? view.last_seq.at(shard) : 0;
    const uint64_t applied = view.applied.count(shard) ? view.applied.at(shard) : 0;
    if (auto gap = state::ReplayGap(shard, applied, {first, last})) return *gap;
  }
  return "";
}

Status RestoreSnapshot(const std::string& db_path, const StreamView& view,
                       snapshot::SnapshotStore& store,
                       const std::function<Status()>& publish_pending) {
  const auto start = Clock::now();
  HARMONY_ASSIGN_OR_RETURN(std::optional<snapshot::Manifest> latest, store.Latest());
  if (!latest) return Status::NotFound("no snapshot in " + store.Describe());
  const snapshot::Manifest& m = *latest;
  for (const auto& [shard, first] : view.first_seq) {
    const uint64_t last = view.last_seq.count(shard) ? view.last_seq.at(shard) : 0;
    const uint64_t pos = m.positions.count(shard) ? m.positions.at(shard) : 0;
    if (auto gap = state::ReplayGap(shard, pos, {first, last})) {
      return Status::Unavailable("the newest snapshot, " + m.name + ", is too old: " + *gap +
                                 "; a newer snapshot is needed");
    }
  }
  if (!view.new_node) {
    // Replacing a database whose schema differs would change the application's tables under it.
    sqlite::OpenOptions open;
    open.wal = false;
    HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(db_path, open));
    HARMONY_ASSIGN_OR_RETURN(std::string local, snapshot::UserSchema(db));
    if (local != m.schema) {
      return Status::InvalidArgument(
          "the newest snapshot, " + m.name + ", has another schema than " + db_path + " (" +
          FirstDifference(local, m.schema) + "); refusing to replace this database: " +
          "give it the cluster's schema, or move it away to join as a new node");
    }
  }
  if (publish_pending) {
    HARMONY_RETURN_IF_ERROR(publish_pending().WithContext("publish local changes first"));
  }
  spdlog::info("restoring snapshot {} from {} ({:.1f} MiB compressed, made by node {} at {}, {})",
               m.name, store.Describe(), m.compressed_bytes / kMiB, m.node_id, m.created_at,
               Positions(m.positions));
  WorkDir work(db_path);
  const std::string stored = work.Sub("snapshot.db.zst");
  const std::string db = work.Sub("snapshot.db");
  HARMONY_RETURN_IF_ERROR(store.Get(m, stored, ProgressLog("downloading snapshot " + m.name))
                              .WithContext("download snapshot " + m.name));
  HARMONY_RETURN_IF_ERROR(snapshot::ExtractSnapshot(m, stored, db));
  HARMONY_RETURN_IF_ERROR(
      snapshot::InstallSnapshot(db, db_path).WithContext("install snapshot " + m.name));
  HARMONY_RETURN_IF_ERROR(apply::Applier::SetPositions(db_path, m.positions));
  spdlog::info("restored snapshot {} into {} in {:.1f} s; replaying the stream after it", m.name,
               db_path, std::chrono::duration<double>(Clock::now() - start).count());
  return Status::Ok();
}

Result<bool> IsNewDatabase(const std::string& db_path) {
  sqlite::OpenOptions open;
  open.wal = false;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(db_path, open));
  HARMONY_ASSIGN_OR_RETURN(
      int64_t user_objects,
      db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                  "AND name NOT LIKE '\\_\\_harmony%' ESCAPE '\\'"));
  if (user_objects > 0) return false;
  HARMONY_ASSIGN_OR_RETURN(state::Positions positions, state::LoadPositions(db));
  return positions.shards().empty();
}

}  // namespace harmony::node
