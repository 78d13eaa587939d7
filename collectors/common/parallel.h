// ParallelFor: a collector's targets polled side by side, so a poll of many
// repositories is not one request after another (README "Keys every source
// accepts": concurrency). The HttpClient's transport pool bounds the requests
// in flight; this bounds the threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace kpi {

// Calls fn(i) once for every i in [0, n) on up to `concurrency` threads (the
// caller's among them) and returns when every call has returned. fn must not
// throw (collectors return errors as values).
template <typename Fn>
void ParallelFor(size_t n, int concurrency, Fn&& fn) {
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  const size_t helpers = std::min(n, size_t(std::max(1, concurrency))) - (n > 0 ? 1 : 0);
  std::vector<std::jthread> threads;
  threads.reserve(helpers);
  for (size_t t = 0; t < helpers; ++t) threads.emplace_back(work);
  work();
}  // the jthreads join here

}  // namespace kpi
