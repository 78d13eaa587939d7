#include "collectors/common/time_util.h"

#include <doctest/doctest.h>

using namespace kpi;
using namespace std::chrono_literals;

TEST_CASE("timestamps parse in the forms upstream APIs send") {
  const auto base = ParseTimestamp("2024-05-01T12:34:56Z");
  REQUIRE(base);
  CHECK(ToUnixSeconds(*base) == 1714566896.0);
  const double with_fraction = ToUnixSeconds(*ParseTimestamp("2024-05-01T12:34:56.250Z"));
  CAPTURE(std::to_string(with_fraction));
  CHECK(with_fraction == 1714566896.25);
  CHECK(ParseTimestamp("2024-05-01T14:34:56+02:00") == base);
  CHECK(ParseTimestamp("2024-05-01T14:34:56.000+0200") == base);  // Jira's form
  CHECK(ParseTimestamp("2024-05-01T10:34:56-02:00") == base);
  CHECK(FormatTimestamp(*base) == "2024-05-01T12:34:56Z");
}

TEST_CASE("malformed timestamps are rejected") {
  for (const char* bad : {"", "2024-05-01", "2024-05-01T12:34:56", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z",
                          "2024-05-01T25:00:00Z", "2024-05-01T12:34:56Zjunk", "yesterday", "2024-05-01T12:34:56.Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseTimestamp(bad));
  }
}

TEST_CASE("timestamps outside 1970 to 2200 are rejected, never overflowed") {
  // Found by fuzz_github and fuzz_time (tests/fuzz/regressions): a year past
  // 2262 overflowed SystemTime's nanoseconds (undefined behaviour).
  for (const char* bad : {"8822-04-14T16:00:49Z", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
                          "2201-01-01T00:00:00Z", "9999-12-31T23:59:59.999+23:59", "2024-05-01T12:34:56+24:00",
                          "2024-05-01T12:34:56+01:60"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseTimestamp(bad));
  }
  CHECK(ParseTimestamp("1970-01-01T00:00:00Z") == SystemTime{});
  CHECK(FormatTimestamp(*ParseTimestamp("2200-12-31T23:59:59Z")) == "2200-12-31T23:59:59Z");
  CHECK(FromUnixSeconds(0) == SystemTime{});
  CHECK(FromUnixSeconds(1714566896) == ParseTimestamp("2024-05-01T12:34:56Z"));
  CHECK_FALSE(FromUnixSeconds(-1));
  CHECK_FALSE(FromUnixSeconds(6281278905600));  // curl_getdate("Wed Oct 22 8:00 201015")
  CHECK_FALSE(FromUnixSeconds(INT64_MAX));
  CHECK_FALSE(FromUnixSeconds(INT64_MIN));
}

TEST_CASE("durations parse with every unit and combinations") {
  CHECK(ParseDuration("30s") == 30s);
  CHECK(ParseDuration("5m") == 5min);
  CHECK(ParseDuration("1h30m") == 90min);
  CHECK(ParseDuration("2d") == 48h);
  CHECK(ParseDuration("1w") == 168h);
  CHECK(ParseDuration("250ms") == 250ms);
  CHECK(ParseDuration("1y") == 8760h);
  CHECK(ParseDuration("1d2h3m4s5ms") == 93784005ms);
  CHECK(ParseDuration("0m") == 0ms);
  CHECK(ParseDuration("0") == 0ms);
  CHECK(ParseDuration("100y") == 876000h);
  CHECK(FormatDuration(90min) == "1h30m");
  CHECK(FormatDuration(250ms) == "250ms");
}

TEST_CASE("bad durations are rejected") {
  for (const char* bad : {"", "5", "m", "5x", "-5m", "5 m", "1.5h", "99999999999999999999h", "30m1h", "5m5m",
                          "1ms1s", "640000000000h", "101y", "1h ", "1H"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseDuration(bad));
  }
}
