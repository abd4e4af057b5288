// bus/stream_settings: the replication-log settings every node must share, and how they are
// recorded with the shard streams so that a node configured differently is refused at start
// (issue #11, item 6) instead of silently changing the streams for everyone or diverging.
//
// shards, compress: recorded in each stream's JetStream description as
//   "harmony change log, shard <s> of <n>; shards=<n> compress=<true|false>"
// max_entries, replicas: the stream's own MaxMsgs and Replicas.
// A stream made by an older harmony carries no description: its shard count is then inferred
// from which streams exist (see CheckShardStreams in jetstream_bus.cc).
//
// Pure functions, no I/O; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bus/bus.h"

namespace harmony::bus {

// The description recorded on shard `shard`'s stream.
std::string StreamDescription(const StreamOptions& options, uint32_t shard);

// What a recorded description says; nullopt fields when absent or unreadable (a stream made
// before harmony recorded settings, or a description someone else wrote).
struct RecordedSettings {
  std::optional<uint32_t> shards;
  std::optional<bool> compress;
};
RecordedSettings ParseStreamDescription(const std::string& description);

// One setting on which this node and an existing stream disagree.
struct SettingMismatch {
  std::string key;     // config key, e.g. "replication_log.max_entries"
  std::string ours;    // this node's value, as written in the config
  std::string theirs;  // the stream's value
  bool changeable;     // update_existing may change it (false: shards)
};

// An existing shard stream's settings, as the server reports them.
struct ExistingStream {
  uint32_t shard = 1;
  std::string subject;
  int64_t max_msgs = -1;
  int replicas = 1;
  std::string description;
};

// Compares `options` with shard `existing.shard`'s stream. Settings a legacy description lacks
// are not compared here. A different subject (nats.subject_prefix) is never changeable: nodes
// publishing to the old subject would fail. Returns the mismatches in key order (empty: the
// stream matches).
std::vector<SettingMismatch> CompareStreamSettings(const StreamOptions& options,
                                                   const ExistingStream& existing);

// One line naming the stream, each mismatch with both values, and the way out:
//   "stream 'harmony-changes-1' was made with replication_log.max_entries = 140, this node has
//    50; every node must use the same value: change this node's config, or set
//    replication_log.update_existing = true to change the stream for every node"
std::string DescribeMismatches(const std::string& stream,
                               const std::vector<SettingMismatch>& mismatches,
                               bool update_existing);

}  // namespace harmony::bus
