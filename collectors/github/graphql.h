// GitHub GraphQL (README "GraphQL"): repository facts of many repositories,
// and the first comments of many issues of many repositories, each in one
// query priced the way GitHub prices it, and the answers read per repository
// and issue. The query building and reading are pure functions, unit-tested
// without a network; SendQuery and LookUpRepos send the facts queries (the
// collector calls them), IssueCollector sends the comment queries.
//
// The comment query (aliases r0, r1, ... per repository, i<number> per issue):
//   query { rateLimit { cost remaining resetAt limit used }
//     r0: repository(owner: "octo", name: "hello") {
//       i12: issue(number: 12) { comments(first: 10) { totalCount pageInfo { hasNextPage endCursor }
//                                                      nodes { createdAt author { login __typename } } } } } }
// An issue whose first page holds no answer is asked again, in a later
// query, for its next 100 comments after the page's endCursor.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/clock.h"
#include "collectors/common/error.h"
#include "collectors/common/upstream/http_client.h"
#include "collectors/github/parse.h"

namespace kpi::github {

// Where GitHub serves GraphQL beside the REST `api_url`: api.github.com/graphql;
// GitHub Enterprise Server's REST API is at <host>/api/v3, its GraphQL at <host>/api/graphql.
std::string GraphqlUrl(std::string_view api_url);

// A GraphQL string literal for `text`, quotes included (GraphQL spec, "String Value").
std::string GraphqlString(std::string_view text);

// A connection of a query (a field with first/last) and the connections asked
// for inside each of its nodes, for GitHub's price and node limit.
struct Connection {
  int64_t first = 0;
  std::vector<Connection> nested;
};
// GitHub's rate-limit formula: each connection needs as many requests as its
// parent connections can hold nodes (the product of their first/last, each
// assumed full); the query's points are the sum / 100, rounded to nearest, at least 1.
int64_t QueryRequests(const std::vector<Connection>& top);
int64_t QueryPoints(const std::vector<Connection>& top);
// The nodes a query may return (GitHub refuses more than 500 000).
int64_t QueryNodes(const std::vector<Connection>& top);

inline constexpr int64_t kFirstCommentPage = 10;   // comments asked with an issue's first look
inline constexpr int64_t kNextCommentPage = 100;   // comments per follow-up page (GitHub's maximum)
inline constexpr size_t kMaxIssuesPerQuery = 100;  // 1 point a query (at most 10 000 nodes)
inline constexpr int64_t kMaxNodesPerQuery = 500'000;
inline constexpr int64_t kGraphqlPointsPerMinute = 2000;  // GitHub's secondary limit for GraphQL

class PointsPacer;

// Repository facts and exact open counts of many repositories in one query
// (aliases r0, r1, ... per repository):
//   r0: repository(owner: "octo", name: "hello") { stargazerCount forkCount watchers { totalCount }
//     defaultBranchRef { name } primaryLanguage { name } isArchived
//     openIssues: issues(states: OPEN) { totalCount } openPullRequests: pullRequests(states: OPEN) { totalCount } }
// The same numbers as REST's stargazers_count, forks_count, subscribers_count,
// default_branch, language and archived, and as counting the open issue listing.
inline constexpr size_t kMaxReposPerQuery = 100;  // 3 points a query (three counted connections each)

struct RepoQuery {
  std::vector<std::string> repos;  // owner/name, alias r<index>
  std::string text;
  int64_t points = 0;
};
// Queries of at most kMaxReposPerQuery repositories each, in the given order
// (`one_owner_per_query`: as for BuildCommentQueries).
std::vector<RepoQuery> BuildRepoQueries(const std::vector<std::string>& repos, bool one_owner_per_query = false);

struct RepoFacts {
  Repo repo;
  OpenCounts open;
};
struct RepoAnswer {
  int64_t cost = 0;
  // Per RepoQuery::repos: its facts, or why they are missing: "not_found" with GitHub's message for an
  // alias GitHub did not answer, "parse" for one answered malformed (that repository alone fails).
  std::vector<tl::expected<RepoFacts, Error>> repos;
};
// Reads the answer to `query`, failing aliases and whole answers as ParseCommentAnswer does.
tl::expected<RepoAnswer, Error> ParseRepoAnswer(std::string_view body, const RepoQuery& query);

// Sends one priced query: waits until `pacer` lets its points through, tells
// `before_query` the query's first repository (App auth: whose installation), POSTs it.
// The POST body of a GraphQL document: {"query": text}. Made when a query is sent, not kept with it:
// a poll of 1000 repositories builds hundreds of queries at once.
std::string QueryBody(std::string_view text);
tl::expected<HttpResponse, Error> SendQuery(HttpClient& http, PointsPacer& pacer, const std::string& graphql_url,
                                            std::string_view text, int64_t points, const std::string& first_repo,
                                            const std::function<void(const std::string& repo)>& before_query);

struct RepoLookups {
  int64_t points_spent = 0;
  std::map<std::string, tl::expected<RepoFacts, Error>> repos;  // every repository asked about
};
// Every repository's facts, many per query, `concurrency` queries at once.
RepoLookups LookUpRepos(HttpClient& http, PointsPacer& pacer, const std::string& graphql_url,
                        const std::vector<std::string>& repos, int concurrency, bool one_owner_per_query,
                        const std::function<void(const std::string& repo)>& before_query);

// One page of one issue's comments.
struct CommentPageRequest {
  std::string repo;  // owner/name
  int64_t number = 0;
  std::string after;  // "": the first kFirstCommentPage comments; else kNextCommentPage after this cursor
};

struct CommentQuery {
  std::vector<CommentPageRequest> pages;  // no issue twice
  std::string text;                       // the GraphQL document
  int64_t points = 0;                     // GitHub's price of `text`
};

// The connections of one query for these pages (for its price and nodes).
std::vector<Connection> CommentQueryConnections(const std::vector<CommentPageRequest>& pages);
// Queries of at most kMaxIssuesPerQuery pages each, in the given order; with
// `one_owner_per_query` a query never spans two owners (a GitHub App's
// installation token sees one account's repositories).
std::vector<CommentQuery> BuildCommentQueries(const std::vector<CommentPageRequest>& pages,
                                              bool one_owner_per_query = false);

// One issue's page as answered.
struct CommentPage {
  std::vector<Comment> comments;  // author "" for a deleted account; author_is_bot by __typename "Bot"
  bool has_next = false;
  std::string end_cursor;
};
struct CommentAnswer {
  int64_t cost = 0;  // rateLimit.cost: the points GitHub charged
  // Per CommentQuery::pages: the page, or why its lookup failed: "not_found" with GitHub's message, or
  // "parse" for an issue answered malformed (that issue alone fails).
  std::vector<tl::expected<CommentPage, Error>> pages;
};
// Reads the answer to `query`. An alias that is null, or that an error's path
// names, fails only that repository's or issue's pages; the whole answer fails
// with reason "rate_limited" for a RATE_LIMITED error, and "parse" without data.
tl::expected<CommentAnswer, Error> ParseCommentAnswer(std::string_view body, const CommentQuery& query);

// Keeps GraphQL queries within GitHub's secondary limit of points per minute,
// by their own price (computed before sending, as GitHub does).
class PointsPacer {
 public:
  explicit PointsPacer(int64_t points_per_minute = kGraphqlPointsPerMinute) : per_minute_(points_per_minute) {}
  // Waits until `points` more fit into the last minute; false when stopped.
  bool Take(int64_t points, const Clock& clock, std::stop_token stop);

 private:
  std::mutex mu_;
  int64_t per_minute_;
  std::deque<std::pair<SystemTime, int64_t>> recent_;  // when, points
  int64_t in_window_ = 0;
};

}  // namespace kpi::github
