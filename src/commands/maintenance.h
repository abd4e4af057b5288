// One-shot commands run beside a node's database instead of the node: -save-snapshot, -cleanup.
#pragma once

#include "common/status.h"
#include "config/config.h"

namespace harmony::commands {

// -save-snapshot: saves one snapshot of the database to the configured store and returns. Reaches
// the broker through [nats] urls, or else the embedded broker of the node running beside the
// database (bind_address). Errors: the database file's (kNotFound naming it), the broker's,
// kUnavailable when another node is saving a snapshot right now.
Status SaveSnapshotNow(const config::Config& config);

// -cleanup: removes every object harmony created in the database and the embedded broker's store
// directory; application data is untouched. Running it twice is fine. kUnavailable while a node
// runs on the database (it holds the database lock).
Status Cleanup(const config::Config& config);

}  // namespace harmony::commands
