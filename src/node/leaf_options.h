// HarmonyLite's -leaf-servers for this node: which combinations are refused before anything
// starts, and how a leaf setup is shown in the log. The embedded broker's side (no JetStream,
// the generated leafnodes config, the mappings onto the hub's domain) is in
// nats_server/embedded_server.h, LeafOptions; docs/operations.md, "Leaf nodes", for users.
#pragma once

#include <string>

#include "common/status.h"
#include "config/config.h"
#include "nats_server/embedded_server.h"
#include "node/broker_options.h"

namespace harmony::node {

// Ok without -leaf-servers, or when the embedded broker can be a leaf node. InvalidArgument in
// one line: -leaf-servers with [nats] urls (there is no embedded broker to link), without
// -hub-domain, or with -cluster-addr / -cluster-peers; -hub-domain without -leaf-servers. The
// server_config checks happen where the broker starts (nats_server::EmbeddedServer::Start).
// Messages show the URLs redacted. Thread-safe.
Status CheckLeafFlags(const config::Config& config, const ClusterFlags& flags);

// ", leaf node of <redacted URLs> (hub JetStream domain D)" for the start-up log line; "" when
// not a leaf. Thread-safe.
std::string DescribeLeaf(const nats_server::LeafOptions& leaf);

}  // namespace harmony::node
