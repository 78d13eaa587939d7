#include "collectors/jira.h"

#include <doctest/doctest.h>

#include <set>

#include "collectors/all.h"
#include "exporter/config.h"
#include "tests/collectors/jira_world.h"

using namespace kpi;
using namespace kpi::testing;
using namespace kpi::testing::jira_world;
using namespace std::chrono_literals;

namespace {

// A Data Center api/2/search page.
std::string DataCenterPage(const std::vector<std::string>& issues, int start_at, int max_results, int total) {
  return "{\"expand\":\"schema,names\",\"startAt\":" + std::to_string(start_at) + ",\"maxResults\":" +
         std::to_string(max_results) + ",\"total\":" + std::to_string(total) + ",\"issues\":" + Issues(issues) + "}";
}

using Truncations = std::set<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("Jira Cloud: approximate count, nextPageToken pages, missing resolution dates, oldest open, basic auth") {
  World w(true);
  w.Set(std::string(kSite) + "/rest/api/3/search/approximate-count", R"({"count": 42})");
  // Page 1: resolved after 2h and 10h; page 2: one after 30h and one without a date (skipped).
  w.Set(w.Search(kResolved, 100), CloudPage({IssueJson(w.clock, 5h, 3h), IssueJson(w.clock, 20h, 10h)}, "tok2"));
  w.Set(w.Search(kResolved, 100, "tok2"), CloudPage({IssueJson(w.clock, 40h, 10h), IssueJson(w.clock, 50h, std::nullopt)}));
  w.Set(w.Search(kOldest, 1), CloudPage({IssueJson(w.clock, 72h, std::nullopt)}, "more"));
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "jira_issues{query=\"support\"} 42"));
  CHECK(HasLine(text, "jira_issue_resolution_seconds_count{query=\"support\",window=\"30d\"} 3"));
  CHECK(HasLine(text, "jira_issue_resolution_seconds_sum{query=\"support\",window=\"30d\"} 151200"));  // 2h + 10h + 30h = 42h
  CHECK(HasLine(text, "jira_issue_resolution_seconds{query=\"support\",window=\"30d\",quantile=\"0.5\"} 36000"));
  CHECK(HasLine(text, "jira_issues_oldest_open_age_seconds{query=\"support\"} 259200"));
  CHECK(w.report.targets() == std::map<std::string, bool>{{"support", true}});
  CHECK(w.report.truncations().empty());
  // The count is a POST with the JQL in a JSON body; every request carries basic auth: base64("bot@acme.test:jira-api-token-123").
  const auto& post = *std::find_if(w.state->requests.begin(), w.state->requests.end(),
                                   [](const HttpRequest& r) { return r.body.has_value(); });
  CHECK(*post.body == R"({"jql":"project = SUP"})");
  for (const auto& request : w.state->requests) {
    CHECK(std::any_of(request.headers.begin(), request.headers.end(), [](const auto& h) {
      return h.first == "Authorization" && h.second == "Basic Ym90QGFjbWUudGVzdDpqaXJhLWFwaS10b2tlbi0xMjM=";
    }));
  }
}

TEST_CASE("Jira Cloud: isLast true ends the listing even when a nextPageToken comes along") {
  World w(true);
  w.CloudBasics(2);
  w.Set(w.Search(kResolved, 100),
        "{\"issues\":" + Issues({IssueJson(w.clock, 2h, 1h)}) + ",\"nextPageToken\":\"stale\",\"isLast\":true}");
  w.Set(w.Search(kResolved, 100, "stale"), CloudPage({IssueJson(w.clock, 9h, 1h)}));
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  CHECK(HasLine(SnapshotText(*snapshot), "jira_issue_resolution_seconds_count{query=\"support\",window=\"30d\"} 1"));
  CHECK_FALSE(w.Requested(w.Search(kResolved, 100, "stale")));
}

TEST_CASE("Jira Cloud: a page without isLast ends where its nextPageToken does, isLast false without a token is malformed") {
  const auto older = jira::ParseSearchPage(R"({"issues":[],"nextPageToken":"t2"})", true);
  REQUIRE(older);
  CHECK(older->next == "t2");
  CHECK_FALSE(jira::ParseSearchPage(R"({"issues":[]})", true)->next);
  CHECK(jira::ParseSearchPage(R"({"issues":[],"isLast":false})", true).error().message ==
        "search results: isLast is false but there is no nextPageToken");
}

