// The GitHub collector's test world: one repository o/r behind an in-memory
// transport, answering every listing a default poll makes. Shared by the
// GitHub collector tests (collector, workflows, DORA, security).
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>

#include <doctest/doctest.h>

#include "collectors/common/time_util.h"
#include "collectors/common/upstream/json.h"
#include "collectors/common/upstream/pagination.h"
#include "collectors/github/parse.h"
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
         "\",\"state\":\"open\",\"user\":{\"login\":\"author\"},\"comments\":" + std::to_string(comments) +
         ",\"labels\":[" + labels + "]" +
         (pr ? ",\"pull_request\":{}" : "") + "}";
}

inline std::string CommentJson(const FakeClock& clock, const std::string& login, std::chrono::seconds ago, bool bot = false) {
  return "{\"user\":{\"login\":\"" + login + "\",\"type\":\"" + (bot ? "Bot" : "User") + "\"},\"created_at\":\"" +
         Ago(clock, ago) + "\"}";
}

// Answers the exporter's GraphQL queries (collectors/github/graphql.h) as GitHub
// would: repository facts from the REST repository and open-listing routes
// (RepoFactsJson); first comments from the REST comment routes of `state`: a bot as author
// {__typename: "Bot", login without "[bot]"}, a deleted account as author null;
// a repository without a REST route, or in `not_found`, is NOT_FOUND.
// (The integration fake also validates each query against GitHub's schema.)
// The body of `url`'s route as it would answer now, or nullopt.
inline std::optional<std::string> RouteBody(FakeTransport::State& state, const std::string& url) {
  const auto route = state.routes.find(url);
  if (route == state.routes.end()) return std::nullopt;
  const auto& answer = route->second.answers[std::min(route->second.served, route->second.answers.size() - 1)];
  if (!answer || answer->status != 200) return std::nullopt;
  return answer->body;
}

// A repository's facts as the exporter's GraphQL query asks them (graphql.h), from the REST routes: the
// repository, and the open issues and pull requests of its open listing (rel="next" followed). The default
// branch's head commit is named after the REST answer's pushed_at (a test moves the head by changing it).
inline std::string RepoFactsJson(FakeTransport::State& state, const std::string& repo) {
  const std::string rest = RouteBody(state, std::string(kApi) + "/repos/" + repo).value_or("");
  const auto parsed = github::ParseRepo(rest);
  if (!parsed) return "{";  // a malformed REST answer makes a malformed GraphQL one
  const github::Repo& facts = *parsed;
  simdjson::dom::parser parser;
  const std::string head = "head-" + std::string(json::OptStr(json::AsObject(json::Parse(parser, rest), "repo"), "pushed_at")
                                                     .value_or("never"));
  int64_t issues = 0, pulls = 0;
  std::string url = std::string(kApi) + "/repos/" + repo + "/issues?per_page=100&state=open&sort=created&direction=desc";
  while (!url.empty()) {
    const auto body = RouteBody(state, url);
    if (!body) break;
    const std::vector<github::Issue> page = github::ParseIssues(*body).value();
    for (const auto& issue : page) ++(issue.is_pull_request ? pulls : issues);
    const auto route = state.routes.find(url);
    const auto links = ParseLinkHeader(route->second.answers.front()->Header("link"));
    url = links.contains("next") ? links.at("next") : "";
  }
  const auto named = [](const std::string& name) { return name.empty() ? std::string("null") : R"({"name":")" + name + "\"}"; };
  const std::string branch = facts.default_branch.empty() ? "null"
                                                          : R"({"name":")" + facts.default_branch +
                                                                R"(","target":{"oid":")" + head + "\"}}";
  return R"({"stargazerCount":)" + std::to_string(facts.stars) + R"(,"forkCount":)" + std::to_string(facts.forks) +
         R"(,"watchers":{"totalCount":)" + std::to_string(facts.watchers) + R"(},"defaultBranchRef":)" + branch +
         R"(,"primaryLanguage":)" + named(facts.language) + R"(,"isArchived":)" +
         (facts.archived ? "true" : "false") + R"(,"openIssues":{"totalCount":)" + std::to_string(issues) +
         R"(},"openPullRequests":{"totalCount":)" + std::to_string(pulls) + "}}";
}

