// The KPI review (the `report` command): what was measured over a range, and
// the rules that turn two values into words — the trend (up, down or flat
// against the range's start, better or worse for the KPI's direction), the
// zone, the forecast against a deadline — and the numbers in the units of the
// KPI's metric. Rendering (markdown.h, html.h) only lays these words out.
//
// Thread-safety: plain values and free functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exporter/kpi/definition.h"

namespace kpi {

struct ReviewKpi {
  KpiDefinition kpi;
  std::optional<double> now = {};    // kpi:value at the range's end (or the exporter's current value)
  std::optional<double> start = {};  // kpi:value at the range's start; absent without Prometheus
  std::optional<Zone> zone = {};     // kpi:status at the end
  std::optional<Zone> start_zone = {};
  std::optional<double> forecast = {};  // kpi:forecast_at_deadline at the end
};

// One list of /api/v1/items (the items behind a metric family, for one collector target).
struct ReviewItem {
  std::string id = {}, title = {}, url = {}, since = {};
  std::optional<double> age_seconds = {};
  std::vector<std::pair<std::string, std::string>> fields = {};
};
struct ReviewItemList {
  std::string collector = {}, target = {}, list = {}, title = {}, updated = {};
  std::vector<std::string> metrics = {};
  int64_t total = 0;
  bool truncated = false;
  std::vector<ReviewItem> items = {};
};

struct Review {
  std::string range;                    // as given, e.g. "7d"
  std::string start_time, end_time;     // RFC 3339, UTC
  double end_unix_seconds = 0;          // for "deadline passed"
  bool compared = false;                // values from Prometheus at both ends of the range
  std::string values_from;              // where the values came from, for the reader (no credentials)
  std::vector<ReviewKpi> kpis;          // in config order
  std::optional<double> composite_now, composite_start;
  std::optional<double> coverage_now;   // KPIs with a status / all KPIs
  bool items_listed = false;            // /api/v1/items answered
  std::string items_unavailable;        // why not, when not: "no --exporter.url", "the exporter has no /api/v1/items", ...
  std::vector<ReviewItemList> item_lists;
  std::vector<std::string> notes;       // what could not be read or compared, and why
};

enum class Trend { kUnknown, kFlat, kUp, kDown };

// Up, down or flat from `start` to `now`; unknown when either is missing.
// Flat means unchanged (equal up to a relative 1e-9, float noise).
Trend TrendOf(std::optional<double> start, std::optional<double> now);
// "up, better", "down, worse", "flat", "" (unknown): better when the move goes the KPI's direction.
std::string TrendText(Trend trend, Direction direction);
std::string TrendArrow(Trend trend);  // "↑", "↓", "→", ""

// A value in its metric's unit: *_seconds as a duration ("1d 4h", "36m", "12s"),
// *_ratio as a percentage ("95.2 %"), anything else as a number ("1234", "0.25").
std::string FormatKpiValue(const KpiDefinition& kpi, double value);
// "≥ 500", "≤ 1d" (the direction's sign and the target in its unit).
std::string FormatTarget(const KpiDefinition& kpi);
// "green", "red (was green)", "unknown" for no status.
std::string ZoneText(std::optional<Zone> now, std::optional<Zone> start);
// For the forecast column: "" without a deadline; else the forecast at the deadline and
// whether that meets the target, or why there is none (passed, not enough history, not compared).
std::string ForecastText(const ReviewKpi& kpi, const Review& review);
// "62.5 (was 50, +12.5)", "62.5" without a start, "unknown" without data.
std::string CompositeText(const Review& review);

// Whether the KPI gets an items section: red now.
bool WantsItems(const ReviewKpi& kpi);
// Why a red KPI has no items to show, or "" when it has some.
std::string NoItemsReason(const ReviewKpi& kpi, const Review& review);
// The lists behind a KPI: those whose metrics contain the KPI's metric.
std::vector<const ReviewItemList*> ListsFor(const ReviewKpi& kpi, const Review& review);
// Items shown per list; the rest are counted ("and 12 more").
inline constexpr size_t kItemsPerList = 5;

// An item's age as "3d 4h" (whole units, the two largest).
std::string FormatAge(double seconds);

// A KPI's row in words, as both renderers show it.
struct ReviewRow {
  std::string name, category;
  std::string now;         // "no data" when absent
  std::string start;       // "—" when absent
  std::string target;      // "≥ 500"
  std::string zone;        // ZoneText
  std::string zone_class;  // green, yellow, red, unknown
  std::string trend;       // "↑ up, better"; "" when not compared
  std::string forecast;    // ForecastText
};
ReviewRow RowOf(const ReviewKpi& kpi, const Review& review);

// An item list's heading: "Failing workflows (github, acme/widgets): 5 of 12, updated 2026-12-01T09:00:00Z".
std::string ListHeading(const ReviewItemList& list);
// An item in words: its title (or id), and "3d 4h old, since 2026-11-28T05:00:00Z, workflow: CI".
std::string ItemLabel(const ReviewItem& item);
std::string ItemDetails(const ReviewItem& item);
// The item's URL when it is an http(s) one (anything else is not linked).
std::string ItemLink(const ReviewItem& item);

}  // namespace kpi
