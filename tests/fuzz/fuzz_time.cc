// Durations and timestamps: the config's durations (Prometheus' grammar), the
// upstreams' timestamps, and the waits the HTTP client derives from
// Retry-After (seconds or an HTTP date), x-ratelimit-reset and Discord's
// retry_after: every wait lies between zero and the documented hour.
#include <chrono>
#include <memory>
#include <string>

#include "collectors/common/time_util.h"
#include "collectors/common/upstream/http_client.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/support/fake_clock.h"

namespace {

using std::chrono::milliseconds;

// Three rate-limited answers carrying the input, then success.
class RateLimitTransport final : public kpi::HttpTransport {
 public:
  explicit RateLimitTransport(std::string value) : value_(std::move(value)) {}
  tl::expected<kpi::HttpResponse, kpi::Error> Perform(const kpi::HttpRequest&, const kpi::TransferLimits&,
                                                      std::stop_token) override {
    switch (served_++) {
      case 0: return kpi::HttpResponse{.status = 429, .headers = {{"retry-after", value_}}, .body = ""};
      case 1:
        return kpi::HttpResponse{.status = 403,
                                 .headers = {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", value_}},
                                 .body = ""};
      case 2:
        return kpi::HttpResponse{
            .status = 429, .headers = {{"content-type", "application/json"}}, .body = R"({"retry_after": )" + value_ + "}"};
      default: return kpi::HttpResponse{.status = 200, .headers = {}, .body = "{}"};
    }
  }

 private:
  std::string value_;
  int served_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = kpi::fuzz::Text(data, size);
  if (const auto t = kpi::ParseTimestamp(text)) {
    const std::string formatted = kpi::FormatTimestamp(*t);
    const auto again = kpi::ParseTimestamp(formatted);
    KPI_FUZZ_CHECK(again && *again == std::chrono::floor<std::chrono::seconds>(*t));
  }
  if (const auto d = kpi::ParseDuration(text)) {
    KPI_FUZZ_CHECK(d->count() >= 0 && d->count() <= kpi::kMaxDurationMs);
    KPI_FUZZ_CHECK(kpi::ParseDuration(kpi::FormatDuration(*d)) == *d);
  }
  if (size > 4096) return 0;
  const kpi::testing::FakeClock clock;
  kpi::HttpClientOptions options;
  options.api_url = "https://api.example.test";
  options.max_attempts = 4;
  options.max_rate_limit_wait = std::chrono::hours(2);
  kpi::HttpClient http(std::make_unique<RateLimitTransport>(std::string(text)), clock, options);
  (void)http.Get("https://api.example.test/x");
  for (const milliseconds wait : clock.sleeps()) {
    KPI_FUZZ_CHECK(wait >= milliseconds::zero() && wait <= std::chrono::hours(1));
  }
  return 0;
}
