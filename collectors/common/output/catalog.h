// SourceCatalog: what a source declares about itself without being built, so
// the core can check config against it while knowing no source by name: the
// metric families it emits (for [[kpi]] metric and label checks) and its KPI
// defaults from the users' planning targets (used when no [[kpi]] is given).
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace kpi {

struct MetricFamilyInfo {
  std::string_view name;
  std::string_view type;    // "gauge" or "summary"
  std::string_view labels;  // label names, comma-separated ("repo,window"); a summary's quantile not included
};

// A planning target, as a [[kpi]] table would spell it.
struct KpiDefault {
  std::string_view name;
  std::string_view category;
  std::string_view metric;     // one of the source's families, or empty with `expr`
  std::string_view labels;     // matchers "name=value,name=value"; may be empty
  std::string_view aggregate;  // as in [[kpi]]; empty: the default for the family's type
  std::string_view direction;  // "higher" or "lower"
  double target = 0;
  std::string_view expr = {};  // PromQL, evaluated only by Prometheus
};

struct SourceCatalog {
  std::span<const MetricFamilyInfo> families;
  std::span<const KpiDefault> default_kpis;
};

}  // namespace kpi
