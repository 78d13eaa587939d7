// GitHub collector logic over an in-memory transport. The end-to-end proof
// over real sockets is tests/integration/test_github.py.
#include "collectors/github/collector.h"

#include <algorithm>

#include <doctest/doctest.h>

#include "tests/collectors/github/world.h"

using namespace kpi;
using namespace kpi::testing;
using namespace kpi::testing::github_world;
using namespace std::chrono_literals;


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
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\",window=\"30d\"} 2"));
  CHECK(HasLine(text, "github_issues_awaiting_response_oldest_age_seconds{repo=\"o/r\",window=\"30d\"} 259200"));
  CHECK(HasLine(text, "github_issue_first_response_seconds_count{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "github_issue_first_response_seconds_sum{repo=\"o/r\",window=\"30d\"} 7200"));
  // Opened in the window: #4 (bug, case-insensitive); #5 is older; #6 is a PR.
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"1d\",kind=\"all\"} 1"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"bug\"} 1"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"all\"} 3"));
}

TEST_CASE("awaiting response counts only issues opened in awaiting_response_window, so its alert can clear") {
  GithubConfig config;
  config.awaiting_response_window = 60h;
  World world(config);
  const std::string text = world.PollText();
  // #1 (48h, no comments) is in the window; #3 (72h, only a bot answered) has left it and is not even asked about.
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\",window=\"2d12h\"} 1"));
  CHECK(HasLine(text, "github_issues_awaiting_response_oldest_age_seconds{repo=\"o/r\",window=\"2d12h\"} 172800"));
  CHECK(std::none_of(world.state->requests.begin(), world.state->requests.end(),
                     [](const HttpRequest& r) { return r.url == kRepo + "/issues/3/comments?per_page=100"; }));
}

TEST_CASE("REST: a known first response is not fetched again on the next poll") {
  GithubConfig config;
  config.graphql = false;
  World world(config);
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

TEST_CASE("the recent-issues listing keeps one URL within the day, so GitHub can answer it 304") {
  World world;
  REQUIRE(world.Poll());
  world.clock.Advance(11h + 59min);  // now - 30 d is 23:59 on the window's first day: still asked from midnight
  REQUIRE(world.Poll());
  const std::string url = kRepo + "/issues?per_page=100&state=all&since=2026-10-02T00:00:00Z";
  CHECK(std::count_if(world.state->requests.begin(), world.state->requests.end(),
                      [&](const HttpRequest& r) { return r.url == url; }) == 2);
}

TEST_CASE("a malformed answer fails the poll but keeps the last good values") {
  GithubConfig config;
  config.graphql = false;  // a malformed REST repository (a malformed GraphQL answer: graphql_test.cc)
  World world(config);
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
  config.graphql = false;  // REST's own reads
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

TEST_CASE("issues opened at 23 h and 25 h, 29 d and 31 d ago fall on their side of each window") {
  World world;
  const auto& c = world.clock;
  world.Set(kRepo + "/issues?per_page=100&state=all&since=2026-10-02T00:00:00Z",
            "[" + IssueJson(c, 11, 23h, 0, false, R"({"name":"bug"})") + "," +
                IssueJson(c, 12, 25h, 0, false, R"({"name":"bug"})") + "," + IssueJson(c, 13, 29 * 24h, 0) + "," +
                IssueJson(c, 14, 31 * 24h, 0, false, R"({"name":"bug"})") + "]");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"1d\",kind=\"all\"} 1"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"1d\",kind=\"bug\"} 1"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"all\"} 3"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"bug\"} 2"));
}

TEST_CASE("the first response is the earliest human comment, whatever order the page lists") {
  World world;
  // #4 opened 10 h ago: the reviewer answered 5 h ago, the maintainer 8 h ago (listed second).
  world.Set(kRepo + "/issues/4/comments?per_page=100",
            "[" + CommentJson(world.clock, "reviewer", 5h) + "," + CommentJson(world.clock, "maintainer", 8h) + "]");
  CHECK(HasLine(world.PollText(), "github_issue_first_response_seconds_sum{repo=\"o/r\",window=\"30d\"} 7200"));

  World in_order;
  in_order.Set(kRepo + "/issues/4/comments?per_page=100",
               "[" + CommentJson(in_order.clock, "maintainer", 8h) + "," + CommentJson(in_order.clock, "reviewer", 5h) + "]");
  CHECK(HasLine(in_order.PollText(), "github_issue_first_response_seconds_sum{repo=\"o/r\",window=\"30d\"} 7200"));
}

