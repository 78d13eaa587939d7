#include "exporter/web/http_server.h"

#include <algorithm>
#include <ctime>
#include <optional>

#include "collectors/common/time_util.h"
#include "exporter/gzip.h"
#include "exporter/web/landing_page.h"

namespace kpi {
namespace {

WebReply Text(int status, std::string body) { return WebReply{status, "text/plain; charset=utf-8", "", std::move(body), {}, {}}; }

// The stored page (rendered once per change) and the small per-scrape part,
// written one after the other without copying the stored bytes. Prometheus
// asks for gzip: then the stored start of a gzip member is followed by the
// per-scrape part deflated as that member's end (GzipFinish): one member,
// which every gzip reader takes.
WebReply ReplyMetrics(const WebRequest& request, const MetricsPage& page) {
  const auto accept = request.Header("accept-encoding");
  const bool gzip = accept && accept->find("gzip") != std::string_view::npos && page.live->gzip_tail;
  WebReply reply;
  reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
  if (gzip) reply.extra_headers = "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n";
  reply.shared_parts = {gzip ? std::string_view(page.stored->gzip->bytes) : std::string_view(page.stored->text),
                        gzip ? std::string_view(*page.live->gzip_tail) : std::string_view(page.live->text)};
  // The reply points into the stored page and the live part: `keep` owns both.
  reply.keep = std::make_shared<MetricsPage>(page);
  return reply;
}

}  // namespace

MetricsPage MakeMetricsPage(std::shared_ptr<const SnapshotStore::Page> stored, std::string live_text) {
  LiveMetrics live{std::move(live_text), std::nullopt};
  if (stored->gzip) live.gzip_tail = GzipFinish(*stored->gzip, live.text);
  return MetricsPage{std::move(stored), std::make_shared<const LiveMetrics>(std::move(live))};
}

namespace {


// POST /-/reload: only with --web.enable-lifecycle (as Prometheus), and never
// from a web page: a browser marks every cross-site POST with Origin, the
// tools that reload (curl, configmap-reload, kubectl exec) send none.
WebReply ReplyReload(const WebRequest& request, const HttpServerCallbacks& cb) {
  if (!cb.enable_lifecycle) return Text(403, "Lifecycle API is not enabled (--web.enable-lifecycle).\n");
  if (request.Header("origin")) return Text(403, "a reload is not accepted from a web page (Origin header)\n");
  auto result = cb.reload();
  if (result) return Text(200, "config reloaded\n");
  return Text(500, "reload failed: " + cb.redact(result.error()) + "\n");
}

// GET /api/v1/items: the lists matching the query's filters, or a 404 naming the unknown one.
WebReply ReplyItemsJson(const WebRequest& request, const HttpServerCallbacks& cb) {
  const ItemsSource source = cb.items();
  const auto lists = SelectItemLists(source, ParseItemsFilter(request.query));
  if (!lists) return WebReply{404, "application/json", "", RenderItemsErrorJson(lists.error(), cb.redact), {}, {}};
  return WebReply{200, "application/json", "", RenderItemsJson(*lists, source.now, cb.redact), {}, {}};
}

WebReply Html(int status, std::string body) { return WebReply{status, "text/html; charset=utf-8", "", std::move(body), {}, {}}; }

// GET /items: the same lists as a page; one list when collector, target and list are given.
WebReply ReplyItemsPage(const WebRequest& request, const HttpServerCallbacks& cb) {
  const ItemsSource source = cb.items();
  const ItemsFilter filter = ParseItemsFilter(request.query);
  const auto lists = SelectItemLists(source, filter);
  if (!lists) return Text(404, cb.redact(lists.error()) + "\n");
  std::string heading = "Item lists";
  if (lists->size() == 1 && filter.list) {
    heading = lists->front().list->title + " · " + std::string(lists->front().collector) + " " + lists->front().list->target;
  } else if (filter.collector) {
    heading += " · " + *filter.collector + (filter.target ? " " + *filter.target : "");
  }
  return Html(200, RenderItemsPage(heading, *lists, source.now, cb.redact));
}

// GET /items/kpi?name=KPI: the lists explaining the KPI's metric.
WebReply ReplyKpiItemsPage(const WebRequest& request, const HttpServerCallbacks& cb) {
  const auto name = ParseQueryValue(request.query, "name");
  const Scorecard card = cb.scorecard();
  const auto kpi = std::find_if(card.kpis.begin(), card.kpis.end(), [&](const KpiResult& r) { return name && r.kpi.name == *name; });
  if (kpi == card.kpis.end()) return Text(404, "unknown KPI\n");
  const ItemsSource source = cb.items();
  const std::string heading = "KPI " + kpi->kpi.name + (kpi->kpi.metric.empty() ? " (PromQL)" : ": the items behind " + kpi->kpi.metric);
  return Html(200, RenderItemsPage(heading, ItemListsForKpi(source, kpi->kpi), source.now, cb.redact));
}

// One endpoint at one exact path (case included); GET also answers HEAD.
struct Route {
  std::string path;
  std::function<WebReply(const WebRequest&)> get, post;
  bool slow = false;  // may block (a reload restarts the collectors): runs in the slow lane
};

const Route* FindRoute(const std::vector<Route>& routes, std::string_view path) {
  for (const auto& route : routes) {
    if (route.path == path) return &route;
  }
  return nullptr;
}

// Health probes stay open with a web config (kubelet sends no credentials).
bool OpenWithoutAuth(std::string_view path) {
  return path == "/healthz" || path == "/readyz" || path == "/-/healthy" || path == "/-/ready";
}

WebReply Dispatch(const std::vector<Route>& routes, BasicAuth* auth, const WebRequest& request) {
  const auto login = auth && !OpenWithoutAuth(request.path) ? auth->Check(request.Header("authorization"))
                                                            : AuthResult::kAllowed;
  if (login == AuthResult::kDenied) {
    return WebReply{401, "text/plain; charset=utf-8", "WWW-Authenticate: Basic realm=\"kpi-exporter\"\r\n",
                    "Unauthorized\n", {}, {}};
  }
  if (login == AuthResult::kBusy) {
    return WebReply{503, "text/plain; charset=utf-8", "Retry-After: 1\r\n",
                    "another login is being verified; try again\n", {}, {}};
  }
  const Route* route = FindRoute(routes, request.path);
  if (!route) return Text(404, "not found\n");
  const bool get = request.method == "GET" || request.method == "HEAD";
  const auto& fn = get ? route->get : request.method == "POST" ? route->post : nullptr;
  if (!fn) return Text(405, "method not allowed\n");
  return fn(request);
}

}  // namespace

tl::expected<std::unique_ptr<HttpServer>, std::string> HttpServer::Start(const std::vector<std::string>& listen_addresses,
                                                                         const std::string& telemetry_path,
                                                                         std::string version,
                                                                         HttpServerCallbacks cb) {
  auto routes = std::make_shared<std::vector<Route>>();
  routes->push_back({telemetry_path, [cb](const WebRequest& r) { return ReplyMetrics(r, cb.render_metrics()); }, nullptr});
  // Each probe under both names: /healthz, /readyz (Kubernetes) and /-/healthy, /-/ready (Prometheus, exporter-toolkit).
  const auto healthy = [](const WebRequest&) { return Text(200, "OK\n"); };
  const auto ready = [cb](const WebRequest&) {
    return cb.ready() ? Text(200, "ready\n") : Text(503, "not ready: waiting for the first poll of every collector\n");
  };
  for (const char* path : {"/healthz", "/-/healthy"}) routes->push_back({path, healthy, nullptr});
  for (const char* path : {"/readyz", "/-/ready"}) routes->push_back({path, ready, nullptr});
  routes->push_back({"/-/reload", nullptr, [cb](const WebRequest& r) { return ReplyReload(r, cb); }, /*slow=*/true});
  routes->push_back({"/api/v1/scorecard",
                     [cb](const WebRequest&) {
                       return WebReply{200, "application/json", "", RenderScorecardJson(cb.scorecard()), {}, {}};
                     },
                     nullptr});
  routes->push_back({"/api/v1/items", [cb](const WebRequest& r) { return ReplyItemsJson(r, cb); }, nullptr});
  routes->push_back({"/items", [cb](const WebRequest& r) { return ReplyItemsPage(r, cb); }, nullptr});
  routes->push_back({"/items/kpi", [cb](const WebRequest& r) { return ReplyKpiItemsPage(r, cb); }, nullptr});
  routes->push_back({"/",
                     [cb, telemetry_path, version](const WebRequest&) {
                       return WebReply{200, "text/html; charset=utf-8", "",
                                       RenderLandingPage({version, telemetry_path, cb.status(), cb.scorecard(), cb.redact, cb.items()}),
                                       {}, {}};
                     },
                     nullptr});

  WebHandlers handlers{
      [routes, auth = cb.auth](const WebRequest& request) { return Dispatch(*routes, auth.get(), request); },
      [routes](const WebRequest& request) {
        const Route* route = FindRoute(*routes, request.path);
        return route && route->slow;
      },
  };
  auto web = WebServer::Start(listen_addresses, WebServerLimits{}, std::move(handlers));
  if (!web) return tl::unexpected(web.error());
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->web_ = std::move(*web);
  return server;
}

HttpServer::~HttpServer() = default;  // the WebServer joins its threads: no handler runs after this

std::vector<int> HttpServer::ports() const { return web_->ports(); }

}  // namespace kpi
