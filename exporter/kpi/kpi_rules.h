// The KPI rule group, generated from the same KPI definitions the engine
// evaluates: kpi:value and kpi:status for every KPI (expr ones too),
// kpi:category_score, kpi:composite_score, kpi:coverage_ratio,
// kpi:forecast_at_deadline and kpi:on_track for KPIs with a deadline, and the
// alerts KpiRed and KpiOffTrack. exporter/alert_rules.cc appends it to the
// rule file; `kpi:status` computes exactly what ZoneOf does.
#pragma once

#include <string>

#include "exporter/kpi/definition.h"

namespace kpi {

// The PromQL of the KPI's value: one series without labels, absent when unknown.
std::string KpiValueExpr(const KpiDefinition& kpi);

// The group "kpi-exporter.scorecard" as YAML at `indent`, or "" without KPIs.
std::string RenderKpiRuleGroup(const KpiSettings& settings, const std::string& runbook_base_url,
                               const std::string& indent);

}  // namespace kpi