TEST_CASE("an issue of a deleted account is answered by any human, labels may be strings") {
  World world;
  world.Set(kRepo + "/issues?per_page=100&state=all&since=2026-10-02T00:00:00Z",
            "[{\"number\":4,\"created_at\":\"" + Ago(world.clock, 10h) +
                "\",\"user\":null,\"comments\":1,\"labels\":[\"bug\"]}]");
  world.Set(kRepo + "/issues/4/comments?per_page=100",
            "[{\"user\":null,\"created_at\":\"" + Ago(world.clock, 9h) + "\"}," + CommentJson(world.clock, "author", 7h) + "]");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_issue_first_response_seconds_sum{repo=\"o/r\",window=\"30d\"} 10800"));
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"1d\",kind=\"bug\"} 1"));
}

TEST_CASE("an open listing cut by max_pages keeps its awaiting values and counts the open issues exactly") {
  GithubConfig config;
  config.graphql = false;  // REST's own reads
  config.max_pages = 1;
  World world(config);
  const auto& c = world.clock;
  // First poll: one page, complete.
  world.Set(kRepo + "/issues?per_page=100&state=open&sort=created&direction=desc", "[" + IssueJson(c, 1, 48h, 0) + "," + IssueJson(c, 2, 1h, 0, true) + "]");
  std::string text = world.PollText();
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 1"));
  CHECK(HasLine(text, "github_repo_open_pull_requests{repo=\"o/r\"} 1"));
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK_FALSE(world.report.truncations().contains({"o/r", "open_issues"}));
  // Second poll: a second page exists that max_pages will not read; the counts come from counting the listings.
  world.Set(kRepo + "/issues?per_page=100&state=open&sort=created&direction=desc", "[" + IssueJson(c, 1, 48h, 0) + "," + IssueJson(c, 3, 2h, 0) + "]",
            {{"link", "<" + kRepo + "/issues?per_page=100&state=open&sort=created&direction=desc&page=2>; rel=\"next\""}});
  world.Set(kRepo + "/issues?per_page=100&state=open", "[{},{},{},{}]");
  world.Set(kRepo + "/pulls?per_page=100&state=open", "[{}]");
  text = world.PollText();
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 3"));
  CHECK(HasLine(text, "github_repo_open_pull_requests{repo=\"o/r\"} 1"));
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "github_issues_awaiting_response_oldest_age_seconds{repo=\"o/r\",window=\"30d\"} 172800"));
  CHECK(world.report.truncations().contains({"o/r", "open_issues"}));
  CHECK(world.report.targets().at("o/r"));  // a cut is not a failure
}

namespace {
std::string EmptyObjects(int n) {
  std::string list = "[";
  for (int i = 0; i < n; ++i) list += i ? ",{}" : "{}";
  return list + "]";
}
size_t RequestsTo(const World& world, const std::string& url) {
  return size_t(std::count_if(world.state->requests.begin(), world.state->requests.end(),
                              [&](const HttpRequest& request) { return request.url == url; }));
}
}  // namespace

TEST_CASE("REST: a large repository's open listing is read only as far as the awaiting window, its open issues counted") {
  GithubConfig config;
  config.graphql = false;  // with GraphQL the counts come from it (graphql_test.cc)
  World world(config);
  const auto& c = world.clock;
  const std::string open = kRepo + "/issues?per_page=100&state=open";
  // Newest first (GitHub's sort=created&direction=desc): #7 lies before the 30-day window, so page 2 is never read.
  world.Set(open + "&sort=created&direction=desc",
            "[" + IssueJson(c, 9, 1h, 0) + "," + IssueJson(c, 8, 2h, 0, true) + "," + IssueJson(c, 7, 40 * 24h, 0) + "]",
            {{"link", "<" + open + "&sort=created&direction=desc&page=2>; rel=\"next\""}});
  world.Set(open, EmptyObjects(100), {{"link", "<" + open + "&page=3>; rel=\"last\""}});
  world.Set(open + "&page=3", EmptyObjects(50));
  world.Set(kRepo + "/pulls?per_page=100&state=open", EmptyObjects(30));
  std::string text = world.PollText();
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 220"));
  CHECK(HasLine(text, "github_repo_open_pull_requests{repo=\"o/r\"} 30"));
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(RequestsTo(world, open + "&sort=created&direction=desc&page=2") == 0);
  CHECK(RequestsTo(world, open + "&page=2") == 0);  // rel="last" led straight to page 3
  CHECK_FALSE(world.report.truncations().contains({"o/r", "open_issues"}));

  // Next poll: the count starts on the page the last one ended on.
  world.Set(open + "&page=3", EmptyObjects(51));
  world.state->requests.clear();
  text = world.PollText();
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 221"));
  CHECK(RequestsTo(world, open) == 0);
  CHECK(RequestsTo(world, open + "&page=3") == 1);
}

