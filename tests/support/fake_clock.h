// FakeClock: a Clock whose time only moves when a test (or a SleepFor) moves it.
// SleepFor returns at once and records what was asked, so backoff and
// rate-limit waits are asserted without waiting.
#pragma once

#include <mutex>
#include <vector>

#include "collectors/common/clock.h"
#include "collectors/common/time_util.h"

namespace kpi::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(SystemTime start = *ParseTimestamp("2026-11-01T12:00:00Z")) : now_(start) {}

  SystemTime Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  bool SleepFor(std::chrono::milliseconds d, std::stop_token stop) const override {
    std::lock_guard lock(mu_);
    sleeps_.push_back(d);
    now_ += d;
    return !stop.stop_requested();
  }
  void Advance(std::chrono::milliseconds d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }
  std::vector<std::chrono::milliseconds> sleeps() const {
    std::lock_guard lock(mu_);
    return sleeps_;
  }

 private:
  mutable std::mutex mu_;
  mutable SystemTime now_;
  mutable std::vector<std::chrono::milliseconds> sleeps_;
};

}  // namespace kpi::testing
