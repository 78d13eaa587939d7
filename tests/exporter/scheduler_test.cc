#include "exporter/scheduler.h"

#include <doctest/doctest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/ostream_sink.h>

#include <atomic>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/fake_transport.h"

using namespace kpi;
using namespace std::chrono_literals;

namespace {

// Succeeds with value = poll number, except on the polls listed to fail.
class ScriptedCollector final : public Collector {
 public:
  explicit ScriptedCollector(std::string name, std::set<int> failing = {}, std::chrono::milliseconds interval = 20ms)
      : name_(std::move(name)), failing_(std::move(failing)) {
    settings_.interval = interval;
  }
  std::string_view name() const override { return name_; }
  const SourceSettings& settings() const override { return settings_; }
  HttpClientOptions http_options() const override { return {}; }
  tl::expected<Snapshot, Error> Poll(HttpClient&, PollContext& context) override {
    const int n = ++polls;
    context.report.Target("t1", !failing_.contains(n));
    context.report.Truncated("t1", "listing");
    if (failing_.contains(n)) return tl::unexpected(Error{"parse", "scripted failure"});
    SnapshotBuilder b(context.max_series);
    b.Gauge("scripted_value", "Poll number.", {{"collector", name_}}, n);
    b.Gauge("scripted_extra", "A second series, past a cap of 1.", {}, n);
    return std::move(b).Build();
  }
  std::atomic<int> polls{0};

 private:
  std::string name_;
  std::set<int> failing_;
  SourceSettings settings_;
};

// One poll of three attempts: GET a answers 503 once (a retry), then 200; after a pause longer
// than the progress interval, GET b answers 404. Targets: a up, b down.
class ChattyCollector final : public Collector {
 public:
  ChattyCollector() { settings_.interval = 1h; }
  std::string_view name() const override { return "chatty"; }
  const SourceSettings& settings() const override { return settings_; }
  HttpClientOptions http_options() const override {
    HttpClientOptions options;
    options.max_attempts = 2;
    options.backoff_base = 1ms;
    options.backoff_max = 1ms;
    return options;
  }
  tl::expected<Snapshot, Error> Poll(HttpClient& http, PollContext& context) override {
    context.report.Target("a", http.GetOk("http://upstream/a").has_value());
    std::this_thread::sleep_for(60ms);
    context.report.Target("b", http.GetOk("http://upstream/b").has_value());
    SnapshotBuilder b(context.max_series);
    b.Gauge("chatty_value", "One series.", {}, 1);
    ++polls;
    return std::move(b).Build();
  }
  std::atomic<int> polls{0};

 private:
  SourceSettings settings_;
};

struct Fixture {
  SystemClock clock;
  SnapshotStore store;
  SelfMetrics metrics{"test", "abc"};
  Logger logger{LogFormat::kLogfmt, spdlog::level::debug, nullptr, std::make_shared<spdlog::sinks::null_sink_mt>()};
  Scheduler scheduler{clock, store, metrics, logger,
                      [] { return std::make_unique<testing::FakeTransport>(std::make_shared<testing::FakeTransport::State>()); },
                      "test-agent"};
};

template <typename Predicate>
bool Eventually(Predicate p, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return p();
}

}  // namespace

TEST_CASE("a failed poll keeps the last good snapshot and is counted") {
  Fixture f;
  auto collector = std::make_shared<ScriptedCollector>("scripted", std::set<int>{2, 3, 4, 5, 6, 7, 8, 9, 10});
  f.scheduler.Start({collector}, 2);
  REQUIRE(Eventually([&] { return collector->polls >= 4; }));
  f.scheduler.Stop(1s);
  CHECK(f.store.Render().find("scripted_value{collector=\"scripted\"} 1\n") != std::string::npos);
  const std::string self = f.metrics.Render();
  CHECK(self.find("kpi_exporter_collector_up{collector=\"scripted\"} 0") != std::string::npos);
  CHECK(self.find("kpi_exporter_collector_errors_total{collector=\"scripted\",reason=\"parse\"}") != std::string::npos);
  const auto status = f.scheduler.Status();
  REQUIRE(status.size() == 1);
  CHECK(status[0].polled);
  CHECK_FALSE(status[0].last_ok);
  CHECK(status[0].last_error == "parse: scripted failure");
}

