#include "exporter/telemetry/self_metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

#include "collectors/common/error.h"

namespace kpi {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

SelfMetrics::SelfMetrics(std::string_view version, std::string_view revision)
    : registry_(std::make_shared<prometheus::Registry>()),
      up_(BuildGauge().Name("kpi_exporter_collector_up").Help("1 when the collector's last poll succeeded.").Register(*registry_)),
      last_success_(BuildGauge()
                        .Name("kpi_exporter_collector_last_success_timestamp_seconds")
                        .Help("When the collector last polled successfully.")
                        .Register(*registry_)),
      poll_duration_(BuildGauge()
                         .Name("kpi_exporter_collector_poll_duration_seconds")
                         .Help("How long the collector's last poll took.")
                         .Register(*registry_)),
      interval_(BuildGauge()
                    .Name("kpi_exporter_collector_interval_seconds")
                    .Help("The collector's configured poll interval.")
                    .Register(*registry_)),
      effective_interval_(BuildGauge()
                              .Name("kpi_exporter_collector_effective_interval_seconds")
                              .Help("The wait before the collector's next poll: the configured interval, or longer "
                                    "while a rate limit would not last until its reset at that pace (for staleness "
                                    "alerts).")
                              .Register(*registry_)),
      polls_(BuildCounter().Name("kpi_exporter_collector_polls_total").Help("Polls finished, successful or not; a poll cancelled by a shutdown or reload is not counted.").Register(*registry_)),
      errors_(BuildCounter()
                  .Name("kpi_exporter_collector_errors_total")
                  .Help("Failed polls, by collector and reason.")
                  .Register(*registry_)),
      upstream_requests_(BuildCounter()
                             .Name("kpi_exporter_upstream_requests_total")
                             .Help("Requests sent to upstream APIs, by collector and HTTP status (304 when served "
                                   "from the ETag cache, \"error\" when no answer came).")
                             .Register(*registry_)),
      target_up_(BuildGauge()
                     .Name("kpi_exporter_target_up")
                     .Help("1 when every request for the target (repository, query, package, guild or invite) "
                           "succeeded at the collector's last poll.")
                     .Register(*registry_)),
      target_last_success_(BuildGauge()
                               .Name("kpi_exporter_target_last_success_timestamp_seconds")
                               .Help("When the target was last polled successfully.")
                               .Register(*registry_)),
      truncated_(BuildCounter()
                     .Name("kpi_exporter_truncated_total")
                     .Help("Polls at which a configured cap cut a listing of the target; the series computed from "
                           "it kept their last complete values.")
                     .Register(*registry_)),
      series_dropped_(BuildCounter()
                          .Name("kpi_exporter_series_dropped_total")
                          .Help("Series left out of a collector's snapshot: past max_series_per_collector (reason "
                                "limit) or the same series twice in one poll (reason duplicate).")
                          .Register(*registry_)),
      cache_entries_(BuildGauge()
                         .Name("kpi_exporter_upstream_cache_entries")
                         .Help("URLs the collector's conditional-request cache holds (a validator and what was parsed "
                               "from the answer), after its last poll.")
                         .Register(*registry_)),
      cache_bytes_(BuildGauge()
                       .Name("kpi_exporter_upstream_cache_bytes")
                       .Help("Approximate heap bytes of the collector's conditional-request cache, as charged "
                             "against its limit, after its last poll.")
                       .Register(*registry_)),
      cache_evictions_(BuildCounter()
                           .Name("kpi_exporter_upstream_cache_evictions_total")
                           .Help("Cache entries dropped to stay within the cache's limits: each is an answer that "
                                 "could have been a free 304 and is paid again (too many targets for one process: "
                                 "shard).")
                           .Register(*registry_)),
      reload_successful_(BuildGauge()
                             .Name("kpi_exporter_config_last_reload_successful")
                             .Help("1 when the last config (re)load succeeded.")
                             .Register(*registry_)
                             .Add({})),
      reload_timestamp_(BuildGauge()
                            .Name("kpi_exporter_config_last_reload_success_timestamp_seconds")
                            .Help("When the config was last loaded successfully.")
                            .Register(*registry_)
                            .Add({})),
      start_time_(BuildGauge()
                      .Name("kpi_exporter_start_time_seconds")
                      .Help("When the exporter process started.")
                      .Register(*registry_)
                      .Add({})) {
  BuildGauge()
      .Name("kpi_exporter_build_info")
      .Help("Version and revision the exporter was built from; always 1.")
      .Register(*registry_)
      .Add({{"version", std::string(version)}, {"revision", std::string(revision)}})
      .Set(1);
  start_time_.Set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void SelfMetrics::RecordPoll(const std::string& collector, bool ok, std::chrono::duration<double> duration,
                             double now_unix_seconds) {
  const prometheus::Labels labels{{"collector", collector}};
  polls_.Add(labels).Increment();
  up_.Add(labels).Set(ok ? 1 : 0);
  poll_duration_.Add(labels).Set(duration.count());
  if (ok) last_success_.Add(labels).Set(now_unix_seconds);
}

void SelfMetrics::SetEffectiveInterval(const std::string& collector, std::chrono::duration<double> interval) {
  effective_interval_.Add({{"collector", collector}}).Set(interval.count());
}

void SelfMetrics::SetInterval(const std::string& collector, std::chrono::duration<double> interval) {
  interval_.Add({{"collector", collector}}).Set(interval.count());
  for (const auto reason : kErrorReasons) errors_.Add({{"collector", collector}, {"reason", std::string(reason)}});
  for (const char* reason : {"limit", "duplicate"}) series_dropped_.Add({{"collector", collector}, {"reason", reason}});
  cache_evictions_.Add({{"collector", collector}});
}

void SelfMetrics::CountDroppedSeries(const std::string& collector, const std::string& reason, size_t count) {
  series_dropped_.Add({{"collector", collector}, {"reason", reason}}).Increment(double(count));
}

void SelfMetrics::RecordTargets(const std::string& collector, const PollReport& report, bool poll_ok,
                                double now_unix_seconds) {
  std::lock_guard lock(targets_mu_);
  auto& known = targets_[collector];
  for (const auto& target : known) {
    if (report.targets().contains(target)) continue;
    const prometheus::Labels labels{{"collector", collector}, {"target", target}};
    if (poll_ok) {
      target_up_.Remove(&target_up_.Add(labels));
      if (target_last_success_.Has(labels)) target_last_success_.Remove(&target_last_success_.Add(labels));
    } else {
      target_up_.Add(labels).Set(0);
    }
  }
  if (poll_ok) std::erase_if(known, [&](const std::string& target) { return !report.targets().contains(target); });
  for (const auto& [target, ok] : report.targets()) {
    known.insert(target);
    const prometheus::Labels labels{{"collector", collector}, {"target", target}};
    target_up_.Add(labels).Set(ok ? 1 : 0);
    if (ok) target_last_success_.Add(labels).Set(now_unix_seconds);
  }
  for (const auto& [target, what] : report.truncations()) {
    truncated_.Add({{"collector", collector}, {"target", target}, {"what", what}}).Increment();
  }
}

void SelfMetrics::CountError(const std::string& collector, const std::string& reason) {
  errors_.Add({{"collector", collector}, {"reason", reason}}).Increment();
}

void SelfMetrics::CountUpstreamRequest(const std::string& collector, std::string_view code) {
  upstream_requests_.Add({{"collector", collector}, {"code", std::string(code)}}).Increment();
}

void SelfMetrics::RecordCache(const std::string& collector, size_t entries, size_t bytes, uint64_t new_evictions) {
  const prometheus::Labels labels{{"collector", collector}};
  cache_entries_.Add(labels).Set(double(entries));
  cache_bytes_.Add(labels).Set(double(bytes));
  cache_evictions_.Add(labels).Increment(double(new_evictions));
}

void SelfMetrics::RecordReload(bool ok, double now_unix_seconds) {
  reload_successful_.Set(ok ? 1 : 0);
  if (ok) reload_timestamp_.Set(now_unix_seconds);
}

void SelfMetrics::ForgetCollector(const std::string& collector) {
  const prometheus::Labels labels{{"collector", collector}};
  for (auto* family : {&up_, &last_success_, &poll_duration_, &interval_, &effective_interval_, &cache_entries_,
                       &cache_bytes_}) {
    if (family->Has(labels)) family->Remove(&family->Add(labels));
  }
  std::lock_guard lock(targets_mu_);
  for (const auto& target : targets_[collector]) {
    const prometheus::Labels target_labels{{"collector", collector}, {"target", target}};
    for (auto* family : {&target_up_, &target_last_success_}) {
      if (family->Has(target_labels)) family->Remove(&family->Add(target_labels));
    }
  }
  targets_.erase(collector);
}

std::string SelfMetrics::Render() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace kpi
