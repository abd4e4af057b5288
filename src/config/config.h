// config: turns a TOML configuration file into plain structs and checks them. It accepts every
// key of a HarmonyLite config.toml, so an existing HarmonyLite deployment can switch binaries
// without editing its file; keys Harmony does not use (prometheus, health_check, ...) are
// reported as warnings instead of failing the start. Errors name the file, line, column
// and key, in one line fit for a terminal. This module only reads and validates: deriving a
// node id, applying command-line overrides and handing each component its own small Options
// struct happen in the layers above. It is the only place toml++ is included.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace harmony::config {

// [replication_log]: how the change log is laid out in JetStream.
struct ReplicationLogConfig {
  uint32_t shards = 1;         // streams/subjects the log is split over, 1..1024
  int64_t max_entries = 1024;  // messages each stream keeps before dropping the oldest, >= 1
  int replicas = 1;            // JetStream replicas of each stream, 1..5
  bool compress = true;        // zstd-compress change messages
  // HarmonyLite's key: when the existing streams were made with other max_entries, replicas or
  // compress, change them to this node's values instead of refusing to start (bus/
  // stream_settings.h). Never changes shards.
  bool update_existing = false;

  friend bool operator==(const ReplicationLogConfig&, const ReplicationLogConfig&) = default;
};

// [nats]: where the broker is and how streams and subjects are named.
struct NatsConfig {
  std::vector<std::string> urls;  // servers to connect to; empty means none configured
  std::string subject_prefix = "harmony-change-log";
  std::string stream_prefix = "harmony-changes";
  // The embedded nats-server's client listener, bound exactly as given: an empty host (":4222")
  // means all interfaces, "[::1]:4222" is IPv6, port -1 any free port (HarmonyLite's default
  // is ":-1"; ours stays on loopback). Only harmony itself connects there.
  std::string bind_address = "127.0.0.1:-1";
  int connect_retries = 5;
  int reconnect_wait_seconds = 2;
  // Credentials (docs/operations.md, "Security"); empty = unused. Secrets are never logged.
  std::string user_name;  // with user_password
  std::string user_password;
  std::string token;
  std::string seed_file;   // a user NKEY seed file
  std::string creds_file;  // a .creds file (user JWT and seed)
  // TLS: ca_file, cert_file or tls_server_name turns it on. cert_file and key_file go together.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string tls_server_name;  // the name the server's certificate must carry, if not the host
  // A nats-server config file for the embedded broker (urls empty); see EmbeddedServerOptions.
  std::string server_config;

  friend bool operator==(const NatsConfig&, const NatsConfig&) = default;
};

// [logging]
// [snapshot]: whole-database snapshots from which a new or long-absent node is restored.
struct SnapshotConfig {
  bool enabled = true;           // save snapshots when needed and restore from them
  int64_t interval_ms = 0;       // TOML key interval (ms): also save periodically; 0 = never
  std::string store = "nats";    // "nats" (JetStream object store) or "file" (a directory)
  int nats_replicas = 1;         // [snapshot.nats] replicas
  std::string nats_bucket = "harmony-snapshots";  // [snapshot.nats] bucket
  std::string file_dir;          // [snapshot.file] dir; required with store = "file"

  friend bool operator==(const SnapshotConfig&, const SnapshotConfig&) = default;
};

// [prometheus] (HarmonyLite's keys): serve GET /metrics (docs/operations.md, "Monitoring").
struct PrometheusConfig {
  bool enable = false;
  std::string bind = "127.0.0.1:3010";  // host:port; ":3010" means every interface
  std::string name_space = "harmony";   // TOML key `namespace`: the metric names' first part
  std::string subsystem;                // their second part; empty: none

  friend bool operator==(const PrometheusConfig&, const PrometheusConfig&) = default;
};

