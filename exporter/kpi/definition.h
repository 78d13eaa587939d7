// KPI definitions: a target on one of the exporter's own metrics (evaluated
// here and by Prometheus) or on any PromQL expression (evaluated only by
// Prometheus), with optional zones, a weight and a deadline. Read from
// [[kpi]] and [scorecard] (see kpi_config.h); immutable once built.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "collectors/common/output/snapshot.h"

namespace kpi {

enum class Direction { kHigher, kLower };  // which way is better

// How several series (or a summary's parts) become one number.
enum class Aggregate { kMean, kP50, kP90, kSum, kMax, kMin, kAvg };

// 2 green, 1 yellow, 0 red: the values of kpi_status.
enum class Zone { kRed = 0, kYellow = 1, kGreen = 2 };

struct KpiDefinition {
  std::string name;      // [a-z0-9_]+, unique
  std::string category;
  std::string metric;    // an own metric family; empty when `expr` is set
  bool summary = false;  // the family is a summary (aggregate mean, p50 or p90)
  Labels matchers;       // label = value, all must match
  Aggregate aggregate = Aggregate::kSum;
  std::string expr;      // PromQL; empty when `metric` is set
  Direction direction = Direction::kHigher;
  double target = 0;
  std::optional<double> green;  // at or better than this: green (default: the target)
  std::optional<double> red;    // worse than this: red (default: the target)
  double weight = 1;
  std::optional<std::string> deadline;  // "YYYY-MM-DD" as written
  double deadline_unix_seconds = 0;     // the end of that day, UTC
};

struct ScorecardSettings {
  std::map<std::string, double> category_weights;  // empty: every category weighs 1
  std::string forecast_range = "7d";               // predict_linear's range
  double WeightOf(const std::string& category) const;
};

struct KpiSettings {
  std::vector<KpiDefinition> kpis;
  ScorecardSettings scorecard;
  bool defaults = false;  // the KPIs are the sources' defaults (no [[kpi]] given)
};

// The zone of `value`: green when at or better than the green threshold,
// red when worse than the red threshold, yellow between. Without zones both
// thresholds are the target: at or better is green, worse is red.
Zone ZoneOf(const KpiDefinition& kpi, double value);
// The value as good as the target or better.
bool MeetsTarget(const KpiDefinition& kpi, double value);

double GreenThreshold(const KpiDefinition& kpi);
double RedThreshold(const KpiDefinition& kpi);

std::string_view AggregateName(Aggregate a);
std::string_view ZoneName(Zone z);  // "green", "yellow", "red"

// Whether a list that explains `series` explains the KPI. `series` is a metric family, or a family with the label
// values its list is about (`github_issues_opened{window="1d",kind="bug"}`): that explains a KPI on the family
// unless one of the KPI's matchers asks for another value of such a label (a 30-day KPI is not explained by the
// last day's bugs).
bool SeriesExplainsKpi(std::string_view series, const KpiDefinition& kpi);

// The item lists behind a KPI (README "Drill-down"): those that explain its metric, narrowed to the targets its label
// matchers name when any list's target is named (a KPI with labels = { repo = "acme/widgets" } shows that
// repository's lists, not every repository's). A PromQL KPI has none. `metrics_of(list)` and `target_of(list)` read a
// list of whatever type the caller holds: the exporter's own lists and the report's copies from /api/v1/items.
template <typename List, typename MetricsOf, typename TargetOf>
std::vector<List> ListsBehindKpi(const KpiDefinition& kpi, const std::vector<List>& all, MetricsOf metrics_of,
                                 TargetOf target_of) {
  std::vector<List> lists;
  if (kpi.metric.empty()) return lists;
  for (const List& list : all) {
    const auto& metrics = metrics_of(list);
    if (std::any_of(metrics.begin(), metrics.end(), [&](const auto& series) { return SeriesExplainsKpi(series, kpi); })) {
      lists.push_back(list);
    }
  }
  const auto named = [&](const List& list) {
    return std::any_of(kpi.matchers.begin(), kpi.matchers.end(),
                       [&](const auto& matcher) { return matcher.second == target_of(list); });
  };
  if (std::any_of(lists.begin(), lists.end(), named)) std::erase_if(lists, [&](const List& l) { return !named(l); });
  return lists;
}

}  // namespace kpi
