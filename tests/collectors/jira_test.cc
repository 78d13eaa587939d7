#include "collectors/jira.h"

#include <doctest/doctest.h>

#include "collectors/time_util.h"
#include "exporter/config.h"
#include "collectors/all.h"
#include "tests/support/collector_test_util.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

using namespace kpi;
using namespace kpi::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kSite = "https://acme.atlassian.test";

std::string JiraTime(const FakeClock& clock, std::chrono::seconds ago) {
  // Jira's form: milliseconds and a +hhmm offset.
  std::string t = FormatTimestamp(clock.Now() - ago);
  return t.substr(0, t.size() - 1) + ".000+0000";
}

std::string IssueJson(const FakeClock& clock, std::chrono::seconds created_ago, std::optional<std::chrono::seconds> resolved_ago) {
  return "{\"key\":\"SUP-1\",\"fields\":{\"created\":\"" + JiraTime(clock, created_ago) + "\",\"resolutiondate\":" +
         (resolved_ago ? "\"" + JiraTime(clock, *resolved_ago) + "\"" : std::string("null")) + "}}";
}

struct World {
  FakeClock clock;
  std::shared_ptr<FakeTransport::State> state = std::make_shared<FakeTransport::State>();
  RecordingLog log;
  std::unique_ptr<JiraCollector> collector;
  std::unique_ptr<HttpClient> http;
  JiraConfig config;

  explicit World(bool cloud, int max_issues = 1000) {
    config.settings.api_url = kSite;
    config.cloud = cloud;
    config.email = cloud ? "bot@acme.test" : "";
    config.token = "jira-api-token-123";
    config.queries = {{"support", "project = SUP"}};
    config.max_issues = max_issues;
    collector = std::make_unique<JiraCollector>(config);
    http = std::make_unique<HttpClient>(std::make_unique<FakeTransport>(state), clock, collector->http_options());
  }
  std::string Search(const std::string& jql, int max, const std::string& cursor = "") const {
    std::string url = std::string(kSite) + (config.cloud ? "/rest/api/3/search/jql" : "/rest/api/2/search") +
                      "?jql=" + UrlEncode(jql) + "&fields=created,resolutiondate&maxResults=" + std::to_string(max);
    if (config.cloud) return cursor.empty() ? url : url + "&nextPageToken=" + cursor;
    return url + "&startAt=" + (cursor.empty() ? "0" : cursor);
  }
  void Set(const std::string& url, std::string body, std::map<std::string, std::string> headers = {}, long status = 200) {
    state->routes[url] = FakeExchange{{Json(std::move(body), std::move(headers), status)}, 0};
  }
  tl::expected<Snapshot, Error> Poll() {
    PollContext context{clock, log, {}, {}};
    return collector->Poll(*http, context);
  }
};

const std::string kResolved = "(project = SUP) AND resolved >= -30d ORDER BY resolved DESC";
const std::string kOldest = "(project = SUP) AND resolution IS EMPTY ORDER BY created ASC";

}  // namespace

