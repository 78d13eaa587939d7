#include "exporter/kpi/definition.h"

#include "collectors/common/text.h"

namespace kpi {

double ScorecardSettings::WeightOf(const std::string& category) const {
  if (category_weights.empty()) return 1;
  const auto it = category_weights.find(category);
  return it == category_weights.end() ? 0 : it->second;
}

double GreenThreshold(const KpiDefinition& kpi) { return kpi.green.value_or(kpi.target); }
double RedThreshold(const KpiDefinition& kpi) { return kpi.red.value_or(kpi.target); }

namespace {
// At least as good as `threshold`.
bool AtOrBetter(Direction d, double value, double threshold) {
  return d == Direction::kHigher ? value >= threshold : value <= threshold;
}
}  // namespace

Zone ZoneOf(const KpiDefinition& kpi, double value) {
  if (AtOrBetter(kpi.direction, value, GreenThreshold(kpi))) return Zone::kGreen;
  if (AtOrBetter(kpi.direction, value, RedThreshold(kpi))) return Zone::kYellow;
  return Zone::kRed;
}

bool MeetsTarget(const KpiDefinition& kpi, double value) { return AtOrBetter(kpi.direction, value, kpi.target); }

bool SeriesExplainsKpi(std::string_view series, const KpiDefinition& kpi) {
  const size_t brace = series.find('{');
  if (series.substr(0, brace) != kpi.metric) return false;
  if (brace == std::string_view::npos) return true;
  // The label values are our own list kinds' (no quote or comma inside): {label="value",...}
  if (!series.ends_with('}')) return false;  // not ours: explains nothing
  for (const std::string& pair : Split(series.substr(brace + 1, series.size() - brace - 2), ',')) {
    const size_t equals = pair.find("=\"");
    if (equals == std::string::npos || pair.size() < equals + 3 || !pair.ends_with('"')) return false;  // not ours
    const std::string label = pair.substr(0, equals), value = pair.substr(equals + 2, pair.size() - equals - 3);
    for (const auto& [name, wanted] : kpi.matchers) {
      if (name == label && wanted != value) return false;
    }
  }
  return true;
}

std::string_view AggregateName(Aggregate a) {
  switch (a) {
    case Aggregate::kMean: return "mean";
    case Aggregate::kP50: return "p50";
    case Aggregate::kP90: return "p90";
    case Aggregate::kSum: return "sum";
    case Aggregate::kMax: return "max";
    case Aggregate::kMin: return "min";
    case Aggregate::kAvg: return "avg";
  }
  return "";
}

std::string_view ZoneName(Zone z) {
  switch (z) {
    case Zone::kGreen: return "green";
    case Zone::kYellow: return "yellow";
    case Zone::kRed: return "red";
  }
  return "";
}

}  // namespace kpi