TEST_CASE("REST: an open listing read to a full last page is counted again, not taken from the walk") {
  // A full page without rel="next" may still have one behind it (an old issue reopened lands on a new page while
  // the cached page answers 304 with its old Link): only a page that is not full ends a listing for certain.
  GithubConfig config;
  config.graphql = false;
  World world(config);
  const auto& c = world.clock;
  const std::string open = kRepo + "/issues?per_page=100&state=open";
  std::string page = "[";
  for (int i = 0; i < 100; ++i) page += (i ? "," : "") + IssueJson(c, 1000 - i, std::chrono::hours(i + 1), 0);
  world.Set(open + "&sort=created&direction=desc", page + "]");  // 100 open issues, no next page
  world.Set(open, EmptyObjects(100), {{"link", "<" + open + "&page=2>; rel=\"last\""}});
  world.Set(open + "&page=2", EmptyObjects(1));
  world.Set(kRepo + "/pulls?per_page=100&state=open", "[]");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 101"));
  CHECK(RequestsTo(world, open + "&page=2") == 1);
}

TEST_CASE("a cut before the first complete listing leaves the awaiting series out, the open issues counted") {
  GithubConfig config;
  config.graphql = false;  // REST's own reads
  config.max_pages = 1;
  World world(config);  // its open-issue listing has two pages
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 3"));
  CHECK(text.find("github_issues_awaiting_response{") == std::string::npos);
  CHECK(HasLine(text, "github_repo_stars{repo=\"o/r\"} 5"));
}

TEST_CASE("REST: when max_comment_requests runs out, response times are not guessed") {
  GithubConfig config;
  config.graphql = false;
  config.max_comment_requests = 0;
  World world(config);
  const std::string text = world.PollText();
  CHECK(text.find("github_issues_awaiting_response{") == std::string::npos);
  CHECK(text.find("github_issue_first_response_seconds") == std::string::npos);
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"all\"} 3"));
  CHECK(world.report.truncations().contains({"o/r", "comments"}));
}

TEST_CASE("REST: an issue whose comment pages outlast max_comment_requests is not counted as awaiting") {
  GithubConfig config;
  config.graphql = false;
  config.settings.concurrency = 1;
  config.max_comment_requests = 2;  // #4's page and #3's first: #3's next page is never read
  World world(config);
  const std::string comments = kRepo + "/issues/3/comments?per_page=100";
  world.Set(comments, "[" + CommentJson(world.clock, "ci-bot[bot]", 71h, true) + "]",
            {{"link", "<" + comments + "&page=2>; rel=\"next\""}});
  world.Set(comments + "&page=2", "[" + CommentJson(world.clock, "ci-bot[bot]", 70h, true) + "]",
            {{"link", "<" + comments + "&page=3>; rel=\"next\""}});
  const std::string text = world.PollText();
  // #3 may have been answered on a page not read: its awaiting state is unknown, so the count is absent.
  CHECK(text.find("github_issues_awaiting_response{") == std::string::npos);
  CHECK(world.report.truncations().contains({"o/r", "comments"}));
}

TEST_CASE("a repository too large to count contributors still exports everything else") {
  World world;
  world.Set(kRepo + "/contributors?per_page=100",
            R"({"message":"The history or contributor list is too large to list contributors for this repository via the API.",)"
            R"("documentation_url":"https://docs.github.com/rest/repos/repos#list-repository-contributors","status":"403"})",
            {}, 403);
  auto first = world.Poll();
  REQUIRE(first);
  const std::string text = SnapshotText(*first);
  CHECK(text.find("github_repo_contributors") == std::string::npos);
  CHECK(HasLine(text, "github_repo_stars{repo=\"o/r\"} 5"));
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 3"));
  CHECK(world.report.targets().at("o/r"));
  REQUIRE(world.Poll());
  CHECK(world.log.warnings.size() == 1);  // logged once, not every poll
}

