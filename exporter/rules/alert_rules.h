// The renderers that turn the one definition of every alerting and recording
// rule (exporter/rules/alert_definitions.cc) into a Prometheus rule file, a
// PrometheusRule object, or a Helm template whose thresholds come from the
// chart's values. Thresholds, `for`, severity and on/off come from the config's
// [alerts.<key>] tables (defaults: the users' KPI targets).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/rules/alert_definitions.h"
#include "exporter/kpi/definition.h"

namespace kpi {

// What a config may change for one alert.
struct AlertOverride {
  std::optional<bool> enabled;
  std::optional<double> threshold;
  std::optional<std::string> for_duration;
  std::optional<std::string> severity;
};

// Every selector of every rule gets this matcher list, so series of the same
// names from other jobs (another GitHub exporter) never trigger our alerts.
inline constexpr std::string_view kDefaultJobSelector = "job=~\"kpi-exporter.*\"";

struct AlertSettings {
  std::string runbook_base_url = "https://github.com/kpi-exporter/kpi-exporter/blob/main/rules/RUNBOOK.md";
  std::string job_selector{kDefaultJobSelector};  // empty: no matcher added
  // --web.external-url: where people reach the exporter. Alerts with items behind their numbers get a
  // `link` annotation to that list's page under it; empty: no link annotations.
  std::string external_url;
  std::map<std::string, AlertOverride, std::less<>> overrides;  // by AlertDefinition::key
};

enum class RulesFormat { kRuleFile, kPrometheusRule, kHelmTemplate };

// kRuleFile and kPrometheusRule apply `settings`; kHelmTemplate leaves every
// tunable to .Values.alerts (and .Values.prometheusRule) instead. With KPIs,
// the group kpi-exporter.scorecard (exporter/kpi/kpi_rules.h and the alerts of
// group "scorecard") comes last; in Helm .Values.prometheusRule.kpiGroup, when
// set, replaces it.
std::string RenderRules(const AlertSettings& settings, RulesFormat format, const KpiSettings& kpis = {});

// "ci_failing" -> "ciFailing" (the Helm values key).
std::string CamelCase(std::string_view snake);

// Adds `matchers` (e.g. job=~"kpi-exporter.*") to every selector of the
// exporter's own metrics (github_*, jira_*, stripe_*, pypi_*, discord_*,
// kpi_*) in `expr`; names inside strings, function names and recording rule
// names (with ':') are left alone. Empty `matchers`: `expr` unchanged.
std::string WithSelector(std::string_view expr, std::string_view matchers);

// True when `text` is a comma-separated list of label matchers
// (name op "value", op one of = != =~ !~), or empty.
bool IsMatcherList(std::string_view text);

// The `link` annotation of alert `key` (a Prometheus template) under `external_url`; empty when the alert
// has no item list or `external_url` is empty.
std::string ItemsLinkOf(std::string_view key, std::string_view external_url);

// A threshold as the annotations show it (see ThresholdUnit).
std::string HumanThreshold(double value, ThresholdUnit unit);

}  // namespace kpi
