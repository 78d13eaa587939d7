// FakeTransport: an in-memory HttpTransport for unit tests at the edges
// (collector logic without sockets). Answers are keyed by exact URL; each key
// holds a queue whose last answer repeats. Unknown URLs answer 404. Safe to
// call from several threads (a collector polling targets side by side).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collectors/common/upstream/http_client.h"

namespace kpi::testing {

struct FakeExchange {
  std::vector<tl::expected<HttpResponse, Error>> answers;
  size_t served = 0;
};

class FakeTransport final : public HttpTransport {
 public:
  // Shared so a test keeps a handle after giving the transport to an HttpClient.
  struct State {
    std::mutex mu;  // held by Perform only: tests read the rest after the poll
    std::map<std::string, FakeExchange> routes;
    std::vector<HttpRequest> requests;
    // Asked first (with `mu` held): an answer computed from the request, or none to use `routes`.
    std::function<std::optional<HttpResponse>(State& state, const HttpRequest& request)> compute;
  };

  explicit FakeTransport(std::shared_ptr<State> state) : state_(std::move(state)) {}

  tl::expected<HttpResponse, Error> Perform(const HttpRequest& request, const TransferLimits&,
                                            std::stop_token) override {
    std::lock_guard lock(state_->mu);
    state_->requests.push_back(request);
    if (state_->compute) {
      if (auto answer = state_->compute(*state_, request)) return *answer;
    }
    const auto it = state_->routes.find(request.url);
    if (it == state_->routes.end()) return HttpResponse{.status = 404, .headers = {}, .body = R"({"message":"Not Found"})"};
    FakeExchange& exchange = it->second;
    const size_t index = std::min(exchange.served++, exchange.answers.size() - 1);
    return exchange.answers[index];
  }

 private:
  std::shared_ptr<State> state_;
};

inline HttpResponse Json(std::string body, std::map<std::string, std::string> headers = {}, long status = 200) {
  return HttpResponse{.status = status, .headers = std::move(headers), .body = std::move(body)};
}

}  // namespace kpi::testing