TEST_CASE("a 403 on contributors that is not about size fails the repository") {
  World world;
  world.Set(kRepo + "/contributors?per_page=100", R"({"message":"Resource not accessible by integration"})", {}, 403);
  auto result = world.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "unauthorized");
  CHECK_FALSE(world.report.targets().at("o/r"));
}

TEST_CASE("every repository reports its own health") {
  GithubConfig config;
  config.repos = {"o/r", "o/missing"};
  World world(config);
  REQUIRE_FALSE(world.Poll());
  CHECK(world.report.targets() == std::map<std::string, bool>{{"o/missing", false}, {"o/r", true}});
}

TEST_CASE("merge lead time counts PRs merged 29 days ago, not 31") {
  World world;
  const auto pr = [&](std::chrono::hours created, std::chrono::hours merged) {
    return "{\"created_at\":\"" + Ago(world.clock, created) + "\",\"updated_at\":\"" + Ago(world.clock, 1h) +
           "\",\"merged_at\":\"" + Ago(world.clock, merged) + "\"}";
  };
  world.Set(kRepo + "/pulls?state=closed&sort=updated&direction=desc&per_page=100",
            "[" + pr(30 * 24h, 29 * 24h) + "," + pr(32 * 24h, 31 * 24h) + "]");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_pull_request_merge_lead_time_seconds_count{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "github_pull_request_merge_lead_time_seconds_sum{repo=\"o/r\",window=\"30d\"} 86400"));
}

TEST_CASE("a shard polls only the repositories whose name hashes to it") {
  GithubConfig config;
  config.repos = {"o/r", "o/c"};  // FNV-1a-64 mod 2: o/r 1, o/c 0
  World world(config);
  world.shard = Shard{1, 2};
  auto result = world.Poll();
  REQUIRE(result);  // o/c has no answers at all: it was never asked
  CHECK(HasLine(SnapshotText(*result), "github_repo_stars{repo=\"o/r\"} 5"));
  CHECK(world.report.targets() == std::map<std::string, bool>{{"o/r", true}});
  for (const auto& request : world.state->requests) CHECK(request.url.find("/repos/o/c") == std::string::npos);
}

TEST_CASE("contributors are counted exactly, also when one joins beyond the first page") {
  World world;
  const std::string contributors = kRepo + "/contributors?per_page=100";
  world.Set(contributors, EmptyObjects(100), {{"link", "<" + contributors + "&page=2>; rel=\"last\""}});
  world.Set(contributors + "&page=2", EmptyObjects(37));
  CHECK(HasLine(world.PollText(), "github_repo_contributors{repo=\"o/r\"} 137"));
  // The first page is unchanged (GitHub would answer it 304, its ETag covering its own items only): the
  // count goes on from page 2, where the new contributor is.
  world.Set(contributors + "&page=2", EmptyObjects(38));
  world.state->requests.clear();
  CHECK(HasLine(world.PollText(), "github_repo_contributors{repo=\"o/r\"} 138"));
  CHECK(RequestsTo(world, contributors) == 0);
  CHECK(RequestsTo(world, contributors + "&page=2") == 1);
}

TEST_CASE("a contributors page holding more than it may is a malformed answer") {
  World world;
  world.Set(kRepo + "/contributors?per_page=100", EmptyObjects(101));
  auto result = world.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "parse");
  CHECK(result.error().partial);
}

TEST_CASE("REST: repositories polled side by side give what one at a time gives, within one comment budget") {
  std::map<int, std::string> texts;
  std::map<int, size_t> comment_requests;
  for (const int concurrency : {1, 6}) {
    GithubConfig config;
    config.graphql = false;
    config.settings.concurrency = concurrency;
    config.max_comment_requests = 5;  // 12 lookups wanted: the budget runs out mid-poll
    for (int i = 0; i < 6; ++i) config.repos.push_back("o/r" + std::to_string(i));
    World world(config);
    // Every repository answers like o/r.
    const auto routes = world.state->routes;
    for (const auto& [url, exchange] : routes) {
      if (!url.starts_with(kRepo)) continue;
      for (int i = 0; i < 6; ++i) world.state->routes[kRepo + std::to_string(i) + url.substr(kRepo.size())] = exchange;
    }
    auto snapshot = world.Poll();
    REQUIRE(snapshot);
    texts[concurrency] = SnapshotText(*snapshot);
    comment_requests[concurrency] = std::count_if(world.state->requests.begin(), world.state->requests.end(),
                                                  [](const HttpRequest& r) { return r.url.find("/comments") != std::string::npos; });
    CHECK(HasLine(texts[concurrency], "github_repo_open_issues{repo=\"o/r5\"} 3"));
  }
  CHECK(comment_requests[1] == 5);
  CHECK(comment_requests[6] == 5);
  // Which repositories' lookups the budget covered depends on timing; the rest keep their
  // (here: absent) last complete values, so only complete groups differ, never a value.
  for (int i = 0; i < 6; ++i) {
    const std::string repo = "o/r" + std::to_string(i);
    for (const auto* metric : {"github_repo_stars", "github_repo_open_pull_requests", "github_repo_contributors"}) {
      const std::string prefix = std::string(metric) + "{repo=\"" + repo + "\"}";
      const auto line = [&](const std::string& text) {
        const auto at = text.find(prefix);
        return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
      };
      CHECK(line(texts[1]) == line(texts[6]));
      CHECK_FALSE(line(texts[6]).empty());
    }
  }
}

