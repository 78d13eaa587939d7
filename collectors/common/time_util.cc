#include "collectors/common/time_util.h"

#include <charconv>
#include <cstdint>

namespace kpi {
namespace {

bool ReadDigits(std::string_view text, size_t pos, size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

bool InTimestampRange(std::chrono::sys_seconds t) {
  using namespace std::chrono;
  return t >= sys_days{year{kMinTimestampYear} / January / 1} && t < sys_days{year{kMaxTimestampYear + 1} / January / 1};
}

}  // namespace

std::optional<SystemTime> FromUnixSeconds(int64_t seconds) {
  // Compared in seconds: converting first could overflow.
  const std::chrono::sys_seconds t{std::chrono::seconds(seconds)};
  if (!InTimestampRange(t)) return std::nullopt;
  return std::chrono::time_point_cast<SystemTime::duration>(t);
}

std::optional<SystemTime> ParseTimestamp(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || !ReadDigits(text, 0, 4, year) || text[4] != '-' ||
      !ReadDigits(text, 5, 2, month) || text[7] != '-' || !ReadDigits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != ' ') || !ReadDigits(text, 11, 2, hour) || text[13] != ':' ||
      !ReadDigits(text, 14, 2, minute) || text[16] != ':' || !ReadDigits(text, 17, 2, second)) {
    return std::nullopt;
  }
  size_t pos = 19;
  std::chrono::milliseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t millis = 0;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int d = digits; d < 3; ++d) millis *= 10;
    fraction = std::chrono::milliseconds(millis);
  }
  std::chrono::minutes offset{0};
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    int oh, om;
    if (!ReadDigits(text, pos + 1, 2, oh)) return std::nullopt;
    size_t mpos = pos + 3;
    if (mpos < text.size() && text[mpos] == ':') ++mpos;
    if (!ReadDigits(text, mpos, 2, om) || oh > 23 || om > 59) return std::nullopt;
    offset = std::chrono::minutes(sign * (oh * 60 + om));
    pos = mpos + 2;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{unsigned(month)},
                                        std::chrono::day{unsigned(day)}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  // In milliseconds (years 0-9999 fit); the range is checked before the cast to nanoseconds.
  const auto t = std::chrono::sys_days{ymd} + std::chrono::hours{hour} +
                 std::chrono::minutes{minute} + std::chrono::seconds{second} + fraction - offset;
  if (!InTimestampRange(std::chrono::floor<std::chrono::seconds>(t))) return std::nullopt;
  return std::chrono::time_point_cast<SystemTime::duration>(t);
}

SystemTime StableSince(SystemTime t) { return std::chrono::floor<std::chrono::days>(t); }

std::string FormatTimestamp(SystemTime t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto days = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{secs - days};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), long(hms.hours().count()),
                long(hms.minutes().count()), long(hms.seconds().count()));
  return buf;
}

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  // Prometheus' grammar: [0-9]+ followed by a unit, units descending, each at
  // most once: y w d h m s ms ("1h30m", not "30m1h" or "5m5m"); "0" alone is zero.
  static constexpr struct { std::string_view unit; int64_t ms; } kUnits[] = {
      {"y", 365 * 86'400'000LL}, {"w", 7 * 86'400'000LL}, {"d", 86'400'000}, {"h", 3'600'000},
      {"m", 60'000},             {"s", 1000},             {"ms", 1}};
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) return std::nullopt;
  int64_t total_ms = 0;
  size_t next_unit = 0;  // units before this one were used or skipped
  size_t pos = 0;
  while (pos < text.size()) {
    int64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), number);
    if (ec != std::errc{} || end == text.data() + pos || number < 0) return std::nullopt;
    pos = size_t(end - text.data());
    const size_t unit_end = std::min(text.find_first_of("0123456789", pos), text.size());
    const std::string_view unit_text = text.substr(pos, unit_end - pos);
    size_t unit = next_unit;
    while (unit < std::size(kUnits) && kUnits[unit].unit != unit_text) ++unit;
    if (unit == std::size(kUnits)) return std::nullopt;  // no unit, an unknown one, or out of order
    pos += kUnits[unit].unit.size();
    next_unit = unit + 1;
    if (number > (kMaxDurationMs - total_ms) / kUnits[unit].ms) return std::nullopt;
    total_ms += number * kUnits[unit].ms;
  }
  return std::chrono::milliseconds(total_ms);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  const struct { int64_t size; const char* unit; } units[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& u : units) {
    if (ms >= u.size) {
      out += std::to_string(ms / u.size) + u.unit;
      ms %= u.size;
    }
  }
  return out;
}

}  // namespace kpi
