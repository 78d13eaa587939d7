#include "tests/support/test_server.h"

#include <CivetServer.h>

#include <algorithm>

namespace kpi::testing {

struct TestServer::Impl {
  class Adapter final : public CivetHandler {
   public:
    Adapter(Impl& impl, Handler handler) : impl_(impl), handler_(std::move(handler)) {}
    bool handleGet(CivetServer*, mg_connection* conn) override {
      const mg_request_info* info = mg_get_request_info(conn);
      SeenRequest seen{info->local_uri ? info->local_uri : "", info->query_string ? info->query_string : "", {}};
      for (int i = 0; i < info->num_headers; ++i) {
        std::string name = info->http_headers[i].name;
        std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        seen.headers[name] = info->http_headers[i].value;
      }
      {
        std::lock_guard lock(impl_.mu);
        impl_.seen.push_back(seen);
      }
      handler_(conn, seen);
      return true;
    }

   private:
    Impl& impl_;
    Handler handler_;
  };

  std::unique_ptr<CivetServer> server;
  std::vector<std::unique_ptr<Adapter>> handlers;
  mutable std::mutex mu;
  std::vector<SeenRequest> seen;
};

TestServer::TestServer() : impl_(std::make_unique<Impl>()) {
  const std::vector<std::string> options = {"listening_ports", "127.0.0.1:0", "num_threads", "4",
                                            "enable_keep_alive", "no"};
  impl_->server = std::make_unique<CivetServer>(options);
}

TestServer::~TestServer() { impl_->server->close(); }

void TestServer::Handle(const std::string& uri, Handler handler) {
  impl_->handlers.push_back(std::make_unique<Impl::Adapter>(*impl_, std::move(handler)));
  impl_->server->addHandler(uri + "$", impl_->handlers.back().get());
}

std::string TestServer::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->server->getListeningPorts().at(0));
}

std::vector<SeenRequest> TestServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->seen;
}

void TestServer::Respond(mg_connection* conn, int status, const std::string& body,
                         const std::map<std::string, std::string>& headers) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  head += "\r\n";
  mg_write(conn, head.data(), head.size());
  mg_write(conn, body.data(), body.size());
}

}  // namespace kpi::testing
