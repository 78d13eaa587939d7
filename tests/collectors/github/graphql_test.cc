// GitHub GraphQL: the query, its price, its answer (collectors/github/graphql.h),
// and first-response lookups through it against the collector's test world.
// Every query shape is also validated against GitHub's published schema by
// the integration fake (tests/fake_upstream, tests/graphql/validate.mjs).
#include "collectors/github/graphql.h"

#include <functional>
#include <sstream>

#include <doctest/doctest.h>

#include "tests/collectors/github/world.h"

using namespace kpi;
using namespace kpi::github;
using namespace kpi::testing;
using namespace kpi::testing::github_world;
using namespace std::chrono_literals;

namespace {

std::vector<CommentPageRequest> Pages(const std::string& repo, int from, int count, const std::string& after = "") {
  std::vector<CommentPageRequest> pages;
  for (int n = from; n < from + count; ++n) pages.push_back({repo, n, after});
  return pages;
}

CommentQuery OneQuery(const std::vector<CommentPageRequest>& pages) {
  auto queries = BuildCommentQueries(pages);
  REQUIRE(queries.size() == 1);
  return queries.front();
}

const char* kPage = R"({"comments":{"totalCount":2,"pageInfo":{"hasNextPage":false,"endCursor":"Y3Vy"},"nodes":[
  {"createdAt":"2026-11-01T10:00:00Z","author":{"login":"dependabot","__typename":"Bot"}},
  {"createdAt":"2026-11-01T11:00:00Z","author":null}]}})";

}  // namespace

TEST_CASE("graphql: the endpoint is /graphql on api.github.com and /api/graphql on GitHub Enterprise Server") {
  CHECK(GraphqlUrl("https://api.github.com") == "https://api.github.com/graphql");
  CHECK(GraphqlUrl("https://api.github.com/") == "https://api.github.com/graphql");
  CHECK(GraphqlUrl("https://ghe.example.com/api/v3") == "https://ghe.example.com/api/graphql");
  CHECK(GraphqlUrl("https://ghe.example.com/api/v3/") == "https://ghe.example.com/api/graphql");
  CHECK(GraphqlUrl("http://127.0.0.1:8080") == "http://127.0.0.1:8080/graphql");
}

TEST_CASE("graphql: string literals are escaped as the GraphQL spec says") {
  CHECK(GraphqlString("octo") == "\"octo\"");
  CHECK(GraphqlString("a\"b\\c\nd") == "\"a\\\"b\\\\c\\nd\"");
  CHECK(GraphqlString(std::string("\x01", 1)) == "\"\\u0001\"");
}

TEST_CASE("graphql: the query asks each issue's first 10 comments, a follow-up its next 100 after the cursor") {
  std::vector<CommentPageRequest> pages = {{"octo/hello", 12, ""}, {"octo/hello", 15, "Y3Vy\"x"}, {"acme/w", 3, ""}};
  const CommentQuery query = OneQuery(pages);
  CHECK(query.text ==
        "query { rateLimit { cost remaining resetAt limit used }"
        " r0: repository(owner: \"octo\", name: \"hello\") {"
        " i12: issue(number: 12) { comments(first: 10) { totalCount pageInfo { hasNextPage endCursor }"
        " nodes { createdAt author { login __typename } } } }"
        " i15: issue(number: 15) { comments(first: 100, after: \"Y3Vy\\\"x\") { totalCount pageInfo { hasNextPage "
        "endCursor } nodes { createdAt author { login __typename } } } } }"
        " r1: repository(owner: \"acme\", name: \"w\") {"
        " i3: issue(number: 3) { comments(first: 10) { totalCount pageInfo { hasNextPage endCursor }"
        " nodes { createdAt author { login __typename } } } } } }");
  // The POST body is JSON: the query's quotes and backslashes escaped once more.
  const std::string body = QueryBody(query.text);
  CHECK(body.starts_with("{\"query\":\"query { rateLimit"));
  CHECK(body.find(R"(after: \"Y3Vy\\\"x\")") != std::string::npos);
  CHECK(query.points == 1);
}

