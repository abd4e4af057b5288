// The edge between the [nats] config keys and the NATS components: how this node connects
// (credentials, TLS, what to tell the user when the server refuses them) and how its embedded
// broker is secured. The only place that maps those keys; see docs/operations.md, "Security".
#pragma once

#include <string>

#include "bus/jetstream_bus.h"
#include "common/result.h"
#include "config/config.h"
#include "nats_server/embedded_server.h"

namespace harmony::node {

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
Status SecureEmbeddedServer(const config::NatsConfig& nats, nats_server::EmbeddedServerOptions* options);

}  // namespace harmony::node
