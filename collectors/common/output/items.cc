#include "collectors/common/output/items.h"

#include <algorithm>
#include <functional>

#include "collectors/common/output/snapshot.h"

namespace kpi {
namespace {

// Upstream text is bounded and valid UTF-8, as label values are.
std::string Bounded(std::string_view text) { return SanitizeLabelValue(text); }

// Stable, by the time `time_of` gives each element (an optional SystemTime) in `order`; elements without one last.
template <typename T, typename TimeOf, typename Order>
void SortByTime(std::vector<T>& elements, TimeOf time_of, Order order) {
  std::stable_sort(elements.begin(), elements.end(), [&](const T& a, const T& b) {
    const std::optional<SystemTime> ta = time_of(a), tb = time_of(b);
    if (ta && tb) return order(*ta, *tb);
    return ta.has_value() && !tb.has_value();
  });
}

std::optional<SystemTime> SinceOf(const ListItem& item) { return item.since; }

}  // namespace

ItemList MakeItemList(const ItemListKind& kind, std::string target, SystemTime updated, std::vector<ListItem> items,
                      size_t max_items, std::optional<size_t> total) {
  ItemList out{std::move(target), std::string(kind.list), std::string(kind.title), {}, updated,
               std::max(total.value_or(items.size()), std::min(items.size(), max_items)), {}};
  for (const auto metric : kind.metrics) out.metrics.emplace_back(metric);
  if (items.size() > max_items) items.resize(max_items);
  for (ListItem& item : items) {
    item.id = Bounded(item.id);
    item.title = Bounded(item.title);
    item.url = Bounded(item.url);
    for (auto& [label, value] : item.fields) value = Bounded(value);
  }
  out.items = std::move(items);
  return out;
}

void SortOldestFirst(std::vector<ListItem>& items) { SortByTime(items, SinceOf, std::less<>()); }

void SortNewestFirst(std::vector<ListItem>& items) { SortByTime(items, SinceOf, std::greater<>()); }

std::vector<ListItem> OldestFirst(std::vector<std::pair<SystemTime, ListItem>> timed_items) {
  SortByTime(timed_items, [](const auto& timed) { return std::optional(timed.first); }, std::less<>());
  std::vector<ListItem> items;
  for (auto& [time, item] : timed_items) items.push_back(std::move(item));
  return items;
}

}  // namespace kpi