TEST_CASE("graphql: GitHub's documented worked examples of the point formula and the node limit") {
  // "Rate limits and query limits for the GraphQL API": viewer's repositories(first: 100), each
  // with issues(first: 50), each with labels(first: 60): 1 + 100 + 5000 = 5101 requests, 51 points.
  const std::vector<Connection> labels = {{100, {{50, {{60, {}}}}}}};
  CHECK(QueryRequests(labels) == 5101);
  CHECK(QueryPoints(labels) == 51);
  // Node limit examples: repositories(first: 50) with issues(first: 10): 550 nodes; the complex
  // one (pullRequests 20 with comments 10, issues 20 with comments 10, followers 10): 22 060.
  CHECK(QueryNodes({{50, {{10, {}}}}}) == 550);
  CHECK(QueryNodes({{50, {{20, {{10, {}}}}, {20, {{10, {}}}}}}, {10, {}}}) == 22060);
}

TEST_CASE("graphql: points are rounded to nearest, at least 1") {
  CHECK(QueryPoints({}) == 1);
  CHECK(QueryPoints(std::vector<Connection>(149, Connection{10, {}})) == 1);  // 1.49
  CHECK(QueryPoints(std::vector<Connection>(150, Connection{10, {}})) == 2);  // 1.5
  CHECK(QueryPoints(std::vector<Connection>(251, Connection{10, {}})) == 3);  // 2.51
  CHECK(QueryPoints({{100, {{100, {}}}}}) == 1);                              // 101 requests
}

TEST_CASE("graphql: batches hold at most 100 issues, stay far under GitHub's limits, and split by owner for an App") {
  auto pages = Pages("a/x", 1, 150);
  for (auto& page : Pages("b/y", 1, 60, "cursor")) pages.push_back(page);
  const auto queries = BuildCommentQueries(pages);
  REQUIRE(queries.size() == 3);
  size_t total = 0;
  for (const auto& query : queries) {
    CHECK(query.pages.size() <= kMaxIssuesPerQuery);
    CHECK(QueryNodes(CommentQueryConnections(query.pages)) <= kMaxNodesPerQuery);
    CHECK(query.points <= 10);
    total += query.pages.size();
  }
  CHECK(total == 210);
  CHECK(queries[1].text.find("r1: repository(owner: \"b\"") != std::string::npos);  // 50 of a/x, 50 of b/y
  CHECK(BuildCommentQueries(pages, true).size() == 3);                                 // 100 + 50 of a/x, 60 of b/y
  CHECK(BuildCommentQueries(pages, true)[1].pages.size() == 50);
  CHECK(BuildCommentQueries(Pages("a/x", 1, 100, "c")).front().points == 1);  // 100 requests: 10 000 nodes
}

TEST_CASE("graphql: a bot is told by __typename, a deleted account is author null") {
  const CommentQuery query = OneQuery(Pages("o/r", 1, 1));
  const std::string body = std::string(R"({"data":{"rateLimit":{"cost":1},"r0":{"i1":)") + kPage + "}}}";
  auto answer = ParseCommentAnswer(body, query);
  REQUIRE(answer);
  CHECK(answer->cost == 1);
  REQUIRE(answer->pages.size() == 1);
  REQUIRE(answer->pages[0]);
  const auto& comments = answer->pages[0]->comments;
  REQUIRE(comments.size() == 2);
  CHECK(comments[0].author == "dependabot");  // no "[bot]" in GraphQL
  CHECK(comments[0].author_is_bot);
  CHECK(comments[1].author.empty());
  CHECK_FALSE(comments[1].author_is_bot);
  CHECK_FALSE(answer->pages[0]->has_next);
}