TEST_CASE("ready only once every collector finished a first poll") {
  Fixture f;
  auto fast = std::make_shared<ScriptedCollector>("fast");
  auto failing = std::make_shared<ScriptedCollector>("failing", std::set<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  f.scheduler.Start({fast, failing}, 1);
  // A failed first poll still counts: readiness means "has tried", not "is healthy".
  REQUIRE(Eventually([&] { return f.scheduler.Ready(); }));
  CHECK(fast->polls >= 1);
  CHECK(failing->polls >= 1);
  f.scheduler.Stop(1s);
}

TEST_CASE("Stop returns promptly while workers sleep between long intervals") {
  Fixture f;
  auto slow = std::make_shared<ScriptedCollector>("slow", std::set<int>{}, std::chrono::hours(1));
  f.scheduler.Start({slow}, 1);
  REQUIRE(Eventually([&] { return slow->polls == 1; }));
  const auto started = std::chrono::steady_clock::now();
  f.scheduler.Stop(5s);
  CHECK(std::chrono::steady_clock::now() - started < 4s);  // woke up from an hour-long sleep
  CHECK(slow->polls == 1);
}

TEST_CASE("a reload keeps status and snapshots of collectors that stay and drops the rest") {
  Fixture f;
  auto a = std::make_shared<ScriptedCollector>("a");
  auto b = std::make_shared<ScriptedCollector>("b");
  f.scheduler.Start({a, b}, 2);
  REQUIRE(Eventually([&] { return f.scheduler.Ready(); }));
  f.scheduler.Stop(1s);
  auto a2 = std::make_shared<ScriptedCollector>("a", std::set<int>{}, std::chrono::hours(1));
  f.scheduler.Start({a2}, 2);
  CHECK(f.scheduler.Ready());  // "a" already polled under the old config
  CHECK(f.store.Has("a"));
  CHECK_FALSE(f.store.Has("b"));
  f.scheduler.Stop(1s);
}

namespace {

// Its polls wait until released (or canceled), so a test can reload while one is in flight.
class GatedCollector final : public Collector {
 public:
  explicit GatedCollector(std::string name) : name_(std::move(name)) { settings_.interval = std::chrono::hours(1); }
  std::string_view name() const override { return name_; }
  const SourceSettings& settings() const override { return settings_; }
  HttpClientOptions http_options() const override { return {}; }
  tl::expected<Snapshot, Error> Poll(HttpClient&, PollContext& context) override {
    ++started;
    while (!released) {
      if (context.stop.stop_requested()) {
        ++canceled;
        return tl::unexpected(Error{"canceled", "stopped"});
      }
      std::this_thread::sleep_for(1ms);
    }
    SnapshotBuilder b;
    b.Gauge("gated_value", "Constant.", {{"collector", name_}}, 1);
    ++finished;
    return std::move(b).Build();
  }
  std::atomic<bool> released{false};
  std::atomic<int> started{0}, finished{0}, canceled{0};

 private:
  std::string name_;
  SourceSettings settings_;
};

}  // namespace

TEST_CASE("a reload keeps unchanged collectors polling and restarts changed, new and removed ones") {
  Fixture f;
  auto same = std::make_shared<GatedCollector>("same");
  auto changed = std::make_shared<GatedCollector>("changed");
  auto removed = std::make_shared<GatedCollector>("removed");
  f.scheduler.Start({same, changed, removed}, 4, {}, kDefaultMaxSeries, {{"same", 1}, {"changed", 2}, {"removed", 3}});
  REQUIRE(Eventually([&] { return same->started == 1 && changed->started == 1 && removed->started == 1; }));

  auto same_new = std::make_shared<GatedCollector>("same");
  auto changed_new = std::make_shared<GatedCollector>("changed");
  auto added = std::make_shared<GatedCollector>("added");
  for (auto* c : {same_new.get(), changed_new.get(), added.get()}) c->released = true;
  const auto started = std::chrono::steady_clock::now();
  f.scheduler.Reload({same_new, changed_new, added}, 4, {}, kDefaultMaxSeries, {{"same", 1}, {"changed", 22}, {"added", 4}},
                     50ms);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  // Changed and removed: stopped after the grace period, their polls canceled.
  CHECK(changed->canceled == 1);
  CHECK(removed->canceled == 1);
  REQUIRE(Eventually([&] { return changed_new->finished == 1 && added->finished == 1; }));
  // Unchanged: the poll in flight goes on and lands; the new instance is never polled.
  CHECK(same->canceled == 0);
  same->released = true;
  REQUIRE(Eventually([&] { return f.store.Has("same"); }));
  CHECK(same->finished == 1);
  CHECK(same_new->started == 0);
  CHECK_FALSE(f.store.Has("removed"));
  std::vector<std::string> names;
  for (const auto& status : f.scheduler.Status()) names.push_back(status.name);
  CHECK(names == std::vector<std::string>{"added", "changed", "same"});

  // Exporter-wide settings changed (here the poll slots): every worker restarts.
  auto same_third = std::make_shared<GatedCollector>("same");
  same_third->released = true;
  f.scheduler.Reload({same_third}, 2, {}, kDefaultMaxSeries, {{"same", 1}}, 50ms);
  REQUIRE(Eventually([&] { return same_third->finished == 1; }));
  f.scheduler.Stop(1s);
}

TEST_CASE("a reload restarts a collector that has no fingerprint") {
  Fixture f;
  auto first = std::make_shared<GatedCollector>("c");
  f.scheduler.Start({first}, 1);
  REQUIRE(Eventually([&] { return first->started == 1; }));
  auto second = std::make_shared<GatedCollector>("c");
  second->released = true;
  f.scheduler.Reload({second}, 1, {}, kDefaultMaxSeries, {{"c", 1}}, 20ms);
  CHECK(first->canceled == 1);
  REQUIRE(Eventually([&] { return second->finished == 1; }));
  f.scheduler.Stop(1s);
}

TEST_CASE("a collector that throws is a failed poll, not a crash") {
  class Throwing final : public Collector {
   public:
    std::string_view name() const override { return "throwing"; }
    const SourceSettings& settings() const override { return settings_; }
    HttpClientOptions http_options() const override { return {}; }
    tl::expected<Snapshot, Error> Poll(HttpClient&, PollContext&) override {
      ++polls;
      throw std::runtime_error("bug");
    }
    std::atomic<int> polls{0};

   private:
    SourceSettings settings_{"", std::chrono::milliseconds(20), std::chrono::seconds(1)};
  };
  Fixture f;
  auto throwing = std::make_shared<Throwing>();
  f.scheduler.Start({throwing}, 1);
  REQUIRE(Eventually([&] { return throwing->polls >= 2; }));
  f.scheduler.Stop(1s);
  CHECK(f.scheduler.Status()[0].last_error == "internal: poll threw: bug");
  CHECK(f.metrics.Render().find("kpi_exporter_collector_errors_total{collector=\"throwing\",reason=\"internal\"}") !=
        std::string::npos);
}

TEST_CASE("a poll's report reaches the per-target metrics and the landing page status") {
  Fixture f;
  auto collector = std::make_shared<ScriptedCollector>("scripted", std::set<int>{2, 3, 4, 5, 6, 7, 8, 9, 10});
  f.scheduler.Start({collector}, 2);
  REQUIRE(Eventually([&] { return collector->polls >= 3; }));
  f.scheduler.Stop(1s);
  const std::string self = f.metrics.Render();
  CHECK(self.find("kpi_exporter_target_up{collector=\"scripted\",target=\"t1\"} 0") != std::string::npos);
  CHECK(self.find("kpi_exporter_target_last_success_timestamp_seconds{collector=\"scripted\",target=\"t1\"}") !=
        std::string::npos);  // from poll 1
  CHECK(self.find("kpi_exporter_truncated_total{collector=\"scripted\",target=\"t1\",what=\"listing\"}") !=
        std::string::npos);
  const auto status = f.scheduler.Status();
  REQUIRE(status.size() == 1);
  REQUIRE(status[0].targets.contains("t1"));
  CHECK_FALSE(status[0].targets.at("t1").ok);
  CHECK(status[0].targets.at("t1").last_success.time_since_epoch().count() > 0);
}

TEST_CASE("the series cap reaches every poll, and what it drops is counted") {
  Fixture f;
  auto collector = std::make_shared<ScriptedCollector>("scripted");
  f.scheduler.Start({collector}, 1, Shard{}, 1);
  REQUIRE(Eventually([&] { return collector->polls >= 2; }));
  f.scheduler.Stop(1s);
  CHECK(f.store.Render().find("scripted_extra") == std::string::npos);
  const std::string self = f.metrics.Render();
  CHECK(self.find("kpi_exporter_series_dropped_total{collector=\"scripted\",reason=\"limit\"} 0") == std::string::npos);
  CHECK(self.find("kpi_exporter_series_dropped_total{collector=\"scripted\",reason=\"limit\"}") != std::string::npos);
}

// What the HTTP server does while workers poll and a reload restarts them
// (scripts/test.sh also runs this under ThreadSanitizer): status, readiness,
// the stored page and the self-metrics are read from other threads throughout.
TEST_CASE("status, readiness, page and self-metrics are read while workers poll and reloads restart them") {
  Fixture f;
  std::atomic<bool> running{true};
  std::atomic<int> reads{0};
  std::atomic<int> broken{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (running) {
        for (const auto& status : f.scheduler.Status()) {
          if (status.name.empty() || status.interval.count() <= 0) ++broken;  // Start sets both
        }
        (void)f.scheduler.Ready();
        const auto page = f.store.CurrentPage();
        if (!page->text.empty() && !page->text.starts_with("# HELP scripted_")) ++broken;
        if (f.metrics.Render().find("kpi_exporter_build_info") == std::string::npos) ++broken;
        ++reads;
      }
    });
  }
  for (int reload = 0; reload < 3; ++reload) {
    // One collector stays across reloads, one is new each time, odd polls fail.
    auto stays = std::make_shared<ScriptedCollector>("stays", std::set<int>{1, 3, 5, 7, 9}, std::chrono::milliseconds(5));
    auto fresh = std::make_shared<ScriptedCollector>("fresh" + std::to_string(reload), std::set<int>{2, 4},
                                                     std::chrono::milliseconds(5));
    f.scheduler.Start({stays, fresh}, 1);
    CHECK(Eventually([&] { return stays->polls >= 2 && fresh->polls >= 2; }));
    f.scheduler.Stop(1s);
  }
  running = false;
  for (auto& t : readers) t.join();
  CHECK(reads > 0);
  CHECK(broken == 0);
  const auto status = f.scheduler.Status();
  REQUIRE(status.size() == 2);
  CHECK(status[0].name == "fresh2");
  CHECK(status[1].name == "stays");
  CHECK_FALSE(f.store.Has("fresh1"));
  CHECK(f.metrics.Render().find("kpi_exporter_collector_up{collector=\"fresh1\"}") == std::string::npos);
}

