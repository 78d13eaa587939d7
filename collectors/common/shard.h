// Shard: which targets this process polls when several processes share one
// config (--shard.index / --shard.count, as kube-state-metrics shards). A
// target belongs to shard FNV-1a-64(target) mod count: stable across restarts
// and versions, and independent of every other target, so adding a target
// moves none of the others.
#pragma once

#include <cstdint>
#include <string_view>

namespace kpi {

inline constexpr int kMaxShards = 1000;

struct Shard {
  int index = 0;
  int count = 1;

  bool Owns(std::string_view target) const {
    if (count <= 1) return true;
    uint64_t hash = 14695981039346656037ull;  // FNV-1a, 64 bit
    for (const unsigned char c : target) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
    return int(hash % uint64_t(count)) == index;
  }
};

}  // namespace kpi