TEST_CASE("graphql: NOT_FOUND for one repository fails only that repository's pages") {
  auto pages = Pages("o/gone", 1, 2);
  pages.push_back({"o/r", 7, ""});
  const CommentQuery query = OneQuery(pages);
  const std::string body = std::string(R"({"data":{"rateLimit":{"cost":1},"r0":null,"r1":{"i7":)") + kPage +
                           R"(}},"errors":[{"type":"NOT_FOUND","path":["r0"],"locations":[{"line":1,"column":60}],)"
                           R"("message":"Could not resolve to a Repository with the name 'o/gone'."}]})";
  auto answer = ParseCommentAnswer(body, query);
  REQUIRE(answer);
  REQUIRE(answer->pages.size() == 3);
  CHECK_FALSE(answer->pages[0]);
  CHECK_FALSE(answer->pages[1]);
  CHECK(answer->pages[0].error().message.find("Could not resolve") != std::string::npos);
  REQUIRE(answer->pages[2]);
  CHECK(answer->pages[2]->comments.size() == 2);
}

TEST_CASE("graphql: an error naming one issue fails that issue alone, even when data came with it") {
  const CommentQuery query = OneQuery(Pages("o/r", 1, 2));
  // An author GitHub could not resolve comes back null, like a ghost: the error's path tells it apart.
  const std::string body = std::string(R"({"data":{"rateLimit":{"cost":1},"r0":{"i1":)") + kPage + R"(,"i2":)" + kPage +
                           R"(}},"errors":[{"type":"FORBIDDEN","path":["r0","i1","comments","nodes",1,"author"],)"
                           R"("message":"Resource not accessible"}]})";
  auto answer = ParseCommentAnswer(body, query);
  REQUIRE(answer);
  CHECK_FALSE(answer->pages[0]);
  CHECK(answer->pages[1]);
}

TEST_CASE("graphql: RATE_LIMITED fails the batch like a rate limit, an answer without data fails it too") {
  const CommentQuery query = OneQuery(Pages("o/r", 1, 1));
  auto limited = ParseCommentAnswer(
      R"({"data":null,"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for user ID 1."}]})", query);
  REQUIRE_FALSE(limited);
  CHECK(limited.error().reason == "rate_limited");
  auto refused = ParseCommentAnswer(
      R"({"errors":[{"message":"Field 'nodez' doesn't exist on type 'IssueCommentConnection'","locations":[]}]})", query);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().reason == "parse");
  CHECK(refused.error().message.find("nodez") != std::string::npos);
  CHECK_FALSE(ParseCommentAnswer("{\"data\":", query));
  // hasNextPage without a cursor to go on from is malformed: that issue's page fails.
  auto no_cursor = ParseCommentAnswer(
      R"({"data":{"r0":{"i1":{"comments":{"totalCount":20,"pageInfo":{"hasNextPage":true,"endCursor":null},"nodes":[]}}}}})",
      query);
  REQUIRE(no_cursor);
  REQUIRE_FALSE(no_cursor->pages[0]);
  CHECK(no_cursor->pages[0].error().reason == "parse");
}

TEST_CASE("graphql: the pacer keeps GraphQL points within 2000 a minute") {
  FakeClock clock;
  PointsPacer pacer(10);
  const auto start = clock.Now();
  CHECK(pacer.Take(6, clock, {}));
  CHECK(pacer.Take(4, clock, {}));
  CHECK(clock.Now() == start);  // 10 fit into one minute
  CHECK(pacer.Take(1, clock, {}));
  CHECK(clock.Now() - start >= 60s);  // the 11th waited for the window to move
}

// --- first-response lookups through GraphQL, in the collector's test world ---

namespace {

// The lines of the first-response and awaiting families.
std::string ResponseLines(const std::string& text) {
  std::string lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("github_issue_first_response") || line.starts_with("github_issues_awaiting")) {
      lines += line + "\n";
    }
  }
  return lines;
}

size_t CountRequests(const World& world, std::string_view suffix) {
  return std::count_if(world.state->requests.begin(), world.state->requests.end(),
                       [&](const HttpRequest& r) { return std::string_view(r.url).ends_with(suffix); });
}

// GraphQL queries that look up first responses (not the repository facts).
size_t CountLookups(const World& world) {
  return std::count_if(world.state->requests.begin(), world.state->requests.end(), [](const HttpRequest& r) {
    return r.url.ends_with("/graphql") && r.body && r.body->find("issue(number:") != std::string::npos;
  });
}