namespace {
// Asks, at every poll, to wait an hour before the next one (a rate limit that would not last).
class PatientCollector final : public Collector {
 public:
  PatientCollector() { settings_.interval = 20ms; }
  std::string_view name() const override { return "patient"; }
  const SourceSettings& settings() const override { return settings_; }
  HttpClientOptions http_options() const override { return {}; }
  tl::expected<Snapshot, Error> Poll(HttpClient&, PollContext& context) override {
    ++polls;
    context.next_interval = 1h;
    SnapshotBuilder b(context.max_series);
    b.Gauge("patient_value", "Polls.", {}, polls);
    return std::move(b).Build();
  }
  std::atomic<int> polls{0};

 private:
  SourceSettings settings_;
};
}  // namespace

TEST_CASE("a collector that asks for a longer wait is polled that much later, and the wait is shown") {
  Fixture f;
  auto collector = std::make_shared<PatientCollector>();
  f.scheduler.Start({collector}, 1);
  REQUIRE(Eventually([&] { return collector->polls >= 1; }));
  std::this_thread::sleep_for(400ms);  // twenty configured intervals
  CHECK(collector->polls == 1);
  const auto status = f.scheduler.Status();
  REQUIRE(status.size() == 1);
  CHECK(status[0].interval == 20ms);
  CHECK(status[0].effective_interval == std::chrono::milliseconds(1h));
  const std::string self = f.metrics.Render();
  CHECK(self.find("kpi_exporter_collector_effective_interval_seconds{collector=\"patient\"} 3600") != std::string::npos);
  CHECK(self.find("kpi_exporter_collector_interval_seconds{collector=\"patient\"} 0.02") != std::string::npos);
  f.scheduler.Stop(1s);
}

