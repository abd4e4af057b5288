// Internal to src/nats_server: leaf-node mode (EmbeddedServerOptions::leaf) — what it refuses and
// the config file that connects the embedded broker to the hub.
#pragma once

#include <string>

#include "common/result.h"
#include "common/status.h"
#include "nats_server/embedded_auth.h"
#include "nats_server/embedded_server.h"

namespace harmony::nats_server::internal {

// Ok when `o.leaf` is off or can be run safely. InvalidArgument, in one line naming the option or
// the config file, when hub_domain is empty or not [A-Za-z0-9_-]+, when cluster_addr is set, or
// when o.config_file sets (at the start of a line, outside comments) `jetstream` — a leaf with
// a JetStream of its own would keep the writes made while its link is down in its own domain,
// never in the hub's streams — or `leafnodes`, `mappings` or `accounts`. A config file that
// cannot be read is an IoError. Files it includes are not read.
Status CheckLeafSetup(const EmbeddedServerOptions& o);

// Writes "<dir>/harmony-leaf.conf" (mode 0600, replaced if present): an `include` of
// `config_file` (by a path relative to `dir`, as nats-server resolves includes; "" for none),
// `auth`'s authorization block (AuthorizationBlock; none when empty), a `leafnodes` block whose
// remotes are $HARMONY_LEAF_URL_1..n, and the `mappings` onto the hub's domain (see
// LeafOptions). The URLs themselves are only in `env`. IoError naming the path.
Result<AuthConfig> WriteLeafConfig(const std::string& dir, const LeafOptions& leaf,
                                   const ClientAuth& auth, const std::string& config_file);

}  // namespace harmony::nats_server::internal
