// HttpServer: the exporter's web endpoints, served by WebServer (web_server.h).
//   GET  <telemetry path>  self-metrics + merged source snapshots (text format 0.0.4)
//   GET  /healthz          200 while the process runs (also as /-/healthy)
//   GET  /readyz           200 once every collector finished its first poll, else 503 (also as /-/ready)
//   GET  /                 landing page: the KPI scorecard, collectors and targets (landing_page.html)
//   GET  /api/v1/scorecard the scorecard as JSON
//   GET  /api/v1/items, /items, /items/kpi  the item lists behind the numbers (items_pages.h)
//   POST /-/reload         re-reads the config (200, or 500 with the error); only
//                          with --web.enable-lifecycle, never with an Origin header
// Paths match exactly (case included); anything else is a 404.
// Handlers only read shared state through the callbacks given; they never
// call an upstream API.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "exporter/kpi/engine.h"
#include "exporter/web/items_pages.h"
#include "exporter/scheduler.h"
#include "exporter/snapshot_store.h"
#include "exporter/web/basic_auth.h"
#include "exporter/web/web_server.h"

namespace kpi {

// The live part of a scrape: self, process and KPI metrics, and, when the
// stored page has a gzip start, the gzip end that finishes it with this text.
struct LiveMetrics {
  std::string text;
  std::optional<std::string> gzip_tail;  // GzipFinish(*stored->gzip, text)
};

// What a scrape serves: the stored source metrics (text and gzip, made once
// per change) and the live part.
struct MetricsPage {
  std::shared_ptr<const SnapshotStore::Page> stored;
  std::shared_ptr<const LiveMetrics> live;
};

// Deflates `live_text` once, for every gzip scrape that serves this page.
MetricsPage MakeMetricsPage(std::shared_ptr<const SnapshotStore::Page> stored, std::string live_text);

struct HttpServerCallbacks {
  std::function<MetricsPage()> render_metrics;
  std::function<bool()> ready;
  std::function<std::vector<CollectorStatus>()> status;
  std::function<tl::expected<void, std::string>()> reload;
  std::function<std::string(std::string_view)> redact;
  bool enable_lifecycle = false;  // --web.enable-lifecycle: POST /-/reload allowed
  // --web.config.file basic_auth_users: every path but the health probes
  // needs a configured user's password. Null: open.
  std::shared_ptr<BasicAuth> auth;
  std::function<Scorecard()> scorecard = [] { return Scorecard{}; };
  std::function<ItemsSource()> items = [] { return ItemsSource{}; };
};

class HttpServer {
 public:
  // Listens on every one of `listen_addresses` ("[host]:port", "[v6]:port"; port 0 picks a free port).
  static tl::expected<std::unique_ptr<HttpServer>, std::string> Start(const std::vector<std::string>& listen_addresses,
                                                                      const std::string& telemetry_path,
                                                                      std::string version, HttpServerCallbacks callbacks);
  ~HttpServer();

  std::vector<int> ports() const;

 private:
  HttpServer() = default;
  std::unique_ptr<WebServer> web_;
};

}  // namespace kpi
