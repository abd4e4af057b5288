// LoadFile and Validate. TOML decoding lives in toml_decoder.cc, the only file including toml++.
#include "config/config.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "config/rules.h"

namespace harmony::config {
namespace {

using internal::IntRule;
using internal::StringRule;

Status CheckInt(std::string_view key, int64_t value, IntRule rule) {
  if (rule.Accepts(value)) return Status::Ok();
  return Status::InvalidArgument(std::string(key) + ": expected " + internal::Describe(rule) +
                                 ", got " + std::to_string(value));
}

Status CheckString(std::string_view key, std::string_view value, const StringRule& rule) {
  if (rule.accepts(value)) return Status::Ok();
  return Status::InvalidArgument(std::string(key) + ": expected " + std::string(rule.expected) +
                                 ", got " + internal::Quote(value));
}

Status CheckTablePatterns(std::string_view key, const std::vector<std::string>& patterns) {
  for (size_t i = 0; i < patterns.size(); ++i) {
    std::string problem = internal::TablePatternProblem(patterns[i]);
    if (problem.empty()) continue;
    return Status::InvalidArgument(std::string(key) + "[" + std::to_string(i) + "]: expected " +
                                   std::string(internal::kTablePatternExpected) + ", got " +
                                   internal::Quote(patterns[i]) + " (" + problem + ")");
  }
  return Status::Ok();
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

Status ReadError(const std::string& path, int error) {
  std::string msg = path + ": cannot read config file: " + std::strerror(error);
  if (error == ENOENT) return Status::NotFound(std::move(msg));
  return Status::IoError(std::move(msg));
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return ReadError(path, errno);
  // fopen() succeeds on a directory on Linux; the failure would only show as a read error.
  struct stat st;
  if (fstat(fileno(file.get()), &st) == 0 && S_ISDIR(st.st_mode)) return ReadError(path, EISDIR);
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), file.get())) > 0) text.append(buf, n);
  if (std::ferror(file.get())) return ReadError(path, errno != 0 ? errno : EIO);
  return text;
}

}  // namespace

Result<Loaded> LoadFile(const std::string& path) {
  HARMONY_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  return LoadString(text, path);
}

