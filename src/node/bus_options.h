// node/bus_options: the config mapped to the bus's options, once, for the node and for the
// command-line tools that talk to the cluster (-save-snapshot, status, wait).
#pragma once

#include <string>

#include "bus/bus.h"
#include "bus/jetstream_bus.h"
#include "common/result.h"
#include "config/config.h"

namespace harmony::node {

// [nats] connection settings; `name` is the client name the server shows.
bus::ConnectOptions ConnectOptionsOf(const config::Config& config, std::string name);
// [replication_log] and [nats] prefixes as the streams' settings.
bus::StreamOptions StreamOptionsOf(const config::Config& config);
// For a tool run beside a node: [nats] urls, or else that node's embedded broker (bind_address,
// with 0.0.0.0 reached as 127.0.0.1; port -1 read from the running server's ports file). `tool`
// is appended to the client name. Errors: a bad bind_address; kNotFound when port -1 and no
// embedded broker runs beside the database.
Result<bus::ConnectOptions> ToolConnectOptions(const config::Config& config,
                                               const std::string& tool);

}  // namespace harmony::node
