#include "collectors/common/output/items.h"

#include <doctest/doctest.h>

#include "collectors/common/output/snapshot.h"

using namespace kpi;
using namespace std::chrono_literals;

namespace {

const ItemListKind kKind{"awaiting", "Waiting", {"some_metric"}};
const SystemTime kT0 = SystemTime(std::chrono::seconds(1'800'000'000));

std::vector<ListItem> Numbered(int n) {
  std::vector<ListItem> items;
  for (int i = 1; i <= n; ++i) items.push_back({"#" + std::to_string(i), "", "", kT0 - std::chrono::hours(i)});
  return items;
}

}  // namespace

TEST_CASE("item list: the first max_items in the caller's order, the total says how many there were") {
  const ItemList list = MakeItemList(kKind, "acme/widgets", kT0, Numbered(5), 3);
  CHECK(list.target == "acme/widgets");
  CHECK(list.list == "awaiting");
  CHECK(list.metrics == std::vector<std::string>{"some_metric"});
  CHECK(list.total == 5);
  CHECK(list.truncated());
  REQUIRE(list.items.size() == 3);
  CHECK(list.items[0].id == "#1");
  CHECK(list.items[2].id == "#3");

  const ItemList exact = MakeItemList(kKind, "t", kT0, Numbered(3), 3);
  CHECK(exact.total == 3);
  CHECK_FALSE(exact.truncated());
  // A collector that knows of more items than it read says so.
  CHECK(MakeItemList(kKind, "t", kT0, Numbered(2), 3, 40).total == 40);
  CHECK(MakeItemList(kKind, "t", kT0, Numbered(2), 3, 40).truncated());
  // 0: no items, the total still counted.
  CHECK(MakeItemList(kKind, "t", kT0, Numbered(2), 0).items.empty());
}

TEST_CASE("item list: upstream texts are cut like label values and broken UTF-8 replaced") {
  std::vector<ListItem> items{{"#1", std::string(1000, 'x') + "\xff", "https://example.test/" + std::string(1000, 'y'), kT0,
                               {{"workflow", std::string("ci\xc3", 3)}}}};
  const ItemList list = MakeItemList(kKind, "t", kT0, std::move(items), 20);
  CHECK(list.items[0].title.size() <= kMaxLabelValueBytes);
  CHECK(list.items[0].url.size() <= kMaxLabelValueBytes);
  CHECK(list.items[0].fields[0].second == "ci\xEF\xBF\xBD");
}

TEST_CASE("item list: oldest first, items without a time last, ties keep their order") {
  std::vector<ListItem> items{{"new", "", "", kT0}, {"none", "", "", std::nullopt}, {"old", "", "", kT0 - 1h},
                              {"new2", "", "", kT0}};
  SortOldestFirst(items);
  CHECK(items[0].id == "old");
  CHECK(items[1].id == "new");
  CHECK(items[2].id == "new2");
  CHECK(items[3].id == "none");
}

TEST_CASE("item list: oldest first by a time given with each item, which it need not show, ties keep their order") {
  const std::vector<ListItem> items = OldestFirst({{kT0, {"new", "", "", kT0}},
                                                   {kT0 - 2h, {"bound", "", "", std::nullopt}},
                                                   {kT0 - 1h, {"old", "", "", kT0 - 1h}},
                                                   {kT0, {"new2", "", "", kT0}}});
  REQUIRE(items.size() == 4);
  CHECK(items[0].id == "bound");
  CHECK_FALSE(items[0].since.has_value());
  CHECK(items[1].id == "old");
  CHECK(items[2].id == "new");
  CHECK(items[3].id == "new2");
}

TEST_CASE("snapshot: item lists by target and list, and a partial poll keeps the older lists it lacks") {
  SnapshotBuilder fresh;
  fresh.Gauge("m", "h", {}, 1);
  fresh.Items(MakeItemList(kKind, "b", kT0, Numbered(1), 20));
  fresh.Items(MakeItemList(kKind, "a", kT0, Numbered(2), 20));
  fresh.Items(MakeItemList(kKind, "a", kT0, Numbered(3), 20));  // the same list again replaces it
  const auto now = std::move(fresh).Build();
  REQUIRE(now);
  REQUIRE(now->items().size() == 2);
  CHECK(now->items()[0]->target == "a");
  CHECK(now->items()[0]->total == 3);

  SnapshotBuilder old;
  old.Items(MakeItemList(kKind, "a", kT0 - 1h, Numbered(9), 20));
  old.Items(MakeItemList(kKind, "c", kT0 - 1h, Numbered(4), 20));
  const auto older = std::move(old).Build();
  REQUIRE(older);
  const Snapshot merged = now->MergedOver(*older);
  REQUIRE(merged.items().size() == 3);
  CHECK(merged.items()[0]->total == 3);  // a: the new list wins
  CHECK(merged.items()[2]->target == "c");
  CHECK(merged.items()[2]->updated == kT0 - 1h);
}
