// Item lists: the few upstream items behind a number (the issues awaiting a
// first response, the tickets past their SLA, the unpaid subscriptions), kept
// beside a poll's metrics so a person can go from a red KPI to the items. A
// collector builds them during a poll (MakeItemList) and hands them to its
// SnapshotBuilder: they live and are replaced with the snapshot, so a failed
// poll keeps the last good lists like it keeps the last good values.
//
// Bounded: at most max_items items per list (the total says how many there
// were), every text cut like a label value (kMaxLabelValueBytes, valid
// UTF-8). Items never become metric
// labels. Thread-safety: plain values; a built list is immutable in a Snapshot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collectors/common/clock.h"

namespace kpi {

// [drill_down] max_items: items kept per list; 0 turns the lists off.
inline constexpr size_t kDefaultMaxItems = 20;
inline constexpr size_t kMaxItemsLimit = 1000;

struct ListItem {
  std::string id;     // as the upstream shows it: "#123", "SUP-42", "sub_1Nx…"
  std::string title;  // empty when not shown (Jira without show_titles)
  std::string url;    // where a person opens it; empty when there is none
  std::optional<SystemTime> since = std::nullopt;  // opened, failing or due since
  std::vector<std::pair<std::string, std::string>> fields = {};  // short facts, label → value
};

// What a list is: fixed per collector, never from an upstream answer.
struct ItemListKind {
  std::string_view list;   // token for URLs and the API: [a-z0-9_]+
  std::string_view title;  // for people
  std::vector<std::string_view> metrics;  // the metric families it explains
};

struct ItemList {
  std::string target;  // the collector target (repo, query, package, guild, "account")
  std::string list;
  std::string title;
  std::vector<std::string> metrics;
  SystemTime updated{};  // when the poll that made it read the items
  size_t total = 0;      // items there were before the cap
  std::vector<ListItem> items;
  bool truncated() const { return total > items.size(); }
};

// A built list, shared by a collector's last good values and every snapshot that shows it: at
// 1000 repositories the lists take megabytes, which a copy per snapshot would double.
using SharedItemList = std::shared_ptr<const ItemList>;
inline SharedItemList Shared(ItemList list) { return std::make_shared<const ItemList>(std::move(list)); }

// The first `max_items` of `items` (the caller orders them: oldest or worst
// first), texts cut to size. `total` defaults to items.size(); give it when
// the collector knows more items exist than it read.
ItemList MakeItemList(const ItemListKind& kind, std::string target, SystemTime updated, std::vector<ListItem> items,
                      size_t max_items, std::optional<size_t> total = std::nullopt);

// Oldest first (items without `since` last), stable.
void SortOldestFirst(std::vector<ListItem>& items);
// Newest first (items without `since` last), stable: for events such as failures.
void SortNewestFirst(std::vector<ListItem>& items);
// The items oldest first by the time given with each, stable: for a time an item does not show as its `since`
// (a failing streak whose start is unknown sorts by the oldest failure read).
std::vector<ListItem> OldestFirst(std::vector<std::pair<SystemTime, ListItem>> timed_items);

}  // namespace kpi
