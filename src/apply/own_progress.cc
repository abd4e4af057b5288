#include "apply/own_progress.h"

#include <algorithm>

namespace harmony::apply {

void OwnProgress::Published(uint64_t up_to, const std::map<uint32_t, uint64_t>& stream_seqs) {
  std::lock_guard<std::mutex> lock(mu_);
  rounds_.push_back(Round{up_to, stream_seqs});
  if (rounds_.size() > kMaxRounds) {
    // Merge the two oldest: the merged round is passed only when both would be.
    Round first = std::move(rounds_.front());
    rounds_.pop_front();
    Round& second = rounds_.front();
    for (const auto& [shard, seq] : first.stream_seqs) {
      uint64_t& s = second.stream_seqs[shard];
      s = std::max(s, seq);
    }
  }
}

uint64_t OwnProgress::SeenUpTo(const std::map<uint32_t, uint64_t>& positions) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t seen = seen_.load(std::memory_order_relaxed);
  while (!rounds_.empty()) {
    const Round& round = rounds_.front();
    const bool passed = std::all_of(round.stream_seqs.begin(), round.stream_seqs.end(),
                                    [&](const auto& entry) {
                                      auto it = positions.find(entry.first);
                                      const uint64_t reached =
                                          it == positions.end() ? 0 : it->second;
                                      return reached >= entry.second;
                                    });
    if (!passed) break;
    seen = std::max(seen, round.up_to);
    rounds_.pop_front();
  }
  seen_.store(seen, std::memory_order_release);
  return seen;
}

}  // namespace harmony::apply