inline std::optional<HttpResponse> AnswerGraphql(FakeTransport::State& state, const HttpRequest& request,
                                                 const std::set<std::string>& not_found = {}) {
  if (!request.body || !request.url.ends_with("/graphql")) return std::nullopt;
  simdjson::dom::parser parser;
  const std::string query(json::Str(json::AsObject(json::Parse(parser, *request.body), "body"), "query"));
  static const std::regex kField(
      R"re((r\d+): repository\(owner: "([^"]*)", name: "([^"]*)"\)|(i\d+): issue\(number: (\d+)\) \{ comments\(first: (\d+)(?:, after: "c(\d+)")?\))re");
  std::string data, errors;
  std::string repo_alias, repo;
  bool repo_open = false, repo_found = false;
  int64_t requests = 0;
  const auto close_repo = [&] {
    if (repo_open) data += repo_found ? "}," : "";
    repo_open = false;
  };
  for (std::sregex_iterator it(query.begin(), query.end(), kField), end; it != end; ++it) {
    const std::smatch& m = *it;
    if (m[1].matched) {
      close_repo();
      repo_alias = m[1];
      repo = std::string(m[2]) + "/" + std::string(m[3]);
      const bool asks_facts = query.compare(size_t(m.position(0) + m.length(0)), 18, " { stargazerCount ") == 0;
      repo_found = state.routes.contains(std::string(kApi) + "/repos/" + repo) && (asks_facts || !not_found.contains(repo));
      repo_open = true;
      if (repo_found && asks_facts) {
        requests += 3;  // three connections asked for their counts
        data += "\"" + repo_alias + "\":" + RepoFactsJson(state, repo) + ",";
        repo_open = false;
      } else if (repo_found) {
        data += "\"" + repo_alias + "\":{";
      } else {
        data += "\"" + repo_alias + "\":null,";
        errors += std::string(errors.empty() ? "" : ",") + R"({"type":"NOT_FOUND","path":[")" + repo_alias +
                  R"("],"message":"Could not resolve to a Repository with the name ')" + repo + "'.\"}";
      }
      continue;
    }
    ++requests;
    if (!repo_found) continue;
    std::vector<github::Comment> comments;
    const auto route = state.routes.find(std::string(kApi) + "/repos/" + repo + "/issues/" + std::string(m[5]) +
                                         "/comments?per_page=100");
    if (route != state.routes.end()) {
      const auto& answer = route->second.answers[std::min(route->second.served, route->second.answers.size() - 1)];
      comments = github::ParseComments(answer->body).value();
    }
    const size_t first = std::stoul(m[6]);
    const size_t start = m[7].matched ? std::stoul(m[7]) + 1 : 0;
    std::string nodes;
    size_t last = start;
    for (size_t k = start; k < comments.size() && k < start + first; ++k, last = k) {
      const auto& c = comments[k];
      std::string login = c.author;
      if (c.author_is_bot && login.ends_with("[bot]")) login.resize(login.size() - 5);
      nodes += std::string(nodes.empty() ? "" : ",") + R"({"createdAt":")" + FormatTimestamp(c.created_at) +
               R"(","author":)" +
               (c.author.empty() ? std::string("null")
                                 : R"({"login":")" + login + R"(","__typename":")" + (c.author_is_bot ? "Bot" : "User") +
                                       "\"}") +
               "}";
    }
    const bool has_next = start + first < comments.size();
    data += "\"" + std::string(m[4]) + R"(":{"comments":{"totalCount":)" + std::to_string(comments.size()) +
            R"(,"pageInfo":{"hasNextPage":)" + (has_next ? "true" : "false") + R"(,"endCursor":)" +
            (last > start ? "\"c" + std::to_string(last - 1) + "\"" : std::string("null")) + R"(},"nodes":[)" + nodes +
            "]}},";
  }
  close_repo();
  // Trailing commas inside each repository object and the data object are dropped.
  std::string cleaned;
  for (size_t k = 0; k < data.size(); ++k) {
    if (data[k] == ',' && (k + 1 == data.size() || data[k + 1] == '}')) continue;
    cleaned += data[k];
  }
  const int64_t cost = std::max<int64_t>(1, (requests + 50) / 100);
  std::string body = R"({"data":{"rateLimit":{"cost":)" + std::to_string(cost) +
                     R"(,"remaining":4999,"resetAt":"2030-01-01T00:00:00Z","limit":5000,"used":1})" +
                     (cleaned.empty() ? "" : "," + cleaned) + "}" + (errors.empty() ? "" : R"(,"errors":[)" + errors + "]") +
                     "}";
  return Json(std::move(body));
}

