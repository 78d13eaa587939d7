#include "collectors/common/parallel.h"

#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "collectors/common/upstream/transport_pool.h"
#include "tests/support/fake_transport.h"

using namespace kpi;
using namespace std::chrono_literals;

namespace {

// Counts how many callers are inside at once.
struct Overlap {
  std::mutex mu;
  int now = 0;
  int most = 0;
  void Enter() {
    std::lock_guard lock(mu);
    most = std::max(most, ++now);
  }
  void Leave() {
    std::lock_guard lock(mu);
    --now;
  }
};

// A transport that takes a while, so requests overlap when they can.
class SlowTransport final : public HttpTransport {
 public:
  explicit SlowTransport(Overlap& overlap) : overlap_(overlap) {}
  tl::expected<HttpResponse, Error> Perform(const HttpRequest&, const TransferLimits&, std::stop_token) override {
    overlap_.Enter();
    std::this_thread::sleep_for(20ms);
    overlap_.Leave();
    return HttpResponse{200, {}, "[]", false};
  }

 private:
  Overlap& overlap_;
};

}  // namespace

TEST_CASE("ParallelFor calls every index once, on at most the given number of threads") {
  for (const int concurrency : {1, 3, 8}) {
    for (const size_t n : {size_t(0), size_t(1), size_t(2), size_t(17)}) {
      std::mutex mu;
      std::multiset<size_t> seen;
      Overlap overlap;
      ParallelFor(n, concurrency, [&](size_t i) {
        overlap.Enter();
        std::this_thread::sleep_for(5ms);
        overlap.Leave();
        std::lock_guard lock(mu);
        seen.insert(i);
      });
      CHECK(seen.size() == n);
      for (size_t i = 0; i < n; ++i) CHECK(seen.count(i) == 1);
      CHECK(overlap.most <= concurrency);
      if (n >= 2 && concurrency >= 2) CHECK(overlap.most >= 2);  // really side by side
    }
  }
}

TEST_CASE("a transport pool keeps at most its size of requests in flight, shared by every thread of an HttpClient") {
  Overlap overlap;
  SystemClock clock;
  HttpClient http(std::make_unique<TransportPool>(3, [&] { return std::make_unique<SlowTransport>(overlap); }), clock,
                  HttpClientOptions{});
  std::atomic<int> ok{0};
  ParallelFor(12, 12, [&](size_t i) {
    if (http.GetOk("http://upstream.test/" + std::to_string(i))) ++ok;
  });
  CHECK(ok == 12);
  CHECK(overlap.most == 3);
}
