// The one definition of every alerting and recording rule (exporter/rules/alert_rules.h
// renders them): expression, default threshold, `for`, severity and annotations.
#pragma once

#include <optional>
#include <span>
#include <string_view>

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

}  // namespace kpi
