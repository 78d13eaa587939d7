// WebServer over loopback: the connection cap drops the oldest idle
// connection, the header deadline closes a trickling client, a handler
// that blocks in the slow lane does not stop other requests, and [::] serves
// IPv4 and IPv6 clients.
#include "exporter/web/web_server.h"

#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace kpi;
using namespace std::chrono_literals;

namespace {

// A connection to `host` (an IPv4 or IPv6 literal) on `port`.
int Connect(int port, const std::string& host = "127.0.0.1") {
  sockaddr_storage address{};
  socklen_t length = 0;
  if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&address); ::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof *v6;
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    REQUIRE(::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof *v4;
  }
  const int fd = ::socket(address.ss_family, SOCK_STREAM, 0);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), length) == 0);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

// The whole answer to `request` on a fresh connection ("" if closed unanswered).
std::string Ask(int port, const std::string& request, const std::string& host = "127.0.0.1") {
  const int fd = Connect(port, host);
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) answer.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return answer;
}

// Whether the server closed `fd` (recv sees end of stream or a reset).
bool ClosedByServer(int fd) {
  char byte;
  return ::recv(fd, &byte, 1, 0) <= 0;
}

WebHandlers Echo(std::atomic<bool>* release_slow = nullptr) {
  return WebHandlers{
      [release_slow](const WebRequest& request) {
        if (request.path == "/slow") {
          while (release_slow && !*release_slow) std::this_thread::sleep_for(5ms);
        }
        return WebReply{200, "text/plain", "", request.method + " " + request.path + "\n", {}, {}};
      },
      [](const WebRequest& request) { return request.path == "/slow"; },
  };
}

}  // namespace

TEST_CASE("at the connection cap the oldest idle connection is dropped and new requests are answered") {
  WebServerLimits limits;
  limits.max_connections = 8;
  auto server = WebServer::Start({"127.0.0.1:0"}, limits, Echo());
  REQUIRE(server);
  const int port = (*server)->ports().at(0);
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(Connect(port));
  std::this_thread::sleep_for(100ms);  // all eight accepted
  const auto start = std::chrono::steady_clock::now();
  const std::string answer = Ask(port, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(answer.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(answer.ends_with("\r\n\r\nGET /x\n"));
  CHECK(ClosedByServer(idle.front()));  // the oldest made room
  for (const int fd : idle) ::close(fd);
}

TEST_CASE("a client that does not finish its request headers in time is disconnected") {
  WebServerLimits limits;
  limits.header_timeout = 300ms;
  auto server = WebServer::Start({"127.0.0.1:0"}, limits, Echo());
  REQUIRE(server);
  const int fd = Connect((*server)->ports().at(0));
  ::send(fd, "GET / HT", 8, MSG_NOSIGNAL);
  const auto start = std::chrono::steady_clock::now();
  CHECK(ClosedByServer(fd));
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  ::close(fd);
}

TEST_CASE("a handler blocked in the slow lane does not hold other requests, and HEAD has no body") {
  std::atomic<bool> release{false};
  auto server = WebServer::Start({"127.0.0.1:0"}, WebServerLimits{}, Echo(&release));
  REQUIRE(server);
  const int port = (*server)->ports().at(0);
  auto slow = std::async(std::launch::async, [&] { return Ask(port, "POST /slow HTTP/1.1\r\n\r\n"); });
  std::this_thread::sleep_for(50ms);
  CHECK(Ask(port, "GET /fast HTTP/1.1\r\n\r\n").ends_with("GET /fast\n"));
  const std::string head = Ask(port, "HEAD /fast HTTP/1.1\r\n\r\n");
  CHECK(head.find("Content-Length: 11\r\n") != std::string::npos);  // as the GET body "HEAD /fast\n"
  CHECK(head.ends_with("\r\n\r\n"));
  CHECK(Ask(port, "NOT A REQUEST\r\n\r\n").starts_with("HTTP/1.1 400 "));
  release = true;
  CHECK(slow.get().ends_with("POST /slow\n"));
}

TEST_CASE("[::] serves IPv4 and IPv6 clients (dual stack), also beside :port on the same port") {
  const std::string request = "GET /dual HTTP/1.1\r\nHost: x\r\n\r\n";
  int port = 0;
  {
    auto server = WebServer::Start({"[::]:0"}, WebServerLimits{}, Echo());
    REQUIRE(server.has_value());
    port = (*server)->ports().at(0);
    CHECK(Ask(port, request, "127.0.0.1").find("GET /dual") != std::string::npos);
    CHECK(Ask(port, request, "::1").find("GET /dual") != std::string::npos);
  }
  // ":port" takes IPv4 itself; [::] on the same port then serves IPv6 alone instead of failing to bind.
  auto both = WebServer::Start({":" + std::to_string(port), "[::]:" + std::to_string(port)}, WebServerLimits{}, Echo());
  REQUIRE_MESSAGE(both.has_value(), both.error());
  CHECK(Ask(port, request, "127.0.0.1").find("GET /dual") != std::string::npos);
  CHECK(Ask(port, request, "::1").find("GET /dual") != std::string::npos);
}
