#include "collectors/clock.h"

#include <condition_variable>
#include <mutex>

namespace kpi {

bool SystemClock::SleepFor(std::chrono::milliseconds d, std::stop_token stop) const {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  // wait_for with a stop_token wakes as soon as stop is requested.
  return !cv.wait_for(lock, stop, d, [] { return false; });
}

double ToUnixSeconds(SystemTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace kpi
