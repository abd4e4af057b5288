#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "nats/async_publisher.h"
#include "nats/connection.h"
#include "nats/jetstream.h"

namespace harmony::nats {

// One object's metadata, as stored in its bucket's metadata message.
struct ObjectInfo {
  std::string name;
  std::string nuid;  // the chunks are the messages on $O.<bucket>.C.<nuid>
  uint64_t size = 0;
  uint32_t chunks = 0;
  std::string mtime;  // RFC 3339, UTC: when the server stored the metadata
  std::map<std::string, std::string> headers;
  bool deleted = false;
};

// The JetStream stream behind a bucket, as the server reports it.
struct BucketInfo {
  std::string stream;  // "OBJ_<bucket>"
  std::vector<std::string> subjects;
  int replicas = 1;
  bool file_storage = false;
  bool allow_rollup = false;
  bool discard_new = false;
  uint64_t messages = 0;
  uint64_t bytes = 0;
};

// (done, total) bytes so far; called on the caller's thread after each chunk.
using ProgressFn = std::function<void(uint64_t, uint64_t)>;

// A minimal JetStream object store client (nats.c has none), in the layout of the NATS Object
// Store so the `nats` CLI and the Go client can list and read what it writes:
// - bucket B is the stream OBJ_B, subjects $O.B.C.> (chunks) and $O.B.M.> (metadata), file
//   storage, discard new, rollup headers allowed;
// - an object is its bytes as 128 KiB messages on $O.B.C.<nuid>, then one metadata message
//   (JSON) on $O.B.M.<base64url(name)> with "Nats-Rollup: sub", which replaces the previous
//   version's metadata. The metadata is written only after every chunk is acknowledged, so an
//   object is visible only once complete; a new version gets a new nuid, so a reader of the
//   old one never mixes chunks.
// Deviations from the Go client, on purpose: "digest" is written empty (no SHA-256 here; the
// Go client's `Get` insists on one, its `List`/`GetInfo` do not) and is not checked on read.
//
// Not thread-safe: one thread at a time (Put uses one pipelined publisher). Holds the
// Connection, which must stay connected for calls to succeed; calls fail (kUnavailable) rather
// than wait for a reconnect longer than `message_timeout`.
class ObjectStore {
 public:
  static constexpr uint32_t kChunkSize = 128 * 1024;

  // Binds to bucket `bucket` ([A-Za-z0-9_-]+), creating its stream with `replicas` if missing;
  // an existing stream gets its replicas and rollup setting updated if they differ.
  // `message_timeout` bounds each wait for the broker during a transfer: one chunk message, the
  // acks of a Put.
  static Result<std::unique_ptr<ObjectStore>> Open(
      std::shared_ptr<Connection> connection, const std::string& bucket, int replicas,
      std::chrono::milliseconds message_timeout = std::chrono::seconds(10));

  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;
  ~ObjectStore();

  // Stores the bytes of the file at `path` as object `name` (replacing any object of that name;
  // the old version's chunks are purged afterwards) with user `headers`. `progress` (may be
  // empty) gets (bytes queued, file size) after each chunk, and (0, 0) once for an empty file.
  // On failure nothing becomes visible and the chunks already sent are purged. kIoError if the
  // file cannot be read; kUnavailable on broker trouble.
  Status PutFile(const std::string& name, const std::string& path,
                 const std::map<std::string, std::string>& headers, const ProgressFn& progress);

  // Writes the bytes of the object described by `info` (from List or Get) to `path`, through a
  // temporary "<path>.part" renamed into place only once every chunk arrived and the received
  // chunk count and size match the metadata; on any failure `path` is not touched and the
  // temporary file is removed. kCorruption if the stream holds other chunks than the metadata
  // promises (e.g. purged behind its back), kNotFound if the object was deleted or replaced
  // since `info` was read, kUnavailable on broker trouble (no chunk for `message_timeout`,
  // disconnected), kIoError if `path` cannot be written. `progress` gets (bytes written, size).
  Status GetFile(const ObjectInfo& info, const std::string& path, const ProgressFn& progress);

  // Every current, non-deleted object, sorted by name. Metadata that cannot be decoded (written
  // by another client?) is skipped with a warning.
  Result<std::vector<ObjectInfo>> List();

  // The stream sequence of the newest metadata message of any object (0: none yet), with one
  // request (a direct get of the last message on "$O.<bucket>.M.>"). Every put and delete writes
  // one, so it changes exactly when List() may answer differently. kUnavailable on broker
  // trouble. Thread-safety as the class.
  Result<uint64_t> LastMetadataSequence();

  // The metadata of object `name`; nullopt if there is none or it was deleted.
  Result<std::optional<ObjectInfo>> Get(const std::string& name);

  // Deletes object `info.name`: writes a "deleted" metadata message (so readers stop seeing it
  // first), then purges the chunks of its current version (and those of `info.nuid`, if that
  // was an older version). Deleting an object that no longer exists is Ok.
  Status Delete(const ObjectInfo& info);

  // The bucket's stream as the server reports it.
  Result<BucketInfo> Info();

  const std::string& bucket() const { return bucket_; }
  const std::string& stream() const { return stream_; }

 private:
  ObjectStore(std::shared_ptr<Connection> connection, std::unique_ptr<JetStream> js,
              std::unique_ptr<AsyncPublisher> publisher, std::string bucket,
              std::chrono::milliseconds message_timeout);

  std::string ChunkSubject(const std::string& nuid) const;
  std::string MetaSubject(const std::string& name) const;
  Status PublishMeta(const ObjectInfo& info);
  Status PurgeChunks(const std::string& nuid);
  // How many chunk messages the stream holds for `nuid`.
  Result<uint64_t> CountChunks(const std::string& nuid);
  // GetFile's error when the stream's chunks disagree with `info`: kNotFound if the object was
  // deleted or replaced meanwhile, else kCorruption saying `detail`.
  Status MismatchError(const ObjectInfo& info, const std::string& detail);
  // Appends the object's chunks to the open file `fd`.
  Status ReceiveChunks(const ObjectInfo& info, int fd, const ProgressFn& progress);

  std::shared_ptr<Connection> connection_;
  std::unique_ptr<JetStream> js_;
  std::unique_ptr<AsyncPublisher> publisher_;  // chunks of PutFile
  const std::string bucket_;
  const std::string stream_;  // "OBJ_" + bucket_
  const std::chrono::milliseconds message_timeout_;
};

}  // namespace harmony::nats
