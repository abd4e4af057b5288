// common/latency_histogram: a fixed-bucket histogram of durations that any thread may add to and
// any thread may read, without locks (relaxed atomics: a reader may see a count a moment before
// its sum). Exported as a Prometheus histogram (monitor/metrics.h): cumulative buckets with the
// upper bounds below, in seconds, plus count and sum.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace harmony {

class LatencyHistogram {
 public:
  // Upper bounds of the buckets, in seconds (Prometheus "le"); the last bucket is +Inf.
  static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  void Observe(std::chrono::nanoseconds d) {
    const double seconds = std::chrono::duration<double>(d).count();
    size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<uint64_t>(d.count() > 0 ? d.count() : 0),
                      std::memory_order_relaxed);
  }

  // A copy of the counts: per bucket (not cumulative; the last is above every bound), and sum.
  struct Snapshot {
    std::array<uint64_t, kBounds.size() + 1> counts{};
    double sum_seconds = 0;
    uint64_t count() const {
      uint64_t n = 0;
      for (uint64_t c : counts) n += c;
      return n;
    }
  };
  Snapshot Read() const {
    Snapshot s;
    for (size_t i = 0; i < counts_.size(); ++i) {
      s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    }
    s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return s;
  }

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> counts_{};
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace harmony