// [health_check] (HarmonyLite's keys): serve GET <path>, 200 healthy / 503 not, JSON body.
struct HealthCheckConfig {
  bool enable = false;
  std::string bind = "127.0.0.1:8090";  // host:port; ":8090" means every interface
  std::string path = "/health";
  bool detailed = true;  // the body carries the node's status, not only the verdict

  friend bool operator==(const HealthCheckConfig&, const HealthCheckConfig&) = default;
};

struct LoggingConfig {
  bool verbose = false;
  std::string format = "console";  // "console" or "json"

  friend bool operator==(const LoggingConfig&, const LoggingConfig&) = default;
};

struct Config {
  std::string db_path;   // required: the SQLite database to replicate
  uint64_t node_id = 0;  // 0 = derive a stable id (done by the caller, not here)
  // Accepted for HarmonyLite compatibility and unused: Harmony keeps its replication positions
  // inside the database, so there is no sequence map file to lose.
  std::string seq_map_path;
  bool publish = true;                 // publish local changes
  bool replicate = true;               // apply changes from other nodes
  // Send the application's schema changes (DDL) to the other nodes and carry out theirs here
  // (docs/schema-changes.md); off: every node is migrated by hand.
  bool replicate_ddl = true;
  uint32_t scan_max_changes = 512;     // max changes per message, 1..1000000
  // Newest conflicts kept in __harmony_conflicts (0: record none), 0..100000000.
  int64_t conflicts_kept = 10000;
  int64_t cleanup_interval_ms = 5000;  // TOML key cleanup_interval (ms, HarmonyLite unit), >= 100
  // TOML key polling_interval (ms): a safety poll beside inotify; 0 = inotify only.
  int64_t polling_interval_ms = 1000;
  // Which tables are replicated, as fnmatch(3) glob patterns matched case-sensitively against
  // the whole table name. A table is replicated when include_tables is empty or one of its
  // patterns matches, and no ignore_tables pattern matches. Harmony's own __harmony* tables and
  // sqlite_* are never replicated, whatever the patterns say. Applied by capture::ReadCatalog.
  std::vector<std::string> ignore_tables;
  std::vector<std::string> include_tables;
  ReplicationLogConfig replication_log;
  NatsConfig nats;
  SnapshotConfig snapshot;
  PrometheusConfig prometheus;
  HealthCheckConfig health_check;
  LoggingConfig logging;
  std::string source;  // the file it was loaded from ("" for defaults)

  friend bool operator==(const Config&, const Config&) = default;
};

struct Loaded {
  Config config;
  // One line per ignored key, "<file>:<line>: unknown key 'snapshot' ignored", in file order.
  // The caller decides how to show them; loading never logs.
  std::vector<std::string> warnings;
};

// Reads and parses `path`. A missing file gives NotFound, an unreadable one IoError; both name
// the path. Everything else is as LoadString with `path` as the source name.
Result<Loaded> LoadFile(const std::string& path);

// Parses `toml`. Absent keys keep their defaults. A syntax error, a value of the wrong type or
// out of range, or a missing db_path gives InvalidArgument with one line:
//   "<source>:<line>:<col>: <key path>: expected <what>, got <what>".
// `source_name` is used in messages and stored in Config::source.
Result<Loaded> LoadString(std::string_view toml, std::string source_name);

// Checks every field's range and format, for use after command-line overrides change a loaded
// Config. Also pairs: nats.cert_file without nats.key_file (or the reverse), user_password
// without user_name. Messages name the key ("replication_log.shards: expected ..., got 0") but
// not a file, since an override may not come from one.
Status Validate(const Config& config);

// Checks that every file named in [nats] (seed_file, creds_file, ca_file, cert_file, key_file,
// server_config) can be opened for reading, so that a typo fails the start with one line naming
// the key and the path ("[nats] ca_file: cannot read /etc/x/ca.pem: No such file or directory")
// instead of a TLS or authorization error later. Never reads or quotes a file's content.
// Called at start (not at load: the files may only exist on the machine that runs the node).
Status CheckNatsFiles(const NatsConfig& nats);

}  // namespace harmony::config
