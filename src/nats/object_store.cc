#include "nats/object_store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "nats/handles.h"
#include "nats/jetstream_impl.h"
#include "nats/nats_error.h"
#include "nats/object_meta.h"

namespace harmony::nats {
namespace {

struct InboxDeleter {
  void operator()(natsInbox* p) const noexcept { natsInbox_Destroy(p); }
};
struct PubAckDeleter {
  void operator()(jsPubAck* p) const noexcept { jsPubAck_Destroy(p); }
};
using InboxPtr = std::unique_ptr<natsInbox, InboxDeleter>;
using PubAckPtr = std::unique_ptr<jsPubAck, PubAckDeleter>;

// A POSIX file descriptor, closed on destruction (errors that matter are checked by Close()).
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int Close() {
    if (fd_ < 0) return 0;
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

Status WriteAll(int fd, const char* data, size_t len) {
  while (len > 0) {
    const ssize_t n = ::write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError(Errno("write"));
    data += n;
    len -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

bool ValidBucket(const std::string& bucket) {
  return !bucket.empty() && std::all_of(bucket.begin(), bucket.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '-';
  });
}

// A fresh NUID from nats.c's generator (which has no public NUID call, but names inboxes
// "_INBOX.<nuid>").
Result<std::string> NewNuid() {
  natsInbox* raw = nullptr;
  natsStatus s = natsInbox_Create(&raw);
  InboxPtr inbox(raw);
  if (s != NATS_OK) return FromNats(s, "generate a NUID");
  std::string_view id(inbox.get());
  if (const size_t dot = id.rfind('.'); dot != std::string_view::npos) id.remove_prefix(dot + 1);
  return std::string(id);
}

// An ordered push consumer read synchronously (js_SubscribeSync, Ordered): in stream order,
// without gaps, recreated by nats.c after a reconnect.
class OrderedReader {
 public:
  static Result<std::unique_ptr<OrderedReader>> Open(JetStream& js, const std::string& stream,
                                                     const std::string& subject,
                                                     jsDeliverPolicy policy) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Ordered = true;
    so.Config.DeliverPolicy = policy;
    so.Config.Heartbeat = int64_t{2000} * 1000 * 1000;
    natsSubscription* raw = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_SubscribeSync(&raw, js.impl().js.get(), subject.c_str(), nullptr, &so, &code);
    SubscriptionPtr sub(raw);
    if (s != NATS_OK) return FromJetStream(s, code, "subscribe to '" + subject + "'");
    return std::unique_ptr<OrderedReader>(new OrderedReader(js, std::move(sub)));
  }

  OrderedReader(const OrderedReader&) = delete;
  OrderedReader& operator=(const OrderedReader&) = delete;
  ~OrderedReader() {
    // Unsubscribe (unlike destroy) deletes the ephemeral consumer now rather than after the
    // server's inactivity threshold. Best effort, skipped while disconnected (it would only wait
    // for its timeout): the consumer expires on its own either way.
    if (js_.connection()->IsConnected()) (void)natsSubscription_Unsubscribe(sub_.get());
  }

  // The next message; kUnavailable if none arrives within `timeout`.
  Result<MsgPtr> Next(std::chrono::milliseconds timeout) {
    natsMsg* raw = nullptr;
    natsStatus s = natsSubscription_NextMsg(&raw, sub_.get(), timeout.count());
    MsgPtr msg(raw);
    if (s == NATS_TIMEOUT) {
      std::string what = "no message within " + std::to_string(timeout.count()) + " ms";
      if (!js_.connection()->IsConnected()) what += " (disconnected from NATS)";
      return Status::Unavailable(what);
    }
    if (s != NATS_OK) return FromNats(s, "receive");
    return msg;
  }

 private:
  OrderedReader(JetStream& js, SubscriptionPtr sub) : js_(js), sub_(std::move(sub)) {}
  JetStream& js_;
  SubscriptionPtr sub_;
};

Result<MetaDataPtr> MetaDataOf(natsMsg* msg) {
  jsMsgMetaData* raw = nullptr;
  natsStatus s = natsMsg_GetMetaData(&raw, msg);
  MetaDataPtr meta(raw);
  if (s != NATS_OK) return FromNats(s, "read JetStream metadata of a message");
  return meta;
}

std::string_view DataOf(natsMsg* msg) {
  const char* data = natsMsg_GetData(msg);
  const int len = natsMsg_GetDataLength(msg);
  if (data == nullptr || len <= 0) return {};
  return {data, static_cast<size_t>(len)};
}

BucketInfo ToBucketInfo(const jsStreamInfo& si) {
  BucketInfo info;
  if (si.Config != nullptr) {
    const jsStreamConfig& c = *si.Config;
    if (c.Name != nullptr) info.stream = c.Name;
    for (int i = 0; i < c.SubjectsLen; ++i) {
      if (c.Subjects[i] != nullptr) info.subjects.emplace_back(c.Subjects[i]);
    }
    info.replicas = std::max<int64_t>(c.Replicas, 1);
    info.file_storage = c.Storage == js_FileStorage;
    info.allow_rollup = c.AllowRollup;
    info.discard_new = c.Discard == js_DiscardNew;
  }
  info.messages = si.State.Msgs;
  info.bytes = si.State.Bytes;
  return info;
}

// Creates the bucket's stream like the Go client does, or checks and adjusts an existing one.
Status EnsureStream(jsCtx* js, const std::string& bucket, const std::string& stream, int replicas) {
  const std::string chunks = "$O." + bucket + ".C.>";
  const std::string meta = "$O." + bucket + ".M.>";
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw, js, stream.c_str(), nullptr, &code);
  StreamInfoPtr si(raw);
  if (s == NATS_NOT_FOUND) {
    const char* subjects[] = {chunks.c_str(), meta.c_str()};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = stream.c_str();
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 2;
    cfg.Retention = js_LimitsPolicy;
    cfg.Storage = js_FileStorage;
    cfg.Discard = js_DiscardNew;
    cfg.AllowRollup = true;
    cfg.AllowDirect = true;
    cfg.Replicas = replicas;
    jsStreamInfo* created_raw = nullptr;
    code = static_cast<jsErrCode>(0);
    s = js_AddStream(&created_raw, js, &cfg, nullptr, &code);
    StreamInfoPtr created(created_raw);
    if (s == NATS_OK) return Status::Ok();
    if (code != JSStreamNameExistErr) return FromJetStream(s, code, "create stream");
    // Another node created it between our lookup and our create: check theirs.
    code = static_cast<jsErrCode>(0);
    s = js_GetStreamInfo(&raw, js, stream.c_str(), nullptr, &code);
    si.reset(raw);
  }
  if (s != NATS_OK) return FromJetStream(s, code, "look up stream");
  if (si->Config == nullptr) return Status::Internal("stream info without a configuration");
  jsStreamConfig& c = *si->Config;
  bool has_chunks = false;
  bool has_meta = false;
  for (int i = 0; i < c.SubjectsLen; ++i) {
    if (c.Subjects[i] == nullptr) continue;
    has_chunks = has_chunks || chunks == c.Subjects[i];
    has_meta = has_meta || meta == c.Subjects[i];
  }
  if (!has_chunks || !has_meta) {
    return Status::InvalidArgument("stream exists but is not an object store bucket (subjects '" +
                                   chunks + "' and '" + meta + "' missing)");
  }
  if (std::max<int64_t>(c.Replicas, 1) == std::max(replicas, 1) && c.AllowRollup) {
    return Status::Ok();
  }
  c.Replicas = replicas;
  c.AllowRollup = true;  // the metadata messages need it
  jsStreamInfo* updated_raw = nullptr;
  code = static_cast<jsErrCode>(0);
  s = js_UpdateStream(&updated_raw, js, &c, nullptr, &code);
  StreamInfoPtr updated(updated_raw);
  return FromJetStream(s, code, "update replicas or rollup of stream");
}

}  // namespace

ObjectStore::ObjectStore(std::shared_ptr<Connection> connection, std::unique_ptr<JetStream> js,
                         std::unique_ptr<AsyncPublisher> publisher, std::string bucket,
                         std::chrono::milliseconds message_timeout)
    : connection_(std::move(connection)),
      js_(std::move(js)),
      publisher_(std::move(publisher)),
      bucket_(std::move(bucket)),
      stream_("OBJ_" + bucket_),
      message_timeout_(message_timeout) {}

ObjectStore::~ObjectStore() = default;

Result<std::unique_ptr<ObjectStore>> ObjectStore::Open(std::shared_ptr<Connection> connection,
                                                       const std::string& bucket, int replicas,
                                                       std::chrono::milliseconds message_timeout) {
  const std::string context = "open object store bucket '" + bucket + "'";
  if (!ValidBucket(bucket)) {
    return Status::InvalidArgument(context + ": a bucket name is made of A-Z a-z 0-9 _ -");
  }
  if (replicas < 1 || message_timeout.count() <= 0) {
    return Status::InvalidArgument(context + ": replicas and message timeout must be positive");
  }
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<JetStream> js, JetStream::Create(connection));
  HARMONY_RETURN_IF_ERROR(js->CheckConnected(context));
  HARMONY_RETURN_IF_ERROR(EnsureStream(js->impl().js.get(), bucket, "OBJ_" + bucket, replicas)
                              .WithContext(context + " (stream 'OBJ_" + bucket + "')"));
  AsyncPublisherOptions publish;
  publish.max_pending = 64;  // 8 MiB of chunks in flight
  publish.stall_wait = message_timeout;
  HARMONY_ASSIGN_OR_RETURN(std::unique_ptr<AsyncPublisher> publisher,
                           AsyncPublisher::Create(connection, publish));
  return std::unique_ptr<ObjectStore>(new ObjectStore(
      std::move(connection), std::move(js), std::move(publisher), bucket, message_timeout));
}

