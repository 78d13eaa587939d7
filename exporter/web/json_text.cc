#include "exporter/web/json_text.h"

#include <cmath>
#include <cstdio>

#include "collectors/common/output/snapshot.h"

namespace kpi {

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string JsonNumber(std::optional<double> v) { return v && std::isfinite(*v) ? FormatSampleValue(*v) : "null"; }

}  // namespace kpi