// Polls a world without GraphQL and one with it, each set up by `arrange` and looked at by `check` after its poll;
// checks both gave the same first-response lines and returns them.
std::string PollBothModes(const std::function<void(World&)>& arrange,
                          const std::function<void(const World&, bool graphql)>& check) {
  std::map<bool, std::string> lines;
  for (const bool graphql : {false, true}) {
    GithubConfig config;
    config.graphql = graphql;
    World world(config);
    arrange(world);
    lines[graphql] = ResponseLines(world.PollText());
    check(world, graphql);
  }
  CHECK(lines[true] == lines[false]);
  return lines[true];
}

}  // namespace

TEST_CASE("graphql: first response and awaiting response equal REST's, a bot and the author's own comment included") {
  const std::string lines = PollBothModes(
      [](World& world) {
        // #4: the author, then a bot by type whose REST login ends in [bot], then a maintainer.
        world.Set(kRepo + "/issues/4/comments?per_page=100",
                  "[" + CommentJson(world.clock, "author", 9h) + "," +
                      CommentJson(world.clock, "helper[bot]", 8h + 30min, true) + "," +
                      CommentJson(world.clock, "maintainer", 8h) + "]");
      },
      [](const World& world, bool graphql) {
        CHECK(CountLookups(world) == (graphql ? 1 : 0));
        CHECK(CountRequests(world, "/comments?per_page=100") == (graphql ? 0 : 2));
      });
  CHECK(lines.find("github_issue_first_response_seconds_sum{repo=\"o/r\",window=\"30d\"} 7200") != std::string::npos);
  CHECK(lines.find("github_issues_awaiting_response{repo=\"o/r\",window=\"30d\"} 2") != std::string::npos);
}

TEST_CASE("graphql: an issue without an answer in its first 10 comments is read on, 100 at a time") {
  const std::string lines = PollBothModes(
      [](World& world) {
        // 150 comments by the author and bots, then a maintainer: found on the second follow-up page.
        std::string comments = "[";
        for (int k = 0; k < 150; ++k) {
          comments += CommentJson(world.clock, k % 2 ? "author" : "ci[bot]", 9h, k % 2 == 0) + ",";
        }
        world.Set(kRepo + "/issues/4/comments?per_page=100",
                  comments + CommentJson(world.clock, "maintainer", 7h) + "]");
      },
      [](const World& world, bool graphql) {
        if (graphql) CHECK(CountLookups(world) == 3);  // 10, then 100, then the last 41
      });
  CHECK(lines.find("github_issue_first_response_seconds_sum{repo=\"o/r\",window=\"30d\"} 10800") != std::string::npos);
}

TEST_CASE("graphql: NOT_FOUND for one repository fails only its first-response values") {
  GithubConfig config;
  config.repos = {"o/r", "o/r2"};
  World world(config);
  for (const auto& [url, exchange] : std::map(world.state->routes)) {
    if (url.starts_with(kRepo)) world.state->routes[kRepo + "2" + url.substr(kRepo.size())] = exchange;
  }
  world.graphql_not_found = {"o/r2"};
  auto result = world.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "not_found");
  CHECK(result.error().message.find("o/r2: first-response lookup: o/r2#") != std::string::npos);
  REQUIRE(result.error().partial);
  const std::string text = SnapshotText(*result.error().partial);
  CHECK(HasLine(text, "github_issue_first_response_seconds_count{repo=\"o/r\",window=\"30d\"} 1"));
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\",window=\"30d\"} 2"));
  CHECK(text.find("github_issue_first_response_seconds_count{repo=\"o/r2\"") == std::string::npos);
  CHECK(text.find("github_issues_awaiting_response{repo=\"o/r2\"") == std::string::npos);
  CHECK(HasLine(text, "github_repo_stars{repo=\"o/r2\"} 5"));  // its other values are fresh
  CHECK(world.report.targets().at("o/r"));
  CHECK_FALSE(world.report.targets().at("o/r2"));
}

