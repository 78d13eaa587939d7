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

// How a threshold reads in an alert's summary and description ({threshold}):
// the expression always gets the plain number.
enum class ThresholdUnit {
  kNumber,   // as is: "5"
  kSeconds,  // a duration in config grammar: 86400 -> "1d", 5400 -> "1h30m"
  kRatio,    // a percentage: 0.03 -> "3 %"
};

// A warning/critical pair is two definitions with one `name` (and their own
// keys): the same alert at two severities, so Alertmanager's inhibition of a
// warning by a critical of the same alertname holds it back.
struct AlertDefinition {
  std::string_view key;   // config table [alerts.<key>] and Helm values key alerts.<camelKey>
  std::string_view name;  // AlertName
  std::string_view group; // "kpis", "health" or "scorecard" (only with KPIs)
  // PromQL with "{threshold}" where the threshold goes; "{threshold:<key>}" stands for another alert's
  // threshold (its override or default, also when that alert is disabled), so two rules share one number.
  std::string_view expr;
  std::optional<double> threshold;  // nullopt: nothing to tune
  std::string_view threshold_doc;   // what the number means, for the README and values.yaml
  std::string_view for_duration;
  std::string_view severity;
  // Prometheus templates; "{threshold}" (in `unit`), "{threshold:<key>}" and "{for}" (the configured `for`)
  // allowed, so the text never states a number the config may have changed.
  std::string_view summary;
  std::string_view description;  // idem
  bool enabled_by_default = true;  // false: an optional alert, switched on with enabled = true
  ThresholdUnit unit = ThresholdUnit::kNumber;
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
