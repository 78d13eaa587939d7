// TestServer: a real HTTP server on 127.0.0.1, port 0, for tests of the HTTP
// client and anything else that must cross a socket. Handlers are lambdas.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct mg_connection;
class CivetServer;

namespace kpi::testing {

struct SeenRequest {
  std::string uri;
  std::string query;
  std::map<std::string, std::string> headers;  // names lower-cased
};

class TestServer {
 public:
  // Writes a complete HTTP response; `request` is what arrived.
  using Handler = std::function<void(mg_connection* conn, const SeenRequest& request)>;

  TestServer();
  ~TestServer();

  void Handle(const std::string& uri, Handler handler);
  std::string url() const;  // "http://127.0.0.1:<port>"
  std::vector<SeenRequest> requests() const;

  // Writes status, headers and body as one response.
  static void Respond(mg_connection* conn, int status, const std::string& body,
                      const std::map<std::string, std::string>& headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kpi::testing