TEST_CASE("graphql: when max_graphql_points runs out, response times are not guessed") {
  GithubConfig config;
  config.max_graphql_points = 0;
  World world(config);
  const std::string text = world.PollText();
  CHECK(CountRequests(world, "/graphql") == 1);  // the repository facts alone: no first-response lookup
  CHECK(text.find("github_issues_awaiting_response{") == std::string::npos);
  CHECK(text.find("github_issue_first_response_seconds") == std::string::npos);
  CHECK(HasLine(text, "github_issues_opened{repo=\"o/r\",window=\"30d\",kind=\"all\"} 3"));
  CHECK(world.report.truncations().contains({"o/r", "comments"}));
}

TEST_CASE("graphql: only issues new or updated since their last lookup are asked again") {
  World world;
  // #3 (only a bot answered) carries updated_at: "no answer yet" holds while it is unchanged.
  const auto open_page = [&](const std::string& updated) {
    world.Set(kRepo + "/issues?per_page=100&state=all&since=2026-10-02T00:00:00Z",
              "[" + IssueJson(world.clock, 4, 10h, 2) + "," + IssueJson(world.clock, 1, 48h, 0) + "," +
                  IssueJson(world.clock, 3, 72h, 1).insert(1, "\"updated_at\":\"" + updated + "\",") + "]");
  };
  open_page("2026-10-30T12:00:00Z");
  REQUIRE(world.Poll());
  const auto query_count = [&] { return CountLookups(world); };
  CHECK(query_count() == 1);  // #3 and #4 in one query
  REQUIRE(world.Poll());
  CHECK(query_count() == 1);  // #4 answered (cached), #3 unchanged: nothing to ask
  open_page("2026-11-01T11:00:00Z");  // a new comment moved updated_at
  world.Set(kRepo + "/issues/3/comments?per_page=100",
            "[" + CommentJson(world.clock, "ci-bot[bot]", 71h, true) + "," + CommentJson(world.clock, "maintainer", 1h) + "]");
  const std::string text = world.PollText();
  CHECK(query_count() == 2);
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\",window=\"30d\"} 1"));
}

namespace {
// The lines of `text` that start with `prefix`.
std::string Lines(const std::string& text, std::string_view prefix) {
  std::istringstream in(text);
  std::string lines;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) lines += line + "\n";
  }
  return lines;
}
}  // namespace

TEST_CASE("graphql: repository facts and open counts come from one query, the same as REST reads them") {
  // The recent listing holds a closed issue nobody answered (#7): it awaits nothing, in either mode.
  const auto with_closed_issue = [](World& world) {
    std::string closed = IssueJson(world.clock, 7, 20h, 0);
    closed.replace(closed.find("\"state\":\"open\""), 14, "\"state\":\"closed\"");
    world.Set(kRepo + "/issues?per_page=100&state=all&since=2026-10-02T00:00:00Z",
              "[" + IssueJson(world.clock, 4, 10h, 2) + "," + closed + "," + IssueJson(world.clock, 1, 48h, 0) + "," +
                  IssueJson(world.clock, 3, 72h, 1) + "]");
  };
  World graphql;
  with_closed_issue(graphql);
  const std::string text = graphql.PollText();
  CHECK(CountRequests(graphql, "/graphql") >= 1);
  for (const auto& request : graphql.state->requests) {
    CHECK(request.url != kRepo);                                       // no REST repository read
    CHECK(request.url.find("/issues?per_page=100&state=open") == std::string::npos);  // counted in GraphQL
  }
  GithubConfig rest_config;
  rest_config.graphql = false;
  World rest(rest_config);
  with_closed_issue(rest);
  const std::string rest_text = rest.PollText();
  for (const char* metric : {"github_repo_stars{", "github_repo_forks{", "github_repo_watchers{", "github_repo_info{",
                             "github_repo_open_issues{", "github_repo_open_pull_requests{",
                             "github_issues_awaiting_response{", "github_issues_awaiting_response_oldest_age_seconds{"}) {
    CAPTURE(metric);
    CHECK(Lines(text, metric) == Lines(rest_text, metric));
    CHECK_FALSE(Lines(text, metric).empty());
  }
  CHECK(HasLine(text, "github_issues_awaiting_response{repo=\"o/r\",window=\"30d\"} 2"));  // #1 and #3, not #7
}

