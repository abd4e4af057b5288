// HarmonyLite's -schema-status and -schema-status-cluster: whether the nodes replicate the same
// schema (node/schema_status.h computes it; every running node answers for its own).
#pragma once

#include <cstdint>
#include <cstdio>

#include "common/status.h"
#include "config/config.h"

namespace harmony::commands {

// -schema-status: prints node id, database, schema hash and replicated tables to `out`. Errors:
// SQLite's, naming the file. Reads only.
Status PrintLocalSchemaStatus(const config::Config& config, uint64_t node_id, std::FILE* out);

// -schema-status-cluster: asks every running node (reached through [nats] urls, or the embedded
// broker of the node beside this database) for its schema status, prints one line per node and
// whether all hashes agree. Errors: connecting; kUnavailable when no node answered within 1.5 s.
Status PrintClusterSchemaStatus(const config::Config& config, uint64_t node_id, std::FILE* out);

}  // namespace harmony::commands
