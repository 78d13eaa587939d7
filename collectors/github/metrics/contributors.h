// github_repo_contributors: the contributors GitHub lists for a repository
// (/repos/{repo}/contributors, counted page by page), and when the count need
// not be read again (README "GitHub": contributors).
//
// Thread-safety: Count may run for several repositories at once.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <tl/expected.hpp>

#include "collectors/common/clock.h"
#include "collectors/common/collector.h"
#include "collectors/common/error.h"
#include "collectors/common/poll_report.h"
#include "collectors/common/upstream/http_client.h"

namespace kpi::github {

struct ContributorCount {
  std::optional<int64_t> value;  // absent until counted exactly once, and while GitHub will not count them
  // The default branch's head this poll (from the GraphQL facts; "" in REST mode) and when it was first seen.
  std::string head;
  SystemTime head_seen_at{};
  // The head `value` was counted at and when ("" unless counted exactly in GraphQL mode).
  std::string counted_head;
  SystemTime counted_at{};
};

class ContributorCounter {
 public:
  explicit ContributorCounter(int max_pages) : max_pages_(max_pages) {}

  // This poll's count of `repo`, whose default branch head is `head` ("" when unknown: counted every poll).
  // A cut listing keeps the previous value (reported truncated); a repository GitHub refuses to count (too
  // large) has none, which is no failure and is logged once.
  tl::expected<ContributorCount, Error> Count(HttpClient& http, PollLog& log, PollReport& report,
                                              const std::string& api_url, const std::string& repo,
                                              const std::string& head, SystemTime now,
                                              const ContributorCount* previous);

 private:
  int max_pages_;
  std::mutex mu_;
  std::set<std::string> refused_;  // repositories GitHub refuses to count: logged once
};

}  // namespace kpi::github
