#include "exporter/app.h"
#include "exporter/web/web_config.h"

#include <csignal>

#include "collectors/all.h"
#include "collectors/common/upstream/curl_transport.h"
#include "exporter/telemetry/process_metrics.h"
#include "version.h"

namespace kpi {

App::App(Flags flags, Logger logger, std::shared_ptr<SecretRedactor> redactor, const Clock& clock,
         TransportFactory transports)
    : flags_(std::move(flags)),
      logger_(std::move(logger)),
      redactor_(std::move(redactor)),
      clock_(clock),
      self_metrics_(kVersion, kRevision),
      scheduler_(clock, store_, self_metrics_, logger_, std::move(transports),
                 std::string("kpi-exporter/") + kVersion) {}

App::~App() { Shutdown(); }

tl::expected<void, std::pair<int, std::string>> App::Start() {
  auto config = LoadConfig(flags_.config_file, AllCollectorFactories(), ProcessEnvironment());
  if (!config) return tl::unexpected(std::make_pair(2, config.error().ToString()));
  config_ = std::move(*config);
  SetKpis(config_.kpis);
  redactor_->SetSecrets(config_.secrets);
  self_metrics_.RecordReload(true, ToUnixSeconds(clock_.Now()));
  if (config_.collectors.empty()) logger_.Warn("config enables no source; /metrics will only show self-metrics");

  std::shared_ptr<BasicAuth> auth;
  if (!flags_.web_config_file.empty()) {
    auto web_config = LoadWebConfig(flags_.web_config_file);
    if (!web_config) return tl::unexpected(std::make_pair(2, web_config.error()));
    if (!web_config->basic_auth_users.empty()) auth = std::make_shared<BasicAuth>(web_config->basic_auth_users);
  }
  HttpServerCallbacks callbacks{
      [this] { return RenderMetrics(); },
      [this] { return scheduler_.Ready(); },
      [this] { return scheduler_.Status(); },
      [this] { return Reload(); },
      [this](std::string_view text) { return redactor_->Redact(text); },
      flags_.enable_lifecycle,
      auth,
      [this] { return CurrentScorecard(); },
      [this] { return CurrentItems(); },
  };
  auto server = HttpServer::Start(flags_.listen_addresses, flags_.telemetry_path, kVersion, std::move(callbacks));
  if (!server) return tl::unexpected(std::make_pair(1, server.error()));
  server_ = std::move(*server);

  scheduler_.Start(config_.collectors, config_.exporter.max_concurrent_polls, EffectiveShard(), config_.poll_limits(),
                   config_.fingerprints);
  std::string ports, addresses;
  for (const int port : server_->ports()) ports += (ports.empty() ? "" : ",") + std::to_string(port);
  for (const auto& address : flags_.listen_addresses) addresses += (addresses.empty() ? "" : ",") + address;
  logger_.Info("kpi-exporter started", {{"version", kVersion},
                                        {"revision", kRevision},
                                        {"config", flags_.config_file},
                                        {"listen_address", addresses},
                                        {"port", ports},
                                        {"external_url", flags_.external_url},
                                        {"collectors", std::to_string(config_.collectors.size())}});
  return {};
}

tl::expected<void, std::string> App::Reload() {
  std::lock_guard lock(reload_mu_);
  if (stopping_) return tl::unexpected(std::string("the exporter is shutting down"));
  auto config = LoadConfig(flags_.config_file, AllCollectorFactories(), ProcessEnvironment());
  if (!config) {
    self_metrics_.RecordReload(false, ToUnixSeconds(clock_.Now()));
    logger_.Error("config reload failed; keeping the previous config", {{"err", config.error().ToString()}});
    return tl::unexpected(config.error().ToString());
  }
  const auto grace = std::min(config_.exporter.shutdown_timeout, std::chrono::milliseconds(5000));
  // Old and new secrets both redacted while collectors of either config may still log.
  std::vector<std::string> secrets = config_.secrets;
  secrets.insert(secrets.end(), config->secrets.begin(), config->secrets.end());
  redactor_->SetSecrets(std::move(secrets));
  config_ = std::move(*config);
  SetKpis(config_.kpis);
  // Collectors whose configuration is unchanged keep polling (issue 16, item 9).
  scheduler_.Reload(config_.collectors, config_.exporter.max_concurrent_polls, EffectiveShard(), config_.poll_limits(),
                    config_.fingerprints, grace);
  redactor_->SetSecrets(config_.secrets);
  self_metrics_.RecordReload(true, ToUnixSeconds(clock_.Now()));
  logger_.Info("config reloaded", {{"collectors", std::to_string(config_.collectors.size())}});
  return {};
}

Shard App::EffectiveShard() const {
  if (flags_.shard_count) return Shard{*flags_.shard_index, *flags_.shard_count};
  return config_.exporter.shard;
}

void App::Shutdown() {
  {
    std::lock_guard lock(reload_mu_);
    stopping_ = true;
    scheduler_.Stop(config_.exporter.shutdown_timeout);  // no-op when already stopped
  }
  // Closing the server waits for every running handler, and a POST /-/reload
  // handler may be waiting for reload_mu_: close it only after letting go of
  // the lock (the handler then sees stopping_ and answers 500).
  server_.reset();
}

MetricsPage App::RenderMetrics() const {
  auto stored = store_.CurrentPage();
  auto kpis = CurrentKpis();
  const SystemTime now = clock_.Now();
  // Scrapes in a burst (several Prometheus replicas, a load test) share one
  // live part; it is made again once a second, and at once when the stored
  // page or the KPIs change. Under the lock, so a burst makes it once.
  std::lock_guard lock(live_mu_);
  const bool fresh = live_page_.live && live_page_.stored == stored && live_kpis_ == kpis && now >= live_made_ &&
                     now - live_made_ < kLiveMetricsMaxAge;
  if (!fresh) {
    live_page_ = MakeMetricsPage(stored, self_metrics_.Render() + RenderProcessMetrics() +
                                             RenderKpiMetrics(ScorecardOf(*kpis)));
    live_kpis_ = std::move(kpis);
    live_made_ = now;
  }
  return live_page_;
}

void App::SetKpis(KpiSettings kpis) {
  auto shared = std::make_shared<const KpiSettings>(std::move(kpis));
  std::lock_guard lock(kpis_mu_);
  kpis_ = std::move(shared);
}

ItemsSource App::CurrentItems() const {
  ItemsSource source{{}, clock_.Now()};
  for (auto& [name, snapshot] : store_.Named()) source.collectors.push_back({name, std::move(snapshot)});
  return source;
}

std::shared_ptr<const KpiSettings> App::CurrentKpis() const {
  std::lock_guard lock(kpis_mu_);
  return kpis_;
}

Scorecard App::CurrentScorecard() const { return ScorecardOf(*CurrentKpis()); }

Scorecard App::ScorecardOf(const KpiSettings& kpis) const {
  Scorecard card = Score(kpis, store_.All());
  kpi_history_.Update(card, kpis.scorecard, ToUnixSeconds(clock_.Now()));
  return card;
}

int RunExporter(const Flags& flags) {
  auto redactor = std::make_shared<SecretRedactor>();
  Logger logger(*ParseLogFormat(flags.log_format), *ParseLogLevel(flags.log_level), redactor);

  // Block the signals in every thread (threads inherit the mask); the main
  // thread takes them synchronously with sigwait, so no handler runs in a
  // random thread.
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CurlGlobal curl;
  SystemClock clock;
  App app(flags, logger, redactor, clock, [] { return std::make_unique<CurlTransport>(); });
  if (auto started = app.Start(); !started) {
    logger.Error("cannot start", {{"err", started.error().second}});
    return started.error().first;
  }
  for (;;) {
    int received = 0;
    if (sigwait(&signals, &received) != 0) continue;
    if (received == SIGHUP) {
      logger.Info("SIGHUP received; reloading config");
      (void)app.Reload();
      continue;
    }
    logger.Info("shutting down", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
    app.Shutdown();
    logger.Info("stopped");
    return 0;
  }
}

}  // namespace kpi
