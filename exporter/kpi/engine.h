// The KPI engine: evaluates KPIs on the exporter's own metrics from the
// current snapshots (no Prometheus needed), places them in zones, and scores
// categories and the composite the same way the generated kpi:* recording
// rules do (kpi_rules.h), so the landing page, /api/v1/scorecard, /metrics
// and Prometheus agree. Missing data is never red: a KPI without a value has
// no status and is left out of every score (coverage says how many are in).
//
// Thread-safety: free functions on immutable inputs.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "collectors/common/output/snapshot.h"
#include "exporter/kpi/definition.h"

namespace kpi {

struct KpiResult {
  KpiDefinition kpi;
  std::optional<double> value;  // absent: no data, or an `expr` KPI (Prometheus evaluates those)
  std::optional<Zone> zone;     // present exactly when value is
  std::shared_ptr<const Snapshot> source;  // the snapshot the value came from (its source's latest poll)
  std::optional<double> trend_from;  // the value at the oldest poll within forecast_range (KpiHistory) ...
  double trend_since = 0;            // ... and its time, Unix seconds
  std::optional<double> forecast;  // at the deadline, at the trend of forecast_range (KpiHistory)
};

struct Scorecard {
  std::vector<KpiResult> kpis;                   // in config order
  std::map<std::string, double> category_scores;  // 0-100, categories with data and weight
  std::optional<double> composite;               // 0-100, category weights normalised
  std::optional<double> coverage;                // KPIs with a status / all KPIs; absent without KPIs
};

// The KPI's value from the snapshots: the selected series (every matcher
// holds) aggregated. Summaries: mean pools every series (sum of _sum / sum of
// _count); p50 and p90 need exactly one series. Gauges: sum, max, min or avg.
// Absent without series, with a NaN result, or for an `expr` KPI.
std::optional<double> EvaluateKpi(const KpiDefinition& kpi, std::span<const std::shared_ptr<const Snapshot>> snapshots);

// Scores: a KPI counts 100 green, 50 yellow, 0 red; a category is the
// weighted mean of its KPIs with a status; the composite the weighted mean of
// the categories with a score (weights normalised over those present).
Scorecard Score(const KpiSettings& settings, std::span<const std::shared_ptr<const Snapshot>> snapshots);

// kpi_target{kpi,category} for every KPI; kpi_value and kpi_status for those with a value.
std::string RenderKpiMetrics(const Scorecard& scorecard);

// The status score of a zone: 100 green, 50 yellow, 0 red.
inline double ZoneScore(Zone z) { return 50.0 * double(int(z)); }

}  // namespace kpi
