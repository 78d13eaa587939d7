// The HTTP server over loopback with the real scheduler, store and
// self-metrics behind its callbacks, as the app wires them. scripts/test.sh
// also runs these under ThreadSanitizer: handlers run on CivetWeb's threads
// while workers poll and a reload restarts them.
#include "exporter/web/http_server.h"

#include <curl/curl.h>
#include <doctest/doctest.h>
#include <spdlog/sinks/null_sink.h>
#include <zlib.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "collectors/common/upstream/curl_transport.h"
#include "tests/support/fake_transport.h"

using namespace kpi;
using namespace std::chrono_literals;

namespace {

// Succeeds every poll with value = poll number; every third poll fails.
class CountingCollector final : public Collector {
 public:
  explicit CountingCollector(std::string name) : name_(std::move(name)) { settings_.interval = 10ms; }
  std::string_view name() const override { return name_; }
  const SourceSettings& settings() const override { return settings_; }
  HttpClientOptions http_options() const override { return {}; }
  tl::expected<Snapshot, Error> Poll(HttpClient&, PollContext& context) override {
    const int n = ++polls_;
    context.report.Target("t", n % 3 != 0);
    if (n % 3 == 0) return tl::unexpected(Error{"parse", "every third poll fails"});
    SnapshotBuilder b;
    b.Gauge("counting_value", "Poll number.", {{"collector", name_}}, n);
    return std::move(b).Build();
  }

 private:
  std::string name_;
  SourceSettings settings_;
  std::atomic<int> polls_{0};
};

struct Answer {
  long status = 0;
  std::string body;
};

// Plain text: this client asks for no encoding.
Answer Fetch(const std::string& url, bool post = false) {
  CurlTransport transport;
  HttpRequest request{url, {{"Accept-Encoding", "identity"}}, post ? std::optional<std::string>("") : std::nullopt};
  auto response = transport.Perform(request, TransferLimits{}, {});
  if (!response) return Answer{-1, response.error().reason + ": " + response.error().message};
  return Answer{response->status, response->body};
}

// As Prometheus scrapes: asks for gzip and inflates here, requiring the
// body to be exactly one gzip member (curl --compressed and browsers stop
// after the first member).
Answer FetchGzip(const std::string& url) {
  CURL* curl = curl_easy_init();
  std::string raw;
  curl_slist* headers = curl_slist_append(nullptr, "Accept-Encoding: gzip");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &raw);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
  });
  const CURLcode code = curl_easy_perform(curl);
  long status = -1;
  if (code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) return Answer{-1, curl_easy_strerror(code)};

  std::string text;
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Answer{-1, "inflateInit2 failed"};
  z.next_in = reinterpret_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  char buffer[16384];
  int result = Z_OK;
  while (z.avail_in > 0 && result == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    result = inflate(&z, Z_NO_FLUSH);
    text.append(buffer, sizeof buffer - z.avail_out);
  }
  const bool trailing = z.avail_in > 0;
  inflateEnd(&z);
  if (result != Z_STREAM_END) return Answer{-1, "not a complete gzip body: " + std::to_string(result)};
  if (trailing) return Answer{-1, "more than one gzip member"};
  return Answer{status, text};
}

std::vector<std::shared_ptr<Collector>> Collectors() {
  return {std::make_shared<CountingCollector>("a"), std::make_shared<CountingCollector>("b")};
}

}  // namespace

TEST_CASE("scrapes, landing pages, readiness and reloads from many clients at once are all answered") {
  SystemClock clock;
  SnapshotStore store;
  SelfMetrics metrics{"test", "abc"};
  Logger logger{LogFormat::kLogfmt, spdlog::level::debug, nullptr, std::make_shared<spdlog::sinks::null_sink_mt>()};
  Scheduler scheduler{clock, store, metrics, logger,
                      [] { return std::make_unique<testing::FakeTransport>(std::make_shared<testing::FakeTransport::State>()); },
                      "test-agent"};
  scheduler.Start(Collectors(), 2);
  std::mutex reload_mu;  // as App::Reload: one reload at a time
  std::atomic<int> reloads{0};
  HttpServerCallbacks callbacks{
      [&] { return MakeMetricsPage(store.CurrentPage(), metrics.Render()); },
      [&] { return scheduler.Ready(); },
      [&] { return scheduler.Status(); },
      [&]() -> tl::expected<void, std::string> {
        std::lock_guard lock(reload_mu);
        scheduler.Stop(1s);
        scheduler.Start(Collectors(), 2);
        ++reloads;
        return {};
      },
      [](std::string_view text) { return std::string(text); },
      /*enable_lifecycle=*/true,
      nullptr,
  };
  auto server = HttpServer::Start({"127.0.0.1:0"}, "/metrics", "test", std::move(callbacks));
  REQUIRE(server);
  const std::string base = "http://127.0.0.1:" + std::to_string((*server)->ports().at(0));

  std::atomic<int> answered{0};
  std::vector<std::string> problems;
  std::mutex problems_mu;
  auto problem = [&](const std::string& what, const Answer& answer) {
    std::lock_guard lock(problems_mu);
    problems.push_back(what + " answered " + std::to_string(answer.status) + ": " + answer.body.substr(0, 200));
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 15; ++i) {
        const Answer page = c % 2 ? FetchGzip(base + "/metrics") : Fetch(base + "/metrics");
        if (page.status != 200 || page.body.find("kpi_exporter_build_info{") == std::string::npos) problem("/metrics", page);
        const Answer landing = Fetch(base + "/");
        if (landing.status != 200 || landing.body.find("<h2>Collectors</h2>") == std::string::npos) problem("/", landing);
        const Answer ready = Fetch(base + "/readyz");
        if (ready.status != 200 && ready.status != 503) problem("/readyz", ready);
        if (c == 0 && i % 5 == 4) {
          const Answer reload = Fetch(base + "/-/reload", true);
          if (reload.status != 200) problem("/-/reload", reload);
        }
        answered += 3;
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(problems.empty());
  for (const auto& p : problems) MESSAGE(p);
  CHECK(answered == 4 * 15 * 3);
  CHECK(reloads == 3);
  CHECK(Fetch(base + "/metrics").body.find("kpi_exporter_collector_interval_seconds{collector=\"a\"}") != std::string::npos);
  server->reset();  // no handler runs past this line
  scheduler.Stop(1s);
}
