#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/catalog.h"
#include "common/result.h"
#include "common/status.h"

namespace harmony::nats {
class Connection;
class Responder;
}  // namespace harmony::nats

namespace harmony::node {

// HarmonyLite's -schema-status and -schema-status-cluster: whether the nodes replicate the same
// schema.

// The replicated tables (include_tables / ignore_tables applied) and a hash of their schema: the
// CREATE statements of those tables and of their indexes, in name order, as SQLite stores them
// (XXH3-64, 16 hex digits; HarmonyLite's was a SHA-256 of its own reading, so the values of the
// two programs differ). Nodes with the same hash replicate the same tables with the same columns.
struct SchemaStatus {
  std::string hash;
  std::vector<std::string> tables;
  // The tables joined with ",".
  std::string TableList() const;
};
// Which database and tables a schema status covers, and where nodes answer for it.
struct SchemaStatusOptions {
  std::string db_path;
  capture::CatalogOptions catalog;  // include_tables / ignore_tables
  std::string subject;              // SchemaStatusSubject(stream_prefix)
};

// Reads it from options.db_path without writing anything. Errors: SQLite's, naming the file.
Result<SchemaStatus> ReadSchemaStatus(const SchemaStatusOptions& options);

// The core NATS subject on which running nodes answer with their schema status:
// "<stream_prefix>-schema-status".
std::string SchemaStatusSubject(const std::string& stream_prefix);

// Run by every node: answers requests on SchemaStatusSubject with "node <id> <hash> <tables>",
// read afresh for each request (so a migration shows at once). Errors: Responder::Start's.
Result<std::unique_ptr<nats::Responder>> StartSchemaStatusResponder(
    std::shared_ptr<nats::Connection> connection, SchemaStatusOptions options, uint64_t node_id);

}  // namespace harmony::node
