// GitHub collector logic over an in-memory transport. The end-to-end proof
// over real sockets is tests/integration/test_github.py.
#include "collectors/github.h"

#include <doctest/doctest.h>

#include "collectors/time_util.h"
#include "tests/support/collector_test_util.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

using namespace kpi;
using namespace kpi::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kApi = "https://api.test";
const std::string kRepo = std::string(kApi) + "/repos/o/r";

std::string Ago(const FakeClock& clock, std::chrono::seconds ago) { return FormatTimestamp(clock.Now() - ago); }

std::string IssueJson(const FakeClock& clock, int number, std::chrono::seconds age, int comments, bool pr = false,
                      const std::string& labels = "") {
  return "{\"number\":" + std::to_string(number) + ",\"created_at\":\"" + Ago(clock, age) +
         "\",\"user\":{\"login\":\"author\"},\"comments\":" + std::to_string(comments) + ",\"labels\":[" + labels + "]" +
         (pr ? ",\"pull_request\":{}" : "") + "}";
}

std::string CommentJson(const FakeClock& clock, const std::string& login, std::chrono::seconds ago, bool bot = false) {
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
    const std::string since = FormatTimestamp(clock.Now() - 30 * 24h);
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
    Set(std::string(kApi) + "/rate_limit", R"({"resources":{"core":{"limit":60,"remaining":50,"reset":1}}})");
  }

  void Set(const std::string& url, std::string body, std::map<std::string, std::string> headers = {}, long status = 200) {
    state->routes[url] = FakeExchange{{Json(std::move(body), std::move(headers), status)}, 0};
  }

  tl::expected<Snapshot, Error> Poll() {
    PollContext context{clock, log, {}, {}};
    return collector->Poll(*http, context);
  }
};

}  // namespace

TEST_CASE("pull requests are never counted as issues, across pages") {
  World world;
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 3"));
  CHECK(HasLine(text, "github_repo_open_pull_requests{repo=\"o/r\"} 1"));
  CHECK(HasLine(text, "github_repo_contributors{repo=\"o/r\"} 3"));
  CHECK(HasLine(text, "github_repo_watchers{repo=\"o/r\"} 2"));
}

TEST_CASE("first response ignores the author and bots, awaiting counts the rest") {
  World world;
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  // #1 no comments, #3 only a bot: awaiting. #4 answered by maintainer 2h after opening.
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\"} 2"));
  CHECK(HasLine(text, "github_issues_awaiting_response_oldest_age_seconds{repo=\"o/r\"} 259200"));
  CHECK(HasLine(text, "github_issue_first_response_seconds_count{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "github_issue_first_response_seconds_sum{repo=\"o/r\",window=\"30d\"} 7200"));
  // Opened in the window: #4 (bug, case-insensitive); #5 is older; #6 is a PR.
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"1d\",kind=\"all\"} 1"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"bug\"} 1"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"all\"} 1"));
}

TEST_CASE("a known first response is not fetched again on the next poll") {
  World world;
  REQUIRE(world.Poll());
  const auto count = [&](const std::string& url) {
    return std::count_if(world.state->requests.begin(), world.state->requests.end(),
                         [&](const HttpRequest& r) { return r.url == url; });
  };
  CHECK(count(kRepo + "/issues/4/comments?per_page=100") == 1);
  REQUIRE(world.Poll());
  CHECK(count(kRepo + "/issues/4/comments?per_page=100") == 1);  // cached: answered issues stay answered
  CHECK(count(kRepo + "/issues/3/comments?per_page=100") == 2);  // still awaiting: asked again
}

TEST_CASE("workflow health comes from decisive runs on the default branch") {
  World world;
  world.Set(kRepo + "/actions/workflows?per_page=100",
            R"({"workflows":[{"id":7,"name":"Build & Test","state":"active"},{"id":8,"name":"Nightly","state":"active"}]})");
  const auto run = [&](const char* conclusion, int minutes_ago) {
    const std::string t = Ago(world.clock, std::chrono::minutes(minutes_ago));
    return std::string("{\"conclusion\":\"") + conclusion + "\",\"created_at\":\"" + t + "\",\"run_started_at\":\"" +
           Ago(world.clock, std::chrono::minutes(minutes_ago + 5)) + "\",\"updated_at\":\"" + t + "\"}";
  };
  world.Set(kRepo + "/actions/workflows/7/runs?branch=main&status=completed&per_page=20",
            "{\"workflow_runs\":[" + run("cancelled", 1) + "," + run("success", 10) + "," + run("failure", 20) + "," +
                run("success", 30) + "]}");
  world.Set(kRepo + "/actions/workflows/8/runs?branch=main&status=completed&per_page=20",
            "{\"workflow_runs\":[" + run("skipped", 1) + "]}");
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  const std::string labels = "{repo=\"o/r\",workflow=\"Build & Test\",branch=\"main\"}";
  CHECK(HasLine(text, "github_workflow_failing" + labels + " 0"));  // the cancelled run does not count
  CHECK(HasLine(text, "github_workflow_success_ratio" + labels + " 0.6666666666666666"));
  CHECK(HasLine(text, "github_workflow_last_run_duration_seconds" + labels + " 300"));
  CHECK(text.find("Nightly") == std::string::npos);  // no decisive run: no series
}

