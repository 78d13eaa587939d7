// Parsing and formatting of the time forms upstream APIs and our config use.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "collectors/clock.h"

namespace kpi {

// "2024-05-01T12:34:56Z", "2024-05-01T12:34:56.123Z", "2024-05-01T12:34:56+02:00",
// "2024-05-01T12:34:56.000+0200" (Jira). Returns nullopt for anything else.
std::optional<SystemTime> ParseTimestamp(std::string_view text);

// UTC, second precision: "2024-05-01T12:34:56Z".
std::string FormatTimestamp(SystemTime t);

// Config durations: a sequence of <number><unit> with units ms, s, m, h, d, w
// ("90s", "5m", "1h30m"). Returns nullopt when malformed or zero.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// The inverse, shortest form ("5m", "1h30m", "250ms").
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace kpi