TEST_CASE("graphql: a repository GraphQL does not find fails alone and keeps its last values") {
  GithubConfig config;
  config.repos = {"o/r", "o/gone"};
  World world(config);
  const std::string text = world.PollText();  // a partial poll
  CHECK(world.report.targets().at("o/r"));
  CHECK_FALSE(world.report.targets().at("o/gone"));
  CHECK(HasLine(text, "github_repo_stars{repo=\"o/r\"} 5"));
}

TEST_CASE("without a token or App the collector reads REST alone: GitHub's GraphQL API refuses anonymous requests") {
  World world(GithubConfig{}, false);
  const std::string text = world.PollText();
  CHECK(CountRequests(world, "/graphql") == 0);
  CHECK(HasLine(text, "github_repo_stars{repo=\"o/r\"} 5"));
  CHECK(HasLine(text, "github_repo_open_issues{repo=\"o/r\"} 3"));
}

TEST_CASE("graphql: contributors are not read again while the default branch's head stays where a settled count saw it") {
  World world;
  const auto push = [&](const std::string& pushed_at) {  // the world names the head after pushed_at
    world.Set(kRepo, R"({"stargazers_count":5,"subscribers_count":2,"forks_count":1,"default_branch":"main",)"
                     R"("language":"Go","pushed_at":")" + pushed_at + "\"}");
  };
  const auto reads = [&] { return CountRequests(world, "/contributors?per_page=100"); };
  push("2026-11-01T00:00:00Z");
  CHECK(HasLine(world.PollText(), "github_repo_contributors{repo=\"o/r\"} 3"));
  CHECK(reads() == 1);
  // GitHub caches contributors "a few hours": counts made within 6 hours of the head's move are read again.
  world.clock.Advance(5h);
  world.PollText();
  CHECK(reads() == 2);
  world.clock.Advance(2h);  // 7 hours after the head was first seen: this count is settled
  world.PollText();
  CHECK(reads() == 3);
  world.clock.Advance(1h);
  world.Set(kRepo + "/contributors?per_page=100", "[{},{},{},{}]");  // never read: the head has not moved
  CHECK(HasLine(world.PollText(), "github_repo_contributors{repo=\"o/r\"} 3"));
  CHECK(reads() == 3);
  // A day after the settled count it is read again (an author linking an email merges entries, no push needed).
  const std::string recent_url = kRepo + "/issues?per_page=100&state=all&since=2026-10-02T00:00:00Z";
  world.state->routes[kRepo + "/issues?per_page=100&state=all&since=2026-10-03T00:00:00Z"] = world.state->routes[recent_url];
  world.clock.Advance(24h);
  CHECK(HasLine(world.PollText(), "github_repo_contributors{repo=\"o/r\"} 4"));
  CHECK(reads() == 4);
  // The head moves: read again at once, and again an hour later (a count made right after a move is not trusted).
  push("2026-11-02T21:00:00Z");
  world.PollText();
  CHECK(reads() == 5);
  world.clock.Advance(1h);
  world.PollText();
  CHECK(reads() == 6);
}

TEST_CASE("graphql: REST mode knows no head: contributors are read every poll") {
  GithubConfig config;
  config.graphql = false;
  World world(config);
  for (int poll = 1; poll <= 8; ++poll) {  // hourly, 12:00 to 19:00: a head would have settled by 18:00
    world.PollText();
    world.clock.Advance(1h);
  }
  CHECK(CountRequests(world, "/contributors?per_page=100") == 8);
}

