#include "exporter/web/web_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "collectors/common/text.h"

namespace kpi {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kWakeId = 1ull << 62;       // epoll data of the eventfd
constexpr uint64_t kListenBase = 1ull << 61;   // epoll data of listener i: kListenBase + i
constexpr auto kSweepEvery = std::chrono::milliseconds(100);

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

// The request line and header fields up to the blank line (RFC 9112 §2-5);
// nullopt for anything malformed or past the header limit.
std::optional<WebRequest> ParseHead(std::string_view head, std::size_t max_headers) {
  WebRequest request;
  auto line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) return std::nullopt;
  const std::string_view line = head.substr(0, line_end);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1 || sp1 == 0) return std::nullopt;
  if (line.substr(sp2 + 1).substr(0, 7) != "HTTP/1.") return std::nullopt;
  request.method = std::string(line.substr(0, sp1));
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || target.find(' ') != std::string_view::npos) return std::nullopt;
  const auto q = target.find('?');
  request.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
  std::string_view rest = head.substr(line_end + 2);
  while (!rest.empty()) {
    line_end = rest.find("\r\n");
    const std::string_view field = rest.substr(0, line_end);
    rest = line_end == std::string_view::npos ? std::string_view() : rest.substr(line_end + 2);
    if (field.empty()) break;
    const auto colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    if (request.headers.size() >= max_headers) return std::nullopt;
    request.headers.emplace_back(AsciiLower(field.substr(0, colon)), std::string(Trim(field.substr(colon + 1))));
  }
  return request;
}

enum class State { kReading, kRunning, kWriting, kLingering };

struct Connection {
  uint64_t id = 0;
  int fd = -1;
  State state = State::kReading;
  Clock::time_point accepted;
  Clock::time_point deadline;
  std::string in;
  // The reply: pieces[0] is the status line and headers, then the body.
  std::string head;
  WebReply reply;
  std::vector<std::string_view> pieces;
  std::size_t piece = 0, offset = 0;
};

struct Job {
  uint64_t id;
  WebRequest request;
};

// One queue and its threads: the normal lane or the slow lane.
struct Lane {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> jobs;
  std::vector<std::thread> threads;
};

// ":port" (every IPv4 address) is also among `addresses` for this (fixed) port.
bool BothWildcards(const std::vector<ListenAddress>& addresses, int port) {
  return port != 0 && std::any_of(addresses.begin(), addresses.end(),
                                  [&](const ListenAddress& a) { return a.host.empty() && a.port == port; });
}

}  // namespace

std::optional<std::string_view> WebRequest::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

tl::expected<ListenAddress, std::string> ParseListenAddress(const std::string& listen_address) {
  const auto colon = listen_address.rfind(':');
  if (colon == std::string::npos) return tl::unexpected("--web.listen-address must be [host]:port, got '" + listen_address + "'");
  std::string host = listen_address.substr(0, colon);
  const std::string port = listen_address.substr(colon + 1);
  // Digits only and at most five of them before converting: no overflow, no exception.
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    return tl::unexpected("--web.listen-address has an invalid port: '" + listen_address + "'");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return tl::unexpected("--web.listen-address: an IPv6 address goes in brackets, e.g. [::1]:9877, got '" +
                          listen_address + "'");
  }
  if (host == "0.0.0.0") host.clear();
  return ListenAddress{host, std::stoi(port)};
}

struct WebServer::Impl {
  WebServerLimits limits;
  WebHandlers handlers;
  std::vector<int> listeners;
  std::vector<int> ports;
  int epoll_fd = -1;
  int wake_fd = -1;
  std::atomic<bool> stopping{false};
  std::thread loop;
  Lane normal, slow;

  std::mutex done_mu;
  struct Done {
    uint64_t id;
    WebReply reply;
    bool head_only;  // HEAD: the GET reply's headers and length, no body
  };
  std::vector<Done> done;  // replies handlers finished, for the loop thread

  // Loop thread only.
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections;
  uint64_t next_id = 1;