TEST_CASE("points spent are counted, and a limit that would not last stretches the interval") {
  World world;
  const auto reset = std::chrono::duration_cast<std::chrono::seconds>(world.clock.Now().time_since_epoch() + 1h).count();
  const auto with_remaining = [&](int64_t remaining) {
    world.Set(std::string(kApi) + "/rate_limit", R"({"resources":{"core":{"limit":5000,"remaining":)" +
                                                    std::to_string(remaining) + R"(,"reset":)" + std::to_string(reset) +
                                                    "}}}");
  };
  with_remaining(4000);  // plenty: 12 polls an hour at the default 5m cost far less
  const std::string text = world.PollText();
  // Every REST request but /rate_limit was answered 200 (no 304s yet): one point each; the
  // GraphQL queries (repository facts, first responses) are charged to graphql, as their answers say (1 point each).
  const auto charged = std::count_if(world.state->requests.begin(), world.state->requests.end(), [](const HttpRequest& r) {
    return !r.url.ends_with("/rate_limit") && !r.url.ends_with("/graphql");
  });
  REQUIRE(charged > 5);
  CHECK(HasLine(text, "github_api_points_spent_total{resource=\"core\"} " + std::to_string(charged)));
  CHECK(HasLine(text, "github_api_points_spent_total{resource=\"graphql\"} 2"));
  CHECK(world.next_interval == std::chrono::milliseconds(5min));
  with_remaining(charged - 1);  // not even one more poll before the reset: wait for it
  world.PollText();
  REQUIRE(world.next_interval);
  CHECK(*world.next_interval > std::chrono::milliseconds(55min));
  CHECK(*world.next_interval <= std::chrono::milliseconds(60min));
}

TEST_CASE("after a rate limit cut a poll short, the next poll starts with the first repository it missed") {
  GithubConfig config;
  config.graphql = false;  // REST's own reads
  config.settings.concurrency = 1;
  config.repos = {"o/a", "o/b", "o/c"};
  World world(config);
  const auto routes = world.state->routes;
  for (const auto& [url, exchange] : routes) {
    if (!url.starts_with(kRepo)) continue;
    for (const auto* name : {"o/a", "o/b", "o/c"}) {
      world.state->routes[std::string(kApi) + "/repos/" + name + url.substr(kRepo.size())] = exchange;
    }
  }
  // o/b runs the limit dry: it and every later request of this poll fail.
  const auto reset = std::chrono::duration_cast<std::chrono::seconds>(world.clock.Now().time_since_epoch() + 2h).count();
  world.state->routes[std::string(kApi) + "/repos/o/b"] = FakeExchange{
      {Json(R"({"message":"API rate limit exceeded"})",
            {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(reset)}}, 403),
       Json(R"({"stargazers_count":5,"default_branch":"main"})")},
      0};
  CHECK_FALSE(world.Poll());
  const auto first_repo_request = [&](size_t from) {
    for (size_t i = from; i < world.state->requests.size(); ++i) {
      const std::string& url = world.state->requests[i].url;
      for (const auto* name : {"/repos/o/a", "/repos/o/b", "/repos/o/c"}) {
        if (url == std::string(kApi) + name) return std::string(name);
      }
    }
    return std::string();
  };
  CHECK(first_repo_request(0) == "/repos/o/a");
  const size_t seen = world.state->requests.size();
  world.clock.Advance(3h);
  world.Poll();
  CHECK(first_repo_request(seen) == "/repos/o/b");
}
