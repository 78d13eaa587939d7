#include "collectors/common/rate_budget.h"

#include <doctest/doctest.h>

using namespace kpi;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST_CASE("the interval stretches only when the points left would not last until the reset") {
  const milliseconds five_minutes = 5min;
  // An hour left, 12 polls wanted at 5m, 100 points each: 1200 needed.
  CHECK(StretchedInterval(five_minutes, 100, 1200, 60min) == five_minutes);  // exactly enough
  CHECK(StretchedInterval(five_minutes, 100, 5000, 60min) == five_minutes);
  CHECK(StretchedInterval(five_minutes, 100, 1199, 60min) == milliseconds(327273));  // 11 polls fit: 60m / 11, rounded up
  CHECK(StretchedInterval(five_minutes, 100, 400, 60min) == 15min);                      // 4 polls fit
  CHECK(StretchedInterval(five_minutes, 100, 99, 60min) == 60min);  // not one: wait for the reset
  CHECK(StretchedInterval(five_minutes, 100, 0, 3min) == five_minutes);  // never shorter than configured
  // Unknown cost or window: unchanged.
  CHECK(StretchedInterval(five_minutes, 0, 10, 60min) == five_minutes);
  CHECK(StretchedInterval(five_minutes, 100, 10, -1min) == five_minutes);
}
