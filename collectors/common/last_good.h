// LastGood: per-item results (a repo, a query, a package) that survive a
// failed poll. A collector polls each item, hands the result to Update(), and
// renders from values(): a failed item keeps its previous values while its
// error is collected for the poll's report. FinishPoll() turns the builder
// and the collected errors into the Poll result.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/error.h"
#include "collectors/common/poll_report.h"
#include "collectors/common/output/snapshot.h"

namespace kpi {

template <typename Stats>
class LastGood {
 public:
  // Returns false when the result was an error (whose reason was "canceled":
  // the caller should stop polling at once).
  bool Update(const std::string& key, tl::expected<Stats, Error> result, std::vector<Error>& errors) {
    if (result) {
      values_[key] = std::move(*result);
      return true;
    }
    errors.push_back(Error{result.error().reason, key + ": " + result.error().message});
    return result.error().reason != "canceled";
  }
  // Update() for a configured target: also reports its health to the core.
  bool UpdateTarget(const std::string& target, tl::expected<Stats, Error> result, std::vector<Error>& errors,
                    PollReport& report) {
    report.Target(target, result.has_value());
    return Update(target, std::move(result), errors);
  }
  // Forgets items no longer configured.
  void Retain(const std::vector<std::string>& keys) {
    std::erase_if(values_, [&](const auto& entry) { return std::find(keys.begin(), keys.end(), entry.first) == keys.end(); });
  }
  const std::map<std::string, Stats>& values() const { return values_; }

 private:
  std::map<std::string, Stats> values_;
};

// Builds the snapshot; with errors, the poll fails but carries the snapshot
// (fresh values plus last good ones) as Error::partial.
tl::expected<Snapshot, Error> FinishPoll(SnapshotBuilder builder, const std::vector<Error>& errors);

// True when any error is a cancellation (shutdown): the poll should end now.
bool Canceled(const std::vector<Error>& errors);

}  // namespace kpi
