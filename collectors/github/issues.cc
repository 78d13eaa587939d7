#include "collectors/github/issues.h"

#include <algorithm>

#include "collectors/common/text.h"
#include "collectors/common/time_util.h"
#include "collectors/common/upstream/pagination.h"

namespace kpi::github {
namespace {

constexpr auto kDay = std::chrono::hours(24);
constexpr auto kMonth = 30 * kDay;  // the "30d" window
// Comment pages one issue's first-response lookup may take (10 000 comments):
// an issue whose first 10 000 comments are all its author's or bots' counts as
// unknown (the lookup is incomplete), not as unanswered.
constexpr int kMaxCommentPagesPerIssue = 100;

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
const ItemListKind kBugsLastDayList{"bugs_last_day", "Bugs opened in the last day", {"github_issues_opened"}};

ListItem IssueItem(const Issue& issue) {
  return {"#" + std::to_string(issue.number), issue.title, issue.html_url, issue.created_at};
}

bool CommentBudget::TakePage() {
  std::lock_guard lock(mu_);
  if (pages_left_ <= 0) return false;
  --pages_left_;
  return true;
}

void CommentBudget::ReturnPage() {
  std::lock_guard lock(mu_);
  ++pages_left_;
}

tl::expected<IssueStats, Error> IssueCollector::Collect(HttpClient& http, PollReport& report, CommentBudget& budget,
                                                        std::string_view api_url, const std::string& repo,
                                                        SystemTime now, const IssueStats* previous,
                                                        size_t max_items) {
  const std::string base = std::string(api_url) + "/repos/" + repo + "/issues?per_page=100";
  OpenCounts open;
  std::vector<Issue> open_issues;
  std::vector<Issue> recent_issues;  // opened in the last 30 days, any state
  const auto collect = [&](std::vector<Issue>& into, int64_t* pull_requests) {
    return [&, pull_requests](const HttpResponse& page) -> tl::expected<bool, Error> {
      auto issues = ParseIssues(page.body);
      if (!issues) return tl::unexpected(issues.error());
      for (auto& issue : *issues) {
        if (issue.is_pull_request) {
          if (pull_requests) ++*pull_requests;
        } else {
          into.push_back(std::move(issue));
        }
      }
      return true;
    };
  };
  // The issues API lists pull requests too; they are counted apart, never as issues.
  auto open_walk = WalkPages(http, base + "&state=open", options_.max_pages, collect(open_issues, &open.pull_requests));
  if (!open_walk) return tl::unexpected(open_walk.error());
  open.issues = int64_t(open_issues.size());

  // `since` filters by last update, a superset of issues created since then.
  const SystemTime month_ago = now - kMonth;
  auto recent_walk = WalkPages(http, base + "&state=all&since=" + FormatTimestamp(StableSince(month_ago)),
                               options_.max_pages,
                               collect(recent_issues, nullptr));
  if (!recent_walk) return tl::unexpected(recent_walk.error());
  std::erase_if(recent_issues, [&](const Issue& issue) { return issue.created_at < month_ago; });

  Opened opened;
  std::vector<ListItem> day_bugs;
  std::vector<double> first_responses;
  bool responses_complete = true;
  for (const Issue& issue : recent_issues) {
    const bool is_bug = IsBug(issue, options_.bug_labels);
    const bool last_day = issue.created_at >= now - kDay;
    opened.month += 1;
    opened.month_bugs += is_bug;
    opened.day += last_day;
    opened.day_bugs += last_day && is_bug;
    if (last_day && is_bug) day_bugs.push_back(IssueItem(issue));
    auto response = FirstResponse(http, budget, api_url, repo, issue);
    if (!response) return tl::unexpected(response.error());
    responses_complete = responses_complete && response->complete;
    if (response->at) first_responses.push_back(SecondsBetween(issue.created_at, *response->at));
  }

  Awaiting awaiting;
  std::vector<ListItem> awaiting_items;
  bool awaiting_complete = true;
  for (const Issue& issue : open_issues) {
    if (issue.created_at < now - options_.awaiting_response_window) continue;
    auto response = FirstResponse(http, budget, api_url, repo, issue);
    if (!response) return tl::unexpected(response.error());
    awaiting_complete = awaiting_complete && response->complete;
    if (response->at) continue;
    ++awaiting.count;
    awaiting_items.push_back(IssueItem(issue));
    if (!awaiting.oldest_created || issue.created_at < *awaiting.oldest_created) awaiting.oldest_created = issue.created_at;
  }

  if (max_items > 0) {
    SortOldestFirst(awaiting_items);
    awaiting.items = MakeItemList(kAwaitingResponseList, repo, now, std::move(awaiting_items), max_items);
    SortNewestFirst(day_bugs);
    opened.day_bug_items = MakeItemList(kBugsLastDayList, repo, now, std::move(day_bugs), max_items);
  }

  // A group computed from cut data keeps its previous value (absent if none), its lists with it.
  static const IssueStats kNever;  // "previous" before the first good poll: every group absent
  const IssueStats& last = previous ? *previous : kNever;
  IssueStats stats{open, std::move(awaiting), std::move(opened), std::move(first_responses)};
  if (open_walk->truncated) {
    report.Truncated(repo, "open_issues");
    stats.open = last.open;
    stats.awaiting = last.awaiting;
  } else if (!awaiting_complete) {
    report.Truncated(repo, "comments");
    stats.awaiting = last.awaiting;
  }
  if (recent_walk->truncated) {
    report.Truncated(repo, "recent_issues");
    stats.opened = last.opened;
    stats.first_responses = last.first_responses;
  } else if (!responses_complete) {
    report.Truncated(repo, "comments");
    stats.first_responses = last.first_responses;
  }
  return stats;
}

tl::expected<FirstResponseLookup, Error> IssueCollector::FirstResponse(HttpClient& http, CommentBudget& budget,
                                                                       std::string_view api_url,
                                                                       const std::string& repo, const Issue& issue) {
  if (issue.comments == 0) return FirstResponseLookup{};
  const std::string key = repo + "#" + std::to_string(issue.number);
  {
    std::lock_guard lock(budget.mu_);
    budget.live_keys_.insert(key);
    if (const auto checked = budget.checked_.find(key); checked != budget.checked_.end()) return checked->second;
  }
  {
    std::lock_guard lock(mu_);
    if (const auto cached = first_response_cache_.find(key); cached != first_response_cache_.end()) {
      return FirstResponseLookup{true, cached->second};
    }
  }
  const auto remember = [&](FirstResponseLookup lookup) {
    std::lock_guard lock(budget.mu_);
    return budget.checked_[key] = lookup;
  };
  // Each page is taken from the shared budget just before it is fetched (the
  // first here, each next one when the page read says there is one), so
  // parallel lookups never spend more than the budget together and none
  // holds pages it does not use.
  if (!budget.TakePage()) return remember({false, std::nullopt});
  bool budget_ran_out = false;
  std::optional<SystemTime> first;
  const std::string url =
      std::string(api_url) + "/repos/" + repo + "/issues/" + std::to_string(issue.number) + "/comments?per_page=100";
  auto walk = WalkPages(http, url, kMaxCommentPagesPerIssue, [&](const HttpResponse& page) -> tl::expected<bool, Error> {
    auto comments = ParseComments(page.body);
    if (!comments) return tl::unexpected(comments.error());
    for (const auto& comment : *comments) {
      // A deleted author (no login) can only be answered by someone with one.
      if (comment.author_is_bot || comment.author.empty() || comment.author == issue.author) continue;
      if (!first || comment.created_at < *first) first = comment.created_at;
    }
    if (first) return false;  // pages come oldest first: a later page cannot hold an earlier answer
    if (!ParseLinkHeader(page.Header("link")).contains("next")) return true;  // the last page: the walk ends
    budget_ran_out = !budget.TakePage();
    return !budget_ran_out;
  });
  if (!walk) {
    budget.ReturnPage();  // the failed page was taken but not answered
    return tl::unexpected(walk.error());
  }
  if (budget_ran_out) {
    walk->truncated = true;
  } else if (walk->truncated) {
    budget.ReturnPage();  // taken for the page after kMaxCommentPagesPerIssue, never fetched
  }
  if (first) {
    std::lock_guard lock(mu_);
    first_response_cache_[key] = *first;
  }
  return remember({first || !walk->truncated, first});
}

void IssueCollector::Retain(const CommentBudget& budget) {
  std::lock_guard lock(mu_);
  std::erase_if(first_response_cache_, [&](const auto& entry) { return !budget.live_keys_.contains(entry.first); });
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
