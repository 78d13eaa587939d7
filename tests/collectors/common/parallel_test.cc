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
  // Waits (at most 2 s) until `n` callers were inside at once, so calls that
  // may overlap do so even on a loaded machine.
  void AwaitAtLeast(int n) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(mu);
        if (most >= n) return;
      }
      std::this_thread::sleep_for(1ms);
    }
  }
};

// A transport that holds each request until `wanted` are in flight (at most
// 2 s), so requests overlap as far as they may, even on a loaded machine.
class SlowTransport final : public HttpTransport {
 public:
  SlowTransport(Overlap& overlap, int wanted) : overlap_(overlap), wanted_(wanted) {}
  tl::expected<HttpResponse, Error> Perform(const HttpRequest&, const TransferLimits&, std::stop_token) override {
    overlap_.Enter();
    overlap_.AwaitAtLeast(wanted_);
    std::this_thread::sleep_for(5ms);
    overlap_.Leave();
    return HttpResponse{.status = 200, .headers = {}, .body = "[]"};
  }

 private:
  Overlap& overlap_;
  int wanted_;
};

}  // namespace

TEST_CASE("ParallelFor calls every index once, on at most the given number of threads") {
  for (const int concurrency : {1, 3, 8}) {
    for (const size_t n : {size_t(0), size_t(1), size_t(2), size_t(17)}) {
      std::mutex mu;
      std::multiset<size_t> seen;
      Overlap overlap;
      const bool side_by_side = n >= 2 && concurrency >= 2;
      ParallelFor(n, concurrency, [&](size_t i) {
        overlap.Enter();
        // A second call comes in meanwhile; run one after the other, it never would.
        if (side_by_side) overlap.AwaitAtLeast(2);
        overlap.Leave();
        std::lock_guard lock(mu);
        seen.insert(i);
      });
      CHECK(seen.size() == n);
      for (size_t i = 0; i < n; ++i) CHECK(seen.count(i) == 1);
      CHECK(overlap.most <= concurrency);
      if (side_by_side) CHECK(overlap.most >= 2);  // really side by side
    }
  }
}

TEST_CASE("a transport pool keeps at most its size of requests in flight, shared by every thread of an HttpClient") {
  Overlap overlap;
  SystemClock clock;
  HttpClient http(std::make_unique<TransportPool>(3, [&] { return std::make_unique<SlowTransport>(overlap, 3); }), clock,
                  HttpClientOptions{});
  std::atomic<int> ok{0};
  ParallelFor(12, 12, [&](size_t i) {
    if (http.GetOk("http://upstream.test/" + std::to_string(i))) ++ok;
  });
  CHECK(ok == 12);
  CHECK(overlap.most == 3);
}
