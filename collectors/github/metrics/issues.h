// GitHub issue intake and responsiveness (README "GitHub"): open issue and PR
// counts, issues opened (and bugs) in the last day and 30 days, time to first
// response, and open issues still awaiting one.
//
// First response: the earliest comment by someone other than the issue's
// author, bots excluded. It never changes once it happened, so found answers
// are cached across polls, and so is "none yet" while the issue is unchanged
// (a new comment moves its updated_at). Looking answers up costs REST comment
// pages (graphql = false) or GraphQL points, which a poll shares out among
// its repositories (CommentBudget). With GraphQL the lookups of all
// repositories of a poll go out together, many issues per query (graphql.h):
// List() per repository, LookUpWithGraphql() once, then Summarize() per repository.
#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/clock.h"
#include "collectors/common/error.h"
#include "collectors/common/output/items.h"
#include "collectors/common/poll_report.h"
#include "collectors/common/output/snapshot.h"
#include "collectors/common/upstream/http_client.h"
#include "collectors/github/graphql.h"
#include "collectors/github/parse.h"

namespace kpi::github {

struct Awaiting {
  int64_t count = 0;
  std::optional<SystemTime> oldest_created;  // the age is taken at render time
  SharedItemList items;             // the drill-down list (absent with max_items = 0)
};
struct Opened {
  int64_t day = 0, day_bugs = 0, month = 0, month_bugs = 0;
  SharedItemList day_bug_items;  // the drill-down list of day_bugs
};

// The drill-down lists of the issue numbers (README "Drill-down").
extern const ItemListKind kAwaitingResponseList;
extern const ItemListKind kBugsLastDayList;
// An issue as a list item: "#12", its title and page, opened at.
ListItem IssueItem(const Issue& issue);

// Each group is absent until it was computed from complete data once; a group
// whose listing a cap cut keeps its previous value.
struct IssueStats {
  std::optional<OpenCounts> open;
  std::optional<Awaiting> awaiting;
  std::optional<Opened> opened;
  std::optional<std::vector<double>> first_responses;
};

struct IssueOptions {
  std::vector<std::string> bug_labels;  // lower case
  int max_pages = 50;                   // per listing
  std::chrono::milliseconds awaiting_response_window = std::chrono::days(30);
};

// A first-response lookup: `complete` is false when the comment budget ran
// out, or the lookup failed, before the answer was known.
struct FirstResponseLookup {
  bool complete = true;
  std::optional<SystemTime> at;
};

// One repository's issue listings (REST; conditional, so an unchanged one is free).
struct IssueListing {
  // The parsed pages read (shared with the answer cache): the issues below point into them, not copies, as a
  // poll holds every repository's listings at once (1000 repositories: tens of thousands of issues).
  std::vector<std::shared_ptr<const std::vector<Issue>>> pages;
  std::vector<const Issue*> recent_issues;    // opened in the last 30 days, any state
  std::vector<const Issue*> awaiting_window;  // open, opened within the awaiting-response window
  std::optional<OpenCounts> open;       // absent when a cap cut the counting
  bool open_truncated = false;          // a cap cut the open listing before the window's start
  bool recent_truncated = false;
  // awaiting_window came from the recent listing (no open listing read): a cut is reported as recent_issues only.
  bool awaiting_from_recent = false;
};

// One poll's budget for first-response lookups (REST comment pages, or
// GraphQL points), shared by the repositories polled side by side; and the
// lookups made so far (an issue can be both open and recent: it is looked up once).
class CommentBudget {
 public:
  explicit CommentBudget(int64_t units) : left_(units) {}
  // Takes `units` from the budget; false (taking none) when fewer are left.
  bool Take(int64_t units = 1);
  void Return(int64_t units = 1);

 private:
  friend class IssueCollector;
  std::mutex mu_;
  int64_t left_;
  std::set<std::string> live_keys_;  // cache entries this poll still needs
  std::map<std::string, FirstResponseLookup> checked_;
};

class IssueCollector {
 public:
  explicit IssueCollector(IssueOptions options) : options_(std::move(options)) {}

