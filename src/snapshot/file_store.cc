#include "snapshot/file_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "snapshot/checksum.h"
#include "snapshot/file_io.h"

namespace harmony::snapshot {
namespace {

constexpr char kDataSuffix[] = ".db.zst";
constexpr char kManifestSuffix[] = ".json";
constexpr char kTmpSuffix[] = ".tmp";

struct Copied {
  uint64_t bytes = 0;
  uint64_t xxh3 = 0;
};

// Copies `from` to `to` (created or truncated, fsynced), reporting progress per chunk.
Result<Copied> CopyFile(const std::string& from, const std::string& to, const Progress& progress) {
  HARMONY_ASSIGN_OR_RETURN(uint64_t total, FileSize(from));
  HARMONY_ASSIGN_OR_RETURN(File out, File::Create(to));
  Xxh3 hash;
  Copied copied;
  if (progress) progress(0, total);
  HARMONY_RETURN_IF_ERROR(ForEachChunk(from, [&](const char* data, size_t n) {
    HARMONY_RETURN_IF_ERROR(out.Write(data, n));
    hash.Update(data, n);
    copied.bytes += n;
    if (progress) progress(copied.bytes, total);
    return Status::Ok();
  }));
  HARMONY_RETURN_IF_ERROR(out.Sync());
  HARMONY_RETURN_IF_ERROR(out.Close());
  copied.xxh3 = hash.Digest();
  return copied;
}

Status WriteFileDurably(const std::string& path, std::string_view content) {
  HARMONY_ASSIGN_OR_RETURN(File out, File::Create(path));
  HARMONY_RETURN_IF_ERROR(out.Write(content.data(), content.size()));
  HARMONY_RETURN_IF_ERROR(out.Sync());
  return out.Close();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::string content;
  HARMONY_RETURN_IF_ERROR(ForEachChunk(path, [&](const char* data, size_t n) {
    content.append(data, n);
    return Status::Ok();
  }));
  return content;
}

// The files of one snapshot name found in the directory, by suffix (".json", ".db.zst.tmp", ...).
using Listing = std::map<std::string, std::set<std::string>>;

// Groups the directory's snapshot files by name; other files are not ours and are left out.
Result<Listing> ListDirectory(const std::string& dir) {
  Listing listing;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return listing;
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string file = it->path().filename().string();
    for (std::string suffix :
         {std::string(kDataSuffix), std::string(kManifestSuffix),
          std::string(kDataSuffix) + kTmpSuffix, std::string(kManifestSuffix) + kTmpSuffix}) {
      if (file.size() > suffix.size() && file.ends_with(suffix)) {
        std::string name = file.substr(0, file.size() - suffix.size());
        if (IsValidName(name)) listing[name].insert(suffix);
        break;
      }
    }
  }
  if (ec) return Status::IoError("list directory " + dir + ": " + ec.message());
  return listing;
}

bool IsComplete(const std::set<std::string>& suffixes) {
  return suffixes.count(kDataSuffix) > 0 && suffixes.count(kManifestSuffix) > 0;
}

class FileStore final : public SnapshotStore {
 public:
  FileStore(std::string dir, int keep) : dir_(std::move(dir)), keep_(std::max(keep, 1)) {}

  Status Put(const Manifest& m, const std::string& stored_path, const Progress& progress) override {
    return DoPut(m, stored_path, progress)
        .WithContext("store snapshot " + m.name + " in " + Describe());
  }

  Result<std::optional<Manifest>> Latest() override {
    Result<Listing> listing = ListDirectory(dir_);
    if (!listing.ok()) return listing.status().WithContext("latest snapshot in " + Describe());
    for (auto it = listing->rbegin(); it != listing->rend(); ++it) {
      const auto& [name, suffixes] = *it;
      if (!IsComplete(suffixes)) continue;
      Result<Manifest> m = ReadManifest(name);
      if (m.ok()) return std::optional<Manifest>(std::move(m).value());
      spdlog::warn("{}: skipping snapshot {}: {}", Describe(), name, m.status().message());
    }
    return std::optional<Manifest>();
  }

  Result<std::string> ChangeMarker() override {
    Result<Listing> listing = ListDirectory(dir_);
    if (!listing.ok()) return listing.status().WithContext("list snapshots in " + Describe());
    std::string marker;
    for (const auto& [name, suffixes] : *listing) {
      marker += name + (IsComplete(suffixes) ? "+" : "-");
    }
    return marker;
  }