TEST_CASE("a poll logs one info line with duration, targets and requests, and lines for retries and progress") {
  std::ostringstream out;  // read only after Stop: the workers write it
  Logger logger{LogFormat::kLogfmt, spdlog::level::debug, nullptr, std::make_shared<spdlog::sinks::ostream_sink_mt>(out)};
  auto upstream = std::make_shared<testing::FakeTransport::State>();
  upstream->routes["http://upstream/a"].answers = {testing::Json("busy", {}, 503), testing::Json("{}")};
  SystemClock clock;
  SnapshotStore store;
  SelfMetrics metrics{"test", "abc"};
  Scheduler scheduler{clock, store, metrics, logger,
                      [upstream] { return std::make_unique<testing::FakeTransport>(upstream); }, "test-agent"};
  scheduler.set_progress_every(20ms);
  auto collector = std::make_shared<ChattyCollector>();
  scheduler.Start({collector}, 1);
  REQUIRE(Eventually([&] { return collector->polls >= 1 && scheduler.Ready(); }));
  scheduler.Stop(1s);
  const std::string log = out.str();
  INFO(log);
  const auto line = [&](std::string_view msg) {  // the last line with `msg`
    const auto at = log.rfind(msg);
    if (at == std::string::npos) return std::string();
    const auto start = log.rfind('\n', at);
    return log.substr(start == std::string::npos ? 0 : start + 1, log.find('\n', at) - (start == std::string::npos ? 0 : start + 1));
  };
  const std::string retry = line("retrying in");
  CHECK(retry.find("level=debug") != std::string::npos);
  CHECK(retry.find("collector=chatty") != std::string::npos);
  CHECK(retry.find("(attempt 2 of 2): http_5xx") != std::string::npos);
  const std::string progress = line("msg=\"poll in progress\"");
  CHECK(progress.find("level=info") != std::string::npos);
  CHECK(progress.find(" requests=3") != std::string::npos);
  CHECK(progress.find(" targets_done=1 targets_ok=1") != std::string::npos);
  const std::string finished = line("msg=\"poll finished\"");
  CHECK(finished.find("level=info") != std::string::npos);
  CHECK(finished.find("collector=chatty duration_seconds=") != std::string::npos);
  CHECK(finished.find(" targets_ok=1 targets_failed=1 requests=3 series=1") != std::string::npos);
}
