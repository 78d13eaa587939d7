#include "collectors/github/metrics/issues.h"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <set>

#include "collectors/common/parallel.h"

#include "collectors/common/text.h"
#include "collectors/common/time_util.h"
#include "collectors/common/upstream/pagination.h"
#include "collectors/common/upstream/parse_once.h"

namespace kpi::github {
namespace {

constexpr auto kDay = std::chrono::hours(24);
constexpr auto kMonth = 30 * kDay;  // the "30d" window
// An issue whose first 10 000 comments are all its author's or bots' counts as
// unknown (the lookup is incomplete), not as unanswered: REST reads at most
// 100 pages of 100, GraphQL stops once it has seen 10 000.
constexpr int kMaxCommentPagesPerIssue = 100;
constexpr int64_t kMaxCommentsPerIssue = 10'000;

double SecondsBetween(SystemTime from, SystemTime to) { return Seconds(to - from).count(); }

bool IsBug(const Issue& issue, const std::vector<std::string>& bug_labels) {
  return std::any_of(issue.labels.begin(), issue.labels.end(), [&](const std::string& label) {
    return std::find(bug_labels.begin(), bug_labels.end(), AsciiLower(label)) != bug_labels.end();
  });
}

}  // namespace

const ItemListKind kAwaitingResponseList{
    "awaiting_response",
    "Open issues awaiting a first response",
    {"github_issues_awaiting_response", "github_issues_awaiting_response_oldest_age_seconds"}};
const ItemListKind kBugsLastDayList{"bugs_last_day", "Bugs opened in the last day",
                                    {R"(github_issues_opened{window="1d",kind="bug"})"}};

ListItem IssueItem(const Issue& issue) {
  return {"#" + std::to_string(issue.number), issue.title, issue.html_url, issue.created_at};
}

bool CommentBudget::Take(int64_t units) {
  std::lock_guard lock(mu_);
  if (left_ < units) return false;
  left_ -= units;
  return true;
}

void CommentBudget::Return(int64_t units) {
  std::lock_guard lock(mu_);
  left_ += units;
}

namespace {

std::string IssueKey(const std::string& repo, int64_t number) { return repo + "#" + std::to_string(number); }

// Whether `comment` answers `issue`: someone other than its author, not a bot.
// A deleted author (no login) can only be answered by someone with one.
bool Answers(const Comment& comment, const Issue& issue) {
  return !comment.author_is_bot && !comment.author.empty() && comment.author != issue.author;
}

// The earliest answer among `comments`, if any.
std::optional<SystemTime> EarliestAnswer(const std::vector<Comment>& comments, const Issue& issue) {
  std::optional<SystemTime> first;
  for (const auto& comment : comments) {
    if (Answers(comment, issue) && (!first || comment.created_at < *first)) first = comment.created_at;
  }
  return first;
}

}  // namespace

tl::expected<void, Error> IssueCollector::ListRecent(HttpClient& http, const std::string& base, SystemTime now,
                                                     IssueListing& listing) const {
  // `since` filters by last update, a superset of issues created since then.
  const SystemTime month_ago = now - kMonth;
  auto walk = WalkPages(http, base + "&state=all&since=" + FormatTimestamp(StableSince(month_ago)), options_.max_pages,
                        [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                          auto issues = ParseOnce(http, page, ParseIssues);
                          if (!issues) return tl::unexpected(issues.error());
                          for (const Issue& issue : **issues) {
                            if (!issue.is_pull_request && issue.created_at >= month_ago) {
                              listing.recent_issues.push_back(&issue);
                            }
                          }
                          listing.pages.push_back(std::move(*issues));
                          return true;
                        });
  if (!walk) return tl::unexpected(walk.error());
  listing.recent_truncated = walk->truncated;
  return {};
}

tl::expected<IssueListing, Error> IssueCollector::List(HttpClient& http, std::string_view api_url,
                                                       const std::string& repo, SystemTime now,
                                                       const IssueStats* previous,
                                                       const std::optional<OpenCounts>& known_open) const {
  const std::string base = std::string(api_url) + "/repos/" + repo + "/issues?per_page=100";
  IssueListing listing;
  if (auto recent = ListRecent(http, base, now, listing); !recent) return tl::unexpected(recent.error());
  // Counted already (GraphQL), and every open issue the awaiting window holds
  // is a recent one: no open listing to read.
  if (known_open && options_.awaiting_response_window <= kMonth) {
    listing.open = *known_open;
    const SystemTime window_start = now - options_.awaiting_response_window;
    std::copy_if(listing.recent_issues.begin(), listing.recent_issues.end(), std::back_inserter(listing.awaiting_window),
                 [&](const Issue* issue) { return issue->open && issue->created_at >= window_start; });
    listing.open_truncated = listing.recent_truncated;
    listing.awaiting_from_recent = true;
    return listing;
  }
  // Open issues newest first, read only as far as the awaiting-response window
  // reaches: a large repository's thousands of older open issues are counted
  // (below), not read. The issues API lists pull requests too: counted apart, never as issues.
  const SystemTime window_start = now - options_.awaiting_response_window;
  OpenCounts seen;
  bool reached_window_start = false;
  // Whether the walk read the listing's last page. A full last page does not
  // count: an old issue reopened lands on a new page behind it, while the
  // unchanged page itself still answers 304 with its cached Link.
  bool read_to_end = false;
  auto open_walk = WalkPages(http, base + "&state=open&sort=created&direction=desc", options_.max_pages,
                             [&](const HttpResponse& page) -> tl::expected<bool, Error> {
                               auto issues = ParseOnce(http, page, ParseIssues);
                               if (!issues) return tl::unexpected(issues.error());
                               read_to_end = (*issues)->size() < 100 && !ParseLinkHeader(page.Header("link")).contains("next");
                               for (const auto& issue : **issues) {
                                 ++(issue.is_pull_request ? seen.pull_requests : seen.issues);
                                 if (issue.created_at < window_start) {
                                   reached_window_start = true;
                                 } else if (!issue.is_pull_request) {
                                   listing.awaiting_window.push_back(&issue);
                                 }
                               }
                               listing.pages.push_back(std::move(*issues));
                               return !reached_window_start;
                             });
  if (!open_walk) return tl::unexpected(open_walk.error());
  listing.open_truncated = open_walk->truncated;
  if (known_open) {
    listing.open = *known_open;
  } else if (read_to_end) {
    listing.open = seen;  // the walk read every open issue and pull request
  } else {
    auto open = CountOpen(http, api_url, repo, previous && previous->open ? &*previous->open : nullptr);
    if (!open) return tl::unexpected(open.error());
    listing.open = *open;
  }
  return listing;
}

tl::expected<std::optional<OpenCounts>, Error> IssueCollector::CountOpen(HttpClient& http, std::string_view api_url,
                                                                        const std::string& repo,
                                                                        const OpenCounts* previous) const {
  // Exact counts of listings (CountListing), each starting where its previous
  // count ended: an unchanged repository costs two free 304s.
  const std::string base = std::string(api_url) + "/repos/" + repo;
  std::optional<int64_t> all_before, pulls_before;
  if (previous) {
    all_before = previous->issues + previous->pull_requests;
    pulls_before = previous->pull_requests;
  }
  auto all = CountListing(http, base + "/issues?per_page=100&state=open", 100, all_before, options_.max_pages);
  if (!all) return tl::unexpected(all.error());
  auto pulls = CountListing(http, base + "/pulls?per_page=100&state=open", 100, pulls_before, options_.max_pages);
  if (!pulls) return tl::unexpected(pulls.error());
  if (!*all || !*pulls) return std::optional<OpenCounts>();  // a cap cut a count
  // Two reads a moment apart: a pull request opened between them must not make the issues negative.
  return OpenCounts{std::max<int64_t>(0, **all - **pulls), **pulls};
}

tl::expected<IssueStats, Error> IssueCollector::Collect(HttpClient& http, PollReport& report, CommentBudget& budget,
                                                        std::string_view api_url, const std::string& repo,
                                                        SystemTime now, const IssueStats* previous,
                                                        size_t max_items) {
  auto listing = List(http, api_url, repo, now, previous);
  if (!listing) return tl::unexpected(listing.error());
  return Stats(
      *listing, [&](const Issue& issue) { return FirstResponse(http, budget, api_url, repo, issue); }, report, repo,
      now, previous, max_items);
}

IssueStats IssueCollector::Summarize(const IssueListing& listing, CommentBudget& budget, PollReport& report,
                                     const std::string& repo, SystemTime now, const IssueStats* previous,
                                     size_t max_items) {
  // Every lookup was made (or given up) by LookUpWithGraphql: what is not known stays incomplete.
  const auto known = [&](const Issue& issue) -> tl::expected<FirstResponseLookup, Error> {
    return Known(budget, repo, issue).value_or(FirstResponseLookup{false, std::nullopt});
  };
  return *Stats(listing, known, report, repo, now, previous, max_items);
}

tl::expected<IssueStats, Error> IssueCollector::Stats(const IssueListing& listing, const Lookup& lookup,
                                                      PollReport& report, const std::string& repo, SystemTime now,
                                                      const IssueStats* previous, size_t max_items) const {
  Opened opened;
  std::vector<ListItem> day_bugs;
  std::vector<double> first_responses;
  bool responses_complete = true;
  for (const Issue* recent : listing.recent_issues) {
    const Issue& issue = *recent;
    const bool is_bug = IsBug(issue, options_.bug_labels);
    const bool last_day = issue.created_at >= now - kDay;
    opened.month += 1;
    opened.month_bugs += is_bug;
    opened.day += last_day;
    opened.day_bugs += last_day && is_bug;
    if (last_day && is_bug) day_bugs.push_back(IssueItem(issue));
    auto response = lookup(issue);
    if (!response) return tl::unexpected(response.error());
    responses_complete = responses_complete && response->complete;
    if (response->at) first_responses.push_back(SecondsBetween(issue.created_at, *response->at));
  }

  Awaiting awaiting;
  std::vector<ListItem> awaiting_items;
  bool awaiting_complete = true;
  for (const Issue* open : listing.awaiting_window) {
    const Issue& issue = *open;
    auto response = lookup(issue);
    if (!response) return tl::unexpected(response.error());
    awaiting_complete = awaiting_complete && response->complete;
    if (response->at) continue;
    ++awaiting.count;
    awaiting_items.push_back(IssueItem(issue));
    if (!awaiting.oldest_created || issue.created_at < *awaiting.oldest_created) awaiting.oldest_created = issue.created_at;
  }

  if (max_items > 0) {
    SortOldestFirst(awaiting_items);
    awaiting.items = Shared(MakeItemList(kAwaitingResponseList, repo, now, std::move(awaiting_items), max_items));
    SortNewestFirst(day_bugs);
    opened.day_bug_items = Shared(MakeItemList(kBugsLastDayList, repo, now, std::move(day_bugs), max_items));
  }

  // A group computed from cut data keeps its previous value (absent if none), its lists with it.
  static const IssueStats kNever;  // "previous" before the first good poll: every group absent
  const IssueStats& last = previous ? *previous : kNever;
  IssueStats stats{listing.open, std::move(awaiting), std::move(opened), std::move(first_responses)};
  if (!listing.open) {
    report.Truncated(repo, "open_issues");
    stats.open = last.open;
  }
  if (listing.open_truncated) {
    if (listing.open && !listing.awaiting_from_recent) report.Truncated(repo, "open_issues");
    stats.awaiting = last.awaiting;
  } else if (!awaiting_complete) {
    report.Truncated(repo, "comments");
    stats.awaiting = last.awaiting;
  }
  if (listing.recent_truncated) {
    report.Truncated(repo, "recent_issues");
    stats.opened = last.opened;
    stats.first_responses = last.first_responses;
  } else if (!responses_complete) {
    report.Truncated(repo, "comments");
    stats.first_responses = last.first_responses;
  }
  return stats;
}

std::optional<FirstResponseLookup> IssueCollector::Known(CommentBudget& budget, const std::string& repo,
                                                         const Issue& issue) {
  if (issue.comments == 0) return FirstResponseLookup{};
  const std::string key = IssueKey(repo, issue.number);
  {
    std::lock_guard lock(budget.mu_);
    budget.live_keys_.insert(key);
    if (const auto checked = budget.checked_.find(key); checked != budget.checked_.end()) return checked->second;
  }
  std::lock_guard lock(mu_);
  if (const auto cached = first_response_cache_.find(key); cached != first_response_cache_.end()) {
    return FirstResponseLookup{true, cached->second};
  }
  // No answer last time, and no comment since: still none.
  if (const auto none = unanswered_cache_.find(key);
      none != unanswered_cache_.end() && issue.updated_at && none->second == *issue.updated_at) {
    return FirstResponseLookup{true, std::nullopt};
  }
  return std::nullopt;
}

FirstResponseLookup IssueCollector::Remember(CommentBudget& budget, const std::string& repo, const Issue& issue,
                                             FirstResponseLookup lookup) {
  const std::string key = IssueKey(repo, issue.number);
  if (lookup.complete) {
    std::lock_guard lock(mu_);
    if (lookup.at) {
      first_response_cache_[key] = *lookup.at;
    } else if (issue.updated_at) {
      unanswered_cache_[key] = *issue.updated_at;
    }
  }
  std::lock_guard lock(budget.mu_);
  return budget.checked_[key] = lookup;
}

tl::expected<FirstResponseLookup, Error> IssueCollector::FirstResponse(HttpClient& http, CommentBudget& budget,
                                                                       std::string_view api_url,
                                                                       const std::string& repo, const Issue& issue) {
  if (auto known = Known(budget, repo, issue)) return *known;
  // Each page is taken from the shared budget just before it is fetched (the
  // first here, each next one when the page read says there is one), so
  // parallel lookups never spend more than the budget together and none
  // holds pages it does not use.
  if (!budget.Take()) return Remember(budget, repo, issue, {false, std::nullopt});
  bool budget_ran_out = false;
  std::optional<SystemTime> first;
  const std::string url =
      std::string(api_url) + "/repos/" + repo + "/issues/" + std::to_string(issue.number) + "/comments?per_page=100";
  auto walk = WalkPages(http, url, kMaxCommentPagesPerIssue, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
    auto comments = ParseOnce(http, page, ParseComments);
    if (!comments) return tl::unexpected(comments.error());
    first = EarliestAnswer(**comments, issue);
    if (first) return false;  // pages come oldest first: a later page cannot hold an earlier answer
    if (!ParseLinkHeader(page.Header("link")).contains("next")) return true;  // the last page: the walk ends
    budget_ran_out = !budget.Take();
    return !budget_ran_out;
  });
  if (!walk) {
    budget.Return();  // the failed page was taken but not answered
    return tl::unexpected(walk.error());
  }
  if (budget_ran_out) {
    walk->truncated = true;
  } else if (walk->truncated) {
    budget.Return();  // taken for the page after kMaxCommentPagesPerIssue, never fetched
  }
  return Remember(budget, repo, issue, {first || !walk->truncated, first});
}