  Status Get(const Manifest& m, const std::string& out_path, const Progress& progress) override {
    if (!IsValidName(m.name)) return Status::InvalidArgument("invalid snapshot name " + m.name);
    Result<Copied> copied = CopyFile(Path(m.name, kDataSuffix), out_path, progress);
    if (!copied.ok()) {
      return copied.status().WithContext("get snapshot " + m.name + " from " + Describe());
    }
    return Status::Ok();
  }

  std::string Describe() const override { return "directory " + dir_; }

 private:
  std::string Path(const std::string& name, std::string_view suffix) const {
    return dir_ + "/" + name + std::string(suffix);
  }

  Status DoPut(const Manifest& m, const std::string& stored_path, const Progress& progress) {
    if (!IsValidName(m.name)) return Status::InvalidArgument("invalid snapshot name");
    HARMONY_RETURN_IF_ERROR(CreateDirectories(dir_));
    const std::string data = Path(m.name, kDataSuffix);
    const std::string manifest = Path(m.name, kManifestSuffix);
    const std::string data_tmp = data + kTmpSuffix;
    const std::string manifest_tmp = manifest + kTmpSuffix;
    RemoveOnExit cleanup({data_tmp, manifest_tmp});

    HARMONY_ASSIGN_OR_RETURN(Copied copied, CopyFile(stored_path, data_tmp, progress));
    // Publishing bytes that do not match their manifest would only fail later, on another node.
    if (copied.bytes != m.compressed_bytes || copied.xxh3 != m.xxh3) {
      return Status::Corruption(
          stored_path + " does not match the manifest (" + std::to_string(copied.bytes) +
          " bytes, xxh3 " + HexDigest(copied.xxh3) + "; expected " +
          std::to_string(m.compressed_bytes) + " bytes, xxh3 " + HexDigest(m.xxh3) + ")");
    }
    HARMONY_RETURN_IF_ERROR(WriteFileDurably(manifest_tmp, EncodeManifest(m)));
    HARMONY_RETURN_IF_ERROR(RenameFile(data_tmp, data));
    HARMONY_RETURN_IF_ERROR(RenameFile(manifest_tmp, manifest));  // the commit point
    HARMONY_RETURN_IF_ERROR(SyncDirectory(dir_));
    return Prune();
  }

  // Removes every file of the names older than the newest `keep_` complete snapshots: older
  // snapshots and what crashed Puts of older names left. Newer incomplete names may be Puts in
  // progress elsewhere and are left alone. Manifests go first so no reader picks a snapshot whose
  // data is being removed.
  Status Prune() {
    HARMONY_ASSIGN_OR_RETURN(Listing listing, ListDirectory(dir_));
    std::vector<std::string> complete;
    for (const auto& [name, suffixes] : listing) {
      if (IsComplete(suffixes)) complete.push_back(name);
    }
    if (complete.size() <= static_cast<size_t>(keep_)) return Status::Ok();
    const std::string& oldest_kept = complete[complete.size() - keep_];
    for (const auto& [name, suffixes] : listing) {
      if (name >= oldest_kept) break;
      if (suffixes.count(kManifestSuffix) > 0) {
        HARMONY_RETURN_IF_ERROR(RemoveFile(Path(name, kManifestSuffix)));
      }
      for (const std::string& suffix : suffixes) {
        if (suffix != kManifestSuffix) HARMONY_RETURN_IF_ERROR(RemoveFile(Path(name, suffix)));
      }
    }
    return SyncDirectory(dir_);
  }

  Result<Manifest> ReadManifest(const std::string& name) {
    HARMONY_ASSIGN_OR_RETURN(std::string json, ReadWholeFile(Path(name, kManifestSuffix)));
    HARMONY_ASSIGN_OR_RETURN(Manifest m, DecodeManifest(json));
    if (m.name != name) return Status::Corruption("the manifest names " + m.name);
    HARMONY_ASSIGN_OR_RETURN(uint64_t size, FileSize(Path(name, kDataSuffix)));
    if (size != m.compressed_bytes) {
      return Status::Corruption("data file is " + std::to_string(size) +
                                " bytes, the manifest says " + std::to_string(m.compressed_bytes));
    }
    return m;
  }

  const std::string dir_;
  const int keep_;
};

}  // namespace

std::unique_ptr<SnapshotStore> NewFileStore(std::string dir, int keep) {
  return std::make_unique<FileStore>(std::move(dir), keep);
}

}  // namespace harmony::snapshot
