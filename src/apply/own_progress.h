// own_progress: tells the applier when this node's own changes have come back from the stream.
//
// A local change protects its row from remote changes until the applier has passed the message
// that carries it: a remote change before that message in the stream is older and loses, so the
// applier skips it; after that, the local change is in every node's past and the applier never
// has to write it again (own messages are skipped). The publish loop reports each acknowledged
// round with the stream positions its messages got; the applier asks, with the positions it has
// reached, up to which change-log seq every own change has been seen.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>

namespace harmony::apply {

// Thread-safe: the publish loop calls Published, the applier SeenUpTo, anyone seen().
class OwnProgress {
 public:
  // Every change-log row with seq <= up_to is stored in JetStream; the messages carrying them
  // are at or before stream_seqs[shard] in their shard's stream.
  void Published(uint64_t up_to, const std::map<uint32_t, uint64_t>& stream_seqs);

  // The highest change-log seq S such that every own change <= S is in a message at or before
  // `positions` (shard -> stream seq reached). Never decreases. 0 until a round is passed.
  uint64_t SeenUpTo(const std::map<uint32_t, uint64_t>& positions);

  // The latest result of SeenUpTo.
  uint64_t seen() const { return seen_.load(std::memory_order_acquire); }

  // Rounds kept at most; older ones are merged (which only delays SeenUpTo a little).
  static constexpr size_t kMaxRounds = 1024;

 private:
  struct Round {
    uint64_t up_to = 0;
    std::map<uint32_t, uint64_t> stream_seqs;
  };
  std::mutex mu_;
  std::deque<Round> rounds_;  // guarded by mu_, oldest first
  std::atomic<uint64_t> seen_{0};
};

}  // namespace harmony::apply
