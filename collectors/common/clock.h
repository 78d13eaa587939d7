// Clock: the seam for time. Collectors read "now" from it (trailing windows),
// the HTTP client sleeps on it (backoff, rate limits), the scheduler waits on it.
// Unit tests use a fake that advances instantly. Implementations are thread-safe.
#pragma once

#include <chrono>
#include <stop_token>

namespace kpi {

using SystemTime = std::chrono::system_clock::time_point;
using Seconds = std::chrono::duration<double>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime Now() const = 0;
  // Sleeps for `d` or until `stop` is requested; returns false when stopped early.
  virtual bool SleepFor(std::chrono::milliseconds d, std::stop_token stop) const = 0;
};

class SystemClock final : public Clock {
 public:
  SystemTime Now() const override { return std::chrono::system_clock::now(); }
  bool SleepFor(std::chrono::milliseconds d, std::stop_token stop) const override;
};

// Seconds since the Unix epoch, as Prometheus timestamps are written.
double ToUnixSeconds(SystemTime t);

}  // namespace kpi
