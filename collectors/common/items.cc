#include "collectors/common/items.h"

#include <algorithm>
#include <functional>

#include "collectors/common/snapshot.h"

namespace kpi {
namespace {

// Upstream text is bounded and valid UTF-8, as label values are.
std::string Bounded(std::string_view text) { return SanitizeLabelValue(text); }

// Stable, by `since` in `order`; items without one last.
template <typename Order>
void SortBySince(std::vector<ListItem>& items, Order order) {
  std::stable_sort(items.begin(), items.end(), [&](const ListItem& a, const ListItem& b) {
    if (a.since && b.since) return order(*a.since, *b.since);
    return a.since.has_value() && !b.since.has_value();
  });
}

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

void SortOldestFirst(std::vector<ListItem>& items) { SortBySince(items, std::less<>()); }

void SortNewestFirst(std::vector<ListItem>& items) { SortBySince(items, std::greater<>()); }

}  // namespace kpi
