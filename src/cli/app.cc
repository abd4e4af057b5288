#include "cli/app.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/logging.h"
#include "commands/dead_letter_command.h"
#include "commands/maintenance.h"
#include "commands/schema_status_command.h"
#include "commands/status_command.h"
#include "config/config.h"
#include "node/leaf_options.h"
#include "node/node.h"
#include "node/node_options.h"
#include "node/signals.h"

#ifndef HARMONY_VERSION
#define HARMONY_VERSION "0.0.0"
#endif

namespace harmony::cli {
namespace {

// HarmonyLite (Go's flag package) spells long flags with one dash: "-config x", "-cleanup".
// CLI11 reads "-config" as the short flags c,o,n,... so one-dash words become two-dash ones.
std::vector<std::string> NormaliseArgs(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 2 && a[0] == '-' && a[1] != '-' &&
        !std::isdigit(static_cast<unsigned char>(a[1]))) {
      a = "-" + a;
    }
    args.push_back(std::move(a));
  }
  return args;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    std::string item = s.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

int Fail(const std::string& line) {
  std::fprintf(stderr, "harmony: %s\n", line.c_str());
  return 1;
}

}  // namespace

int RunApp(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the blocked stop signals.
  node::StopSignals stop_signals;

  CLI::App app{"Harmony: leaderless multi-writer SQLite replication over NATS JetStream",
               "harmony"};
  app.set_help_flag("-h,--help", "Print this help and exit");
  std::string config_path = "config.toml";
  int64_t node_id = -1;
  bool cleanup = false, version = false, save_snapshot = false;
  std::string cluster_addr, cluster_peers, leaf_servers, hub_domain, pprof;
  bool schema_status = false, schema_status_cluster = false;
  app.add_option("--config", config_path, "Path to the TOML config file (default config.toml)");
  app.add_option("--node-id", node_id, "Node id, overriding node_id in the config")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--cleanup", cleanup, "Remove every harmony trigger and table, then exit");
  app.add_flag("--save-snapshot", save_snapshot,
               "Save a snapshot of the database to the configured store, then exit");
  app.add_flag("--version", version, "Print the version and exit");
  app.add_option("--cluster-addr", cluster_addr,
                 "Embedded nats-server cluster listen address (host:port)");
  app.add_option("--cluster-peers", cluster_peers,
                 "Comma-separated route URLs of the other embedded servers (nats://host:port)");

  app.add_option(
      "--leaf-servers", leaf_servers,
      "Comma-separated leaf-node remote URLs of a hub NATS system: the embedded "
      "server connects to them as a leaf without JetStream (needs --hub-domain; default: "
      "$HARMONY_LEAF_SERVERS, which keeps credentials off the command line; see "
      "docs/operations.md, \"Leaf nodes\")");
  app.add_option(
      "--hub-domain", hub_domain,
      "With --leaf-servers: the hub's JetStream domain (jetstream { domain } on the hub)");
  app.add_flag("--schema-status", schema_status,
               "Print this node's schema hash and replicated tables, then exit");
  app.add_flag("--schema-status-cluster", schema_status_cluster,
               "Ask every running node for its schema hash, print them and whether they agree");
  app.add_option("--pprof", pprof, "HarmonyLite's Go profiler address: accepted and ignored");

  CLI::App* dead_letters = app.add_subcommand(
      "dead-letters",
      "List the changes this node set aside (list), apply them again after fixing the cause "
      "(retry [ID...]) or discard some (discard ID...)");
  std::string dead_letter_action = "list";
  std::vector<int64_t> dead_letter_ids;
  dead_letters->add_option("action", dead_letter_action, "list (default), retry or discard");
  dead_letters->add_option("ids", dead_letter_ids, "Dead-letter ids (all pending when omitted)");

  CLI::App* status =
      app.add_subcommand("status",
                         "Print every live node's applied positions, lag, and pending, held and "
                         "dead-lettered changes");
  bool status_json = false;
  status->add_flag("--json", status_json, "Print one JSON array instead of a table");
  CLI::App* wait = app.add_subcommand(
      "wait",
      "Wait until every change committed here before this call has been applied on the "
      "other live nodes; exit 1 on timeout");
  double wait_timeout_s = 30;
  std::string wait_nodes = "all";
  wait->add_option("--timeout", wait_timeout_s, "Seconds to wait at most (default 30)")
      ->check(CLI::PositiveNumber);
  wait->add_option("--nodes", wait_nodes,
                   "How many other nodes must have the changes: a number, or all (default)");

  std::vector<std::string> args = NormaliseArgs(argc, argv);
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "harmony: %s (see harmony -help)\n", e.what());
    return 2;
  }
  if (version) {
    std::printf("harmony %s\n", HARMONY_VERSION);
    return 0;
  }

  auto loaded = config::LoadFile(config_path);
  if (!loaded.ok()) return Fail(loaded.status().message());
  config::Config cfg = loaded->config;
  if (node_id >= 0) cfg.node_id = static_cast<uint64_t>(node_id);
  if (Status s = config::Validate(cfg); !s.ok()) return Fail("command line: " + s.message());

  if (cfg.node_id == 0) cfg.node_id = node::DeriveNodeId(cfg.db_path);
  SetUpLogging(cfg.logging.format, cfg.logging.verbose, cfg.node_id);
  // From here on the exit line follows the log format (a JSON object with [logging] format json).
  const std::string format = cfg.logging.format;
  auto fail = [&format](const std::string& line) {
    LogFatal(format, line);
    return 1;
  };
  for (const std::string& w : loaded->warnings) spdlog::warn("{}", w);
  if (!pprof.empty()) {
    spdlog::warn(
        "-pprof {} ignored: it serves Go's profiler in HarmonyLite; harmony is not a Go "
        "program (profile it with perf)",
        pprof);
  }
  // Leaf URLs may carry credentials, which a command line shows to every local user (ps).
  if (const char* env = std::getenv("HARMONY_LEAF_SERVERS"); leaf_servers.empty() && env) {
    leaf_servers = env;
  }
  const node::ClusterFlags cluster_flags{.cluster_addr = cluster_addr,
                                         .cluster_peers = SplitList(cluster_peers),
                                         .leaf_servers = SplitList(leaf_servers),
                                         .hub_domain = hub_domain};
  if (Status s = node::CheckLeafFlags(cfg, cluster_flags); !s.ok()) return fail(s.message());
  if (!cfg.seq_map_path.empty()) {
    spdlog::info("seq_map_path is ignored: replication positions are kept inside the database");
  }

  if (cleanup && save_snapshot) return fail("-cleanup and -save-snapshot cannot be combined");
  if (*dead_letters) {
    Status s = commands::DeadLetterCommand(cfg, dead_letter_action, dead_letter_ids, stdout);
    if (!s.ok()) return fail(s.message());
    return 0;
  }
  if (schema_status || schema_status_cluster) {
    Status s = schema_status_cluster ? commands::PrintClusterSchemaStatus(cfg, cfg.node_id, stdout)
                                     : commands::PrintLocalSchemaStatus(cfg, cfg.node_id, stdout);
    std::fflush(stdout);
    if (!s.ok()) return fail(s.message());
    return 0;
  }
  if (*status || *wait) {
    Status s =
        *status ? commands::StatusCommand(cfg, status_json, stdout)
                : commands::WaitCommand(
                      cfg, std::chrono::milliseconds(static_cast<int64_t>(wait_timeout_s * 1000)),
                      wait_nodes, stdout);
    if (!s.ok()) return Fail(s.message());
    return 0;
  }
  Status s = cleanup         ? commands::Cleanup(cfg)
             : save_snapshot ? commands::SaveSnapshotNow(cfg)
                             : node::Run(cfg, cluster_flags);
  spdlog::default_logger()->flush();
  if (!s.ok()) return fail(s.message());
  return 0;
}

}  // namespace harmony::cli
