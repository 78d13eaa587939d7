// The app as main() runs it (config file, scheduler, HTTP server), with the
// upstream replaced by in-memory transports.
#include "exporter/app.h"

#include <doctest/doctest.h>
#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <unistd.h>

#include "collectors/common/upstream/curl_transport.h"
#include "tests/support/fake_clock.h"

using namespace kpi;
using namespace std::chrono_literals;

namespace {

// Keeps every log line, readable from any thread.
class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string Text() {
    std::lock_guard lock(mutex_);
    return text_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    text_.append(msg.payload.data(), msg.payload.size());
    text_ += '\n';
  }
  void flush_() override {}

 private:
  std::string text_;
};

// An upstream that never answers: every request hangs until the poll is
// canceled (as a slow API does when the exporter shuts down).
class HangingTransport final : public HttpTransport {
 public:
  explicit HangingTransport(std::shared_ptr<std::atomic<int>> started) : started_(std::move(started)) {}
  tl::expected<HttpResponse, Error> Perform(const HttpRequest& request, const TransferLimits&,
                                            std::stop_token stop) override {
    ++*started_;
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    cv.wait(lock, stop, [] { return false; });
    return tl::unexpected(Error{"canceled", request.url + ": shutting down"});
  }

 private:
  std::shared_ptr<std::atomic<int>> started_;
};

struct TempConfig {
  std::filesystem::path path;
  explicit TempConfig(const std::string& text)
      : path(std::filesystem::temp_directory_path() /
             ("kpi-app-test-" + std::to_string(::getpid()) + ".toml")) {
    std::ofstream(path) << text;
  }
  ~TempConfig() { std::filesystem::remove(path); }
};

// The port from the "kpi-exporter started" line (port 0 in the flags picks a free one).
int StartedPort(CaptureSink& sink) {
  const std::string text = sink.Text();
  const auto line = text.find("msg=\"kpi-exporter started\"");
  const auto field = text.find(" port=", line == std::string::npos ? text.size() : line);
  return field == std::string::npos ? 0 : std::atoi(text.c_str() + field + 6);
}

long Post(const std::string& url) {
  CurlTransport transport;
  auto response = transport.Perform(HttpRequest{url, {}, std::string()}, TransferLimits{}, {});
  return response ? response->status : -1;
}

// An app polling one PyPI package from an upstream that never answers, with
// its log captured; Start() returns once its first poll is in flight.
struct HangingApp {
  TempConfig config;
  std::shared_ptr<CaptureSink> sink = std::make_shared<CaptureSink>();
  std::shared_ptr<SecretRedactor> redactor = std::make_shared<SecretRedactor>();
  Logger logger{LogFormat::kLogfmt, spdlog::level::info, redactor, sink};
  std::shared_ptr<std::atomic<int>> started = std::make_shared<std::atomic<int>>(0);
  std::unique_ptr<App> app;

  HangingApp(const std::string& shutdown_timeout, const Clock& clock, bool enable_lifecycle = false)
      : config("[exporter]\nshutdown_timeout = \"" + shutdown_timeout + "\"\n\n[pypi]\n"
               "api_url = \"http://upstream.invalid\"\nstats_url = \"http://upstream.invalid\"\n"
               "packages = [\"acme\"]\ninterval = \"1h\"\n") {
    Flags flags;
    flags.config_file = config.path.string();
    flags.listen_addresses = {"127.0.0.1:0"};
    flags.enable_lifecycle = enable_lifecycle;
    app = std::make_unique<App>(flags, logger, redactor, clock,
                                [started = started] { return std::make_unique<HangingTransport>(started); });
  }

  void Start() {
    REQUIRE(app->Start());
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (*started == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    REQUIRE(*started > 0);
  }
};

}  // namespace

TEST_CASE("a reload request that arrives while the app shuts down is refused, and shutdown completes") {
  SystemClock clock;
  HangingApp hanging("2s", clock, /*enable_lifecycle=*/true);
  hanging.Start();  // a poll is in flight, so Shutdown waits out its grace period
  App& app = *hanging.app;
  const auto& sink = hanging.sink;
  const int port = StartedPort(*sink);
  REQUIRE(port > 0);

  auto shutdown = std::async(std::launch::async, [&] { app.Shutdown(); });
  std::this_thread::sleep_for(500ms);  // Shutdown now waits out its grace period, holding the reload lock
  auto reload = std::async(std::launch::async, [&] { return Post("http://127.0.0.1:" + std::to_string(port) + "/-/reload"); });
  if (shutdown.wait_for(20s) != std::future_status::ready) {
    // Shutdown closed the server while holding the reload lock, and CivetWeb
    // waits for the reload handler, which waits for that lock. Deadlocked
    // threads can be neither joined nor destroyed: report and leave.
    FAIL_CHECK("Shutdown did not return: it deadlocked with the reload request");
    std::fflush(stdout);
    std::_Exit(1);
  }
  REQUIRE(reload.wait_for(10s) == std::future_status::ready);
  const long status = reload.get();
  if (status == 200) {
    // Only when the shutdown thread was starved for the whole sleep above: the reload
    // took the lock before Shutdown did and ran first, which is allowed.
    MESSAGE("the reload ran before Shutdown began; the refusal was not exercised");
    return;
  }
  // Refused (polling must not start again), or never accepted once the server closed.
  CHECK((status == 500 || status == -1));
  CHECK(sink->Text().find("config reloaded") == std::string::npos);
}

TEST_CASE("scrapes within a second share one live part of /metrics, a scrape a second later makes another") {
  testing::FakeClock clock;
  HangingApp hanging("1s", clock);
  hanging.Start();  // the first poll hangs, so no snapshot lands and nothing else moves the clock
  App& app = *hanging.app;
  const MetricsPage first = app.RenderMetrics();
  const MetricsPage again = app.RenderMetrics();
  CHECK(again.live == first.live);
  REQUIRE(first.live->gzip_tail);
  clock.Advance(1s);
  const MetricsPage later = app.RenderMetrics();
  CHECK(later.live != first.live);
  CHECK(later.live->text.find("kpi_exporter_build_info") != std::string::npos);
  app.Shutdown();
}
