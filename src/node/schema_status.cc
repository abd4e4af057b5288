#include "node/schema_status.h"

#include <xxhash.h>

#include <algorithm>
#include <cinttypes>
#include <sstream>

#include "capture/catalog.h"
#include "nats/connection.h"
#include "nats/request_reply.h"
#include "node/broker_options.h"
#include "node/node_options.h"
#include "sqlite/database.h"

namespace harmony::node {
namespace {

// How long -schema-status-cluster collects answers: every running node answers at once.
constexpr std::chrono::milliseconds kClusterWait{1500};

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

Result<SchemaStatus> ReadSchemaStatus(const SchemaStatusOptions& options) {
  sqlite::OpenOptions open;
  open.wal = false;  // read only: leave the journal mode as it is
  HARMONY_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(options.db_path, open));
  HARMONY_ASSIGN_OR_RETURN(capture::Catalog catalog, capture::ReadCatalog(db, options.catalog));
  SchemaStatus status;
  for (const auto& table : catalog.tables) status.tables.push_back(table.name);
  std::sort(status.tables.begin(), status.tables.end());
  // Harmony's own indexes and triggers differ by node; the application's tables and indexes not.
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement select,
      db.Prepare("SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = ?1 AND "
                 "type IN ('table', 'index') AND sql IS NOT NULL AND "
                 "name NOT LIKE '\\_\\_harmony%' ESCAPE '\\' ORDER BY type, name"));
  std::string text;
  for (const std::string& table : status.tables) {
    select.Reset();
    HARMONY_RETURN_IF_ERROR(select.BindText(1, table));
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      text += select.ColumnText(0) + '\0' + select.ColumnText(1) + '\0' + select.ColumnText(2);
      text += '\n';
    }
  }
  status.hash = Hex64(XXH3_64bits(text.data(), text.size()));
  return status;
}

Status PrintLocalSchemaStatus(const config::Config& config, uint64_t node_id, std::FILE* out) {
  auto status = ReadSchemaStatus(SchemaStatusOptionsOf(config));
  if (!status.ok()) return status.status().WithContext("schema status of " + config.db_path);
  std::fprintf(out,
               "Schema status of node %" PRIu64
               "\n  database: %s\n  schema hash: %s\n"
               "  replicated tables (%zu): %s\n",
               node_id, config.db_path.c_str(), status->hash.c_str(), status->tables.size(),
               Joined(status->tables).c_str());
  return Status::Ok();
}

std::string SchemaStatusSubject(const std::string& stream_prefix) {
  return stream_prefix + "-schema-status";
}

Result<std::unique_ptr<nats::Responder>> StartSchemaStatusResponder(
    std::shared_ptr<nats::Connection> connection, SchemaStatusOptions options, uint64_t node_id) {
  const std::string subject = options.subject;
  return nats::Responder::Start(
      std::move(connection), subject,
      [options = std::move(options), node_id](const std::string&) -> std::string {
        auto status = ReadSchemaStatus(options);
        const std::string me = "node " + std::to_string(node_id) + " ";
        if (!status.ok()) return me + "error " + status.status().message();
        return me + status->hash + " " + Joined(status->tables);
      });
}

Status PrintClusterSchemaStatus(const config::Config& config, uint64_t node_id, std::FILE* out) {
  nats::ConnectionOptions options;
  HARMONY_ASSIGN_OR_RETURN(options.urls, BrokerUrlsForTools(config));
  options.name = "harmony-" + std::to_string(node_id) + "-schema-status";
  options.connect_retries = 0;
  HARMONY_ASSIGN_OR_RETURN(std::shared_ptr<nats::Connection> connection,
                           nats::Connection::Connect(options));
  const std::string subject = SchemaStatusSubject(config.nats.stream_prefix);
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

}  // namespace harmony::node
