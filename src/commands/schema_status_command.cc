#include "commands/schema_status_command.h"

#include <algorithm>
#include <cinttypes>
#include <sstream>

#include "nats/connection.h"
#include "nats/request_reply.h"
#include "node/broker_options.h"
#include "node/node_options.h"
#include "node/schema_status.h"

namespace harmony::commands {
namespace {

// How long -schema-status-cluster collects answers: every running node answers at once.
constexpr std::chrono::milliseconds kClusterWait{1500};

}  // namespace

Status PrintLocalSchemaStatus(const config::Config& config, uint64_t node_id, std::FILE* out) {
  auto status = node::ReadSchemaStatus(node::SchemaStatusOptionsOf(config));
  if (!status.ok()) return status.status().WithContext("schema status of " + config.db_path);
  std::fprintf(out,
               "Schema status of node %" PRIu64
               "\n  database: %s\n  schema hash: %s\n"
               "  replicated tables (%zu): %s\n",
               node_id, config.db_path.c_str(), status->hash.c_str(), status->tables.size(),
               status->TableList().c_str());
  return Status::Ok();
}

Status PrintClusterSchemaStatus(const config::Config& config, uint64_t node_id, std::FILE* out) {
  nats::ConnectionOptions options;
  HARMONY_ASSIGN_OR_RETURN(options.urls, node::BrokerUrlsForTools(config));
  options.name = "harmony-" + std::to_string(node_id) + "-schema-status";
  options.connect_retries = 0;
  HARMONY_ASSIGN_OR_RETURN(std::shared_ptr<nats::Connection> connection,
                           nats::Connection::Connect(options));
  const std::string subject = node::SchemaStatusSubject(config.nats.stream_prefix);
  HARMONY_ASSIGN_OR_RETURN(std::vector<std::string> replies,
                           nats::RequestAll(*connection, subject, "schema status", kClusterWait));
  if (replies.empty()) {
    return Status::Unavailable("no running node answered on '" + subject +
                               "' (nodes answer while they run)");
  }
  std::sort(replies.begin(), replies.end());
  std::vector<std::string> hashes;
  std::fprintf(out, "Cluster schema status (%zu node(s) answered)\n", replies.size());
  for (const std::string& reply : replies) {
    std::istringstream fields(reply);
    std::string word, id, hash;
    fields >> word >> id >> hash;
    hashes.push_back(hash);
    std::fprintf(out, "  %s\n", reply.c_str());
  }
  const bool same = std::all_of(hashes.begin(), hashes.end(),
                                [&](const std::string& h) { return h == hashes.front(); });
  std::fprintf(out, "  status: %s\n",
               same ? ("consistent, every node has schema " + hashes.front()).c_str()
                    : "MISMATCH: the nodes replicate different schemas");
  return Status::Ok();
}

}  // namespace harmony::commands
