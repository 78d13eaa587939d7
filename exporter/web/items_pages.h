// The item lists behind the numbers (collectors/common/output/items.h) on the web:
//   GET /api/v1/items?collector=&target=&list=  every list matching the filters, as JSON (README: "Drill-down")
//   GET /items?collector=&target=&list=         the same as a page (one list when all three are given)
//   GET /items/kpi?name=KPI                     the lists that explain the KPI's metric
// Every text passes through the redactor; only http(s) item URLs are linked.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/clock.h"
#include "collectors/common/output/snapshot.h"
#include "exporter/kpi/engine.h"

namespace kpi {

// One collector's current snapshot, whose lists the pages show.
struct CollectorSnapshot {
  std::string collector;
  std::shared_ptr<const Snapshot> snapshot;
};

struct ItemsSource {
  std::vector<CollectorSnapshot> collectors;  // by collector name
  SystemTime now{};                           // ages are counted to this
};

struct ItemListRef {
  std::string_view collector;
  const ItemList* list;
};

struct ItemsFilter {
  std::optional<std::string> collector, target, list;
};

// A query parameter's value, form-decoded; nullopt when absent or empty.
std::optional<std::string> ParseQueryValue(std::string_view query, std::string_view name);
// The filters from a query string ("collector=github&target=acme%2Fw"), decoded.
ItemsFilter ParseItemsFilter(std::string_view query);
// The lists matching every filter given; an unknown collector, target or
// list (among those the other filters leave) is an error naming it.
tl::expected<std::vector<ItemListRef>, std::string> SelectItemLists(const ItemsSource& source, const ItemsFilter& filter);
// The lists whose `metrics` name the KPI's metric, narrowed to the targets its
// label matchers name where any list has such a target. None for `expr` KPIs.
std::vector<ItemListRef> ItemListsForKpi(const ItemsSource& source, const KpiDefinition& kpi);

using Redact = std::function<std::string(std::string_view)>;

std::string RenderItemsJson(const std::vector<ItemListRef>& lists, SystemTime now, const Redact& redact);
// {"status":"error","errorType":"not_found","error":...}, as Prometheus' API answers.
std::string RenderItemsErrorJson(std::string_view message, const Redact& redact);
std::string RenderItemsPage(std::string_view heading, const std::vector<ItemListRef>& lists, SystemTime now,
                            const Redact& redact);

// "?collector=github&target=acme%2Fwidgets&list=…": the filters as a query (empty ones left out).
std::string ItemsQuery(std::string_view collector, std::string_view target = "", std::string_view list = "");
// Relative links to the pages ("/items?collector=github&target=acme%2Fwidgets").
std::string ItemsPagePath(std::string_view collector, std::string_view target = "", std::string_view list = "");
std::string KpiItemsPagePath(std::string_view kpi);

}  // namespace kpi
