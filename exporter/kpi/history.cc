#include "exporter/kpi/history.h"

#include <chrono>

#include "collectors/common/time_util.h"
#include "exporter/kpi/kpi_rules.h"

namespace kpi {

std::optional<double> LinearForecast(const std::deque<std::pair<double, double>>& points, double time) {
  if (points.size() < 2) return std::nullopt;
  double mean_t = 0, mean_v = 0;
  for (const auto& [t, v] : points) {
    mean_t += t;
    mean_v += v;
  }
  mean_t /= double(points.size());
  mean_v /= double(points.size());
  double covariance = 0, variance = 0;
  for (const auto& [t, v] : points) {
    covariance += (t - mean_t) * (v - mean_v);
    variance += (t - mean_t) * (t - mean_t);
  }
  if (variance == 0) return std::nullopt;
  return mean_v + covariance / variance * (time - mean_t);
}

void KpiHistory::Update(Scorecard& card, const ScorecardSettings& settings, double now) {
  const auto range = ParseDuration(settings.forecast_range);
  const double range_seconds = range ? double(range->count()) / 1000 : 7 * 86400;
  std::lock_guard lock(mu_);
  for (auto& r : card.kpis) {
    if (!r.value || !r.source) continue;
    Series& s = series_[r.kpi.name + "\n" + KpiValueExpr(r.kpi)];
    const bool same = !s.source.owner_before(r.source) && !r.source.owner_before(s.source) && !s.points.empty();
    if (!same) {
      s.source = r.source;
      s.points.push_back({now, *r.value});
    }
    // Keep the points of the range, and two at least (so a trend outlives a source polled less often).
    while (s.points.size() > 2 && s.points.front().time < now - range_seconds) s.points.pop_front();
    if (s.points.size() >= 2) {
      r.trend_from = s.points.front().value;
      r.trend_since = s.points.front().time;
    }
    if (r.kpi.deadline && now < r.kpi.deadline_unix_seconds) {
      std::deque<std::pair<double, double>> recent;
      for (const auto& p : s.points) {
        if (p.time >= now - range_seconds) recent.emplace_back(p.time, p.value);
      }
      r.forecast = LinearForecast(recent, r.kpi.deadline_unix_seconds);
    }
  }
}

}  // namespace kpi
