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

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

}  // namespace

std::string SchemaStatus::TableList() const {
  std::string out;
  for (const auto& table : tables) out += (out.empty() ? "" : ",") + table;
  return out;
}

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
        return me + status->hash + " " + status->TableList();
      });
}

}  // namespace harmony::node
