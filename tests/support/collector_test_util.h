// Small helpers shared by the collector unit tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "collectors/common/collector.h"
#include "collectors/common/output/snapshot.h"

namespace kpi::testing {

// A PollLog that keeps warnings for assertions and drops debug lines.
class RecordingLog final : public PollLog {
 public:
  void Debug(std::string_view) override {}
  void Warn(std::string_view message) override { warnings.emplace_back(message); }
  std::vector<std::string> warnings;
};

// Every sample line of a snapshot, in family order.
inline std::string SnapshotText(const Snapshot& snapshot) {
  std::string out;
  for (const auto& family : snapshot.families()) out += family.samples();
  return out;
}

// True when `text` holds exactly this sample line.
inline bool HasLine(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

}  // namespace kpi::testing
