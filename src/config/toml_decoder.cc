// LoadString: TOML text -> Config. The only file in Harmony that includes toml++; its exceptions
// and types stop here.
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/rules.h"

namespace harmony::config {
namespace {

using internal::IntRule;
using internal::StringRule;

std::string JoinPath(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  std::string path(prefix);
  path += '.';
  path += key;
  return path;
}

std::string FormatFloat(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  std::string text(buf, ec == std::errc() ? end : buf);
  if (text.find_first_of(".eEna") == std::string::npos) text += ".0";  // "2" -> "2.0"
  return text;
}

// What the user wrote, for the "got ..." half of a message.
std::string Got(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return internal::Quote(node.as_string()->get());
    case toml::node_type::integer:
      return std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point:
      return FormatFloat(node.as_floating_point()->get()) + " (a float)";
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

// Decodes known keys table by table and remembers which keys it asked for, so everything else
// in the file can be reported as unknown. Stops at the first error.
class Decoder {
 public:
  explicit Decoder(std::string_view source) : source_(source.empty() ? "<string>" : source) {}

  const std::string& source() const { return source_; }

  // Each Read* leaves *out untouched when the key is absent, so defaults survive.
  Status ReadBool(const toml::table& table, std::string_view prefix, std::string_view key,
                  bool* out) {
    const toml::node* node = Find(table, prefix, key);
    if (node == nullptr) return Status::Ok();
    const auto* value = node->as_boolean();
    if (value == nullptr) {
      return Mismatch(*node, JoinPath(prefix, key), "a boolean (true or false)");
    }
    *out = value->get();
    return Status::Ok();
  }

  template <typename Int>
  Status ReadInt(const toml::table& table, std::string_view prefix, std::string_view key,
                 IntRule rule, Int* out) {
    const toml::node* node = Find(table, prefix, key);
    if (node == nullptr) return Status::Ok();
    const auto* value = node->as_integer();
    if (value == nullptr || !rule.Accepts(value->get())) {
      std::string got = Got(*node);
      // "5000.0" is an easy slip; rounding it silently could hide a real mistake, so explain.
      if (node->is_floating_point()) got += "; integers are written without a decimal point";
      return Mismatch(*node, JoinPath(prefix, key), internal::Describe(rule), got);
    }
    // The rule's bounds fit Int, so the cast cannot truncate.
    *out = static_cast<Int>(value->get());
    return Status::Ok();
  }

  // `rule` may be null: any string is accepted.
  Status ReadString(const toml::table& table, std::string_view prefix, std::string_view key,
                    const StringRule* rule, std::string* out) {
    const toml::node* node = Find(table, prefix, key);
    if (node == nullptr) return Status::Ok();
    const auto* value = node->as_string();
    if (value == nullptr || (rule != nullptr && !rule->accepts(value->get()))) {
      return Mismatch(*node, JoinPath(prefix, key), rule != nullptr ? rule->expected : "a string");
    }
    *out = value->get();
    return Status::Ok();
  }

  // A string that may be a secret: a value of the wrong type is described by its type only
  // ("expected a string, got an integer"), never quoted.
  Status ReadSecret(const toml::table& table, std::string_view prefix, std::string_view key,
                    std::string* out) {
    const toml::node* node = Find(table, prefix, key);
    if (node == nullptr) return Status::Ok();
    const auto* value = node->as_string();
    if (value == nullptr) {
      std::string got = node->is_integer()          ? "an integer"
                        : node->is_floating_point() ? "a float"
                        : node->is_boolean()        ? "a boolean"
                                                    : Got(*node);  // a table, an array, a date
      return Mismatch(*node, JoinPath(prefix, key), "a string (quoted)", got);
    }
    *out = value->get();
    return Status::Ok();
  }

  // nats.urls: an array of strings, or one string holding a comma-separated list (the form the
  // -cluster-peers flag and nats.c's own URL option take). "" means no servers.
  Status ReadUrls(const toml::table& table, std::string_view prefix, std::string_view key,
                  std::vector<std::string>* out) {
    const std::string path = JoinPath(prefix, key);
    const toml::node* node = Find(table, prefix, key);
    if (node == nullptr) return Status::Ok();
    std::vector<std::string> urls;
    if (const auto* text = node->as_string()) {
      std::string_view rest = text->get();
      if (rest.find_first_not_of(" \t") != std::string_view::npos) {
        while (true) {
          size_t comma = rest.find(',');
          std::string_view piece = rest.substr(0, comma);
          size_t begin = piece.find_first_not_of(" \t");
          size_t end = piece.find_last_not_of(" \t");
          if (begin == std::string_view::npos) {
            return Mismatch(*node, path, "comma-separated server URLs without empty entries");
          }
          urls.emplace_back(piece.substr(begin, end - begin + 1));
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      }
    } else if (const auto* array = node->as_array()) {
      for (size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = *array->get(i);
        const auto* url = element.as_string();
        if (url == nullptr || !internal::kUrlRule.accepts(url->get())) {
          return Mismatch(element, path + "[" + std::to_string(i) + "]",
                          internal::kUrlRule.expected);
        }
        urls.push_back(url->get());
      }
    } else {
      return Mismatch(*node, path, "an array of server URLs or a string");
    }
    *out = std::move(urls);
    return Status::Ok();
  }

  // ignore_tables / include_tables: an array of patterns, or one string holding one pattern
  // (not a comma-separated list: a comma is a legal character in a quoted table name).
  Status ReadTablePatterns(const toml::table& table, std::string_view prefix, std::string_view key,
                           std::vector<std::string>* out) {
    const std::string path = JoinPath(prefix, key);
    const toml::node* node = Find(table, prefix, key);
    if (node == nullptr) return Status::Ok();
    std::vector<std::string> patterns;
    if (node->is_string()) {
      HARMONY_RETURN_IF_ERROR(CheckTablePattern(*node, path));
      patterns.push_back(node->as_string()->get());
    } else if (const auto* array = node->as_array()) {
      for (size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = *array->get(i);
        HARMONY_RETURN_IF_ERROR(CheckTablePattern(element, path + "[" + std::to_string(i) + "]"));
        patterns.push_back(element.as_string()->get());
      }
    } else {
      return Mismatch(*node, path, "an array of table name patterns or a string");
    }
    *out = std::move(patterns);
    return Status::Ok();
  }

  // A known sub-table of the root; null when absent.
  Result<const toml::table*> ReadTable(const toml::table& root, std::string_view key) {
    return ReadSubTable(root, "", key);
  }
  // A known sub-table of `table` (whose own path is `prefix`); null when absent.
  Result<const toml::table*> ReadSubTable(const toml::table& table, std::string_view prefix,
                                          std::string_view key) {
    const toml::node* node = Find(table, prefix, key);
    if (node == nullptr) return static_cast<const toml::table*>(nullptr);
    const toml::table* sub = node->as_table();
    if (sub == nullptr) return Mismatch(*node, JoinPath(prefix, key), "a table");
    return sub;
  }

  // Records a warning for every key of `table` that no Read* asked for. A whole unknown table
  // (HarmonyLite's [snapshot], [prometheus], ...) gives one warning, not one per key inside.
  void WarnUnknown(const toml::table& table, std::string_view prefix) {
    for (const auto& [key, node] : table) {
      std::string path = JoinPath(prefix, key.str());
      if (known_.count(path) != 0) continue;
      uint32_t line = key.source().begin.line;
      std::string text = source_;
      if (line != 0) text += ":" + std::to_string(line);
      text += ": unknown key '" + path + "' ignored";
      warnings_.push_back({line, std::move(text)});
    }
  }

  // Warnings in file order (toml++ tables iterate in key order).
  std::vector<std::string> TakeWarnings() {
    std::stable_sort(warnings_.begin(), warnings_.end(),
                     [](const Warning& a, const Warning& b) { return a.line < b.line; });
    std::vector<std::string> out;
    out.reserve(warnings_.size());
    for (Warning& w : warnings_) out.push_back(std::move(w.text));
    warnings_.clear();
    return out;
  }

  Status SyntaxError(const toml::parse_error& error) const {
    std::string description(error.description());
    std::replace(description.begin(), description.end(), '\n', ' ');
    // toml++ says "Error while parsing value: ..."; read it as "syntax error while parsing value".
    constexpr std::string_view kPrefix = "Error while ";
    std::string what = "syntax error: ";
    if (description.rfind(kPrefix, 0) == 0) {
      description.erase(0, kPrefix.size());
      what = "syntax error while ";
    }
    return Status::InvalidArgument(Where(error.source().begin) + ": " + what + description);
  }

  std::string Where(const toml::source_position& pos) const {
    return source_ + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
  }

 private:
  struct Warning {
    uint32_t line;
    std::string text;
  };

  const toml::node* Find(const toml::table& table, std::string_view prefix, std::string_view key) {
    known_.insert(JoinPath(prefix, key));
    return table.get(key);
  }

  Status CheckTablePattern(const toml::node& node, std::string_view path) const {
    const auto* value = node.as_string();
    if (value == nullptr) return Mismatch(node, path, internal::kTablePatternExpected);
    std::string problem = internal::TablePatternProblem(value->get());
    if (problem.empty()) return Status::Ok();
    return Mismatch(node, path, internal::kTablePatternExpected, Got(node) + " (" + problem + ")");
  }

  Status Mismatch(const toml::node& node, std::string_view path, std::string_view expected) const {
    return Mismatch(node, path, expected, Got(node));
  }

  Status Mismatch(const toml::node& node, std::string_view path, std::string_view expected,
                  std::string_view got) const {
    return Status::InvalidArgument(Where(node.source().begin) + ": " + std::string(path) +
                                   ": expected " + std::string(expected) + ", got " +
                                   std::string(got));
  }

  std::string source_;
  std::set<std::string> known_;  // full key paths the decoder asked for
  std::vector<Warning> warnings_;
};

Status DecodeReplicationLog(Decoder& d, const toml::table& t, ReplicationLogConfig* c) {
  constexpr std::string_view p = "replication_log";
  HARMONY_RETURN_IF_ERROR(d.ReadInt(t, p, "shards", internal::kShardsRule, &c->shards));
  HARMONY_RETURN_IF_ERROR(
      d.ReadInt(t, p, "max_entries", internal::kMaxEntriesRule, &c->max_entries));
  HARMONY_RETURN_IF_ERROR(d.ReadInt(t, p, "replicas", internal::kReplicasRule, &c->replicas));
  HARMONY_RETURN_IF_ERROR(d.ReadBool(t, p, "compress", &c->compress));
  HARMONY_RETURN_IF_ERROR(d.ReadBool(t, p, "update_existing", &c->update_existing));
  d.WarnUnknown(t, p);
  return Status::Ok();
}

Status DecodeNats(Decoder& d, const toml::table& t, NatsConfig* c) {
  constexpr std::string_view p = "nats";
  HARMONY_RETURN_IF_ERROR(d.ReadUrls(t, p, "urls", &c->urls));
  HARMONY_RETURN_IF_ERROR(
      d.ReadString(t, p, "subject_prefix", &internal::kSubjectPrefixRule, &c->subject_prefix));
  HARMONY_RETURN_IF_ERROR(
      d.ReadString(t, p, "stream_prefix", &internal::kStreamPrefixRule, &c->stream_prefix));
  HARMONY_RETURN_IF_ERROR(
      d.ReadString(t, p, "bind_address", &internal::kBindAddressRule, &c->bind_address));
  HARMONY_RETURN_IF_ERROR(
      d.ReadInt(t, p, "connect_retries", internal::kConnectRetriesRule, &c->connect_retries));
  HARMONY_RETURN_IF_ERROR(d.ReadInt(t, p, "reconnect_wait_seconds", internal::kReconnectWaitRule,
                                    &c->reconnect_wait_seconds));
  const std::pair<std::string_view, std::string*> security_keys[] = {
      {"user_name", &c->user_name},
      {"user_password", &c->user_password},
      {"token", &c->token},
      {"seed_file", &c->seed_file},
      {"creds_file", &c->creds_file},
      {"ca_file", &c->ca_file},
      {"cert_file", &c->cert_file},
      {"key_file", &c->key_file},
      {"tls_server_name", &c->tls_server_name},
      {"server_config", &c->server_config}};
  for (const auto& [key, out] : security_keys) {
    HARMONY_RETURN_IF_ERROR(d.ReadSecret(t, p, key, out));
  }
  d.WarnUnknown(t, p);
  return Status::Ok();
}

Status DecodeSnapshot(Decoder& d, const toml::table& t, SnapshotConfig* c) {
  constexpr std::string_view p = "snapshot";
  HARMONY_RETURN_IF_ERROR(d.ReadBool(t, p, "enabled", &c->enabled));
  HARMONY_RETURN_IF_ERROR(
      d.ReadInt(t, p, "interval", internal::kSnapshotIntervalRule, &c->interval_ms));
  HARMONY_RETURN_IF_ERROR(d.ReadString(t, p, "store", &internal::kSnapshotStoreRule, &c->store));
  HARMONY_ASSIGN_OR_RETURN(const toml::table* nats, d.ReadSubTable(t, p, "nats"));
  if (nats != nullptr) {
    constexpr std::string_view n = "snapshot.nats";
    HARMONY_RETURN_IF_ERROR(d.ReadInt(*nats, n, "replicas", internal::kReplicasRule,
                                      &c->nats_replicas));
    HARMONY_RETURN_IF_ERROR(
        d.ReadString(*nats, n, "bucket", &internal::kBucketRule, &c->nats_bucket));
    d.WarnUnknown(*nats, n);
  }
  HARMONY_ASSIGN_OR_RETURN(const toml::table* file, d.ReadSubTable(t, p, "file"));
  if (file != nullptr) {
    constexpr std::string_view f = "snapshot.file";
    HARMONY_RETURN_IF_ERROR(d.ReadString(*file, f, "dir", nullptr, &c->file_dir));
    d.WarnUnknown(*file, f);
  }
  d.WarnUnknown(t, p);
  return Status::Ok();
}

Status DecodePrometheus(Decoder& d, const toml::table& t, PrometheusConfig* c) {
  constexpr std::string_view p = "prometheus";
  HARMONY_RETURN_IF_ERROR(d.ReadBool(t, p, "enable", &c->enable));
  HARMONY_RETURN_IF_ERROR(d.ReadString(t, p, "bind", &internal::kListenRule, &c->bind));
  HARMONY_RETURN_IF_ERROR(
      d.ReadString(t, p, "namespace", &internal::kMetricNameRule, &c->name_space));
  HARMONY_RETURN_IF_ERROR(
      d.ReadString(t, p, "subsystem", &internal::kMetricNameRule, &c->subsystem));
  d.WarnUnknown(t, p);
  return Status::Ok();
}

Status DecodeHealthCheck(Decoder& d, const toml::table& t, HealthCheckConfig* c) {
  constexpr std::string_view p = "health_check";
  HARMONY_RETURN_IF_ERROR(d.ReadBool(t, p, "enable", &c->enable));
  HARMONY_RETURN_IF_ERROR(d.ReadString(t, p, "bind", &internal::kListenRule, &c->bind));
  HARMONY_RETURN_IF_ERROR(d.ReadString(t, p, "path", &internal::kHttpPathRule, &c->path));
  HARMONY_RETURN_IF_ERROR(d.ReadBool(t, p, "detailed", &c->detailed));
  d.WarnUnknown(t, p);
  return Status::Ok();
}

Status DecodeLogging(Decoder& d, const toml::table& t, LoggingConfig* c) {
  constexpr std::string_view p = "logging";
  HARMONY_RETURN_IF_ERROR(d.ReadBool(t, p, "verbose", &c->verbose));
  HARMONY_RETURN_IF_ERROR(d.ReadString(t, p, "format", &internal::kLogFormatRule, &c->format));
  d.WarnUnknown(t, p);
  return Status::Ok();
}

Status DecodeRoot(Decoder& d, const toml::table& root, Config* c) {
  HARMONY_RETURN_IF_ERROR(d.ReadString(root, "", "db_path", &internal::kDbPathRule, &c->db_path));
  HARMONY_RETURN_IF_ERROR(d.ReadInt(root, "", "node_id", internal::kNodeIdRule, &c->node_id));
  HARMONY_RETURN_IF_ERROR(d.ReadString(root, "", "seq_map_path", nullptr, &c->seq_map_path));
  HARMONY_RETURN_IF_ERROR(d.ReadBool(root, "", "publish", &c->publish));
  HARMONY_RETURN_IF_ERROR(d.ReadBool(root, "", "replicate", &c->replicate));
  HARMONY_RETURN_IF_ERROR(d.ReadBool(root, "", "replicate_ddl", &c->replicate_ddl));
  HARMONY_RETURN_IF_ERROR(
      d.ReadInt(root, "", "scan_max_changes", internal::kScanMaxChangesRule, &c->scan_max_changes));
  HARMONY_RETURN_IF_ERROR(
      d.ReadInt(root, "", "conflicts_kept", internal::kConflictsKeptRule, &c->conflicts_kept));
  HARMONY_RETURN_IF_ERROR(d.ReadInt(root, "", "cleanup_interval", internal::kCleanupIntervalRule,
                                    &c->cleanup_interval_ms));
  HARMONY_RETURN_IF_ERROR(d.ReadInt(root, "", "polling_interval", internal::kPollingIntervalRule,
                                    &c->polling_interval_ms));
  HARMONY_RETURN_IF_ERROR(d.ReadTablePatterns(root, "", "ignore_tables", &c->ignore_tables));
  HARMONY_RETURN_IF_ERROR(d.ReadTablePatterns(root, "", "include_tables", &c->include_tables));

  HARMONY_ASSIGN_OR_RETURN(const toml::table* log, d.ReadTable(root, "replication_log"));
  if (log != nullptr) HARMONY_RETURN_IF_ERROR(DecodeReplicationLog(d, *log, &c->replication_log));
  HARMONY_ASSIGN_OR_RETURN(const toml::table* nats, d.ReadTable(root, "nats"));
  if (nats != nullptr) HARMONY_RETURN_IF_ERROR(DecodeNats(d, *nats, &c->nats));
  HARMONY_ASSIGN_OR_RETURN(const toml::table* snapshot, d.ReadTable(root, "snapshot"));
  if (snapshot != nullptr) HARMONY_RETURN_IF_ERROR(DecodeSnapshot(d, *snapshot, &c->snapshot));
  HARMONY_ASSIGN_OR_RETURN(const toml::table* prometheus, d.ReadTable(root, "prometheus"));
  if (prometheus != nullptr) {
    HARMONY_RETURN_IF_ERROR(DecodePrometheus(d, *prometheus, &c->prometheus));
  }
  HARMONY_ASSIGN_OR_RETURN(const toml::table* health, d.ReadTable(root, "health_check"));
  if (health != nullptr) HARMONY_RETURN_IF_ERROR(DecodeHealthCheck(d, *health, &c->health_check));
  HARMONY_ASSIGN_OR_RETURN(const toml::table* logging, d.ReadTable(root, "logging"));
  if (logging != nullptr) HARMONY_RETURN_IF_ERROR(DecodeLogging(d, *logging, &c->logging));
  d.WarnUnknown(root, "");

  if (!root.contains("db_path")) {
    return Status::InvalidArgument(d.source() +
                                   ": db_path: required key is missing (the SQLite database "
                                   "to replicate)");
  }
  return Status::Ok();
}

Result<Loaded> Decode(std::string_view text, std::string source_name) {
  Decoder decoder(source_name);
  toml::table root;
#if TOML_EXCEPTIONS
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return decoder.SyntaxError(e);
  }
#else
  toml::parse_result parsed = toml::parse(text, source_name);
  if (!parsed) {
    return decoder.SyntaxError(parsed.error());
  }
  root = std::move(parsed).table();
#endif

  Loaded loaded;
  HARMONY_RETURN_IF_ERROR(DecodeRoot(decoder, root, &loaded.config));
  // Every field was range-checked above with its position; this catches any rule that only
  // Validate knows, so a loaded Config is always a valid one.
  HARMONY_RETURN_IF_ERROR(Validate(loaded.config).WithContext(decoder.source()));
  loaded.config.source = std::move(source_name);
  loaded.warnings = decoder.TakeWarnings();
  return loaded;
}

}  // namespace

Result<Loaded> LoadString(std::string_view toml, std::string source_name) {
  std::string name = source_name.empty() ? "<string>" : source_name;
  try {
    return Decode(toml, std::move(source_name));
  } catch (const std::exception& e) {
    return Status::Internal(name + ": reading config: " + e.what());
  }
}

}  // namespace harmony::config
