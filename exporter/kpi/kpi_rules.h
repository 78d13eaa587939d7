// The KPI recording rules, generated from the same KPI definitions the engine
// evaluates: kpi:value and kpi:status for every KPI (expr ones too),
// kpi:category_score, kpi:composite_score, kpi:coverage_ratio,
// kpi:forecast_at_deadline and kpi:on_track for KPIs with a deadline.
// exporter/rules/alert_rules.cc renders them as the group kpi-exporter.scorecard with
// the alerts KpiRed and KpiOffTrack, and adds the job selector to every
// selector; `kpi:status` computes exactly what ZoneOf does.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "exporter/kpi/definition.h"

namespace kpi {

struct KpiRecordingRule {
  std::string record;
  std::string expr;
  std::vector<std::pair<std::string, std::string>> labels = {};
};

// The PromQL of the KPI's value: one series without labels, absent when unknown.
std::string KpiValueExpr(const KpiDefinition& kpi);

// Every recording rule of the scorecard, in evaluation order; none without KPIs.
std::vector<KpiRecordingRule> KpiRecordingRules(const KpiSettings& settings);

}  // namespace kpi
