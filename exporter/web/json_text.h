// JSON text pieces for the web API's answers (the scorecard, the item lists).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kpi {

// A JSON string literal, quotes included; control characters escaped.
std::string JsonString(std::string_view text);
// A JSON number, or null when absent or not finite.
std::string JsonNumber(std::optional<double> v);

}  // namespace kpi
