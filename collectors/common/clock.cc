#include "collectors/common/clock.h"

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
  // Via whole microseconds (exact in a double until the year 2255), so that
  // a timestamp with a fraction like .25 comes out exactly.
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  return double(micros) / 1e6;
}

}  // namespace kpi