struct World {
  FakeClock clock;
  std::shared_ptr<FakeTransport::State> state = std::make_shared<FakeTransport::State>();
  RecordingLog log;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<GithubCollector> collector;

  // `with_token`: GraphQL needs credentials (without them the collector uses REST alone).
  explicit World(GithubConfig config = {}, bool with_token = true) {
    config.settings.api_url = kApi;
    if (with_token && config.token.empty() && !config.app) config.token = "ghp_world_token";
    if (config.repos.empty() && config.orgs.empty()) config.repos = {"o/r"};
    collector = std::make_unique<GithubCollector>(config);
    http = std::make_unique<HttpClient>(std::make_unique<FakeTransport>(state), clock, collector->http_options());
    state->compute = [this](FakeTransport::State& s, const HttpRequest& r) { return AnswerGraphql(s, r, graphql_not_found); };
    const std::string since = "2026-10-02T00:00:00Z";  // the clock's 2026-11-01T12:00:00Z minus 30 days, at midnight
    Set(kRepo, R"({"stargazers_count":5,"subscribers_count":2,"forks_count":1,"open_issues_count":4,
                   "default_branch":"main","language":"Go"})");
    Set(kRepo + "/issues?per_page=100&state=open&sort=created&direction=desc",
        "[" + IssueJson(clock, 2, 1h, 0, true) + "," + IssueJson(clock, 4, 10h, 2) + "," + IssueJson(clock, 1, 48h, 0) + "]",
        {{"link", "<" + kRepo + "/issues?per_page=100&state=open&sort=created&direction=desc&page=2>; rel=\"next\""}});
    Set(kRepo + "/issues?per_page=100&state=open&sort=created&direction=desc&page=2", "[" + IssueJson(clock, 3, 72h, 1) + "]");
    // The same open issues and pull request, as counted when the listing above is not read to its end.
    Set(kRepo + "/issues?per_page=100&state=open", "[{},{},{},{}]");
    Set(kRepo + "/pulls?per_page=100&state=open", "[{}]");
    // Every issue updated since: the open ones opened in the last 30 days too, as GitHub lists them.
    Set(kRepo + "/issues?per_page=100&state=all&since=" + since,
        "[" + IssueJson(clock, 6, 5h, 0, true, R"({"name":"bug"})") + "," +
            IssueJson(clock, 4, 10h, 2, false, R"({"name":"BUG"})") + "," + IssueJson(clock, 1, 48h, 0) + "," +
            IssueJson(clock, 3, 72h, 1) + "," + IssueJson(clock, 5, 40 * 24h, 0) + "]");
    Set(kRepo + "/issues/3/comments?per_page=100", "[" + CommentJson(clock, "ci-bot[bot]", 71h, true) + "]");
    Set(kRepo + "/issues/4/comments?per_page=100",
        "[" + CommentJson(clock, "author", 9h) + "," + CommentJson(clock, "maintainer", 8h) + "]");
    Set(kRepo + "/contributors?per_page=100", "[{},{},{}]");
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

  // Repositories whose first-response lookups GraphQL answers NOT_FOUND for (gone since their facts were read).
  std::set<std::string> graphql_not_found;
  PollReport report;  // of the last poll
  std::optional<std::chrono::milliseconds> next_interval;  // asked for by the last poll
  Shard shard;        // of the next poll
  size_t max_items = kDefaultMaxItems;  // of the next poll

  // The drill-down list `list` of o/r in the snapshot; fails the test when absent.
  static const ItemList& List(const Snapshot& snapshot, std::string_view list) {
    const auto& lists = snapshot.items();
    const auto found = std::find_if(lists.begin(), lists.end(),
                                    [&](const SharedItemList& l) { return l->target == "o/r" && l->list == list; });
    REQUIRE_MESSAGE(found != lists.end(), "no list " << list);
    return **found;
  }
};

}  // namespace kpi::testing::github_world
