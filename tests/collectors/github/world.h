// The GitHub collector's test world: one repository o/r behind an in-memory
// transport, answering every listing a default poll makes. Shared by the
// GitHub collector tests (collector, workflows, DORA, security).
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <doctest/doctest.h>

#include "collectors/common/time_util.h"
#include "collectors/github/collector.h"
#include "tests/support/collector_test_util.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

namespace kpi::testing::github_world {

using namespace std::chrono_literals;

inline constexpr const char* kApi = "https://api.test";
inline const std::string kRepo = std::string(kApi) + "/repos/o/r";

inline std::string Ago(const FakeClock& clock, std::chrono::seconds ago) { return FormatTimestamp(clock.Now() - ago); }

inline std::string IssueJson(const FakeClock& clock, int number, std::chrono::seconds age, int comments, bool pr = false,
                      const std::string& labels = "") {
  return "{\"number\":" + std::to_string(number) + ",\"title\":\"Issue " + std::to_string(number) +
         "\",\"html_url\":\"https://github.test/o/r/" + (pr ? "pull/" : "issues/") + std::to_string(number) +
         "\",\"created_at\":\"" + Ago(clock, age) +
         "\",\"user\":{\"login\":\"author\"},\"comments\":" + std::to_string(comments) + ",\"labels\":[" + labels + "]" +
         (pr ? ",\"pull_request\":{}" : "") + "}";
}

inline std::string CommentJson(const FakeClock& clock, const std::string& login, std::chrono::seconds ago, bool bot = false) {
  return "{\"user\":{\"login\":\"" + login + "\",\"type\":\"" + (bot ? "Bot" : "User") + "\"},\"created_at\":\"" +
         Ago(clock, ago) + "\"}";
}

struct World {
  FakeClock clock;
  std::shared_ptr<FakeTransport::State> state = std::make_shared<FakeTransport::State>();
  RecordingLog log;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<GithubCollector> collector;

  explicit World(GithubConfig config = {}) {
    config.settings.api_url = kApi;
    if (config.repos.empty() && config.orgs.empty()) config.repos = {"o/r"};
    collector = std::make_unique<GithubCollector>(config);
    http = std::make_unique<HttpClient>(std::make_unique<FakeTransport>(state), clock, collector->http_options());
    const std::string since = "2026-10-02T12:00:00Z";  // the clock's 2026-11-01T12:00:00Z minus 30 days
    Set(kRepo, R"({"stargazers_count":5,"subscribers_count":2,"forks_count":1,"open_issues_count":4,
                   "default_branch":"main","language":"Go"})");
    Set(kRepo + "/issues?per_page=100&state=open",
        "[" + IssueJson(clock, 1, 48h, 0) + "," + IssueJson(clock, 2, 1h, 0, true) + "," + IssueJson(clock, 3, 72h, 1) + "]",
        {{"link", "<" + kRepo + "/issues?per_page=100&state=open&page=2>; rel=\"next\""}});
    Set(kRepo + "/issues?per_page=100&state=open&page=2", "[" + IssueJson(clock, 4, 10h, 2) + "]");
    Set(kRepo + "/issues?per_page=100&state=all&since=" + since,
        "[" + IssueJson(clock, 4, 10h, 2, false, R"({"name":"BUG"})") + "," + IssueJson(clock, 5, 40 * 24h, 0) + "," +
            IssueJson(clock, 6, 5h, 0, true, R"({"name":"bug"})") + "]");
    Set(kRepo + "/issues/3/comments?per_page=100", "[" + CommentJson(clock, "ci-bot[bot]", 71h, true) + "]");
    Set(kRepo + "/issues/4/comments?per_page=100",
        "[" + CommentJson(clock, "author", 9h) + "," + CommentJson(clock, "maintainer", 8h) + "]");
    Set(kRepo + "/contributors?per_page=1", "[{},{},{}]");
    Set(kRepo + "/actions/workflows?per_page=100", R"({"workflows":[]})");
    Set(kRepo + "/pulls?state=closed&sort=updated&direction=desc&per_page=100", "[]");
    // Security features on, no alerts (tests of a repository without them override these).
    Set(kRepo + "/dependabot/alerts?state=open,fixed&per_page=100", "[]");
    Set(kRepo + "/code-scanning/alerts?state=open&per_page=100", "[]");
    Set(kRepo + "/secret-scanning/alerts?state=open&per_page=100", "[]");
    Set(std::string(kApi) + "/rate_limit", R"({"resources":{"core":{"limit":60,"remaining":50,"reset":1}}})");
  }

  void Set(const std::string& url, std::string body, std::map<std::string, std::string> headers = {}, long status = 200) {
    state->routes[url] = FakeExchange{{Json(std::move(body), std::move(headers), status)}, 0};
  }

  tl::expected<Snapshot, Error> Poll() {
    PollContext context{clock, log, {}, {}, shard};
    context.max_items = max_items;
    auto result = collector->Poll(*http, context);
    report = context.report;
    next_interval = context.next_interval;
    return result;
  }

  // The text of a successful poll, or of the partial snapshot of a failed one.
  std::string PollText() {
    auto result = Poll();
    if (result) return SnapshotText(*result);
    REQUIRE(result.error().partial);
    return SnapshotText(*result.error().partial);
  }

  PollReport report;  // of the last poll
  std::optional<std::chrono::milliseconds> next_interval;  // asked for by the last poll
  Shard shard;        // of the next poll
  size_t max_items = kDefaultMaxItems;  // of the next poll

  // The drill-down list `list` of o/r in the snapshot; fails the test when absent.
  static const ItemList& List(const Snapshot& snapshot, std::string_view list) {
    const auto& lists = snapshot.items();
    const auto found = std::find_if(lists.begin(), lists.end(),
                                    [&](const ItemList& l) { return l.target == "o/r" && l.list == list; });
    REQUIRE_MESSAGE(found != lists.end(), "no list " << list);
    return *found;
  }
};

}  // namespace kpi::testing::github_world
