#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "config/config.h"

namespace harmony::node {

// Command-line settings that are not config keys (HarmonyLite's flags).
struct ClusterFlags {
  std::string cluster_addr;                // -cluster-addr: this embedded server's route listener
  std::vector<std::string> cluster_peers;  // -cluster-peers: route URLs of the other servers
  // -leaf-servers: leaf remote URLs of a hub NATS system for the embedded server (may carry
  // credentials), and -hub-domain: the hub's JetStream domain. See node/leaf_options.h.
  std::vector<std::string> leaf_servers;
  std::string hub_domain;
};

// Runs a node until SIGINT/SIGTERM (Ok) or a fatal error (the error). The caller must have
// blocked those signals in every thread first (see signals.h).
Status Run(const config::Config& config, const ClusterFlags& flags);

// -save-snapshot: saves one snapshot of the database to the configured store and returns. Reaches
// the broker through [nats] urls, or else the embedded broker of the node running beside the
// database (bind_address).
Status SaveSnapshotNow(const config::Config& config);

// -cleanup: removes every object harmony created in the database and the embedded broker's store
// directory; application data is untouched. Running it twice is fine.
Status Cleanup(const config::Config& config);

// The node id used when the config says 0: XXH3 of /etc/machine-id (or the host name) and the
// absolute database path, so it is stable across restarts and distinct per database.
uint64_t DeriveNodeId(const std::string& db_path);

// The brokers a command-line tool (-save-snapshot, -schema-status-cluster) connects to: [nats]
// urls, or else the embedded broker of the node running beside the database (bind_address; with
// port -1 the URL in its store's ports file). Errors: a bad bind_address; kNotFound when port -1
// and no node runs beside the database.
Result<std::vector<std::string>> BrokerUrlsForTools(const config::Config& config);

// Where the embedded broker keeps its JetStream data: "<db_path>-harmony-nats/".
std::string EmbeddedStoreDir(const std::string& db_path);

}  // namespace harmony::node
