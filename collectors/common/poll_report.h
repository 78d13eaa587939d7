// PollReport: what one poll tells the core beside its snapshot. Which targets
// (a repository, a JQL query name, a package, a guild or invite) were polled
// fully, and which caps cut data. The core turns it into
// kpi_exporter_target_up / _last_success_timestamp_seconds and
// kpi_exporter_truncated_total, and logs the cuts once per poll.
//
// A cut is not a failure: the target stays up, and the collector keeps the
// last complete value of every series computed from the cut data (or leaves
// it out). Thread-safety: a poll may report from several threads (its
// targets polled side by side); the core reads targets() after the poll
// returned, and only Counts() while it runs.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace kpi {

class PollReport {
 public:
  PollReport() = default;
  PollReport(const PollReport& other) { *this = other; }
  PollReport& operator=(const PollReport& other) {
    if (this == &other) return *this;
    std::scoped_lock lock(mu_, other.mu_);
    targets_ = other.targets_;
    truncations_ = other.truncations_;
    return *this;
  }

  // A target that fails in one step and succeeds in another is down.
  void Target(std::string_view target, bool ok) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = targets_.try_emplace(std::string(target), ok);
    if (!inserted) it->second = it->second && ok;
  }
  // `what` names the listing that was cut (a short, fixed token such as
  // "open_issues" or "resolved_issues"), never free text.
  void Truncated(std::string_view target, std::string_view what) {
    std::lock_guard lock(mu_);
    truncations_.emplace(std::string(target), std::string(what));
  }

  const std::map<std::string, bool>& targets() const { return targets_; }
  // Targets reported so far, and how many of them are up; safe while the poll runs.
  struct Counts {
    std::size_t reported = 0, ok = 0;
  };
  Counts Count() const {
    std::lock_guard lock(mu_);
    Counts counts{targets_.size(), 0};
    for (const auto& [target, ok] : targets_) counts.ok += ok ? 1 : 0;
    return counts;
  }
  const std::set<std::pair<std::string, std::string>>& truncations() const { return truncations_; }

 private:
  mutable std::mutex mu_;
  std::map<std::string, bool> targets_;
  std::set<std::pair<std::string, std::string>> truncations_;
};

}  // namespace kpi