std::string ObjectStore::ChunkSubject(const std::string& nuid) const {
  return "$O." + bucket_ + ".C." + nuid;
}

std::string ObjectStore::MetaSubject(const std::string& name) const {
  return "$O." + bucket_ + ".M." + object_meta::EncodeName(name);
}

Status ObjectStore::PublishMeta(const ObjectInfo& info) {
  HARMONY_ASSIGN_OR_RETURN(std::string body, object_meta::Encode(info, bucket_, kChunkSize));
  const std::string subject = MetaSubject(info.name);
  natsMsg* raw = nullptr;
  natsStatus s =
      natsMsg_Create(&raw, subject.c_str(), nullptr, body.data(), static_cast<int>(body.size()));
  MsgPtr msg(raw);
  if (s == NATS_OK) s = natsMsgHeader_Set(msg.get(), "Nats-Rollup", "sub");
  if (s != NATS_OK) return FromNats(s, "create metadata message");
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.ExpectStream = stream_.c_str();
  po.MaxWait = message_timeout_.count();
  jsPubAck* ack_raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack_raw, js_->impl().js.get(), msg.get(), &po, &code);
  PubAckPtr ack(ack_raw);
  return FromJetStream(s, code, "publish metadata to '" + subject + "'");
}

Status ObjectStore::PurgeChunks(const std::string& nuid) {
  const std::string subject = ChunkSubject(nuid);
  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Purge.Subject = subject.c_str();
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_PurgeStream(js_->impl().js.get(), stream_.c_str(), &o, &code);
  return FromJetStream(s, code, "purge chunks '" + subject + "'");
}

