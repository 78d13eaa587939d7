#include "collectors/github/metrics/security.h"

#include <algorithm>
#include <string_view>

#include "collectors/common/text.h"
#include "collectors/common/time_util.h"
#include "collectors/common/upstream/json.h"
#include "collectors/common/upstream/pagination.h"

namespace kpi::github {
namespace {

constexpr auto kMonth = 30 * std::chrono::hours(24);

// A 403 that is a rate limit is a failure to retry later, not a missing feature.
bool IsRateLimit(const HttpResponse& response) {
  return response.Header("x-ratelimit-remaining") == "0" ||
         AsciiLower(response.body).find("rate limit") != std::string::npos;
}

bool IsSeverity(std::string_view word) {
  return std::find(std::begin(kSeverities), std::end(kSeverities), word) != std::end(kSeverities);
}

// Says once per poll and listing that alerts were left out, and where they are counted.
void LogMalformed(PollLog& log, const std::string& repo, const char* feature, int64_t malformed) {
  if (malformed == 0) return;
  log.Warn(repo + ": " + std::to_string(malformed) + " open " + feature +
           " alerts have a severity outside GitHub's low, medium, high and critical; they are not counted "
           "(github_malformed_objects)");
}

}  // namespace

DependabotStats SummarizeDependabot(const std::vector<DependabotAlert>& alerts, SystemTime now) {
  DependabotStats stats;
  for (const char* severity : kSeverities) stats.open[severity] = 0;
  for (const auto& alert : alerts) {
    if (alert.state == "open") {
      ++stats.open[alert.severity];
      const auto oldest = stats.oldest_open.find(alert.severity);
      if (oldest == stats.oldest_open.end() || alert.created_at < oldest->second) {
        stats.oldest_open[alert.severity] = alert.created_at;
      }
    }
    // Dismissed and auto-dismissed alerts are not fixes.
    if (alert.state == "fixed" && alert.fixed_at && *alert.fixed_at >= now - kMonth && *alert.fixed_at <= now) {
      stats.fix_seconds.push_back(std::max(0.0, Seconds(*alert.fixed_at - alert.created_at).count()));
    }
  }
  // Only GitHub's four severities make series: an unknown word must not add one; it is counted as malformed.
  for (const auto& [severity, open] : stats.open) {
    if (!IsSeverity(severity)) stats.malformed += open;
  }
  std::erase_if(stats.open, [](const auto& entry) { return !IsSeverity(entry.first); });
  return stats;
}

CodeScanningStats CountCodeScanning(const std::vector<CodeScanningAlert>& alerts) {
  CodeScanningStats stats;
  for (const char* severity : kSeverities) stats.open[severity] = 0;
  for (const auto& alert : alerts) {
    // Rules without a security severity (null) are quality rules, not security alerts: neither counted nor malformed.
    if (alert.state != "open" || alert.security_severity.empty()) continue;
    if (IsSeverity(alert.security_severity)) ++stats.open[alert.security_severity];
    else ++stats.malformed;
  }
  return stats;
}

const ItemListKind kDependabotCriticalHighList{"dependabot_critical_high",
                                               "Open critical and high Dependabot alerts",
                                               {"github_dependabot_alerts_open", "github_dependabot_alert_oldest_open_seconds"}};

ItemList DependabotCriticalHighItems(const std::string& repo, const std::vector<DependabotAlert>& alerts, SystemTime now,
                                     size_t max_items) {
  std::vector<ListItem> items;
  for (const auto& alert : alerts) {
    if (alert.state != "open" || (alert.severity != "critical" && alert.severity != "high")) continue;
    items.push_back({"#" + std::to_string(alert.number), alert.package, alert.html_url, alert.created_at,
                     {{"severity", alert.severity}}});
  }
  SortOldestFirst(items);
  return MakeItemList(kDependabotCriticalHighList, repo, now, std::move(items), max_items);
}

tl::expected<std::optional<SecurityCollector::Listing>, Error> SecurityCollector::Read(HttpClient& http, PollLog& log,
                                                                                      const std::string& url,
                                                                                      const std::string& repo,
                                                                                      const std::string& feature,
                                                                                      SystemTime now) {
  const std::string key = repo + " " + feature;
  {
    std::lock_guard lock(mu_);
    if (const auto off = unavailable_since_.find(key); off != unavailable_since_.end() && now - off->second < recheck_) {
      return std::optional<Listing>();
    }
  }
  Listing listing;
  std::string next = url;
  while (!next.empty()) {
    if (int(listing.pages.size()) == max_pages_) {
      listing.truncated = true;
      break;
    }
    auto page = http.Get(next);
    if (!page) return tl::unexpected(page.error());
    const bool first = listing.pages.empty();
    if (first && (page->status == 404 || (page->status == 403 && !IsRateLimit(*page)))) {
      // Feature off, or no access: this feature's metrics are absent, logged once.
      std::lock_guard lock(mu_);
      if (!unavailable_since_.contains(key)) {
        log.Warn(repo + ": " + feature + " alerts are not available (HTTP " + std::to_string(page->status) +
                 "; feature off or no access); their metrics are left out, asked again every " +
                 FormatDuration(recheck_));
      }
      unavailable_since_[key] = now;
      return std::optional<Listing>();
    }
    if (page->status < 200 || page->status > 299) {
      return tl::unexpected(HttpStatusError(page->status, next, page->status == 403, http.SendsCredentialsTo(next)));
    }
    if (first) {
      std::lock_guard lock(mu_);
      unavailable_since_.erase(key);
    }
    listing.pages.push_back(std::move(page->body));
    // Dependabot pages by cursor (after=) in its Link header; page= is refused there.
    const auto links = ParseLinkHeader(page->Header("link"));
    const auto found = links.find("next");
    next = found == links.end() ? "" : ResolveUrl(next, found->second);
  }
  return std::optional<Listing>(std::move(listing));
}

tl::expected<std::optional<SecurityStats>, Error> SecurityCollector::Collect(HttpClient& http, PollReport& report,
                                                                            PollLog& log, const std::string& api_url,
                                                                            const std::string& repo, SystemTime now,
                                                                            size_t max_items) {
  const std::string base = api_url + "/repos/" + repo;
  SecurityStats stats;
  bool cut = false;
  // open and fixed only: dismissed alerts are neither open nor fixes.
  auto dependabot = Read(http, log, base + "/dependabot/alerts?state=open,fixed&per_page=100", repo, "Dependabot", now);
  if (!dependabot) return tl::unexpected(dependabot.error());
  if (*dependabot && (*dependabot)->truncated) {
    report.Truncated(repo, "dependabot_alerts");
    cut = true;
  } else if (*dependabot) {
    std::vector<DependabotAlert> alerts;
    for (const auto& body : (*dependabot)->pages) {
      auto page = ParseDependabotAlerts(body);
      if (!page) return tl::unexpected(page.error());
      alerts.insert(alerts.end(), page->begin(), page->end());
    }
    stats.dependabot = SummarizeDependabot(alerts, now);
    LogMalformed(log, repo, "Dependabot", stats.dependabot->malformed);
    if (max_items > 0) stats.dependabot->critical_high_items = Shared(DependabotCriticalHighItems(repo, alerts, now, max_items));
  }
  auto code = Read(http, log, base + "/code-scanning/alerts?state=open&per_page=100", repo, "code scanning", now);
  if (!code) return tl::unexpected(code.error());
  if (*code && (*code)->truncated) {
    report.Truncated(repo, "code_scanning_alerts");
    cut = true;
  } else if (*code) {
    std::vector<CodeScanningAlert> alerts;
    for (const auto& body : (*code)->pages) {
      auto page = ParseCodeScanningAlerts(body);
      if (!page) return tl::unexpected(page.error());
      alerts.insert(alerts.end(), page->begin(), page->end());
    }
    stats.code_scanning = CountCodeScanning(alerts);
    LogMalformed(log, repo, "code scanning", stats.code_scanning->malformed);
  }
  auto secrets =
      Read(http, log, base + "/secret-scanning/alerts?state=open&per_page=100", repo, "secret scanning", now);
  if (!secrets) return tl::unexpected(secrets.error());
  if (*secrets && (*secrets)->truncated) {
    report.Truncated(repo, "secret_scanning_alerts");
    cut = true;
  } else if (*secrets) {
    int64_t open = 0;
    for (const auto& body : (*secrets)->pages) {
      auto count = json::ParseArrayLength(body);
      if (!count) return tl::unexpected(count.error());
      open += *count;
    }
    stats.secret_scanning = open;
  }
  if (cut) return std::optional<SecurityStats>();
  return std::optional<SecurityStats>(std::move(stats));
}

void AddSecurityMetrics(SnapshotBuilder& b, const std::string& repo, const SecurityStats& s, SystemTime now) {
  const auto malformed = [&](const char* listing, int64_t count) {
    b.Gauge("github_malformed_objects",
            "Objects of the listing's last complete read left uncounted because a field lay outside GitHub's "
            "documented values.",
            {{"repo", repo}, {"listing", listing}}, double(count));
  };
  if (s.dependabot) {
    malformed("dependabot_alerts", s.dependabot->malformed);
    for (const auto& [severity, open] : s.dependabot->open) {
      const Labels l{{"repo", repo}, {"severity", severity}};
      b.Gauge("github_dependabot_alerts_open", "Open Dependabot alerts by advisory severity.", l, double(open));
      const auto oldest = s.dependabot->oldest_open.find(severity);
      b.Gauge("github_dependabot_alert_oldest_open_seconds",
              "Age of the oldest open Dependabot alert of the severity; 0 when none.", l,
              oldest == s.dependabot->oldest_open.end() ? 0 : std::max(0.0, Seconds(now - oldest->second).count()));
    }
    b.Summary("github_dependabot_alert_fix_seconds",
              "Creation to fixed_at of Dependabot alerts fixed in the window (dismissed ones are not fixes).",
              {{"repo", repo}, {"window", "30d"}}, s.dependabot->fix_seconds);
  }
  if (s.code_scanning) {
    malformed("code_scanning_alerts", s.code_scanning->malformed);
    for (const auto& [severity, open] : s.code_scanning->open) {
      b.Gauge("github_code_scanning_alerts_open",
              "Open code-scanning alerts by rule security severity; rules without one are not counted.",
              {{"repo", repo}, {"severity", severity}}, double(open));
    }
  }
  if (s.secret_scanning) {
    b.Gauge("github_secret_scanning_alerts_open", "Open secret-scanning alerts.", {{"repo", repo}},
            double(*s.secret_scanning));
  }
}

}  // namespace kpi::github
