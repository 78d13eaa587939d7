// The Grafana dashboard, generated from the same KPI definitions as the rules:
// the hand-written panels of a base dashboard (helm/kpi-exporter/dashboards/
// base/kpi-exporter.json) below a generated scorecard row (composite score,
// coverage, one stat per KPI in its zone colours), and each KPI's zones as
// threshold lines and colours on the base queries marked "kpi": "<name>".
// `kpi_dashboard` (dashboard_main.cc) prints it; the `rules` build target
// regenerates the chart's checked-in copy.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "exporter/kpi/definition.h"

namespace kpi {

// One Grafana threshold step: `color` from `value` upward (no value: from minus infinity).
struct ThresholdStep {
  std::string color;
  std::optional<double> value;
};

// The steps that colour a value as ZoneOf zones it. Grafana starts a step at its value (>=), so for
// lower-is-better KPIs the worse steps start at the next double above the threshold.
std::vector<ThresholdStep> ZoneSteps(const KpiDefinition& kpi);

// The dashboard JSON, or why `base_json` could not be used.
tl::expected<std::string, std::string> RenderDashboard(std::string_view base_json, const KpiSettings& kpis);

}  // namespace kpi