Result<uint64_t> ObjectStore::CountChunks(const std::string& nuid) {
  const std::string subject = ChunkSubject(nuid);
  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Info.SubjectsFilter = subject.c_str();
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw, js_->impl().js.get(), stream_.c_str(), &o, &code);
  StreamInfoPtr si(raw);
  if (s != NATS_OK) return FromJetStream(s, code, "count chunks '" + subject + "'");
  uint64_t count = 0;
  if (const jsStreamStateSubjects* list = si->State.Subjects; list != nullptr) {
    for (int i = 0; i < list->Count; ++i) {
      if (list->List[i].Subject != nullptr && subject == list->List[i].Subject) {
        count += list->List[i].Msgs;
      }
    }
  }
  return count;
}

Status ObjectStore::MismatchError(const ObjectInfo& info, const std::string& detail) {
  Result<std::optional<ObjectInfo>> current = Get(info.name);
  if (!current.ok()) return current.status().WithContext(detail + "; looking the object up again");
  if (!current->has_value() || (*current)->nuid != info.nuid) {
    return Status::NotFound(detail + ": the object was deleted or replaced meanwhile");
  }
  return Status::Corruption(detail + ": the stored object is incomplete (chunks purged?)");
}

Status ObjectStore::PutFile(const std::string& name, const std::string& path,
                            const std::map<std::string, std::string>& headers,
                            const ProgressFn& progress) {
  const std::string context =
      "put '" + path + "' as object '" + name + "' into bucket '" + bucket_ + "'";
  if (name.empty()) return Status::InvalidArgument(context + ": empty object name");
  Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) return Status::IoError(context + ": " + Errno("open"));
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) return Status::IoError(context + ": " + Errno("stat"));
  const uint64_t expected = static_cast<uint64_t>(std::max<off_t>(st.st_size, 0));
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  Result<std::optional<ObjectInfo>> previous = Get(name);
  if (!previous.ok() && previous.status().code() == Status::Code::kCorruption) {
    // Undecodable metadata (another client's?) is replaced like any other; its chunks, if
    // any, cannot be found to be purged.
    spdlog::warn("nats: {}: replacing undecodable metadata: {}", context,
                 previous.status().message());
    previous = std::optional<ObjectInfo>();
  }
  if (!previous.ok()) return previous.status().WithContext(context);
  Result<std::string> nuid = NewNuid();
  if (!nuid.ok()) return nuid.status().WithContext(context);

  ObjectInfo info;
  info.name = name;
  info.nuid = *nuid;
  info.headers = headers;
  const std::string subject = ChunkSubject(info.nuid);
  std::vector<char> buffer(kChunkSize);
  Status failed;
  while (failed.ok()) {
    // Fill a whole chunk (a short read is not the end of the file).
    size_t filled = 0;
    while (filled < buffer.size()) {
      const ssize_t n = ::read(file.get(), buffer.data() + filled, buffer.size() - filled);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) failed = Status::IoError(Errno("read"));
      if (n <= 0) break;
      filled += static_cast<size_t>(n);
    }
    if (!failed.ok() || filled == 0) break;
    failed = publisher_->Publish(subject, "", std::string_view(buffer.data(), filled));
    if (!failed.ok()) break;
    info.size += filled;
    ++info.chunks;
    if (progress) progress(info.size, std::max(expected, info.size));
    if (filled < buffer.size()) break;
  }
  // Always collect the acks: it resets the publisher, and chunks still in flight must be stored
  // (or lost) before a purge of the partial object can remove them.
  Status acks = publisher_->WaitForAcks(message_timeout_);
  if (failed.ok()) failed = acks;
  bool meta_sent = false;
  if (failed.ok()) {
    info.mtime = object_meta::Now();
    meta_sent = true;
    failed = PublishMeta(info);
  }
  if (!failed.ok() && meta_sent) {
    // A metadata publish whose ack was lost may still have been stored: purging the chunks of a
    // visible object would corrupt it, so look before purging.
    Result<std::optional<ObjectInfo>> stored = Get(name);
    if (stored.ok() && stored->has_value() && (*stored)->nuid == info.nuid) {
      failed = Status::Ok();
    } else if (!stored.ok()) {
      spdlog::warn("nats: {}: cannot tell whether the object was stored ({}); its chunks stay",
                   context, stored.status().message());
      return failed.WithContext(context);
    }
  }
  if (!failed.ok()) {
    if (info.chunks > 0) {
      if (Status purge = PurgeChunks(info.nuid); !purge.ok()) {
        spdlog::warn("nats: {}: leaving {} chunks of the failed upload behind: {}", context,
                     info.chunks, purge.message());
      }
    }
    return failed.WithContext(context);
  }
  if (info.size == 0 && progress) progress(0, 0);
  if (previous->has_value() && !(*previous)->deleted && (*previous)->nuid != info.nuid) {
    // The new version is visible; the old chunks are garbage now. Failing to remove them does
    // not undo the put.
    if (Status purge = PurgeChunks((*previous)->nuid); !purge.ok()) {
      spdlog::warn("nats: {}: the previous version's chunks stay behind: {}", context,
                   purge.message());
    }
  }
  return Status::Ok();
}

