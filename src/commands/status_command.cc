#include "commands/status_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <thread>
#include <vector>

#include "bus/jetstream_bus.h"
#include "capture/change_log.h"
#include "monitor/node_status.h"
#include "nats/kv_store.h"
#include "node/broker_options.h"
#include "node/node_options.h"
#include "node/status_report.h"
#include "sqlite/database.h"

namespace harmony::commands {

using monitor::NodeStatus;
using monitor::ParseNodeStatus;
using monitor::ShardStatus;
using monitor::ToJson;
using node::kStatusBucket;
using node::kStatusLiveFor;
using node::kStatusTtl;
using node::NodeIdOf;
using node::StreamOptionsOf;
using node::ToolConnectOptions;
using node::UnixMillisNow;
namespace {

// How often wait looks again at the database and at the reports.
constexpr std::chrono::milliseconds kPollEvery{100};

struct Cluster {
  std::unique_ptr<bus::JetStreamBus> bus;
  std::unique_ptr<nats::KvStore> kv;
};

Result<Cluster> ConnectCluster(const config::Config& config, const std::string& tool) {
  HARMONY_ASSIGN_OR_RETURN(bus::ConnectOptions connect, ToolConnectOptions(config, tool));
  connect.connect_retries = 0;
  Cluster c;
  HARMONY_ASSIGN_OR_RETURN(c.bus, bus::JetStreamBus::Connect(connect, StreamOptionsOf(config)));
  HARMONY_ASSIGN_OR_RETURN(c.kv, nats::KvStore::Open(c.bus->connection(), kStatusBucket, kStatusTtl,
                                                     config.replication_log.replicas));
  return c;
}

// The reports of the nodes that reported within kStatusLiveFor, by node id.
Result<std::map<uint64_t, NodeStatus>> LiveNodes(nats::KvStore& kv) {
  HARMONY_ASSIGN_OR_RETURN(auto all, kv.ReadAll());
  std::map<uint64_t, NodeStatus> live;
  const int64_t now = UnixMillisNow();
  for (const auto& [key, value] : all) {
    auto status = ParseNodeStatus(value);
    if (!status.ok()) continue;  // not a report of ours
    if (now - status->reported_unix_ms > kStatusLiveFor.count() * 1000) continue;
    live[status->node_id] = std::move(*status);
  }
  return live;
}

std::string Age(int64_t reported_ms) {
  return fmt::format("{:.1f} s ago", (UnixMillisNow() - reported_ms) / 1000.0);
}

// Change-log marks of this database: the newest captured change and how far it is published.
Result<std::pair<uint64_t, uint64_t>> LocalMarks(sqlite::Database& db) {
  HARMONY_ASSIGN_OR_RETURN(auto tx,
                           sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kDeferred));
  HARMONY_ASSIGN_OR_RETURN(uint64_t published, capture::ReadPublishedSeq(db));
  HARMONY_ASSIGN_OR_RETURN(sqlite::Statement max,
                           db.Prepare("SELECT coalesce(max(seq), 0) FROM __harmony_change_log"));
  HARMONY_ASSIGN_OR_RETURN(bool row, max.Step());
  const uint64_t captured = std::max<uint64_t>(row ? max.ColumnInt(0) : 0, published);
  max.Reset();
  HARMONY_RETURN_IF_ERROR(tx.Commit());
  return std::make_pair(captured, published);
}

}  // namespace

Status StatusCommand(const config::Config& config, bool json, std::FILE* out) {
  HARMONY_ASSIGN_OR_RETURN(Cluster cluster, ConnectCluster(config, "status"));
  HARMONY_ASSIGN_OR_RETURN(auto live, LiveNodes(*cluster.kv));
  if (json) {
    std::string text = "[";
    for (const auto& [id, s] : live) text += (text.size() > 1 ? "," : "") + ToJson(s);
    std::fprintf(out, "%s]\n", text.c_str());
    return Status::Ok();
  }
  if (live.empty()) {
    std::fprintf(out, "no node has reported in the last %lld s\n",
                 static_cast<long long>(kStatusLiveFor.count()));
    return Status::Ok();
  }
  for (const auto& [id, s] : live) {
    std::fprintf(out, "node %llu  %s pid %lld  harmony %s  reported %s%s\n",
                 static_cast<unsigned long long>(id), s.host.c_str(), static_cast<long long>(s.pid),
                 s.version.c_str(), Age(s.reported_unix_ms).c_str(),
                 s.connected ? "" : "  NOT CONNECTED");
    std::fprintf(out,
                 "  publish=%s replicate=%s  unpublished changes %llu  held %lld  "
                 "dead letters %lld\n",
                 s.publish ? "true" : "false", s.replicate ? "true" : "false",
                 static_cast<unsigned long long>(s.pending_changes),
                 static_cast<long long>(s.held_batches), static_cast<long long>(s.dead_letters));
    std::fprintf(out, "  %5s %12s %12s %10s %10s\n", "shard", "applied", "stream last", "lag msgs",
                 "lag s");
    for (const ShardStatus& sh : s.shards) {
      std::fprintf(out, "  %5u %12llu %12llu %10llu %10.1f\n", sh.shard,
                   static_cast<unsigned long long>(sh.applied_seq),
                   static_cast<unsigned long long>(sh.stream_last_seq),
                   static_cast<unsigned long long>(sh.lag_messages), sh.lag_seconds);
    }
  }
  return Status::Ok();
}

