#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "common/status.h"
#include "config/config.h"

namespace harmony::commands {

// `harmony -config node.toml status [--json]`: prints, for every node that reported into the
// status bucket in the last kStatusLiveFor (status_report.h), per shard its applied position,
// the stream's last sequence and its lag, and its pending, held and dead-lettered counts; as a
// table, or as one JSON array with `json`. Reaches the broker like -save-snapshot does.
// Errors: the broker's (kUnavailable when unreachable).
Status StatusCommand(const config::Config& config, bool json, std::FILE* out);

// `harmony -config node.toml wait [--timeout S] [--nodes N|all]`: blocks until every change
// committed to this database before it was called has been published by the node running
// beside it and taken in by `nodes` other live nodes that replicate ("all": every such node
// live now, and at least one; a number: at least that many). Prints one line saying which nodes
// have it. Errors: kInvalidArgument for a bad `nodes`; kUnavailable on timeout, naming the nodes
// that do not have the changes yet and how far they are; the broker's and SQLite's.
Status WaitCommand(const config::Config& config, std::chrono::milliseconds timeout,
                   const std::string& nodes, std::FILE* out);

}  // namespace harmony::commands