Status ObjectStore::ReceiveChunks(const ObjectInfo& info, int fd, const ProgressFn& progress) {
  HARMONY_ASSIGN_OR_RETURN(
      std::unique_ptr<OrderedReader> reader,
      OrderedReader::Open(*js_, stream_, ChunkSubject(info.nuid), js_DeliverAll));
  uint64_t written = 0;
  for (uint32_t i = 1; i <= info.chunks; ++i) {
    const std::string what = "chunk " + std::to_string(i) + " of " + std::to_string(info.chunks);
    Result<MsgPtr> msg = reader->Next(message_timeout_);
    if (!msg.ok()) return msg.status().WithContext("receive " + what);
    HARMONY_ASSIGN_OR_RETURN(MetaDataPtr meta, MetaDataOf(msg->get()));
    const std::string_view data = DataOf(msg->get());
    if (written + data.size() > info.size) {
      return MismatchError(info, what + " brings the object past its size of " +
                                     std::to_string(info.size) + " bytes");
    }
    if (i + meta->NumPending != info.chunks) {
      return MismatchError(
          info, what + ": the stream holds " + std::to_string(i + meta->NumPending) + " chunks");
    }
    HARMONY_RETURN_IF_ERROR(WriteAll(fd, data.data(), data.size()));
    written += data.size();
    if (progress) progress(written, info.size);
  }
  if (written != info.size) {
    return MismatchError(info, "received " + std::to_string(written) + " bytes in " +
                                   std::to_string(info.chunks) + " chunks, expected " +
                                   std::to_string(info.size));
  }
  return Status::Ok();
}

