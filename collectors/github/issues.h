// GitHub issue intake and responsiveness (README "GitHub"): open issue and PR
// counts, issues opened (and bugs) in the last day and 30 days, time to first
// response, and open issues still awaiting one.
//
// First response: the earliest comment by someone other than the issue's
// author, bots excluded. It never changes once it happened, so found answers
// are cached across polls; looking for them costs comment pages, which a poll
// shares out among its repositories (CommentBudget).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/clock.h"
#include "collectors/common/error.h"
#include "collectors/common/items.h"
#include "collectors/common/poll_report.h"
#include "collectors/common/snapshot.h"
#include "collectors/common/upstream/http_client.h"
#include "collectors/github/parse.h"

namespace kpi::github {

struct OpenCounts {
  int64_t issues = 0;
  int64_t pull_requests = 0;
};
struct Awaiting {
  int64_t count = 0;
  std::optional<SystemTime> oldest_created;  // the age is taken at render time
  std::optional<ItemList> items;             // the drill-down list (absent with max_items = 0)
};
struct Opened {
  int64_t day = 0, day_bugs = 0, month = 0, month_bugs = 0;
  std::optional<ItemList> day_bug_items;  // the drill-down list of day_bugs
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
// out before the answer was known.
struct FirstResponseLookup {
  bool complete = true;
  std::optional<SystemTime> at;
};

// One poll's comment pages for first-response lookups, shared by the
// repositories polled side by side; and the lookups made so far (an issue can
// be both open and recent: it is looked up once).
class CommentBudget {
 public:
  explicit CommentBudget(int pages) : pages_left_(pages) {}
  // Takes one page from the budget; false when none is left.
  bool TakePage();
  void ReturnPage();

 private:
  friend class IssueCollector;
  std::mutex mu_;
  int pages_left_;
  std::set<std::string> live_keys_;  // cache entries this poll still needs
  std::map<std::string, FirstResponseLookup> checked_;
};

class IssueCollector {
 public:
  explicit IssueCollector(IssueOptions options) : options_(std::move(options)) {}

  tl::expected<IssueStats, Error> Collect(HttpClient& http, PollReport& report, CommentBudget& budget,
                                          std::string_view api_url, const std::string& repo, SystemTime now,
                                          const IssueStats* previous, size_t max_items);
  // After a poll: forgets cached answers no issue of this poll needed.
  void Retain(const CommentBudget& budget);

  void AddMetrics(SnapshotBuilder& builder, const std::string& repo, const IssueStats& stats, SystemTime now) const;

 private:
  tl::expected<FirstResponseLookup, Error> FirstResponse(HttpClient& http, CommentBudget& budget, std::string_view api_url,
                                            const std::string& repo, const Issue& issue);

  IssueOptions options_;
  std::mutex mu_;
  // "repo#number" -> time of the first response.
  std::map<std::string, SystemTime> first_response_cache_;
};

}  // namespace kpi::github