IssueCollector::GraphqlLookups IssueCollector::LookUpWithGraphql(
    HttpClient& http, CommentBudget& budget, PointsPacer& pacer, const std::string& graphql_url,
    const std::map<std::string, IssueListing>& listings, int concurrency, bool one_owner_per_query,
    const std::function<void(const std::string& repo)>& before_query) {
  // An issue being looked up: its next page, and how many comments it had without an answer.
  struct Pending {
    const Issue* issue;
    CommentPageRequest page;
    int64_t comments_seen = 0;
  };
  std::vector<Pending> pending;
  for (const auto& [repo, listing] : listings) {
    std::set<int64_t> queued;  // an issue both recent and awaiting is asked once
    for (const auto* issues : {&listing.recent_issues, &listing.awaiting_window}) {
      for (const Issue* issue : *issues) {
        if (Known(budget, repo, *issue) || !queued.insert(issue->number).second) continue;
        pending.push_back({issue, {repo, issue->number, ""}});
      }
    }
  }
  GraphqlLookups result;
  std::mutex result_mu;
  const auto fail_repo = [&](const std::string& repo, const Error& error) {
    std::lock_guard lock(result_mu);
    result.failed_repos.try_emplace(repo, error);
  };
  std::atomic<bool> rate_limited{false};
  while (!pending.empty()) {
    std::vector<CommentPageRequest> pages;
    for (const auto& p : pending) pages.push_back(p.page);
    const auto queries = BuildCommentQueries(pages, one_owner_per_query);
    // Where each query's pages start in `pending` (queries keep the pages' order).
    std::vector<size_t> offsets;
    for (size_t q = 0, at = 0; q < queries.size(); at += queries[q].pages.size(), ++q) offsets.push_back(at);
    std::vector<Pending> next;
    std::mutex next_mu;
    ParallelFor(queries.size(), concurrency, [&](size_t q) {
      const CommentQuery& query = queries[q];
      const auto pending_of = [&](size_t k) -> Pending& { return pending[offsets[q] + k]; };
      const auto give_up = [&](std::optional<Error> error) {
        for (size_t k = 0; k < query.pages.size(); ++k) {
          Remember(budget, query.pages[k].repo, *pending_of(k).issue, {false, std::nullopt});
          if (error) fail_repo(query.pages[k].repo, *error);
        }
      };
      if (rate_limited || !budget.Take(query.points)) return give_up(std::nullopt);  // the budget (or limit) is spent
      auto answer = SendQuery(http, pacer, graphql_url, query.text, query.points, query.pages.front().repo, before_query)
                        .and_then([&](const HttpResponse& response) { return ParseCommentAnswer(response.body, query); });
      if (!answer) {
        if (answer.error().reason == "rate_limited") rate_limited = true;
        return give_up(Error{answer.error().reason, "first-response lookup: " + answer.error().message});
      }
      {
        std::lock_guard lock(result_mu);
        result.points_spent += answer->cost;
      }
      for (size_t k = 0; k < query.pages.size(); ++k) {
        Pending& p = pending_of(k);
        const auto& page = answer->pages[k];
        if (!page) {
          Remember(budget, p.page.repo, *p.issue, {false, std::nullopt});
          fail_repo(p.page.repo, Error{page.error().reason, "first-response lookup: " + page.error().message});
          continue;
        }
        const auto first = EarliestAnswer(page->comments, *p.issue);
        p.comments_seen += int64_t(page->comments.size());
        if (first || !page->has_next) {
          Remember(budget, p.page.repo, *p.issue, {true, first});
        } else if (p.comments_seen >= kMaxCommentsPerIssue) {
          Remember(budget, p.page.repo, *p.issue, {false, std::nullopt});
        } else {
          p.page.after = page->end_cursor;
          std::lock_guard lock(next_mu);
          next.push_back(p);
        }
      }
    });
    pending = std::move(next);
  }
  return result;
}

