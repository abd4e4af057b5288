#include "bus/stream_settings.h"

#include <algorithm>
#include <charconv>

namespace harmony::bus {
namespace {

std::string Bool(bool b) { return b ? "true" : "false"; }

// The value after " <key>=" up to the next space, or "" when absent.
std::string Field(const std::string& text, const std::string& key) {
  const std::string needle = key + "=";
  size_t at = text.find(needle);
  while (at != std::string::npos && at > 0 && text[at - 1] != ' ') {
    at = text.find(needle, at + 1);
  }
  if (at == std::string::npos) return "";
  const size_t begin = at + needle.size();
  const size_t end = text.find(' ', begin);
  return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

std::string Entries(int64_t n) { return n < 0 ? "-1 (unlimited)" : std::to_string(n); }

}  // namespace

std::string StreamDescription(const StreamOptions& options, uint32_t shard) {
  return "harmony change log, shard " + std::to_string(shard) + " of " +
         std::to_string(options.shards) + "; shards=" + std::to_string(options.shards) +
         " compress=" + Bool(options.compress);
}

RecordedSettings ParseStreamDescription(const std::string& description) {
  RecordedSettings recorded;
  const std::string shards = Field(description, "shards");
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(shards.data(), shards.data() + shards.size(), n);
  if (!shards.empty() && ec == std::errc() && end == shards.data() + shards.size() && n > 0) {
    recorded.shards = n;
  }
  const std::string compress = Field(description, "compress");
  if (compress == "true") recorded.compress = true;
  if (compress == "false") recorded.compress = false;
  return recorded;
}

std::vector<SettingMismatch> CompareStreamSettings(const StreamOptions& options,
                                                   const ExistingStream& existing) {
  std::vector<SettingMismatch> out;
  const int64_t max_msgs = existing.max_msgs;
  const int replicas = existing.replicas;
  const RecordedSettings recorded = ParseStreamDescription(existing.description);
  const std::string subject = SubjectName(options, existing.shard);
  if (existing.subject != subject) {
    out.push_back({"nats.subject_prefix", "subject " + subject, "subject " + existing.subject,
                   false});
  }
  if (recorded.compress && *recorded.compress != options.compress) {
    out.push_back({"replication_log.compress", Bool(options.compress), Bool(*recorded.compress),
                   true});
  }
  if (max_msgs != options.max_entries) {
    out.push_back({"replication_log.max_entries", Entries(options.max_entries), Entries(max_msgs),
                   true});
  }
  // The server reports replicas 0 for 1.
  if (std::max(replicas, 1) != std::max(options.replicas, 1)) {
    out.push_back({"replication_log.replicas", std::to_string(options.replicas),
                   std::to_string(std::max(replicas, 1)), true});
  }
  if (recorded.shards && *recorded.shards != options.shards) {
    out.push_back({"replication_log.shards", std::to_string(options.shards),
                   std::to_string(*recorded.shards), false});
  }
  return out;
}

std::string DescribeMismatches(const std::string& stream,
                               const std::vector<SettingMismatch>& mismatches,
                               bool update_existing) {
  std::string line = "stream '" + stream + "' was made with ";
  bool fixed = false;
  for (size_t i = 0; i < mismatches.size(); ++i) {
    const SettingMismatch& m = mismatches[i];
    if (i > 0) line += ", ";
    line += m.key + " = " + m.theirs + " (this node has " + m.ours + ")";
    fixed = fixed || !m.changeable;
  }
  line += "; every node must use the same value: change this node's config";
  if (fixed) {
    line += " (the shard count and subjects of an existing cluster cannot be changed in place; "
            "see docs/operations.md, \"Changing shared settings\")";
  } else if (!update_existing) {
    line += ", or set replication_log.update_existing = true to change the streams for every node";
  }
  return line;
}

}  // namespace harmony::bus