TEST_CASE("Jira Data Center: total from maxResults=0, startAt pages, bearer token") {
  World w(false);
  w.Set(w.Search(kSupport, 0), DataCenterPage({}, 0, 0, 7));
  w.Set(w.Search(kResolved, 100), DataCenterPage({IssueJson(w.clock, 5h, 4h)}, 0, 100, 2));
  w.Set(w.Search(kResolved, 100, "1"), DataCenterPage({IssueJson(w.clock, 9h, 4h)}, 1, 100, 2));
  w.Set(w.Search(kOldest, 1), DataCenterPage({}, 0, 1, 0));
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "jira_issues{query=\"support\"} 7"));
  CHECK(HasLine(text, "jira_issue_resolution_seconds_count{query=\"support\",window=\"30d\"} 2"));
  CHECK(HasLine(text, "jira_issue_resolution_seconds_sum{query=\"support\",window=\"30d\"} 21600"));  // 1h + 5h
  CHECK(HasLine(text, "jira_issues_oldest_open_age_seconds{query=\"support\"} 0"));
  CHECK(w.state->requests.front().headers.back() == std::make_pair(std::string("Authorization"),
                                                                   std::string("Bearer jira-api-token-123")));
}

TEST_CASE("the window: resolved >= -30d in the JQL, resolved 29 days ago counts, 31 days ago does not") {
  World w(true);
  w.CloudBasics(3);
  // Created 40d, resolved 29d ago: 11 days. The one resolved 31d ago is outside, whatever Jira sent.
  w.Set(w.Search(kResolved, 100),
        CloudPage({IssueJson(w.clock, 40 * 24h, 29 * 24h), IssueJson(w.clock, 32 * 24h, 31 * 24h)}));
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "jira_issue_resolution_seconds_count{query=\"support\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "jira_issue_resolution_seconds_sum{query=\"support\",window=\"30d\"} 950400"));
}

TEST_CASE("exactly max_issues resolved issues and no further page is complete") {
  World w(true, 2);
  w.CloudBasics(2);
  w.Set(w.Search(kResolved, 100), CloudPage({IssueJson(w.clock, 3h, 2h), IssueJson(w.clock, 5h, 2h)}));
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "jira_issue_resolution_seconds_count{query=\"support\",window=\"30d\"} 2"));
  CHECK(HasLine(text, "jira_issue_resolution_seconds_sum{query=\"support\",window=\"30d\"} 14400"));  // 1h + 3h
  CHECK(w.report.truncations().empty());
  CHECK(text.find("truncated") == std::string::npos);
}

TEST_CASE("max_issues plus one resolved issue is a cut: reported, no summary yet, the query still up") {
  World w(true, 2);
  w.CloudBasics(3);
  w.Set(w.Search(kResolved, 100),
        CloudPage({IssueJson(w.clock, 3h, 2h), IssueJson(w.clock, 5h, 2h), IssueJson(w.clock, 9h, 2h)}));
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(text.find("jira_issue_resolution_seconds") == std::string::npos);
  CHECK(HasLine(text, "jira_issues{query=\"support\"} 3"));
  CHECK(w.report.truncations() == Truncations{{"support", "resolved_issues"}});
  CHECK(w.report.targets() == std::map<std::string, bool>{{"support", true}});
  CHECK(w.log.warnings.empty());  // the core logs cuts once per poll
}

TEST_CASE("the page cap cuts too: max_issues on the page and a further page") {
  World w(false, 1);  // one page of at most 100
  w.Set(w.Search(kSupport, 0), DataCenterPage({}, 0, 0, 2));
  w.Set(w.Search(kResolved, 100), DataCenterPage({IssueJson(w.clock, 3h, 2h)}, 0, 1, 2));
  w.Set(w.Search(kOldest, 1), DataCenterPage({}, 0, 1, 0));
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  CHECK(SnapshotText(*snapshot).find("jira_issue_resolution_seconds") == std::string::npos);
  CHECK(w.report.truncations() == Truncations{{"support", "resolved_issues"}});
  CHECK_FALSE(w.Requested(w.Search(kResolved, 100, "1")));
}

