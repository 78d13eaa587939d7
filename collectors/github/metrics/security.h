// Security alert KPIs of a GitHub repository (README "Security alerts"):
// open Dependabot, code-scanning and secret-scanning alerts, and how long
// Dependabot alerts took to fix. Every listing is read to its end.
//
// A repository without a feature, or a token without access to it, answers
// 403/404: that feature's metrics are absent for the repository, the poll
// does not fail, and the first such answer is logged (once per repository
// and feature). Thread-safety: used by its collector's poll thread only.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/clock.h"
#include "collectors/common/collector.h"
#include "collectors/common/error.h"
#include "collectors/common/output/items.h"
#include "collectors/common/poll_report.h"
#include "collectors/common/output/snapshot.h"
#include "collectors/common/upstream/http_client.h"
#include "collectors/github/parse.h"

namespace kpi::github {

// GitHub's advisory severities, every one exported (0 where none).
inline constexpr const char* kSeverities[] = {"low", "medium", "high", "critical"};

struct DependabotStats {
  std::map<std::string, int64_t> open;                // by severity
  std::map<std::string, SystemTime> oldest_open;      // by severity; the age is taken at render time
  std::vector<double> fix_seconds;                    // created -> fixed_at, fixed in the window
  int64_t malformed = 0;  // open alerts whose severity is none of kSeverities: not counted
  SharedItemList critical_high_items;        // the drill-down list (absent with max_items = 0)
};

struct CodeScanningStats {
  std::map<std::string, int64_t> open;  // by rule.security_severity_level
  int64_t malformed = 0;  // open alerts with a security severity that is none of kSeverities: not counted
};

struct SecurityStats {
  std::optional<DependabotStats> dependabot;                 // absent: feature off or no access
  std::optional<CodeScanningStats> code_scanning;            // absent: feature off or no access
  std::optional<int64_t> secret_scanning;                    // open
};

// Pure: the Dependabot numbers from every alert of a repository.
DependabotStats SummarizeDependabot(const std::vector<DependabotAlert>& alerts, SystemTime now);
// Pure: open code-scanning alerts by security severity; alerts without one are not security alerts.
CodeScanningStats CountCodeScanning(const std::vector<CodeScanningAlert>& alerts);
// The drill-down list: open critical and high Dependabot alerts, oldest first.
extern const ItemListKind kDependabotCriticalHighList;
ItemList DependabotCriticalHighItems(const std::string& repo, const std::vector<DependabotAlert>& alerts, SystemTime now,
                                     size_t max_items);

class SecurityCollector {
 public:
  // A feature found off (or inaccessible) is asked about again only after `recheck`:
  // each ask costs a point, and most repositories of an organisation lack some feature.
  SecurityCollector(int max_pages, std::chrono::milliseconds recheck) : max_pages_(max_pages), recheck_(recheck) {}

  // nullopt when a cap cut a listing (reported): the caller keeps its last values.
  tl::expected<std::optional<SecurityStats>, Error> Collect(HttpClient& http, PollReport& report, PollLog& log,
                                                            const std::string& api_url, const std::string& repo,
                                                            SystemTime now, size_t max_items);

 private:
  // The pages of one listing; nullopt when the feature is off or not accessible.
  struct Listing {
    std::vector<std::string> pages;
    bool truncated = false;
  };
  tl::expected<std::optional<Listing>, Error> Read(HttpClient& http, PollLog& log, const std::string& url,
                                                   const std::string& repo, const std::string& feature, SystemTime now);

  int max_pages_;
  std::chrono::milliseconds recheck_;
  std::mutex mu_;  // guards the map below: repositories are polled side by side
  std::map<std::string, SystemTime> unavailable_since_;  // "repo feature" -> when last found off (logged once)
};

void AddSecurityMetrics(SnapshotBuilder& builder, const std::string& repo, const SecurityStats& stats, SystemTime now);

}  // namespace kpi::github
