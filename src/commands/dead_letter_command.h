#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace harmony::commands {

// `harmony -config node.toml dead-letters [list | retry [ID...] | discard ID...]`: lists the
// changes and messages this node set aside (__harmony_dead_letters), applies pending ones again
// once the operator fixed their cause (all, or the given ids), or discards given ids. Works
// whether or not the node is running (SQLite serialises the writers). Prints to `out`.
// Errors: kInvalidArgument for an unknown action or missing ids, kNotFound for an unknown id,
// SQLite errors.
Status DeadLetterCommand(const config::Config& config, const std::string& action,
                         const std::vector<int64_t>& ids, std::FILE* out);

}  // namespace harmony::commands
