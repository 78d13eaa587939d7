// App: wires config, scheduler, snapshot store, self-metrics and the HTTP
// server together, and owns reload and shutdown.
//
// Thread-safety: Reload may be called from the signal loop and from HTTP
// handler threads at once; it serialises itself, and fails once Shutdown
// began. Start and Shutdown belong to the thread that owns the App.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <tl/expected.hpp>

#include "collectors/common/clock.h"
#include "exporter/config.h"
#include "exporter/flags.h"
#include "exporter/kpi/engine.h"
#include "exporter/kpi/history.h"
#include "exporter/web/http_server.h"
#include "exporter/logging.h"
#include "exporter/scheduler.h"
#include "exporter/telemetry/self_metrics.h"
#include "exporter/snapshot_store.h"

namespace kpi {

class App {
 public:
  App(Flags flags, Logger logger, std::shared_ptr<SecretRedactor> redactor, const Clock& clock,
      TransportFactory transports);
  ~App();

  // Loads the config, starts polling and serving. Errors: exit code and message.
  tl::expected<void, std::pair<int, std::string>> Start();
  tl::expected<void, std::string> Reload();
  void Shutdown();
  MetricsPage RenderMetrics() const;
  Scorecard CurrentScorecard() const;  // the KPIs of the current config on the current snapshots
  ItemsSource CurrentItems() const;    // every collector's item lists, from the current snapshots
  Shard EffectiveShard() const;  // flags win over the config file

 private:
  Flags flags_;
  Logger logger_;
  std::shared_ptr<SecretRedactor> redactor_;
  const Clock& clock_;
  SnapshotStore store_;
  SelfMetrics self_metrics_;
  Scheduler scheduler_;
  std::unique_ptr<HttpServer> server_;
  std::mutex reload_mu_;
  bool stopping_ = false;  // under reload_mu_: Shutdown began, so a reload must not start polling again
  void SetKpis(KpiSettings kpis);
  std::shared_ptr<const KpiSettings> CurrentKpis() const;
  Scorecard ScorecardOf(const KpiSettings& kpis) const;  // `kpis` on the current snapshots

  Config config_;
  mutable std::mutex kpis_mu_;  // scrapes read the KPIs while a reload swaps them
  std::shared_ptr<const KpiSettings> kpis_ = std::make_shared<KpiSettings>();
  mutable KpiHistory kpi_history_;  // trend and forecast between evaluations

  // The last /metrics page, served again for scrapes within kLiveMetricsMaxAge
  // while neither the stored page nor the KPIs changed (RenderMetrics).
  static constexpr auto kLiveMetricsMaxAge = std::chrono::seconds(1);
  mutable std::mutex live_mu_;
  mutable MetricsPage live_page_;
  mutable std::shared_ptr<const KpiSettings> live_kpis_;
  mutable SystemTime live_made_{};
};

// Runs the exporter until SIGTERM/SIGINT; SIGHUP reloads. Returns the exit code.
int RunExporter(const Flags& flags);

}  // namespace kpi
