// PollReport: what one poll tells the core beside its snapshot. Which targets
// (a repository, a JQL query name, a package, a guild or invite) were polled
// fully, and which caps cut data. The core turns it into
// kpi_exporter_target_up / _last_success_timestamp_seconds and
// kpi_exporter_truncated_total, and logs the cuts once per poll.
//
// A cut is not a failure: the target stays up, and the collector keeps the
// last complete value of every series computed from the cut data (or leaves
// it out). Thread-safety: used by the one thread that runs the poll.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace kpi {

class PollReport {
 public:
  // A target that fails in one step and succeeds in another is down.
  void Target(std::string_view target, bool ok) {
    auto [it, inserted] = targets_.try_emplace(std::string(target), ok);
    if (!inserted) it->second = it->second && ok;
  }
  // `what` names the listing that was cut (a short, fixed token such as
  // "open_issues" or "resolved_issues"), never free text.
  void Truncated(std::string_view target, std::string_view what) {
    truncations_.emplace(std::string(target), std::string(what));
  }

  const std::map<std::string, bool>& targets() const { return targets_; }
  const std::set<std::pair<std::string, std::string>>& truncations() const { return truncations_; }

 private:
  std::map<std::string, bool> targets_;
  std::set<std::pair<std::string, std::string>> truncations_;
};

}  // namespace kpi
