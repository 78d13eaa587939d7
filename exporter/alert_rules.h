// The one definition of every alerting and recording rule, and the renderers
// that turn it into a Prometheus rule file, a PrometheusRule object, or a Helm
// template whose thresholds come from the chart's values. Thresholds, `for`,
// severity and on/off come from the config's [alerts.<key>] tables (defaults:
// the users' KPI targets).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "exporter/kpi/definition.h"

namespace kpi {

struct AlertDefinition {
  std::string_view key;   // config table [alerts.<key>] and Helm values key alerts.<camelKey>
  std::string_view name;  // AlertName
  std::string_view group; // "kpis" or "health"
  // PromQL with "{threshold}" where the threshold goes; "{threshold:<key>}" stands for another alert's
  // threshold (its override or default, also when that alert is disabled), so two rules share one number.
  std::string_view expr;
  std::optional<double> threshold;  // nullopt: nothing to tune
  std::string_view threshold_doc;   // what the number means, for the README and values.yaml
  std::string_view for_duration;
  std::string_view severity;
  std::string_view summary;      // Prometheus templates; "{threshold}" allowed
  std::string_view description;  // idem
  bool enabled_by_default = true;  // false: an optional alert, switched on with enabled = true
};

struct RecordingDefinition {
  std::string_view record;
  std::string_view expr;
};

std::span<const AlertDefinition> AlertDefinitions();
std::span<const RecordingDefinition> RecordingDefinitions();

// What a config may change for one alert.
struct AlertOverride {
  std::optional<bool> enabled;
  std::optional<double> threshold;
  std::optional<std::string> for_duration;
  std::optional<std::string> severity;
};

struct AlertSettings {
  std::string runbook_base_url = "https://github.com/kpi-exporter/kpi-exporter/blob/main/rules/RUNBOOK.md";
  std::map<std::string, AlertOverride, std::less<>> overrides;  // by AlertDefinition::key
};

enum class RulesFormat { kRuleFile, kPrometheusRule, kHelmTemplate };

// kRuleFile and kPrometheusRule apply `settings` and add the KPI group
// (exporter/kpi/kpi_rules.h); kHelmTemplate leaves every tunable to
// .Values.alerts (and .Values.prometheusRule) instead.
std::string RenderRules(const AlertSettings& settings, RulesFormat format, const KpiSettings& kpis = {});

// "ci_failing" -> "ciFailing" (the Helm values key).
std::string CamelCase(std::string_view snake);

}  // namespace kpi