  // REST (graphql = false): one repository's listings and its lookups.
  tl::expected<IssueStats, Error> Collect(HttpClient& http, PollReport& report, CommentBudget& budget,
                                          std::string_view api_url, const std::string& repo, SystemTime now,
                                          const IssueStats* previous, size_t max_items);

  // GraphQL, per repository: the listings alone.
  // `known_open`: the open counts, already known (GraphQL): the open listing is
  // then read only when the awaiting window reaches further back than the recent listing.
  tl::expected<IssueListing, Error> List(HttpClient& http, std::string_view api_url, const std::string& repo,
                                         SystemTime now, const IssueStats* previous,
                                         const std::optional<OpenCounts>& known_open = std::nullopt) const;
  struct GraphqlLookups {
    int64_t points_spent = 0;                   // rateLimit.cost summed over the answers
    std::map<std::string, Error> failed_repos;  // repository -> why (its first failure)
  };
  // GraphQL, once per poll: looks up every listed issue whose first response
  // is not known yet, many per query across repositories, in rounds (an issue
  // without an answer in its first 10 comments gets its next 100 in the next
  // round) until answered, or the budget or the 10 000-comment cap is reached.
  // `before_query` is told the first repository of each query just before it
  // is sent, on the sending thread (App auth: whose installation).
  GraphqlLookups LookUpWithGraphql(HttpClient& http, CommentBudget& budget, PointsPacer& pacer,
                                   const std::string& graphql_url, const std::map<std::string, IssueListing>& listings,
                                   int concurrency, bool one_owner_per_query,
                                   const std::function<void(const std::string& repo)>& before_query);
  // GraphQL, per repository: the stats from its listings and the lookups made.
  IssueStats Summarize(const IssueListing& listing, CommentBudget& budget, PollReport& report, const std::string& repo,
                       SystemTime now, const IssueStats* previous, size_t max_items);

  // After a poll: forgets cached answers no issue of this poll needed.
  void Retain(const CommentBudget& budget);

  void AddMetrics(SnapshotBuilder& builder, const std::string& repo, const IssueStats& stats, SystemTime now) const;

 private:
  // Issues (no pull requests) opened in the last 30 days, any state, into `listing` (recent_issues,
  // recent_truncated: whether a cap cut the listing).
  tl::expected<void, Error> ListRecent(HttpClient& http, const std::string& base, SystemTime now,
                                       IssueListing& listing) const;
  // Open issues and pull requests of a repository whose open listing is not read to its end.
  tl::expected<std::optional<OpenCounts>, Error> CountOpen(HttpClient& http, std::string_view api_url,
                                                           const std::string& repo, const OpenCounts* previous) const;
  using Lookup = std::function<tl::expected<FirstResponseLookup, Error>(const Issue& issue)>;
  tl::expected<IssueStats, Error> Stats(const IssueListing& listing, const Lookup& lookup, PollReport& report,
                                        const std::string& repo, SystemTime now, const IssueStats* previous,
                                        size_t max_items) const;
  // What is known without asking: from this poll's lookups or the caches
  // (and the issue is marked as needed this poll).
  std::optional<FirstResponseLookup> Known(CommentBudget& budget, const std::string& repo, const Issue& issue);
  // Records a lookup's outcome for this poll, and in the caches when complete.
  FirstResponseLookup Remember(CommentBudget& budget, const std::string& repo, const Issue& issue,
                               FirstResponseLookup lookup);
  tl::expected<FirstResponseLookup, Error> FirstResponse(HttpClient& http, CommentBudget& budget, std::string_view api_url,
                                            const std::string& repo, const Issue& issue);

  IssueOptions options_;
  std::mutex mu_;
  // "repo#number" -> time of the first response.
  std::map<std::string, SystemTime> first_response_cache_;
  // "repo#number" -> the issue's updated_at when a complete lookup found no first response.
  std::map<std::string, SystemTime> unanswered_cache_;
};

}  // namespace kpi::github
