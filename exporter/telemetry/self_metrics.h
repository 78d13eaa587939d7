// SelfMetrics: the exporter's own health, kpi_exporter_*, on a normal
// prometheus-cpp Registry. The core records every poll here; collectors never
// touch it.
//
// Thread-safety: all methods are thread-safe (prometheus-cpp families lock).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "collectors/common/poll_report.h"

namespace kpi {

class SelfMetrics {
 public:
  SelfMetrics(std::string_view version, std::string_view revision);

  void RecordPoll(const std::string& collector, bool ok, std::chrono::duration<double> duration,
                  double now_unix_seconds);
  void CountError(const std::string& collector, const std::string& reason);
  // Per-target health and cuts from one finished poll. Targets the report does
  // not name are set down when the poll failed, and forgotten when it
  // succeeded (a reload removed them).
  void RecordTargets(const std::string& collector, const PollReport& report, bool poll_ok, double now_unix_seconds);
  // reason: "limit" (past max_series_per_collector) or "duplicate" (the same series twice).
  void CountDroppedSeries(const std::string& collector, const std::string& reason, size_t count);
  void CountUpstreamRequest(const std::string& collector, std::string_view code);
  // The collector's conditional-request cache after a poll, and the entries it evicted since the last record.
  void RecordCache(const std::string& collector, size_t entries, size_t bytes, uint64_t new_evictions);
  void RecordReload(bool ok, double now_unix_seconds);
  // Also starts kpi_exporter_collector_errors_total at 0 for every reason.
  void SetInterval(const std::string& collector, std::chrono::duration<double> interval);
  void SetEffectiveInterval(const std::string& collector, std::chrono::duration<double> interval);
  // Removes the per-collector gauges of a collector a reload took away.
  void ForgetCollector(const std::string& collector);

  // The text exposition of every self-metric, for the /metrics page.
  std::string Render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>& up_;
  prometheus::Family<prometheus::Gauge>& last_success_;
  prometheus::Family<prometheus::Gauge>& poll_duration_;
  prometheus::Family<prometheus::Gauge>& interval_;
  prometheus::Family<prometheus::Gauge>& effective_interval_;
  prometheus::Family<prometheus::Counter>& polls_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Counter>& upstream_requests_;
  prometheus::Family<prometheus::Gauge>& target_up_;
  prometheus::Family<prometheus::Gauge>& target_last_success_;
  prometheus::Family<prometheus::Counter>& truncated_;
  prometheus::Family<prometheus::Counter>& series_dropped_;
  prometheus::Family<prometheus::Gauge>& cache_entries_;
  prometheus::Family<prometheus::Gauge>& cache_bytes_;
  prometheus::Family<prometheus::Counter>& cache_evictions_;
  prometheus::Gauge& reload_successful_;
  prometheus::Gauge& reload_timestamp_;
  prometheus::Gauge& start_time_;

  std::mutex targets_mu_;
  std::map<std::string, std::set<std::string>> targets_;  // collector -> targets with series
};

}  // namespace kpi
