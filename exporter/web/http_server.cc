#include "exporter/web/http_server.h"

#include <CivetServer.h>

#include <ctime>
#include <optional>

#include "collectors/common/time_util.h"
#include "exporter/gzip.h"

namespace kpi {
namespace {

void Reply(mg_connection* conn, int status, std::string_view content_type, std::string_view body,
           std::string_view extra_headers = "") {
  const char* text = status == 200   ? "OK"
                     : status == 403 ? "Forbidden"
                     : status == 404 ? "Not Found"
                     : status == 405 ? "Method Not Allowed"
                     : status == 503 ? "Service Unavailable"
                                     : "Error";
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %.*s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
            "%.*sConnection: close\r\n\r\n",
            status, text, int(content_type.size()), content_type.data(), body.size(), int(extra_headers.size()),
            extra_headers.data());
  mg_write(conn, body.data(), body.size());
}

// The stored page (rendered once per change) and the small per-scrape part,
// written one after the other without copying the stored bytes. Prometheus
// asks for gzip: then the stored start of a gzip member is followed by the
// per-scrape part deflated as that member's end (GzipFinish): one member,
// which every gzip reader takes.
void ReplyMetrics(mg_connection* conn, const MetricsPage& page) {
  constexpr std::string_view kType = "text/plain; version=0.0.4; charset=utf-8";
  const char* accept = mg_get_header(conn, "Accept-Encoding");
  const bool gzip = accept && std::string_view(accept).find("gzip") != std::string_view::npos;
  std::optional<std::string> live_gzip;
  if (gzip && page.stored->gzip) live_gzip = GzipFinish(*page.stored->gzip, page.live_text);
  const std::string_view stored = live_gzip ? std::string_view(page.stored->gzip->bytes) : page.stored->text;
  const std::string_view live = live_gzip ? std::string_view(*live_gzip) : std::string_view(page.live_text);
  mg_printf(conn,
            "HTTP/1.1 200 OK\r\nContent-Type: %.*s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
            "%sConnection: close\r\n\r\n",
            int(kType.size()), kType.data(), stored.size() + live.size(),
            live_gzip ? "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n" : "");
  if (mg_get_request_info(conn)->request_method == std::string_view("HEAD")) return;
  mg_write(conn, stored.data(), stored.size());
  mg_write(conn, live.data(), live.size());
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// One endpoint at one exact path. CivetWeb matches handlers by prefix and
// without regard to case ("/METRICS", "/-/reload/x"); anything but the exact
// path is a 404 here.
class FunctionHandler final : public CivetHandler {
 public:
  using Fn = std::function<void(mg_connection*)>;
  FunctionHandler(std::string path, Fn get, Fn post)
      : path_(std::move(path)), get_(std::move(get)), post_(std::move(post)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override { return Dispatch(get_, conn); }
  bool handlePost(CivetServer*, mg_connection* conn) override { return Dispatch(post_, conn); }
  bool handleHead(CivetServer*, mg_connection* conn) override { return Dispatch(get_, conn); }
  const std::string& path() const { return path_; }

 private:
  bool Dispatch(const Fn& fn, mg_connection* conn) const {
    const char* uri = mg_get_request_info(conn)->local_uri;
    if (!uri || path_ != uri) {
      Reply(conn, 404, "text/plain; charset=utf-8", "not found\n");
      return true;
    }
    if (!fn) {
      Reply(conn, 405, "text/plain; charset=utf-8", "method not allowed\n");
      return true;
    }
    fn(conn);
    return true;
  }
  std::string path_;
  Fn get_, post_;
};

// POST /-/reload: only with --web.enable-lifecycle (as Prometheus), and never
// from a web page: a browser marks every cross-site POST with Origin, the
// tools that reload (curl, configmap-reload, kubectl exec) send none.
void ReplyReload(mg_connection* conn, const HttpServerCallbacks& cb) {
  if (!cb.enable_lifecycle) {
    Reply(conn, 403, "text/plain; charset=utf-8", "Lifecycle API is not enabled (--web.enable-lifecycle).\n");
    return;
  }
  if (mg_get_header(conn, "Origin")) {
    Reply(conn, 403, "text/plain; charset=utf-8", "a reload is not accepted from a web page (Origin header)\n");
    return;
  }
  auto result = cb.reload();
  if (result) {
    Reply(conn, 200, "text/plain; charset=utf-8", "config reloaded\n");
  } else {
    Reply(conn, 500, "text/plain; charset=utf-8", "reload failed: " + cb.redact(result.error()) + "\n");
  }
}

}  // namespace

struct HttpServer::Handlers {
  std::vector<std::pair<std::string, std::unique_ptr<FunctionHandler>>> routes;
};

tl::expected<std::string, std::string> CivetListeningPorts(const std::string& listen_address) {
  const auto colon = listen_address.rfind(':');
  if (colon == std::string::npos) return tl::unexpected("--web.listen-address must be [host]:port, got '" + listen_address + "'");
  const std::string host = listen_address.substr(0, colon);
  const std::string port = listen_address.substr(colon + 1);
  // Digits only and at most five of them before converting: no overflow, no exception.
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    return tl::unexpected("--web.listen-address has an invalid port: '" + listen_address + "'");
  }
  if (host.empty() || host == "0.0.0.0") return port;  // CivetWeb: a bare port listens on every IPv4 address
  if (host == "[::]") return "[::]:" + port;
  return host + ":" + port;
}

tl::expected<std::unique_ptr<HttpServer>, std::string> HttpServer::Start(
    const std::vector<std::string>& listen_addresses, const std::string& telemetry_path, std::string version,
    HttpServerCallbacks cb) {
  std::string ports, addresses;
  for (const auto& address : listen_addresses) {
    auto civet = CivetListeningPorts(address);
    if (!civet) return tl::unexpected(civet.error());
    // mg_check_feature(8): IPv6. Debian 12's libcivetweb1 is built without it; say so instead of failing to bind.
    if (address.starts_with("[") && !mg_check_feature(8)) {
      return tl::unexpected("cannot listen on " + address +
                            ": the CivetWeb library this exporter runs with was built without IPv6 support "
                            "(Debian 12's libcivetweb1 is); listen on an IPv4 address");
    }
    ports += (ports.empty() ? "" : ",") + *civet;
    addresses += (addresses.empty() ? "" : ", ") + address;
  }
  if (ports.empty()) return tl::unexpected(std::string("--web.listen-address: no address given"));
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->handlers_ = std::make_unique<Handlers>();
  const std::vector<std::string> options = {"listening_ports", ports, "num_threads", "8",
                                            "request_timeout_ms", "30000", "enable_keep_alive", "no"};
  try {
    server->server_ = std::make_unique<CivetServer>(options);
  } catch (const CivetException& e) {
    return tl::unexpected("cannot listen on " + addresses + ": " + e.what());
  }

  auto& routes = server->handlers_->routes;
  routes.emplace_back(telemetry_path, std::make_unique<FunctionHandler>(telemetry_path,
                                          [cb](mg_connection* conn) { ReplyMetrics(conn, cb.render_metrics()); },
                                          nullptr));
  // Each probe under both names: /healthz, /readyz (Kubernetes) and /-/healthy, /-/ready (Prometheus, exporter-toolkit).
  const auto healthy = [](mg_connection* conn) { Reply(conn, 200, "text/plain; charset=utf-8", "OK\n"); };
  const auto ready = [cb](mg_connection* conn) {
    if (cb.ready()) {
      Reply(conn, 200, "text/plain; charset=utf-8", "ready\n");
    } else {
      Reply(conn, 503, "text/plain; charset=utf-8", "not ready: waiting for the first poll of every collector\n");
    }
  };
  for (const char* path : {"/healthz", "/-/healthy"}) {
    routes.emplace_back(path, std::make_unique<FunctionHandler>(path, healthy, nullptr));
  }
  for (const char* path : {"/readyz", "/-/ready"}) {
    routes.emplace_back(path, std::make_unique<FunctionHandler>(path, ready, nullptr));
  }
  routes.emplace_back("/-/reload", std::make_unique<FunctionHandler>(
                                       "/-/reload", nullptr, [cb](mg_connection* conn) { ReplyReload(conn, cb); }));
  // "/" would match every path by prefix: "/$" asks CivetWeb for the root alone.
  routes.emplace_back("/$", std::make_unique<FunctionHandler>("/",
                                [cb, telemetry_path, version](mg_connection* conn) {
                                  std::string rows;
                                  for (const auto& s : cb.status()) {
                                    const std::string state = !s.polled ? "pending" : s.last_ok ? "ok" : "failed";
                                    rows += "<tr><td>" + HtmlEscape(s.name) + "</td><td>" +
                                            FormatDuration(s.interval) + "</td><td>" +
                                            (s.polled ? FormatTimestamp(s.last_poll) : "never") + "</td><td>" +
                                            (s.last_success.time_since_epoch().count() ? FormatTimestamp(s.last_success)
                                                                                       : "never") +
                                            "</td><td class=\"" + state + "\">" + state + "</td><td>" +
                                            HtmlEscape(cb.redact(s.last_error)) + "</td></tr>\n";
                                  }
                                  std::string target_rows;
                                  for (const auto& s : cb.status()) {
                                    for (const auto& [target, t] : s.targets) {
                                      const std::string state = t.ok ? "ok" : "failed";
                                      target_rows += "<tr><td>" + HtmlEscape(s.name) + "</td><td>" + HtmlEscape(target) +
                                                     "</td><td class=\"" + state + "\">" + state + "</td><td>" +
                                                     (t.last_success.time_since_epoch().count()
                                                          ? FormatTimestamp(t.last_success)
                                                          : "never") +
                                                     "</td></tr>\n";
                                    }
                                  }
                                  const std::string page =
                                      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kpi-exporter</title>"
                                      "<style>body{font-family:sans-serif}td,th{padding:4px 10px;text-align:left}"
                                      ".ok{color:green}.failed{color:#b00}.pending{color:#888}</style></head><body>\n"
                                      "<h1>kpi-exporter</h1>\n<p>Version " + HtmlEscape(version) + "</p>\n<ul>"
                                      "<li><a href=\"" + HtmlEscape(telemetry_path) + "\">Metrics</a></li>"
                                      "<li><a href=\"/healthz\">Health</a></li><li><a href=\"/readyz\">Readiness</a></li></ul>\n"
                                      "<h2>Collectors</h2>\n<table><tr><th>collector</th><th>interval</th><th>last poll</th>"
                                      "<th>last success</th><th>status</th><th>last error</th></tr>\n" + rows +
                                      "</table>\n<h2>Targets</h2>\n<table><tr><th>collector</th><th>target</th>"
                                      "<th>status</th><th>last success</th></tr>\n" + target_rows +
                                      "</table>\n</body></html>\n";
                                  Reply(conn, 200, "text/html; charset=utf-8", page);
                                },
                                nullptr));
  for (auto& [uri, handler] : routes) server->server_->addHandler(uri, handler.get());
  return server;
}

HttpServer::~HttpServer() {
  if (server_) server_->close();  // stop serving before the handlers go away
}

std::vector<int> HttpServer::ports() const {
  std::vector<int> out;
  for (const int port : server_->getListeningPorts()) out.push_back(port);
  return out;
}

}  // namespace kpi