TEST_CASE("Jira Cloud: approximate count, nextPageToken pages, missing resolution dates, oldest open") {
  World w(true);
  w.Set(std::string(kSite) + "/rest/api/3/search/approximate-count", R"({"count": 42})");
  // Page 1: resolved after 2h and 10h; page 2: one after 30h and one without a date (skipped).
  w.Set(w.Search(kResolved, 100),
        "{\"issues\":[" + IssueJson(w.clock, 5h, 3h) + "," + IssueJson(w.clock, 20h, 10h) + "],\"nextPageToken\":\"tok2\"}");
  w.Set(w.Search(kResolved, 100, "tok2"),
        "{\"issues\":[" + IssueJson(w.clock, 40h, 10h) + "," + IssueJson(w.clock, 50h, std::nullopt) + "],\"isLast\":true}");
  w.Set(w.Search(kOldest, 1), "{\"issues\":[" + IssueJson(w.clock, 72h, std::nullopt) + "],\"nextPageToken\":\"more\"}");
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "jira_issues{query=\"support\"} 42"));
  CHECK(HasLine(text, "jira_issue_resolution_seconds_count{query=\"support\",window=\"30d\"} 3"));
  CHECK(HasLine(text, "jira_issue_resolution_seconds_sum{query=\"support\",window=\"30d\"} 151200"));  // 2h + 10h + 30h = 42h
  CHECK(HasLine(text, "jira_issue_resolution_seconds{query=\"support\",window=\"30d\",quantile=\"0.5\"} 36000"));
  CHECK(HasLine(text, "jira_issues_oldest_open_age_seconds{query=\"support\"} 259200"));
  CHECK(HasLine(text, "kpi_exporter_jira_results_truncated{query=\"support\"} 0"));
  // The count is a POST with the JQL in a JSON body; every request carries basic auth.
  const auto& post = *std::find_if(w.state->requests.begin(), w.state->requests.end(),
                                   [](const HttpRequest& r) { return r.body.has_value(); });
  CHECK(*post.body == R"({"jql":"project = SUP"})");
  for (const auto& request : w.state->requests) {
    CHECK(std::any_of(request.headers.begin(), request.headers.end(), [](const auto& h) {
      return h.first == "Authorization" && h.second == "Basic " + Base64Encode("bot@acme.test:jira-api-token-123");
    }));
  }
}

TEST_CASE("Jira Data Center: total from maxResults=0, startAt pages, bearer token") {
  World w(false);
  w.Set(w.Search("project = SUP", 0), R"({"startAt":0,"maxResults":0,"total":7,"issues":[]})");
  w.Set(w.Search(kResolved, 100),
        "{\"startAt\":0,\"maxResults\":100,\"total\":2,\"issues\":[" + IssueJson(w.clock, 5h, 4h) + "]}");
  w.Set(w.Search(kResolved, 100, "1"),
        "{\"startAt\":1,\"maxResults\":100,\"total\":2,\"issues\":[" + IssueJson(w.clock, 9h, 4h) + "]}");
  w.Set(w.Search(kOldest, 1), R"({"startAt":0,"maxResults":1,"total":0,"issues":[]})");
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "jira_issues{query=\"support\"} 7"));
  CHECK(HasLine(text, "jira_issue_resolution_seconds_sum{query=\"support\",window=\"30d\"} 21600"));  // 1h + 5h
  CHECK(HasLine(text, "jira_issues_oldest_open_age_seconds{query=\"support\"} 0"));
  CHECK(w.state->requests.front().headers.back() == std::make_pair(std::string("Authorization"),
                                                                   std::string("Bearer jira-api-token-123")));
}

TEST_CASE("max_issues caps the walk and says so") {
  World w(false, 1);
  w.Set(w.Search("project = SUP", 0), R"({"startAt":0,"maxResults":0,"total":3,"issues":[]})");
  w.Set(w.Search(kResolved, 100), "{\"startAt\":0,\"maxResults\":100,\"total\":3,\"issues\":[" +
                                      IssueJson(w.clock, 5h, 4h) + "," + IssueJson(w.clock, 6h, 4h) + "]}");
  w.Set(w.Search(kOldest, 1), R"({"startAt":0,"maxResults":1,"total":0,"issues":[]})");
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  CHECK(HasLine(SnapshotText(*snapshot), "jira_issue_resolution_seconds_count{query=\"support\",window=\"30d\"} 1"));
  CHECK(HasLine(SnapshotText(*snapshot), "kpi_exporter_jira_results_truncated{query=\"support\"} 1"));
  CHECK(w.log.warnings.size() == 1);
}

