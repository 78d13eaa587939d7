#include "exporter/web/items_pages.h"

#include <algorithm>
#include <cctype>

#include "collectors/common/time_util.h"
#include "collectors/common/upstream/http_client.h"
#include "collectors/common/upstream/pagination.h"
#include "exporter/web/json_text.h"
#include "exporter/web/template.h"
#include "page_templates.h"

namespace kpi {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded, as a browser's form or a link sends it.
std::string FormDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out += char(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<double> AgeSeconds(const ListItem& item, SystemTime now) {
  if (!item.since) return std::nullopt;
  return std::max(0.0, Seconds(now - *item.since).count());
}

std::string HumanAge(std::optional<double> seconds) {
  if (!seconds) return "-";
  const auto minutes = std::chrono::minutes(int64_t(*seconds / 60));
  return minutes.count() == 0 ? "<1m" : FormatDuration(minutes);
}

// Only web links: an upstream URL with another scheme (javascript:) is not linked.
bool IsWebUrl(std::string_view url) { return url.starts_with("https://") || url.starts_with("http://"); }

std::string ListJson(const ItemListRef& ref, SystemTime now, const Redact& redact) {
  const ItemList& l = *ref.list;
  const auto str = [&](std::string_view text) { return JsonString(redact(text)); };
  std::string out = "{\"collector\":" + str(ref.collector) + ",\"target\":" + str(l.target) + ",\"list\":" + str(l.list) +
                    ",\"title\":" + str(l.title) + ",\"metrics\":[";
  for (size_t i = 0; i < l.metrics.size(); ++i) out += (i ? "," : "") + str(l.metrics[i]);
  out += "],\"updated\":" + str(FormatTimestamp(l.updated)) + ",\"total\":" + std::to_string(l.total) +
         ",\"truncated\":" + (l.truncated() ? "true" : "false") + ",\"items\":[";
  for (size_t i = 0; i < l.items.size(); ++i) {
    const ListItem& item = l.items[i];
    out += std::string(i ? "," : "") + "{\"id\":" + str(item.id) + ",\"title\":" + str(item.title) +
           ",\"url\":" + str(item.url) + ",\"since\":" + (item.since ? str(FormatTimestamp(*item.since)) : "null") +
           ",\"age_seconds\":" + JsonNumber(AgeSeconds(item, now)) + ",\"fields\":{";
    for (size_t f = 0; f < item.fields.size(); ++f) {
      out += (f ? "," : "") + str(item.fields[f].first) + ":" + str(item.fields[f].second);
    }
    out += "}}";
  }
  return out + "]}";
}

}  // namespace

std::optional<std::string> ParseQueryValue(std::string_view query, std::string_view name) {
  auto value = QueryParam("?" + std::string(query), name);
  if (!value || value->empty()) return std::nullopt;  // "collector=" is no filter, as in a form left blank
  return FormDecode(*value);
}

ItemsFilter ParseItemsFilter(std::string_view query) {
  return {ParseQueryValue(query, "collector"), ParseQueryValue(query, "target"), ParseQueryValue(query, "list")};
}

tl::expected<std::vector<ItemListRef>, std::string> SelectItemLists(const ItemsSource& source,
                                                                    const ItemsFilter& filter) {
  std::vector<ItemListRef> lists;
  for (const auto& c : source.collectors) {
    if (!c.snapshot) continue;
    for (const auto& list : c.snapshot->items()) lists.push_back({c.collector, list.get()});
  }
  // Each filter narrows what the ones before it left; the first to leave nothing is named.
  const auto narrow = [&](const std::optional<std::string>& wanted, std::string_view what,
                          auto field) -> tl::expected<void, std::string> {
    if (!wanted) return {};
    std::erase_if(lists, [&](const ItemListRef& ref) { return field(ref) != *wanted; });
    if (lists.empty()) return tl::unexpected("no item lists for " + std::string(what) + " '" + *wanted + "'");
    return {};
  };
  auto ok = narrow(filter.collector, "collector", [](const ItemListRef& r) { return r.collector; })
                .and_then([&] { return narrow(filter.target, "target", [](const ItemListRef& r) { return std::string_view(r.list->target); }); })
                .and_then([&] { return narrow(filter.list, "list", [](const ItemListRef& r) { return std::string_view(r.list->list); }); });
  if (!ok) return tl::unexpected(ok.error());
  return lists;
}

std::vector<ItemListRef> ItemListsForKpi(const ItemsSource& source, const KpiDefinition& kpi) {
  return ListsBehindKpi(
      kpi, *SelectItemLists(source, {}), [](const ItemListRef& ref) -> const auto& { return ref.list->metrics; },
      [](const ItemListRef& ref) -> const std::string& { return ref.list->target; });
}

std::string RenderItemsJson(const std::vector<ItemListRef>& lists, SystemTime now, const Redact& redact) {
  std::string out = "{\"status\":\"success\",\"data\":{\"lists\":[";
  for (size_t i = 0; i < lists.size(); ++i) out += (i ? "," : "") + ListJson(lists[i], now, redact);
  return out + "]}}\n";
}

std::string RenderItemsErrorJson(std::string_view message, const Redact& redact) {
  return "{\"status\":\"error\",\"errorType\":\"not_found\",\"error\":" + JsonString(redact(message)) + "}\n";
}

std::string RenderItemsPage(std::string_view heading, const std::vector<ItemListRef>& lists, SystemTime now,
                            const Redact& redact) {
  TemplateData data;
  data.values["heading"] = redact(heading);
  size_t items = 0;
  for (const ItemListRef& ref : lists) {
    const ItemList& l = *ref.list;
    const std::string link = ItemsPagePath(ref.collector, l.target, l.list);
    items += l.items.size();
    data.lists["lists"].push_back(
        {{"list", l.list},
         {"title", l.title},
         {"link", link},
         {"collector", std::string(ref.collector)},
         {"target", redact(l.target)},
         {"shown", l.truncated() ? std::to_string(l.items.size()) + " of " + std::to_string(l.total)
                                 : std::to_string(l.total)},
         {"shown_class", l.truncated() ? "truncated" : ""},
         {"updated", FormatTimestamp(l.updated)}});
    for (const ListItem& item : l.items) {
      std::string details;
      for (const auto& [label, value] : item.fields) details += (details.empty() ? "" : " · ") + label + ": " + value;
      const std::string url = redact(item.url);
      data.lists["items"].push_back({{"list", l.list},
                                     {"list_title", l.title},
                                     {"target", redact(l.target)},
                                     {"id", redact(item.id)},
                                     {"url", IsWebUrl(url) ? url : link},
                                     {"title", redact(item.title)},
                                     {"since", item.since ? FormatTimestamp(*item.since) : "-"},
                                     {"age", HumanAge(AgeSeconds(item, now))},
                                     {"details", redact(details)}});
    }
  }
  data.values["summary"] = lists.empty() ? "No item list explains this yet (no successful poll, or [drill_down] max_items = 0)."
                                         : std::to_string(items) + (items == 1 ? " item" : " items") + " shown from " +
                                               std::to_string(lists.size()) + (lists.size() == 1 ? " list." : " lists.");
  data.values["api_link"] =
      "/api/v1/items" + (lists.size() == 1 ? ItemsQuery(lists[0].collector, lists[0].list->target, lists[0].list->list) : "");
  return RenderTemplate(templates::kItemsPage, data);
}

std::string ItemsQuery(std::string_view collector, std::string_view target, std::string_view list) {
  std::string query = "?collector=" + UrlEncode(collector);
  if (!target.empty()) query += "&target=" + UrlEncode(target);
  if (!list.empty()) query += "&list=" + UrlEncode(list);
  return query;
}

std::string ItemsPagePath(std::string_view collector, std::string_view target, std::string_view list) {
  return "/items" + ItemsQuery(collector, target, list);
}

std::string KpiItemsPagePath(std::string_view kpi) { return "/items/kpi?name=" + UrlEncode(kpi); }

}  // namespace kpi
