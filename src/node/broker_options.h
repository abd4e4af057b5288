// The edge between the [nats] config keys and the NATS components: how this node connects
// (credentials, TLS, what to tell the user when the server refuses them) and how its embedded
// broker is secured. The only place that maps those keys; see docs/operations.md, "Security".
#pragma once

#include <string>
#include <vector>

#include "bus/jetstream_bus.h"
#include "common/result.h"
#include "config/config.h"
#include "nats_server/embedded_server.h"

namespace harmony::node {

// Command-line settings for the embedded broker that are not config keys (HarmonyLite's flags).
struct ClusterFlags {
  std::string cluster_addr;                // -cluster-addr: this embedded server's route listener
  std::vector<std::string> cluster_peers;  // -cluster-peers: route URLs of the other servers
  // -leaf-servers: leaf remote URLs of a hub NATS system for the embedded server (may carry
  // credentials), and -hub-domain: the hub's JetStream domain. See node/leaf_options.h.
  std::vector<std::string> leaf_servers;
  std::string hub_domain;
};

// bus::ConnectOptions from [nats]: urls, retries, credentials (user_name/user_password, token,
// seed_file, creds_file), TLS (ca_file, cert_file/key_file, tls_server_name) and the hints added
// when the server refuses us ("check [nats] user_name/user_password"). Fails with one line naming
// the key and path if a file it names cannot be read (config::CheckNatsFiles). `name` is the
// client connection name. Thread-safe (pure apart from checking the files).
Result<bus::ConnectOptions> ConnectOptionsOf(const config::Config& config, std::string name);

// [replication_log] and [nats] prefixes as the streams' settings (bus/stream_settings.h).
bus::StreamOptions StreamOptionsOf(const config::Config& config);

// For a tool run beside a node (-save-snapshot, status, wait): ConnectOptionsOf, with [nats]
// urls or else that node's embedded broker (BrokerUrlsForTools: bind_address, port -1 read from
// the running server's ports file). `tool` is appended to the client name. Errors: those of
// ConnectOptionsOf and BrokerUrlsForTools (kNotFound when no embedded broker runs there).
Result<bus::ConnectOptions> ToolConnectOptions(const config::Config& config,
                                               const std::string& tool);

// Secures the embedded broker (urls empty) in `options`: server_config becomes its config file;
// without one, user_name/user_password or token become the credentials its clients must present.
// InvalidArgument when [nats] asks for TLS, an NKEY seed or a creds file without a server_config
// to set the broker up for them (the node's own client would be refused otherwise).
Status SecureEmbeddedServer(const config::NatsConfig& nats,
                            nats_server::EmbeddedServerOptions* options);

// The embedded broker's options ([nats] urls empty): bind_address (":-1" and "[::1]:4222" work),
// the store "<db_path>-harmony-nats", server name "harmony-<node_id>", the cluster flags and
// SecureEmbeddedServer's. Errors: InvalidArgument naming [nats] bind_address, and
// SecureEmbeddedServer's. Creates nothing.
Result<nats_server::EmbeddedServerOptions> EmbeddedServerOptionsOf(const config::Config& config,
                                                                   const ClusterFlags& flags,
                                                                   uint64_t node_id);

// Where the embedded broker keeps its JetStream data: "<db_path>-harmony-nats" (absolute).
std::string EmbeddedStoreDir(const std::string& db_path);

// The brokers a command-line tool (-save-snapshot, -schema-status-cluster) connects to: [nats]
// urls, or else the embedded broker of the node running beside the database (bind_address; with
// port -1 the URL in its store's ports file). Errors: a bad bind_address; kNotFound when port -1
// and no node runs beside the database.
Result<std::vector<std::string>> BrokerUrlsForTools(const config::Config& config);

}  // namespace harmony::node
