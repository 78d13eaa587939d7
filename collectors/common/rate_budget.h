// Budget awareness: rather than running a rate limit dry mid-poll (and
// leaving the repositories after that point without data until the reset),
// poll less often so the points left last until the window resets.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>

namespace kpi {

// The interval at which polls costing `per_poll` points each can go on until
// the limit's window resets in `until_reset` with `remaining` points left:
// `interval` when they last at that pace, else the window spread over the
// polls that are affordable (the whole rest of the window when none is).
// Never shorter than `interval`; unchanged when the cost or window is unknown.
inline std::chrono::milliseconds StretchedInterval(std::chrono::milliseconds interval, double per_poll,
                                                   double remaining, std::chrono::milliseconds until_reset) {
  if (!(per_poll > 0) || until_reset <= std::chrono::milliseconds::zero() || interval.count() <= 0) return interval;
  const double affordable = std::floor(std::max(0.0, remaining) / per_poll);
  const double wanted = std::ceil(double(until_reset.count()) / double(interval.count()));
  if (affordable >= wanted) return interval;
  if (affordable < 1) return std::max(interval, until_reset);
  return std::max(interval, std::chrono::milliseconds(int64_t(std::ceil(double(until_reset.count()) / affordable))));
}

}  // namespace kpi
