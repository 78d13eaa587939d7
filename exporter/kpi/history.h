// What the scorecard remembers between evaluations, without Prometheus: for
// each KPI on the exporter's own metrics, its value at each poll of its source
// (one point per new snapshot the exporter evaluates, kept over the forecast
// range). From them the landing page and /api/v1/scorecard show a trend arrow
// (the value against the oldest one of that range) and, for KPIs with a
// deadline, a forecast: the least-squares line through the points of the last
// forecast_range (predict_linear's method) at the deadline. History starts
// with the process; Prometheus' kpi:forecast_at_deadline sees every scrape
// and survives restarts.
//
// Thread-safety: Update may be called from several threads.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "exporter/kpi/engine.h"

namespace kpi {

class KpiHistory {
 public:
  // Records the values of `card` whose source snapshot is new since the last call, then sets every
  // result's `trend_from`, `trend_since` and `forecast`.
  void Update(Scorecard& card, const ScorecardSettings& settings, double now_unix_seconds);

 private:
  struct Point {
    double time;
    double value;
  };
  struct Series {
    std::weak_ptr<const Snapshot> source;  // the snapshot the last point came from (weak: never kept alive)
    std::deque<Point> points;              // oldest first; older than the range only while fewer than two
  };
  std::mutex mu_;
  std::map<std::string, Series> series_;  // by KPI name and value expression (a changed definition starts anew)
};

// The least-squares line through `points` (time, value) at `time`; absent with fewer than two distinct times.
std::optional<double> LinearForecast(const std::deque<std::pair<double, double>>& points, double time);

}  // namespace kpi
