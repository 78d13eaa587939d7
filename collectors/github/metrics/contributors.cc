#include "collectors/github/metrics/contributors.h"

#include "collectors/common/text.h"
#include "collectors/common/upstream/pagination.h"

namespace kpi::github {

tl::expected<ContributorCount, Error> ContributorCounter::Count(HttpClient& http, PollLog& log, PollReport& report,
                                                                const std::string& api_url, const std::string& repo,
                                                                const std::string& head, SystemTime now,
                                                                const ContributorCount* previous) {
  // GitHub counts the authors of the default branch's history, so once that branch's head (from the GraphQL
  // facts) has stopped moving the count cannot change, and it is not asked again. But GitHub's docs warn the
  // answer "may return information that is a few hours old" (it is cached): only a count made kSettled after
  // the head was first seen is trusted to be about that head. An author who links another email to their
  // account merges two entries without any commit: a count a day old is read again anyway.
  constexpr auto kSettled = std::chrono::hours(6);
  constexpr auto kRecountAfter = std::chrono::hours(24);
  const bool same_head = previous && !head.empty() && previous->head == head && previous->head_seen_at <= now;
  ContributorCount count{std::nullopt, head, same_head ? previous->head_seen_at : now, "", {}};
  if (same_head && previous->value && previous->counted_head == head &&
      previous->counted_at - count.head_seen_at >= kSettled &&
      now >= previous->counted_at && now - previous->counted_at < kRecountAfter) {
    count.value = previous->value;
    count.counted_head = previous->counted_head;
    count.counted_at = previous->counted_at;
    return count;
  }
  // Counted page by page (CountListing: a 304 on per_page=1 would hide a moved rel="last").
  // Very large repositories: 403 "The history or contributor list is too large to list contributors for this
  // repository via the API." Only this metric is absent; it is no failure, and it is logged once.
  constexpr std::string_view kTooLarge = "too_large";
  const auto refuse = [&](const HttpResponse& answer) -> std::optional<Error> {
    if (answer.status == 403 && AsciiLower(answer.body).find("too large") != std::string::npos) {
      return Error{std::string(kTooLarge), repo};
    }
    return std::nullopt;
  };
  auto listed = CountListing(http, api_url + "/repos/" + repo + "/contributors?per_page=100", 100,
                             previous ? previous->value : std::nullopt, max_pages_, refuse);
  const bool too_large = !listed && listed.error().reason == kTooLarge;
  if (!listed && !too_large) return tl::unexpected(listed.error());
  std::lock_guard lock(mu_);
  if (too_large) {
    if (refused_.insert(repo).second) {
      log.Warn(repo + ": GitHub will not list contributors of a repository this large; "
                      "github_repo_contributors is left out for it");
    }
    return count;
  }
  refused_.erase(repo);
  if (*listed) {
    count.value = **listed;
    count.counted_head = head;
    count.counted_at = now;
  } else {  // a cut listing: the last complete count stands
    report.Truncated(repo, "contributors");
    if (previous) count.value = previous->value;
  }
  return count;
}

}  // namespace kpi::github
