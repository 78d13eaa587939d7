// Parsing and formatting of the time forms upstream APIs and our config use.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "collectors/common/clock.h"

namespace kpi {

// Timestamps outside these years are malformed: no vendor writes them, and
// SystemTime (64-bit nanoseconds) cannot hold dates before 1678 or after 2262.
inline constexpr int kMinTimestampYear = 1970;
inline constexpr int kMaxTimestampYear = 2200;

// "2024-05-01T12:34:56Z", "2024-05-01T12:34:56.123Z", "2024-05-01T12:34:56+02:00",
// "2024-05-01T12:34:56.000+0200" (Jira), years kMinTimestampYear to
// kMaxTimestampYear. Returns nullopt for anything else.
std::optional<SystemTime> ParseTimestamp(std::string_view text);

// Seconds since the Unix epoch (HTTP dates, Unix timestamps), nullopt outside those years.
std::optional<SystemTime> FromUnixSeconds(int64_t seconds);

// UTC, second precision: "2024-05-01T12:34:56Z".
std::string FormatTimestamp(SystemTime t);

// A `since` query parameter that stays the same URL for a day: `t` rounded
// down to midnight UTC. Listings filtered by `since` are a superset either way
// (callers filter exactly), and a URL that does not change every poll can be
// answered 304 Not Modified, which costs no rate-limit point. (Rounded to the
// hour, every repository's listing was a new URL each hour: 1000 points an
// hour at 1000 repositories, a fifth of a token, for nothing changed.)
SystemTime StableSince(SystemTime t);

// Config durations in Prometheus' grammar: <number><unit> parts with units
// y, w, d, h, m, s, ms in that order, each at most once ("90s", "5m",
// "1h30m"; "0s" is zero). Returns nullopt when malformed or over 100 years.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);
// The longest duration ParseDuration accepts (100 years); longer is an error, never an overflow.
inline constexpr int64_t kMaxDurationMs = 100 * 365 * 86'400'000LL;

// The inverse, shortest form ("5m", "1h30m", "250ms").
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace kpi
