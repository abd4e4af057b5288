#include "snapshot/nats_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "nats/object_store.h"

namespace harmony::snapshot {
namespace {

constexpr char kManifestHeader[] = "Harmony-Manifest";
constexpr size_t kKeep = 2;

class NatsStore final : public SnapshotStore {
 public:
  explicit NatsStore(std::unique_ptr<nats::ObjectStore> objects) : objects_(std::move(objects)) {}

  Status Put(const Manifest& m, const std::string& stored_path, const Progress& progress) override {
    HARMONY_RETURN_IF_ERROR(
        objects_->PutFile(m.name, stored_path, {{kManifestHeader, EncodeManifest(m)}}, progress));
    // Only now that the new one is complete: drop all but the newest kKeep.
    HARMONY_ASSIGN_OR_RETURN(std::vector<Entry> all, Snapshots());
    for (size_t i = kKeep; i < all.size(); ++i) {
      Status s = objects_->Delete(all[i].info);
      if (!s.ok()) spdlog::warn("delete old snapshot {}: {}", all[i].info.name, s.message());
    }
    return Status::Ok();
  }

  Result<std::optional<Manifest>> Latest() override {
    HARMONY_ASSIGN_OR_RETURN(std::vector<Entry> all, Snapshots());
    if (all.empty()) return std::optional<Manifest>();
    return std::optional<Manifest>(all.front().manifest);
  }

  Result<std::string> ChangeMarker() override {
    HARMONY_ASSIGN_OR_RETURN(uint64_t seq, objects_->LastMetadataSequence());
    return std::to_string(seq);
  }

  Status Get(const Manifest& m, const std::string& out_path, const Progress& progress) override {
    HARMONY_ASSIGN_OR_RETURN(std::optional<nats::ObjectInfo> info, objects_->Get(m.name));
    if (!info) return Status::NotFound("snapshot " + m.name + " is no longer in " + Describe());
    return objects_->GetFile(*info, out_path, progress);
  }

  std::string Describe() const override {
    return "JetStream object store bucket " + objects_->bucket();
  }

 private:
  struct Entry {
    nats::ObjectInfo info;
    Manifest manifest;
  };

  // Every object carrying a decodable manifest, newest first.
  Result<std::vector<Entry>> Snapshots() {
    HARMONY_ASSIGN_OR_RETURN(std::vector<nats::ObjectInfo> objects, objects_->List());
    std::vector<Entry> out;
    for (nats::ObjectInfo& info : objects) {
      auto header = info.headers.find(kManifestHeader);
      if (header == info.headers.end()) continue;
      auto manifest = DecodeManifest(header->second);
      if (!manifest.ok()) {
        spdlog::warn("object {} in {}: {}", info.name, Describe(), manifest.status().message());
        continue;
      }
      out.push_back({std::move(info), std::move(manifest).value()});
    }
    std::sort(out.begin(), out.end(),
              [](const Entry& a, const Entry& b) { return a.manifest.name > b.manifest.name; });
    return out;
  }

  std::unique_ptr<nats::ObjectStore> objects_;
};

}  // namespace

Result<std::unique_ptr<SnapshotStore>> NewNatsStore(std::shared_ptr<nats::Connection> connection,
                                                    const std::string& bucket, int replicas) {
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<nats::ObjectStore> objects,
                           nats::ObjectStore::Open(std::move(connection), bucket, replicas));
  return std::unique_ptr<SnapshotStore>(new NatsStore(std::move(objects)));
}

}  // namespace harmony::snapshot
