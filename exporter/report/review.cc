#include "exporter/report/review.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kpi {
namespace {

// Up to three decimals, trailing zeros dropped ("1234", "0.25", "3.142"); tiny values keep three significant digits.
std::string Number(double v) {
  char buffer[64];
  if (v != 0 && std::fabs(v) < 1e-3) {
    std::snprintf(buffer, sizeof buffer, "%.3g", v);
    return buffer;
  }
  std::snprintf(buffer, sizeof buffer, "%.3f", v);
  std::string out = buffer;
  out.erase(out.find_last_not_of('0') + 1);
  if (out.back() == '.') out.pop_back();
  return out == "-0" ? "0" : out;
}

std::string Duration(double seconds) {
  if (std::fabs(seconds) < 60) return Number(std::round(seconds * 10) / 10) + "s";
  return (seconds < 0 ? "-" : "") + FormatAge(std::fabs(seconds));
}

std::string_view Suffix(const KpiDefinition& kpi) {
  if (kpi.metric.ends_with("_seconds")) return "_seconds";
  if (kpi.metric.ends_with("_ratio")) return "_ratio";
  return "";
}

}  // namespace

Trend TrendOf(std::optional<double> start, std::optional<double> now) {
  if (!start || !now) return Trend::kUnknown;
  const double tolerance = 1e-9 * std::max(std::fabs(*start), std::fabs(*now));
  if (std::fabs(*now - *start) <= tolerance) return Trend::kFlat;
  return *now > *start ? Trend::kUp : Trend::kDown;
}

std::string TrendText(Trend trend, Direction direction) {
  if (trend == Trend::kUnknown) return "";
  if (trend == Trend::kFlat) return "flat";
  const bool better = (trend == Trend::kUp) == (direction == Direction::kHigher);
  return std::string(trend == Trend::kUp ? "up" : "down") + (better ? ", better" : ", worse");
}

std::string TrendArrow(Trend trend) {
  switch (trend) {
    case Trend::kUp: return "↑";
    case Trend::kDown: return "↓";
    case Trend::kFlat: return "→";
    case Trend::kUnknown: return "";
  }
  return "";
}

std::string FormatAge(double seconds) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  // Whole seconds; ages beyond a thousand years are not ages.
  int64_t rest = int64_t(std::clamp(std::floor(seconds), 0.0, 3.2e10));
  std::string out;
  int units = 0;  // units written or skipped since the largest non-zero one
  for (const auto& [size, name] : kUnits) {
    const int64_t count = rest / size;
    rest %= size;
    if (units == 0 && count == 0) continue;
    if (count > 0) out += (out.empty() ? "" : " ") + std::to_string(count) + name;
    if (++units == 2) break;
  }
  return out.empty() ? "0s" : out;
}

std::string FormatKpiValue(const KpiDefinition& kpi, double value) {
  const std::string_view suffix = Suffix(kpi);
  if (suffix == "_seconds") return Duration(value);
  if (suffix == "_ratio") return Number(std::round(value * 1000) / 10) + " %";
  return Number(value);
}

std::string FormatTarget(const KpiDefinition& kpi) {
  return std::string(kpi.direction == Direction::kHigher ? "≥ " : "≤ ") + FormatKpiValue(kpi, kpi.target);
}

std::string ZoneText(std::optional<Zone> now, std::optional<Zone> start) {
  if (!now) return "unknown";
  std::string out(ZoneName(*now));
  if (start && *start != *now) out += " (was " + std::string(ZoneName(*start)) + ")";
  return out;
}

std::string ForecastText(const ReviewKpi& r, const Review& review) {
  if (!r.kpi.deadline) return "";
  const std::string& deadline = *r.kpi.deadline;
  if (review.end_unix_seconds >= r.kpi.deadline_unix_seconds) return "deadline " + deadline + " passed";
  if (!review.compared) return "not forecast (needs Prometheus), deadline " + deadline;
  if (!r.forecast) return "no forecast yet (too little history), deadline " + deadline;
  return FormatKpiValue(r.kpi, *r.forecast) + " by " + deadline +
         (MeetsTarget(r.kpi, *r.forecast) ? ": on track" : ": off track");
}

std::string CompositeText(const Review& review) {
  if (!review.composite_now) return "unknown (no KPI has data)";
  const auto score = [](double v) { return Number(std::round(v * 10) / 10); };
  std::string out = score(*review.composite_now);
  if (review.composite_start) {
    const double change = std::round((*review.composite_now - *review.composite_start) * 10) / 10;
    out += " (was " + score(*review.composite_start) + ", " + (change > 0 ? "+" : "") + score(change) + ")";
  }
  return out;
}

bool WantsItems(const ReviewKpi& r) { return r.zone == Zone::kRed; }

std::string NoItemsReason(const ReviewKpi& r, const Review& review) {
  if (!review.items_listed) return "Items not listed: " + review.items_unavailable + ".";
  if (r.kpi.metric.empty()) return "A PromQL KPI: the exporter keeps no items behind it.";
  if (ListsFor(r, review).empty()) return "The exporter keeps no item list behind " + r.kpi.metric + ".";
  return "";
}

std::vector<const ReviewItemList*> ListsFor(const ReviewKpi& r, const Review& review) {
  std::vector<const ReviewItemList*> all;
  for (const auto& list : review.item_lists) all.push_back(&list);
  return ListsBehindKpi(
      r.kpi, all, [](const ReviewItemList* list) -> const auto& { return list->metrics; },
      [](const ReviewItemList* list) -> const std::string& { return list->target; });
}

ReviewRow RowOf(const ReviewKpi& r, const Review& review) {
  ReviewRow row;
  row.name = r.kpi.name;
  row.category = r.kpi.category;
  row.now = r.now ? FormatKpiValue(r.kpi, *r.now) : "no data";
  row.start = r.start ? FormatKpiValue(r.kpi, *r.start) : "—";
  row.target = FormatTarget(r.kpi);
  row.zone = ZoneText(r.zone, r.start_zone);
  row.zone_class = r.zone ? std::string(ZoneName(*r.zone)) : "unknown";
  const Trend trend = TrendOf(r.start, r.now);
  row.trend = trend == Trend::kUnknown ? "" : TrendArrow(trend) + " " + TrendText(trend, r.kpi.direction);
  row.forecast = ForecastText(r, review);
  return row;
}

std::string ListHeading(const ReviewItemList& list) {
  const size_t shown = std::min(list.items.size(), kItemsPerList);
  std::string out = list.title + " (" + list.collector + ", " + list.target + "): ";
  out += list.total == 0              ? std::string("none")
         : shown < size_t(list.total) ? std::to_string(shown) + " of " + std::to_string(list.total) + " shown"
                                      : std::to_string(list.total);
  if (!list.updated.empty()) out += ", updated " + list.updated;
  return out;
}

std::string ItemLabel(const ReviewItem& item) { return item.title.empty() ? item.id : item.title; }

std::string ItemDetails(const ReviewItem& item) {
  std::vector<std::string> parts;
  if (!item.title.empty() && !item.id.empty()) parts.push_back(item.id);
  if (item.age_seconds) parts.push_back(FormatAge(*item.age_seconds) + " old");
  if (!item.since.empty()) parts.push_back("since " + item.since);
  for (const auto& [name, value] : item.fields) parts.push_back(name + ": " + value);
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

std::string ItemLink(const ReviewItem& item) {
  return item.url.starts_with("https://") || item.url.starts_with("http://") ? item.url : "";
}

}  // namespace kpi
