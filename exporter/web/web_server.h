// WebServer: a small HTTP/1.1 server on one epoll thread, built so that slow
// or hostile clients cannot take the endpoints away (issue 16, item 1).
//
// Why not CivetWeb (measured, see README "Guarantees"): CivetWeb 1.15 gives
// each connection a worker thread from the moment its first byte arrives
// until the reply is written. 300 clients sending one header byte every few
// seconds, or asking for a large page and never reading, hold 300 threads;
// past num_threads every new connection, Kubernetes' probe included, waits.
// Here one thread reads and writes every socket without blocking, so a slow
// socket costs a buffer, not a thread:
//   - request headers must be complete within `header_timeout` of accept;
//   - a reply must be written within `write_timeout` (the socket is never
//     written blocking; the bytes of a stored page are shared, not copied);
//   - at most `max_connections`; at the cap the oldest connection that is
//     not running a handler is dropped to make room for the new one;
//   - headers past `max_header_bytes` or `max_headers` get 400;
//   - request bodies are never needed: they are read and thrown away after
//     the reply (bounded by `linger_timeout`), then the socket closes.
// Handlers run on worker threads (a pool of `workers`, plus one more lane
// for routes marked slow, e.g. a reload that restarts the collectors), so a
// handler that blocks never stops the socket loop.
//
// Thread-safety: Start and the destructor from one thread; handlers are
// called concurrently from the worker threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace kpi {

struct WebRequest {
  std::string method;  // as sent ("GET", "HEAD", "POST", ...)
  std::string path;    // the request target before '?', not decoded
  std::string query;   // after '?', without it
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  // The first header named `lower_name`, or nullopt.
  std::optional<std::string_view> Header(std::string_view lower_name) const;
};

struct WebReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string extra_headers;  // complete "Name: value\r\n" lines
  std::string body;
  // More body after `body`, pointing into memory `keep` owns (a stored page
  // written to many clients without a copy each).
  std::vector<std::string_view> shared_parts;
  std::shared_ptr<const void> keep;
};

struct WebServerLimits {
  std::size_t max_connections = 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds write_timeout{60'000};
  std::chrono::milliseconds linger_timeout{2'000};
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_headers = 100;
  int workers = 4;
};

// Routes: `handler(request)` for every request; `slow(request)` says which
// ones go to the separate slow lane.
struct WebHandlers {
  std::function<WebReply(const WebRequest&)> handle;
  std::function<bool(const WebRequest&)> slow;
};

struct ListenAddress {
  std::string host;  // empty: every IPv4 address
  int port = 0;
};

// "host:port", ":port", "[v6]:port" -> host and port; port 0 picks a free port.
tl::expected<ListenAddress, std::string> ParseListenAddress(const std::string& listen_address);

class WebServer {
 public:
  static tl::expected<std::unique_ptr<WebServer>, std::string> Start(const std::vector<std::string>& listen_addresses,
                                                                     WebServerLimits limits, WebHandlers handlers);
  ~WebServer();  // stops accepting, joins every thread; no handler runs after it returns
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  std::vector<int> ports() const;

 private:
  struct Impl;
  explicit WebServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "HTTP/1.1 <status> <reason>"'s reason for the statuses we send.
std::string_view ReasonPhrase(int status);

}  // namespace kpi
