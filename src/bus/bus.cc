#include "bus/bus.h"

namespace harmony::bus {

std::string StreamName(const StreamOptions& options, uint32_t shard) {
  return options.stream_prefix + "-" + std::to_string(shard);
}

std::string SubjectName(const StreamOptions& options, uint32_t shard) {
  return options.subject_prefix + "-" + std::to_string(shard);
}

}  // namespace harmony::bus
