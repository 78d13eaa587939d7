// Snapshot: the immutable result of one successful poll, as metric families
// whose exposition text is rendered once when the poll finishes (not per
// scrape). SnapshotBuilder validates names, label sets and types up front, so
// a scrape only concatenates stored bytes.
//
// Thread-safety: a built Snapshot is immutable and safe to share; a builder is
// used by one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/error.h"
#include "collectors/common/output/items.h"

namespace kpi {

using Labels = std::vector<std::pair<std::string, std::string>>;

// One series as scrapes serve it: its sample lines (five for a summary: the
// quantiles 0.5, 0.9 and 0.99, _sum and _count), each ending in '\n'. The
// text is all a snapshot keeps of a series (at 1000 repositories a snapshot
// holds tens of thousands): readers in the process (the KPI engine, merges)
// parse back what they need, which the text format makes exact.
struct RenderedSeries {
  std::string text;

  // The first line's name and labels: identifies the series within its family.
  std::string_view key() const;
  // The labels as rendered (a summary's without its quantile label).
  Labels labels() const;
  // The gauge's or counter's value, or a summary's {quantile 0.5, 0.9, 0.99, sum, count}.
  std::vector<double> values() const;
};

struct RenderedFamily {
  std::string name;
  std::string help;  // already escaped for the text format
  std::string type;  // "gauge", "counter" or "summary"
  std::vector<RenderedSeries> series;
  std::string samples() const;  // every series' text, in order
};

// Series a builder left out instead of failing the poll: what the upstream
// sent decides how many series there would be, so a cap bounds them, and two
// answers that name the same series keep the first.
struct DroppedSeries {
  size_t over_limit = 0;  // past the collector's series cap
  size_t duplicates = 0;  // the same name and labels again
};

class Snapshot {
 public:
  Snapshot() = default;
  explicit Snapshot(std::vector<RenderedFamily> families, DroppedSeries dropped = {}, std::vector<SharedItemList> items = {})
      : families_(std::move(families)), dropped_(dropped), items_(std::move(items)) {}
  const std::vector<RenderedFamily>& families() const { return families_; }  // sorted by name
  // The item lists behind the numbers (see items.h), sorted by target and list.
  const std::vector<SharedItemList>& items() const { return items_; }
  size_t series() const;
  const DroppedSeries& dropped() const { return dropped_; }

  // This snapshot, plus every series and item list of `older` it lacks. Used when a poll
  // fails in part right after a reload: the new collector has no last good
  // values of its own yet, and the previous ones must not be lost.
  Snapshot MergedOver(const Snapshot& older) const;

 private:
  std::vector<RenderedFamily> families_;
  DroppedSeries dropped_;
  std::vector<SharedItemList> items_;
};

// Label values longer than this are cut (at a UTF-8 boundary, marked "…"):
// an upstream string must not make a series, a page or a log line huge.
inline constexpr size_t kMaxLabelValueBytes = 256;

class SnapshotBuilder {
 public:
  // At most `max_series` series (a summary is one); the rest are dropped and counted.
  explicit SnapshotBuilder(size_t max_series = SIZE_MAX) : max_series_(max_series) {}

  void Gauge(std::string_view name, std::string_view help, Labels labels, double value);
  // A counter the collector keeps across polls; its name ends in _total.
  void Counter(std::string_view name, std::string_view help, Labels labels, double value);
  // A summary over `observations` with quantiles 0.5, 0.9 and 0.99 (nearest
  // rank), _sum and _count. No observations: quantiles NaN, sum and count 0.
  void Summary(std::string_view name, std::string_view help, Labels labels, std::vector<double> observations);
  // An item list; a second list with the same target and name replaces the first.
  void Items(SharedItemList list);
  void Items(ItemList list) { Items(Shared(std::move(list))); }

  // Fails on an invalid metric or label name, or a family used with two types
  // or two HELP texts: programming errors that a test should catch, never
  // something an upstream answer can cause. The same series twice (which an
  // upstream can cause) keeps the first and is counted in Snapshot::dropped().
  tl::expected<Snapshot, Error> Build() &&;

 private:
  struct Family {
    std::string help;
    std::string type;
    std::vector<RenderedSeries> series;
  };
  Family* FamilyFor(std::string_view name, std::string_view help, std::string_view type);
  void Sample(std::string_view type, std::string_view name, std::string_view help, Labels labels, double value);

  bool Admit();  // false, counted, once the cap is reached

  std::map<std::string, Family, std::less<>> families_;
  std::map<std::pair<std::string, std::string>, SharedItemList> items_;  // by target and list
  std::vector<std::string> problems_;
  size_t max_series_;
  size_t series_ = 0;
  DroppedSeries dropped_;
};

// Text-format helpers, shared with anything else that renders exposition text.
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);
std::string FormatSampleValue(double value);
std::string EscapeLabelValue(std::string_view value);
// Valid UTF-8 (invalid bytes become U+FFFD) of at most kMaxLabelValueBytes.
std::string SanitizeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);

// Nearest-rank quantile of sorted values (q in [0,1]); NaN when empty.
double NearestRankQuantile(const std::vector<double>& sorted, double q);

}  // namespace kpi