TEST_CASE("a 401 is an unauthorized error without the token, a 429 waits for Retry-After") {
  World w(true);
  w.Set(std::string(kSite) + "/rest/api/3/search/approximate-count", R"({"errorMessages":["Unauthorized"]})", {}, 401);
  auto failed = w.Poll();
  REQUIRE_FALSE(failed);
  CHECK(failed.error().reason == "unauthorized");
  CHECK(failed.error().message.find("jira-api-token-123") == std::string::npos);

  World limited(true);
  limited.state->routes[std::string(kSite) + "/rest/api/3/search/approximate-count"] =
      FakeExchange{{Json("{}", {{"retry-after", "5"}}, 429), Json(R"({"count": 1})")}, 0};
  limited.Set(limited.Search(kResolved, 100), R"({"issues":[],"isLast":true})");
  limited.Set(limited.Search(kOldest, 1), R"({"issues":[]})");
  REQUIRE(limited.Poll());
  CHECK(limited.clock.sleeps() == std::vector<std::chrono::milliseconds>{5000ms});
}

TEST_CASE("JQL helpers drop ORDER BY and combine clauses") {
  CHECK(jira::WithoutOrderBy("project = SUP ORDER BY created DESC") == "project = SUP");
  CHECK(jira::WithoutOrderBy("project = SUP order by rank") == "project = SUP");
  CHECK(jira::WithoutOrderBy("project = SUP") == "project = SUP");
  CHECK(jira::Refine("a = 1 OR b = 2", "resolved >= -30d") == "(a = 1 OR b = 2) AND resolved >= -30d");
}

TEST_CASE("Jira config: named queries, flavors and their auth rules") {
  const auto parse = [](const std::string& text) {
    return ParseConfig(text, "j.toml", AllCollectorFactories(), [](const std::string&) -> std::optional<std::string> {
      return std::string("tok-from-env");
    });
  };
  auto ok = parse(R"([jira]
url = "https://acme.atlassian.net/"
email = "bot@acme.test"
token = "${JIRA_TOKEN}"
[[jira.queries]]
name = "support_open"
jql = "project = SUP AND statusCategory != Done ORDER BY created"
[[jira.queries]]
name = "bugs"
jql = "type = Bug"
)");
  REQUIRE(ok);
  CHECK(ok->collectors[0]->settings().api_url == "https://acme.atlassian.net");
  CHECK(ok->secrets == std::vector<std::string>{"tok-from-env"});

  const auto error = [&](const std::string& text) { return parse(text).error().ToString(); };
  CHECK(error("[jira]\nurl = \"https://x\"\nemail = \"a@b\"\ntoken = \"t\"\n[[jira.queries]]\nname = \"a b\"\njql = \"x\"\n") ==
        "j.toml:6:8: query 'name' must be non-empty letters, digits, '_', '-' or '.'");
  CHECK(error("[jira]\nurl = \"https://x\"\nemail = \"a@b\"\ntoken = \"t\"\n[[jira.queries]]\nname = \"a\"\njql = \"x\"\n"
              "[[jira.queries]]\nname = \"a\"\njql = \"y\"\n") == "j.toml:9:8: query name 'a' is used twice");
  CHECK(error("[jira]\nurl = \"https://x\"\ntoken = \"t\"\n[[jira.queries]]\nname = \"a\"\njql = \"x\"\n") ==
        "j.toml:3:9: Jira Cloud needs both 'email' and 'token' (an API token)");
  CHECK(error("[jira]\nurl = \"https://x\"\nflavor = \"server\"\n") ==
        "j.toml:3:10: 'flavor' in [jira] must be \"cloud\" or \"datacenter\"");
  CHECK(error("[jira]\nurl = \"https://x\"\nflavor = \"datacenter\"\ntoken = \"t\"\n[[jira.queries]]\nname = \"a\"\njql = \"x\"\nlimit = 3\n") ==
        "j.toml:8:1: unknown key 'limit' in [jira.queries]");
  CHECK(error("[jira]\nflavor = \"datacenter\"\n") == "j.toml:1:1: [jira] needs 'url', the site's base URL");
}