Status WaitCommand(const config::Config& config, std::chrono::milliseconds timeout,
                   const std::string& nodes, std::FILE* out) {
  size_t wanted = 0;  // 0: all
  if (nodes != "all") {
    try {
      size_t used = 0;
      const long long n = std::stoll(nodes, &used);
      if (used != nodes.size() || n < 1) throw std::invalid_argument(nodes);
      wanted = static_cast<size_t>(n);
    } catch (...) {
      return Status::InvalidArgument("--nodes: expected a positive number or 'all', got '" + nodes +
                                     "'");
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string waited = fmt::format("after {:.1f} s", timeout.count() / 1000.0);
  const uint64_t self = NodeIdOf(config);

  // 1. What was committed before the call, and its being published by the node beside it.
  sqlite::OpenOptions open;
  open.wal = false;
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(config.db_path, open));
  HARMONY_ASSIGN_OR_RETURN(auto marks, LocalMarks(db));
  const uint64_t target = marks.first;
  while (marks.second < target) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Unavailable(fmt::format(
          "timed out {}: the node on {} has published changes up to {} of {} (is it running "
          "and connected?)",
          waited, config.db_path, marks.second, target));
    }
    std::this_thread::sleep_for(kPollEvery);
    HARMONY_ASSIGN_OR_RETURN(marks, LocalMarks(db));
  }

  // 2. Where the streams end now: every message carrying those changes is at or before.
  HARMONY_ASSIGN_OR_RETURN(Cluster cluster, ConnectCluster(config, "wait"));
  std::map<uint32_t, uint64_t> required;
  for (uint32_t shard = 1; shard <= config.replication_log.shards; ++shard) {
    HARMONY_ASSIGN_OR_RETURN(bus::StreamState state, cluster.bus->State(shard));
    required[shard] = state.last_seq;
  }

  // 3. The other live nodes that apply, until enough have taken everything in up to there.
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(auto live, LiveNodes(*cluster.kv));
    std::vector<std::string> done, behind;
    for (const auto& [id, s] : live) {
      if (id == self || !s.replicate) continue;
      std::string short_of;
      for (const auto& [shard, seq] : required) {
        uint64_t applied = 0;
        for (const ShardStatus& sh : s.shards) {
          if (sh.shard == shard) applied = sh.applied_seq;
        }
        if (applied < seq) {
          short_of += fmt::format("{}shard {} at {} of {}", short_of.empty() ? "" : ", ", shard,
                                  applied, seq);
        }
      }
      (short_of.empty() ? done : behind)
          .push_back(short_of.empty() ? std::to_string(id)
                                      : fmt::format("node {} ({})", id, short_of));
    }
    // "all" needs at least one: no live peer means the changes have reached nobody yet.
    const bool enough = wanted == 0 ? behind.empty() && !done.empty() : done.size() >= wanted;
    if (enough) {
      std::fprintf(out, "changes up to %llu replicated to %zu node(s)%s%s\n",
                   static_cast<unsigned long long>(target), done.size(), ": ",
                   fmt::format("{}", fmt::join(done, ", ")).c_str());
      return Status::Ok();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Unavailable(fmt::format(
          "timed out {}: changes up to {} reached {} node(s) of the {} wanted; not yet: {}", waited,
          target, done.size(), wanted == 0 ? std::string("all") : std::to_string(wanted),
          behind.empty() ? std::string("no other live node that replicates")
                         : fmt::format("{}", fmt::join(behind, "; "))));
    }
    std::this_thread::sleep_for(kPollEvery);
  }
}

}  // namespace harmony::commands