Status ObjectStore::GetFile(const ObjectInfo& info, const std::string& path,
                            const ProgressFn& progress) {
  const std::string context = "get object '" + info.name + "' (nuid " + info.nuid +
                              ") from bucket '" + bucket_ + "' into '" + path + "'";
  if (info.nuid.empty() || info.deleted) {
    return Status::InvalidArgument(context + ": not the metadata of a current object");
  }
  if (info.chunks == 0 && info.size != 0) {
    return Status::Corruption(context + ": metadata says " + std::to_string(info.size) +
                              " bytes in no chunks");
  }
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  if (info.chunks > 0) {
    // Checked up front: missing chunks would otherwise show only as a receive timeout.
    Result<uint64_t> present = CountChunks(info.nuid);
    if (!present.ok()) return present.status().WithContext(context);
    if (*present != info.chunks) {
      return MismatchError(info, "the stream holds " + std::to_string(*present) + " of its " +
                                     std::to_string(info.chunks) + " chunks")
          .WithContext(context);
    }
  }

  const std::string part = path + ".part";
  Fd out(::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (out.get() < 0) return Status::IoError(context + ": " + Errno("create '" + part + "'"));
  Status status = ReceiveChunks(info, out.get(), progress);
  if (status.ok() && ::fsync(out.get()) != 0) status = Status::IoError(Errno("fsync"));
  if (status.ok() && out.Close() != 0) status = Status::IoError(Errno("close"));
  if (status.ok() && std::rename(part.c_str(), path.c_str()) != 0) {
    status = Status::IoError(Errno("rename '" + part + "' into place"));
  }
  if (!status.ok()) {
    out.Close();
    ::unlink(part.c_str());  // a partial object is never left where a reader might take it
    return status.WithContext(context);
  }
  if (info.size == 0 && progress) progress(0, 0);
  return Status::Ok();
}

Result<std::optional<ObjectInfo>> ObjectStore::Get(const std::string& name) {
  const std::string context = "get metadata of object '" + name + "' in bucket '" + bucket_ + "'";
  if (name.empty()) return Status::InvalidArgument(context + ": empty object name");
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  natsMsg* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&raw, js_->impl().js.get(), stream_.c_str(),
                               MetaSubject(name).c_str(), nullptr, &code);
  MsgPtr msg(raw);
  if (s == NATS_NOT_FOUND && (code == 0 || code == JSNoMessageFoundErr)) {
    return std::optional<ObjectInfo>();
  }
  if (s != NATS_OK) return FromJetStream(s, code, context);
  Result<ObjectInfo> info = object_meta::Decode(DataOf(msg.get()), natsMsg_GetTime(msg.get()));
  if (!info.ok()) return info.status().WithContext(context);
  if (info->deleted) return std::optional<ObjectInfo>();
  return std::optional<ObjectInfo>(std::move(info).value());
}