void IssueCollector::Retain(const CommentBudget& budget) {
  std::lock_guard lock(mu_);
  std::erase_if(first_response_cache_, [&](const auto& entry) { return !budget.live_keys_.contains(entry.first); });
  std::erase_if(unanswered_cache_, [&](const auto& entry) { return !budget.live_keys_.contains(entry.first); });
}

void IssueCollector::AddMetrics(SnapshotBuilder& b, const std::string& repo, const IssueStats& s,
                                SystemTime now) const {
  const Labels r{{"repo", repo}};
  if (s.open) {
    b.Gauge("github_repo_open_issues", "Open issues, pull requests excluded.", r, double(s.open->issues));
    b.Gauge("github_repo_open_pull_requests", "Open pull requests.", r, double(s.open->pull_requests));
  }
  if (s.first_responses) {
    b.Summary("github_issue_first_response_seconds",
              "Time to the first comment by someone other than the author (bots excluded), issues opened in the "
              "window.",
              {{"repo", repo}, {"window", "30d"}}, *s.first_responses);
  }
  if (s.awaiting) {
    const Labels awaiting{{"repo", repo}, {"window", FormatDuration(options_.awaiting_response_window)}};
    b.Gauge("github_issues_awaiting_response",
            "Open issues opened in the window without a response from anyone but the author or bots.", awaiting,
            double(s.awaiting->count));
    b.Gauge("github_issues_awaiting_response_oldest_age_seconds",
            "Age of the oldest open issue opened in the window still awaiting a first response; 0 when none.",
            awaiting,
            s.awaiting->oldest_created ? std::max(0.0, SecondsBetween(*s.awaiting->oldest_created, now)) : 0);
  }
  if (s.opened) {
    const char* help = "Issues opened in the window (pull requests excluded); kind=bug counts the configured bug labels.";
    const Opened& o = *s.opened;
    b.Gauge("github_issues_opened", help, {{"repo", repo}, {"window", "1d"}, {"kind", "all"}}, double(o.day));
    b.Gauge("github_issues_opened", help, {{"repo", repo}, {"window", "1d"}, {"kind", "bug"}}, double(o.day_bugs));
    b.Gauge("github_issues_opened", help, {{"repo", repo}, {"window", "30d"}, {"kind", "all"}}, double(o.month));
    b.Gauge("github_issues_opened", help, {{"repo", repo}, {"window", "30d"}, {"kind", "bug"}}, double(o.month_bugs));
  }
}

}  // namespace kpi::github