  ~Impl() {
    for (Lane* lane : {&normal, &slow}) {
      {
        std::lock_guard lock(lane->mu);
        lane->jobs.clear();
      }
      lane->cv.notify_all();
    }
    stopping = true;
    Wake();
    for (Lane* lane : {&normal, &slow}) {
      lane->cv.notify_all();
      for (auto& t : lane->threads) t.join();
    }
    if (loop.joinable()) loop.join();
    for (auto& [id, c] : connections) ::close(c->fd);
    for (const int fd : listeners) ::close(fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void Wake() const {
    const uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_fd, &one, sizeof one);
  }

  void Work(Lane& lane) {
    while (true) {
      Job job;
      {
        std::unique_lock lock(lane.mu);
        lane.cv.wait(lock, [&] { return stopping || !lane.jobs.empty(); });
        if (stopping) return;
        job = std::move(lane.jobs.front());
        lane.jobs.pop_front();
      }
      WebReply reply;
      try {
        reply = handlers.handle(job.request);
      } catch (const std::exception& e) {
        reply = WebReply{500, "text/plain; charset=utf-8", "", std::string("internal error: ") + e.what() + "\n", {}, {}};
      }
      {
        std::lock_guard lock(done_mu);
        done.push_back(Done{job.id, std::move(reply), job.request.method == "HEAD"});
      }
      Wake();
    }
  }

  void Watch(const Connection& c, uint32_t events, int op = EPOLL_CTL_MOD) const {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id;
    ::epoll_ctl(epoll_fd, op, c.fd, &ev);
  }

  void Close(uint64_t id) {
    auto it = connections.find(id);
    if (it == connections.end()) return;
    ::close(it->second->fd);  // also leaves the epoll set
    connections.erase(it);
  }

  // At the cap: the oldest connection that is not inside a handler makes room.
  bool DropOldest() {
    Connection* oldest = nullptr;
    for (auto& [id, c] : connections) {
      if (c->state != State::kRunning && (!oldest || c->accepted < oldest->accepted)) oldest = c.get();
    }
    if (!oldest) return false;
    Close(oldest->id);
    return true;
  }

  void Accept(int listener) {
    while (true) {
      const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if ((errno == EMFILE || errno == ENFILE) && DropOldest()) continue;
        return;  // EAGAIN, or out of descriptors with nothing to drop
      }
      if (connections.size() >= limits.max_connections && !DropOldest()) {
        ::close(fd);
        continue;
      }
      auto c = std::make_unique<Connection>();
      c->id = next_id++;
      c->fd = fd;
      c->accepted = Clock::now();
      c->deadline = c->accepted + limits.header_timeout;
      Watch(*c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
      connections.emplace(c->id, std::move(c));
    }
  }

  void Respond(Connection& c, WebReply reply, bool head_only = false) {
    c.state = State::kWriting;
    c.deadline = Clock::now() + limits.write_timeout;
    c.reply = std::move(reply);
    std::size_t length = c.reply.body.size();
    for (const auto part : c.reply.shared_parts) length += part.size();
    c.head = "HTTP/1.1 " + std::to_string(c.reply.status) + " " + std::string(ReasonPhrase(c.reply.status)) +
             "\r\nContent-Type: " + c.reply.content_type + "\r\n" +
             "Content-Length: " + std::to_string(length) + "\r\n" +
             "Cache-Control: no-store\r\n" + c.reply.extra_headers + "Connection: close\r\n\r\n";
    c.pieces = {c.head};
    if (!head_only) {
      c.pieces.push_back(c.reply.body);
      c.pieces.insert(c.pieces.end(), c.reply.shared_parts.begin(), c.reply.shared_parts.end());
    }
    c.piece = c.offset = 0;
    Write(c);
  }

  void Reject(Connection& c, int status, std::string body) {
    Respond(c, WebReply{status, "text/plain; charset=utf-8", "", std::move(body), {}, {}});
  }

  // Writes what the socket takes now; never blocks.
  void Write(Connection& c) {
    while (c.piece < c.pieces.size()) {
      iovec iov[16];
      int n = 0;
      for (std::size_t i = c.piece; i < c.pieces.size() && n < 16; ++i) {
        const std::string_view p = i == c.piece ? c.pieces[i].substr(c.offset) : c.pieces[i];
        iov[n].iov_base = const_cast<char*>(p.data());
        iov[n].iov_len = p.size();
        ++n;
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<std::size_t>(n);
      const ssize_t sent = ::sendmsg(c.fd, &msg, MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          Watch(c, EPOLLOUT);
          return;
        }
        Close(c.id);
        return;
      }
      std::size_t left = static_cast<std::size_t>(sent);
      while (c.piece < c.pieces.size() && left >= c.pieces[c.piece].size() - c.offset) {
        left -= c.pieces[c.piece].size() - c.offset;
        ++c.piece;
        c.offset = 0;
      }
      c.offset += left;
    }
    // All sent: release the page, close our side, read and drop what the
    // client still sends (an unread request body would turn close into a reset
    // that can destroy the reply before the client read it).
    c.reply = WebReply{};
    c.pieces.clear();
    ::shutdown(c.fd, SHUT_WR);
    c.state = State::kLingering;
    c.deadline = Clock::now() + limits.linger_timeout;
    Watch(c, EPOLLIN | EPOLLRDHUP);
  }

  void Read(Connection& c) {
    char buffer[16384];
    while (true) {
      const ssize_t got = ::recv(c.fd, buffer, sizeof buffer, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (got <= 0) {
        Close(c.id);
        return;
      }
      if (c.state == State::kLingering) continue;  // a body nobody needs
      c.in.append(buffer, static_cast<std::size_t>(got));
      const auto end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (c.in.size() > limits.max_header_bytes) {
          Reject(c, 400, "request header too large\n");
          return;
        }
        continue;
      }
      if (end + 4 > limits.max_header_bytes) {
        Reject(c, 400, "request header too large\n");
        return;
      }
      auto request = ParseHead(std::string_view(c.in).substr(0, end + 2), limits.max_headers);
      c.in.clear();
      c.in.shrink_to_fit();
      if (!request) {
        Reject(c, 400, "bad request (malformed, or more than " + std::to_string(limits.max_headers) + " header fields)\n");
        return;
      }
      c.state = State::kRunning;
      Watch(c, 0);  // nothing to read or write until the handler answers
      Lane& lane = handlers.slow && handlers.slow(*request) ? slow : normal;
      {
        std::lock_guard lock(lane.mu);
        lane.jobs.push_back(Job{c.id, std::move(*request)});
      }
      lane.cv.notify_one();
      return;
    }
  }

  void Sweep() {
    const auto now = Clock::now();
    std::vector<uint64_t> expired;
    for (auto& [id, c] : connections) {
      if (c->state != State::kRunning && now >= c->deadline) expired.push_back(id);
    }
    for (const uint64_t id : expired) Close(id);
  }

  void Run() {
    std::vector<epoll_event> events(256);
    auto last_sweep = Clock::now();
    while (!stopping) {
      const int n = ::epoll_wait(epoll_fd, events.data(), int(events.size()), int(kSweepEvery.count()));
      for (int i = 0; i < n; ++i) {
        const uint64_t key = events[i].data.u64;
        if (key == kWakeId) {
          uint64_t count;
          [[maybe_unused]] const auto r = ::read(wake_fd, &count, sizeof count);
          continue;
        }
        if (key >= kListenBase && key < kListenBase + listeners.size()) {
          Accept(listeners[key - kListenBase]);
          continue;
        }
        auto it = connections.find(key);
        if (it == connections.end()) continue;
        Connection& c = *it->second;
        if (c.state == State::kWriting && (events[i].events & EPOLLOUT)) {
          Write(c);
        } else if (c.state == State::kReading || c.state == State::kLingering) {
          Read(c);
        } else if (events[i].events & (EPOLLERR | EPOLLHUP)) {
          Close(c.id);
        }
      }
      std::vector<Done> finished;
      {
        std::lock_guard lock(done_mu);
        finished.swap(done);
      }
      for (auto& d : finished) {
        auto it = connections.find(d.id);
        if (it != connections.end()) Respond(*it->second, std::move(d.reply), d.head_only);
      }
      if (Clock::now() - last_sweep >= kSweepEvery) {
        Sweep();
        last_sweep = Clock::now();
      }
    }
  }
};

WebServer::WebServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebServer::~WebServer() = default;

std::vector<int> WebServer::ports() const { return impl_->ports; }

tl::expected<std::unique_ptr<WebServer>, std::string> WebServer::Start(const std::vector<std::string>& listen_addresses,
                                                                       WebServerLimits limits, WebHandlers handlers) {
  auto impl = std::make_unique<Impl>();
  impl->limits = limits;
  impl->handlers = std::move(handlers);
  impl->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  impl->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->epoll_fd < 0 || impl->wake_fd < 0) return tl::unexpected(std::string("epoll: ") + std::strerror(errno));