Result<uint64_t> ObjectStore::LastMetadataSequence() {
  const std::string context = "newest metadata in bucket '" + bucket_ + "'";
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  natsMsg* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&raw, js_->impl().js.get(), stream_.c_str(),
                               ("$O." + bucket_ + ".M.>").c_str(), nullptr, &code);
  MsgPtr last(raw);
  if (s == NATS_NOT_FOUND && (code == 0 || code == JSNoMessageFoundErr)) return uint64_t{0};
  if (s != NATS_OK) return FromJetStream(s, code, context);
  return natsMsg_GetSequence(last.get());
}

Result<std::vector<ObjectInfo>> ObjectStore::List() {
  const std::string context = "list objects in bucket '" + bucket_ + "'";
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  const std::string all_meta = "$O." + bucket_ + ".M.>";
  // An ordered consumer with nothing to deliver would only time out: first ask whether the
  // bucket has any metadata at all.
  {
    natsMsg* raw = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_GetLastMsg(&raw, js_->impl().js.get(), stream_.c_str(), all_meta.c_str(),
                                 nullptr, &code);
    MsgPtr last(raw);
    if (s == NATS_NOT_FOUND && (code == 0 || code == JSNoMessageFoundErr)) {
      return std::vector<ObjectInfo>();
    }
    if (s != NATS_OK) return FromJetStream(s, code, context);
  }
  Result<std::unique_ptr<OrderedReader>> reader =
      OrderedReader::Open(*js_, stream_, all_meta, js_DeliverLastPerSubject);
  if (!reader.ok()) return reader.status().WithContext(context);
  std::vector<ObjectInfo> objects;
  while (true) {
    Result<MsgPtr> msg = (*reader)->Next(message_timeout_);
    if (!msg.ok()) return msg.status().WithContext(context);
    Result<MetaDataPtr> meta = MetaDataOf(msg->get());
    if (!meta.ok()) return meta.status().WithContext(context);
    Result<ObjectInfo> info = object_meta::Decode(DataOf(msg->get()), (*meta)->Timestamp);
    if (!info.ok()) {
      const char* subject = natsMsg_GetSubject(msg->get());
      spdlog::warn("nats: {}: skipping '{}': {}", context, subject != nullptr ? subject : "",
                   info.status().message());
    } else if (!info->deleted) {
      objects.push_back(std::move(info).value());
    }
    if ((*meta)->NumPending == 0) break;
  }
  std::sort(objects.begin(), objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.name < b.name; });
  return objects;
}

Status ObjectStore::Delete(const ObjectInfo& info) {
  const std::string context = "delete object '" + info.name + "' from bucket '" + bucket_ + "'";
  Result<std::optional<ObjectInfo>> current = Get(info.name);
  if (!current.ok() && current.status().code() == Status::Code::kCorruption) {
    // Undecodable metadata: overwrite it with a deletion marker made from `info`.
    current = std::optional<ObjectInfo>(info);
  }
  if (!current.ok()) return current.status().WithContext(context);
  if (current->has_value()) {
    ObjectInfo marker = **current;
    marker.deleted = true;
    marker.size = 0;
    marker.chunks = 0;
    marker.mtime = object_meta::Now();
    HARMONY_RETURN_IF_ERROR(PublishMeta(marker).WithContext(context));
    HARMONY_RETURN_IF_ERROR(PurgeChunks(marker.nuid).WithContext(context));
  }
  if (!info.nuid.empty() && (!current->has_value() || (*current)->nuid != info.nuid)) {
    HARMONY_RETURN_IF_ERROR(PurgeChunks(info.nuid).WithContext(context));
  }
  return Status::Ok();
}

Result<BucketInfo> ObjectStore::Info() {
  const std::string context = "get info of bucket '" + bucket_ + "' (stream '" + stream_ + "')";
  HARMONY_RETURN_IF_ERROR(js_->CheckConnected(context));
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw, js_->impl().js.get(), stream_.c_str(), nullptr, &code);
  StreamInfoPtr si(raw);
  if (s != NATS_OK) return FromJetStream(s, code, context);
  return ToBucketInfo(*si);
}

}  // namespace harmony::nats