Status Validate(const Config& c) {
  // node_id needs no check: every uint64 is usable, and 0 asks the caller to derive one.
  HARMONY_RETURN_IF_ERROR(CheckString("db_path", c.db_path, internal::kDbPathRule));
  HARMONY_RETURN_IF_ERROR(
      CheckInt("scan_max_changes", c.scan_max_changes, internal::kScanMaxChangesRule));
  HARMONY_RETURN_IF_ERROR(
      CheckInt("conflicts_kept", c.conflicts_kept, internal::kConflictsKeptRule));
  HARMONY_RETURN_IF_ERROR(
      CheckInt("cleanup_interval", c.cleanup_interval_ms, internal::kCleanupIntervalRule));
  HARMONY_RETURN_IF_ERROR(
      CheckInt("polling_interval", c.polling_interval_ms, internal::kPollingIntervalRule));
  HARMONY_RETURN_IF_ERROR(CheckTablePatterns("ignore_tables", c.ignore_tables));
  HARMONY_RETURN_IF_ERROR(CheckTablePatterns("include_tables", c.include_tables));

  const ReplicationLogConfig& log = c.replication_log;
  HARMONY_RETURN_IF_ERROR(CheckInt("replication_log.shards", log.shards, internal::kShardsRule));
  HARMONY_RETURN_IF_ERROR(
      CheckInt("replication_log.max_entries", log.max_entries, internal::kMaxEntriesRule));
  HARMONY_RETURN_IF_ERROR(
      CheckInt("replication_log.replicas", log.replicas, internal::kReplicasRule));

  const NatsConfig& nats = c.nats;
  for (size_t i = 0; i < nats.urls.size(); ++i) {
    HARMONY_RETURN_IF_ERROR(
        CheckString("nats.urls[" + std::to_string(i) + "]", nats.urls[i], internal::kUrlRule));
  }
  HARMONY_RETURN_IF_ERROR(
      CheckString("nats.subject_prefix", nats.subject_prefix, internal::kSubjectPrefixRule));
  HARMONY_RETURN_IF_ERROR(
      CheckString("nats.stream_prefix", nats.stream_prefix, internal::kStreamPrefixRule));
  HARMONY_RETURN_IF_ERROR(
      CheckString("nats.bind_address", nats.bind_address, internal::kBindAddressRule));
  HARMONY_RETURN_IF_ERROR(
      CheckInt("nats.connect_retries", nats.connect_retries, internal::kConnectRetriesRule));
  HARMONY_RETURN_IF_ERROR(CheckInt("nats.reconnect_wait_seconds", nats.reconnect_wait_seconds,
                                   internal::kReconnectWaitRule));
  if (nats.cert_file.empty() != nats.key_file.empty()) {
    return Status::InvalidArgument(
        "nats.cert_file and nats.key_file go together (the client certificate and its private "
        "key, for mutual TLS): set both or neither");
  }
  // nats.c writes these into its CONNECT JSON without escaping: the server would reject it.
  for (const auto& [key, value] :
       {std::pair<const char*, const std::string*>{"nats.user_name", &nats.user_name},
        {"nats.user_password", &nats.user_password},
        {"nats.token", &nats.token}}) {
    if (value->find_first_of("\"\\") != std::string::npos) {
      return Status::InvalidArgument(std::string(key) +
                                     ": must not contain '\"' or '\\' (nats.c sends it unescaped)");
    }
  }
  if (!nats.user_password.empty() && nats.user_name.empty()) {
    return Status::InvalidArgument("nats.user_password is set without nats.user_name");
  }

  const SnapshotConfig& snap = c.snapshot;
  HARMONY_RETURN_IF_ERROR(
      CheckInt("snapshot.interval", snap.interval_ms, internal::kSnapshotIntervalRule));
  HARMONY_RETURN_IF_ERROR(CheckString("snapshot.store", snap.store, internal::kSnapshotStoreRule));
  HARMONY_RETURN_IF_ERROR(
      CheckInt("snapshot.nats.replicas", snap.nats_replicas, internal::kReplicasRule));
  HARMONY_RETURN_IF_ERROR(
      CheckString("snapshot.nats.bucket", snap.nats_bucket, internal::kBucketRule));
  if (snap.enabled && snap.store == "file" && snap.file_dir.empty()) {
    return Status::InvalidArgument(
        "snapshot.file.dir: required with snapshot.store = \"file\" (the directory snapshots "
        "are kept in)");
  }

  HARMONY_RETURN_IF_ERROR(
      CheckString("logging.format", c.logging.format, internal::kLogFormatRule));
  HARMONY_RETURN_IF_ERROR(CheckString("prometheus.bind", c.prometheus.bind, internal::kListenRule));
  HARMONY_RETURN_IF_ERROR(
      CheckString("prometheus.namespace", c.prometheus.name_space, internal::kMetricNameRule));
  HARMONY_RETURN_IF_ERROR(
      CheckString("prometheus.subsystem", c.prometheus.subsystem, internal::kMetricNameRule));
  HARMONY_RETURN_IF_ERROR(
      CheckString("health_check.bind", c.health_check.bind, internal::kListenRule));
  HARMONY_RETURN_IF_ERROR(
      CheckString("health_check.path", c.health_check.path, internal::kHttpPathRule));
  return Status::Ok();
}

Status CheckNatsFiles(const NatsConfig& nats) {
  const std::pair<const char*, const std::string*> files[] = {
      {"seed_file", &nats.seed_file}, {"creds_file", &nats.creds_file},
      {"ca_file", &nats.ca_file},     {"cert_file", &nats.cert_file},
      {"key_file", &nats.key_file},   {"server_config", &nats.server_config}};
  for (const auto& [key, path] : files) {
    if (path->empty()) continue;
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path->c_str(), "rb"));
    int error = file ? 0 : errno;
    struct stat st;
    if (file && fstat(fileno(file.get()), &st) == 0 && S_ISDIR(st.st_mode)) error = EISDIR;
    if (error == 0) continue;
    std::string msg =
        std::string("[nats] ") + key + ": cannot read " + *path + ": " + std::strerror(error);
    if (error == ENOENT) return Status::NotFound(std::move(msg));
    return Status::IoError(std::move(msg));
  }
  return Status::Ok();
}

}  // namespace harmony::config