TEST_CASE("graphql: a malformed repository in the facts answer fails that repository alone") {
  const auto queries = BuildRepoQueries({"o/a", "o/b", "o/c", "o/empty"});
  REQUIRE(queries.size() == 1);
  const std::string good = R"({"stargazerCount":3,"forkCount":1,"watchers":{"totalCount":2},)"
                           R"("defaultBranchRef":{"name":"main","target":{"oid":"6dcb09b5"}},"primaryLanguage":null,)"
                           R"("isArchived":false,"openIssues":{"totalCount":4},"openPullRequests":{"totalCount":1}})";
  std::string bad = good;
  bad.replace(bad.find("3,"), 1, "\"x\"");
  std::string empty = good;  // an empty repository has no default branch, so no head
  empty.replace(empty.find(R"({"name":"main")"), std::string(R"({"name":"main","target":{"oid":"6dcb09b5"}})").size(), "null");
  auto answer = ParseRepoAnswer(R"({"data":{"rateLimit":{"cost":1},"r0":)" + bad + R"(,"r1":)" + good +
                                    R"(,"r2":"not an object","r3":)" + empty + "}}",
                                queries.front());
  REQUIRE(answer);
  REQUIRE(answer->repos.size() == 4);
  REQUIRE_FALSE(answer->repos[0]);
  CHECK(answer->repos[0].error().reason == "parse");
  CHECK(answer->repos[0].error().message.find("o/a") != std::string::npos);
  CHECK(answer->repos[0].error().message.find("stargazerCount") != std::string::npos);
  REQUIRE(answer->repos[1]);
  CHECK(answer->repos[1]->repo.stars == 3);
  CHECK(answer->repos[1]->repo.head_commit == "6dcb09b5");
  CHECK(answer->repos[1]->open.issues == 4);
  REQUIRE_FALSE(answer->repos[2]);
  CHECK(answer->repos[2].error().reason == "parse");
  REQUIRE(answer->repos[3]);
  CHECK(answer->repos[3]->repo.default_branch.empty());
  CHECK(answer->repos[3]->repo.head_commit.empty());
}

TEST_CASE("graphql: a malformed issue in a comment answer fails that issue alone") {
  const CommentQuery query = OneQuery(Pages("o/r", 1, 2));
  std::string bad = kPage;
  bad.replace(bad.find("\"2026-11-01T10:00:00Z\""), 22, "5");
  auto answer = ParseCommentAnswer(std::string(R"({"data":{"rateLimit":{"cost":1},"r0":{"i1":)") + bad + R"(,"i2":)" +
                                       kPage + "}}}",
                                   query);
  REQUIRE(answer);
  REQUIRE_FALSE(answer->pages[0]);
  CHECK(answer->pages[0].error().reason == "parse");
  CHECK(answer->pages[0].error().message.find("o/r#1") != std::string::npos);
  REQUIRE(answer->pages[1]);
  CHECK(answer->pages[1]->comments.size() == 2);
}

TEST_CASE("graphql: after a RATE_LIMITED facts answer no further facts query of the poll is sent") {
  World world;
  int posted = 0;
  world.state->compute = [&](FakeTransport::State&, const HttpRequest& request) -> std::optional<HttpResponse> {
    if (!request.body || !request.url.ends_with("/graphql")) return std::nullopt;
    ++posted;
    return Json(R"({"data":null,"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for user ID 1."}]})");
  };
  std::vector<std::string> repos;
  for (int i = 0; i < 250; ++i) repos.push_back("o/r" + std::to_string(i));  // three queries
  PointsPacer pacer(2000);
  const auto lookups = LookUpRepos(*world.http, pacer, GraphqlUrl(kApi), repos, 1, false, nullptr);
  CHECK(posted == 1);
  REQUIRE(lookups.repos.size() == repos.size());
  for (const auto& [repo, facts] : lookups.repos) {
    CAPTURE(repo);
    REQUIRE_FALSE(facts);
    CHECK(facts.error().reason == "rate_limited");
  }
}

TEST_CASE("graphql: a cut recent listing is reported as recent_issues alone (no open listing was read)") {
  GithubConfig config;
  config.max_pages = 1;
  World world(config);
  const std::string recent = kRepo + "/issues?per_page=100&state=all&since=2026-10-02T00:00:00Z";
  world.Set(recent, "[" + IssueJson(world.clock, 4, 10h, 2) + "]", {{"link", "<" + recent + "&page=2>; rel=\"next\""}});
  world.PollText();
  CHECK(world.report.truncations().contains({"o/r", "recent_issues"}));
  CHECK_FALSE(world.report.truncations().contains({"o/r", "open_issues"}));
}