  if (listen_addresses.empty()) return tl::unexpected(std::string("--web.listen-address: no address given"));
  std::vector<ListenAddress> addresses;
  for (const auto& text : listen_addresses) {
    auto address = ParseListenAddress(text);
    if (!address) return tl::unexpected(address.error());
    addresses.push_back(*address);
  }
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const ListenAddress* address = &addresses[i];
    const std::string& text = listen_addresses[i];
    addrinfo hints{};
    hints.ai_family = address->host.empty() ? AF_INET : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(address->port);
    const int rc = ::getaddrinfo(address->host.empty() ? nullptr : address->host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) return tl::unexpected("cannot listen on " + text + ": " + ::gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);
    const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return tl::unexpected("cannot listen on " + text + ": " + std::strerror(errno));
    impl->listeners.push_back(fd);
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (found->ai_family == AF_INET6) {
      // [::] takes IPv4 too (as Go's exporters do), whatever net.ipv6.bindv6only says; unless an
      // IPv4 wildcard (":port") is also asked for, which then serves IPv4 on that port itself.
      const int v6_only = address->host == "::" ? BothWildcards(addresses, address->port) : 1;
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof v6_only);
    }
    if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
      return tl::unexpected("cannot listen on " + text + ": " + std::strerror(errno));
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    impl->ports.push_back(ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port));
  }

  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  ::epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, impl->wake_fd, &ev);
  for (std::size_t i = 0; i < impl->listeners.size(); ++i) {
    ev.data.u64 = kListenBase + i;
    ::epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, impl->listeners[i], &ev);
  }
  Impl* raw = impl.get();
  for (int i = 0; i < std::max(1, limits.workers); ++i) raw->normal.threads.emplace_back([raw] { raw->Work(raw->normal); });
  raw->slow.threads.emplace_back([raw] { raw->Work(raw->slow); });
  raw->loop = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<WebServer>(new WebServer(std::move(impl)));
}

}  // namespace kpi
