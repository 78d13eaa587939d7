#include "exporter/kpi/engine.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kpi {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool Matches(const RenderedSeries& series, const Labels& matchers) {
  if (matchers.empty()) return true;
  const Labels labels = series.labels();
  return std::all_of(matchers.begin(), matchers.end(),
                     [&](const auto& m) { return std::find(labels.begin(), labels.end(), m) != labels.end(); });
}

double AggregateGauges(Aggregate aggregate, const std::vector<double>& values) {
  if (aggregate == Aggregate::kSum || aggregate == Aggregate::kAvg) {
    double sum = 0;
    for (const double v : values) sum += v;  // a NaN makes the result NaN, as in PromQL
    return aggregate == Aggregate::kSum ? sum : sum / double(values.size());
  }
  // PromQL's max and min skip NaN unless every value is NaN.
  double out = kNaN;
  for (const double v : values) {
    if (std::isnan(v)) continue;
    if (std::isnan(out) || (aggregate == Aggregate::kMax ? v > out : v < out)) out = v;
  }
  return out;
}

// The KPI's value, and the snapshot it came from (a family belongs to one source, so to one snapshot).
std::pair<std::optional<double>, std::shared_ptr<const Snapshot>> Evaluate(
    const KpiDefinition& kpi, std::span<const std::shared_ptr<const Snapshot>> snapshots) {
  if (kpi.metric.empty()) return {};
  std::vector<std::vector<double>> selected;  // each selected series' values
  std::shared_ptr<const Snapshot> source;
  for (const auto& snapshot : snapshots) {
    for (const auto& family : snapshot->families()) {
      if (family.name != kpi.metric) continue;
      for (const auto& series : family.series) {
        const size_t parts = kpi.summary ? 5 : 1;
        if (!Matches(series, kpi.matchers)) continue;
        if (auto values = series.values(); values.size() == parts) {
          selected.push_back(std::move(values));
          source = snapshot;
        }
      }
    }
  }
  if (selected.empty()) return {};
  double value = kNaN;
  if (kpi.aggregate == Aggregate::kMean) {
    double sum = 0, count = 0;
    for (const auto& values : selected) {
      sum += values[3];
      count += values[4];
    }
    if (count > 0) value = sum / count;
  } else if (kpi.aggregate == Aggregate::kP50 || kpi.aggregate == Aggregate::kP90) {
    // Quantiles of several series do not combine into the quantile of their union.
    if (selected.size() == 1) value = selected.front()[kpi.aggregate == Aggregate::kP50 ? 0 : 1];
  } else {
    std::vector<double> values;
    for (const auto& series_values : selected) values.push_back(series_values[0]);
    value = AggregateGauges(kpi.aggregate, values);
  }
  if (std::isnan(value)) return {};
  return {value, source};
}

}  // namespace

std::optional<double> EvaluateKpi(const KpiDefinition& kpi, std::span<const std::shared_ptr<const Snapshot>> snapshots) {
  return Evaluate(kpi, snapshots).first;
}

Scorecard Score(const KpiSettings& settings, std::span<const std::shared_ptr<const Snapshot>> snapshots) {
  Scorecard card;
  struct Sums {
    double weighted = 0, weights = 0;
  };
  std::map<std::string, Sums> categories;
  size_t with_status = 0;
  for (const auto& kpi : settings.kpis) {
    auto [value, source] = Evaluate(kpi, snapshots);
    KpiResult result{kpi, value, std::nullopt, std::move(source), std::nullopt, 0, std::nullopt};
    if (result.value) {
      result.zone = ZoneOf(kpi, *result.value);
      ++with_status;
      Sums& sums = categories[kpi.category];
      sums.weighted += kpi.weight * ZoneScore(*result.zone);
      sums.weights += kpi.weight;
    }
    card.kpis.push_back(std::move(result));
  }
  Sums composite;
  for (const auto& [category, sums] : categories) {
    if (sums.weights <= 0) continue;
    const double score = sums.weighted / sums.weights;
    card.category_scores[category] = score;
    const double weight = settings.scorecard.WeightOf(category);
    composite.weighted += weight * score;
    composite.weights += weight;
  }
  if (composite.weights > 0) card.composite = composite.weighted / composite.weights;
  if (!settings.kpis.empty()) card.coverage = double(with_status) / double(settings.kpis.size());
  return card;
}

std::string RenderKpiMetrics(const Scorecard& card) {
  SnapshotBuilder b;
  for (const auto& r : card.kpis) {
    const Labels labels{{"kpi", r.kpi.name}, {"category", r.kpi.category}};
    b.Gauge("kpi_target", "The KPI's target ([[kpi]] target).", labels, r.kpi.target);
    if (!r.value) continue;
    b.Gauge("kpi_value", "The KPI's current value, computed from the exporter's own metrics.", labels, *r.value);
    b.Gauge("kpi_status", "The KPI's zone: 2 green, 1 yellow, 0 red; absent while its value is unknown.", labels,
            double(int(*r.zone)));
  }
  auto snapshot = std::move(b).Build();
  std::string out;
  if (!snapshot) return out;  // names are fixed and valid: cannot happen
  for (const auto& family : snapshot->families()) {
    out += "# HELP " + family.name + " " + family.help + "\n# TYPE " + family.name + " " + family.type + "\n";
    out += family.samples();
  }
  return out;
}

}  // namespace kpi