TEST_CASE("a cut listing keeps the last complete summary while the other values move on") {
  World w(true, 2);
  w.CloudBasics(2);
  w.Set(w.Search(kResolved, 100), CloudPage({IssueJson(w.clock, 3h, 2h), IssueJson(w.clock, 5h, 2h)}));
  REQUIRE(w.Poll());
  w.CloudBasics(3);
  w.Set(w.Search(kResolved, 100),
        CloudPage({IssueJson(w.clock, 3h, 2h), IssueJson(w.clock, 5h, 2h), IssueJson(w.clock, 100h, 2h)}));
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "jira_issues{query=\"support\"} 3"));
  CHECK(HasLine(text, "jira_issue_resolution_seconds_count{query=\"support\",window=\"30d\"} 2"));
  CHECK(HasLine(text, "jira_issue_resolution_seconds_sum{query=\"support\",window=\"30d\"} 14400"));
  CHECK(w.report.truncations() == Truncations{{"support", "resolved_issues"}});
}

TEST_CASE("a malformed or hostile answer fails only its query, whose last good values stay") {
  World w(false, 1000, {{"support", "project = SUP"}, {"bugs", "type = Bug"}});
  const std::string bugs_resolved = "%28type%20%3D%20Bug%29%20AND%20resolved%20%3E%3D%20-30d%20ORDER%20BY%20resolved%20DESC";
  const std::string bugs_oldest = "%28type%20%3D%20Bug%29%20AND%20resolution%20IS%20EMPTY%20ORDER%20BY%20created%20ASC";
  w.Set(w.Search(kSupport, 0), DataCenterPage({}, 0, 0, 7));
  w.Set(w.Search(kResolved, 100), DataCenterPage({IssueJson(w.clock, 5h, 4h)}, 0, 100, 1));
  w.Set(w.Search(kOldest, 1), DataCenterPage({}, 0, 1, 0));
  w.Set(w.Search("type%20%3D%20Bug", 0), DataCenterPage({}, 0, 0, 4));
  w.Set(w.Search(bugs_resolved, 100), DataCenterPage({}, 0, 100, 0));
  w.Set(w.Search(bugs_oldest, 1), DataCenterPage({}, 0, 1, 0));
  REQUIRE(w.Poll());
  w.Set(w.Search("type%20%3D%20Bug", 0), DataCenterPage({}, 0, 0, 5));
  for (const std::string& bad : {DataCenterPage({}, 0, 0, -1), std::string(R"({"issues":[{"fields":{"created":"soon"}}]})"),
                                std::string("<html>")}) {
    CAPTURE(bad);
    w.Set(w.Search(kSupport, 0), bad);
    auto result = w.Poll();
    REQUIRE_FALSE(result);
    CHECK(result.error().reason == "parse");
    CHECK(result.error().message.starts_with("support: "));
    CHECK(w.report.targets() == std::map<std::string, bool>{{"bugs", true}, {"support", false}});
    REQUIRE(result.error().partial);
    const std::string text = SnapshotText(*result.error().partial);
    CHECK(HasLine(text, "jira_issues{query=\"support\"} 7"));
    CHECK(HasLine(text, "jira_issue_resolution_seconds_count{query=\"support\",window=\"30d\"} 1"));
    CHECK(HasLine(text, "jira_issues{query=\"bugs\"} 5"));
  }
}

TEST_CASE("a 401 is an unauthorized error without the token, a 429 waits for Retry-After") {
  World w(true);
  w.Set(std::string(kSite) + "/rest/api/3/search/approximate-count", R"({"errorMessages":["Unauthorized"]})", {}, 401);
  auto failed = w.Poll();
  REQUIRE_FALSE(failed);
  CHECK(failed.error().reason == "unauthorized");
  CHECK(failed.error().message.find("jira-api-token-123") == std::string::npos);
  CHECK(w.report.targets() == std::map<std::string, bool>{{"support", false}});

  World limited(true);
  limited.state->routes[std::string(kSite) + "/rest/api/3/search/approximate-count"] =
      FakeExchange{{Json("{}", {{"retry-after", "5"}}, 429), Json(R"({"count": 1})")}, 0};
  limited.Set(limited.Search(kResolved, 100), CloudPage({}));
  limited.Set(limited.Search(kOldest, 1), CloudPage({}));
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
  // base64("bot@acme.test:tok-from-env"), by hand.
  CHECK(ok->collectors[0]->http_options().authorization == "Basic Ym90QGFjbWUudGVzdDp0b2stZnJvbS1lbnY=");

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