TEST_CASE("a malformed answer fails the poll but keeps the last good values") {
  World world;
  REQUIRE(world.Poll());
  world.Set(kRepo, R"({"stargazers_count": 9, "forks_count)");  // truncated
  auto failed = world.Poll();
  REQUIRE_FALSE(failed);
  CHECK(failed.error().reason == "parse");
  CHECK(failed.error().message.starts_with("o/r: repository: malformed JSON"));
  REQUIRE(failed.error().partial);
  CHECK(HasLine(SnapshotText(*failed.error().partial), "github_repo_stars{repo=\"o/r\"} 5"));
}

TEST_CASE("one failing repository does not blank the others") {
  GithubConfig config;
  config.repos = {"o/r", "o/missing"};
  World world(config);
  auto result = world.Poll();
  REQUIRE_FALSE(result);  // the poll reports the failure...
  CHECK(result.error().reason == "not_found");
  CHECK(result.error().message.starts_with("o/missing: https://api.test/repos/o/missing answered HTTP 404"));
  REQUIRE(result.error().partial);  // ...and still serves the healthy repository
  CHECK(HasLine(SnapshotText(*result.error().partial), "github_repo_stars{repo=\"o/r\"} 5"));
}

TEST_CASE("org repositories are listed, archived ones skipped, and kept when the listing fails") {
  GithubConfig config;
  config.orgs = {"o"};
  World world(config);
  world.Set(std::string(kApi) + "/orgs/o/repos?type=all&per_page=100",
            R"([{"full_name":"o/r","archived":false},{"full_name":"o/old","archived":true}])");
  auto first = world.Poll();
  REQUIRE(first);
  CHECK(HasLine(SnapshotText(*first), "github_repo_stars{repo=\"o/r\"} 5"));
  CHECK(SnapshotText(*first).find("o/old") == std::string::npos);

  world.Set(std::string(kApi) + "/orgs/o/repos?type=all&per_page=100", "oops", {}, 502);
  auto second = world.Poll();
  REQUIRE_FALSE(second);
  REQUIRE(second.error().partial);
  CHECK(HasLine(SnapshotText(*second.error().partial), "github_repo_stars{repo=\"o/r\"} 5"));
}

TEST_CASE("merge lead time counts PRs merged in the window and stops paging at its start") {
  World world;
  const auto pr = [&](std::chrono::hours created, std::chrono::hours updated, std::optional<std::chrono::hours> merged) {
    return "{\"created_at\":\"" + Ago(world.clock, created) + "\",\"updated_at\":\"" + Ago(world.clock, updated) +
           "\",\"merged_at\":" + (merged ? "\"" + Ago(world.clock, *merged) + "\"" : std::string("null")) + "}";
  };
  world.Set(kRepo + "/pulls?state=closed&sort=updated&direction=desc&per_page=100",
            "[" + pr(50h, 2h, 2h) + "," + pr(10h, 3h, std::nullopt) + "," + pr(800h, 750h, 750h) + "]",
            {{"link", "<" + kRepo + "/pulls?page=2>; rel=\"next\""}});
  world.Set(kRepo + "/pulls?page=2", "must not be read", {}, 500);
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "github_pull_request_merge_lead_time_seconds_count{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "github_pull_request_merge_lead_time_seconds_sum{repo=\"o/r\",window=\"30d\"} 172800"));
}

TEST_CASE("the token is sent as a bearer token to the API") {
  GithubConfig config;
  config.token = "ghp_unit_test_token";
  World world(config);
  REQUIRE(world.Poll());
  REQUIRE_FALSE(world.state->requests.empty());
  for (const auto& request : world.state->requests) {
    const bool has_auth = std::any_of(request.headers.begin(), request.headers.end(), [](const auto& h) {
      return h.first == "Authorization" && h.second == "Bearer ghp_unit_test_token";
    });
    CHECK(has_auth);
  }
}
