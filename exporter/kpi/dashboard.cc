#include "exporter/kpi/dashboard.h"

#include <simdjson.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "collectors/common/upstream/json.h"

namespace kpi {
namespace {

// A JSON value that can be changed and written back (simdjson's DOM is read-only). Members keep their order.
// Members are a named struct rather than std::pair<std::string, Json>: clang with libstdc++ rejects a pair of the
// class being defined (pair's conditionally explicit default constructor asks whether Json is default-constructible
// before Json is complete), so the member functions that touch members are defined after JsonMember.
struct JsonMember;
struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  std::string scalar;  // a number's or boolean's JSON text, or a string's value
  std::vector<Json> items;
  std::vector<JsonMember> members;

  static Json String(std::string text);
  static Json Number(double v);
  static Json Bool(bool b);
  static Json Array(std::vector<Json> items);
  static Json Object(std::initializer_list<JsonMember> members);

  Json* Find(std::string_view key);
  // The member `key`, added (as an empty object) when missing.
  Json& At(std::string_view key);
  void Erase(std::string_view key);
};

struct JsonMember {
  std::string first;  // the key
  Json second;        // the value
};

Json Json::String(std::string text) { return {Kind::kString, std::move(text), {}, {}}; }
Json Json::Number(double v) { return {Kind::kNumber, fmt::format("{}", v), {}, {}}; }
Json Json::Bool(bool b) { return {Kind::kBool, b ? "true" : "false", {}, {}}; }
Json Json::Array(std::vector<Json> items) { return {Kind::kArray, "", std::move(items), {}}; }
Json Json::Object(std::initializer_list<JsonMember> members) { return {Kind::kObject, "", {}, members}; }

Json* Json::Find(std::string_view key) {
  for (auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

Json& Json::At(std::string_view key) {
  if (Json* found = Find(key)) return *found;
  members.push_back({std::string(key), Json{Kind::kObject, "", {}, {}}});
  return members.back().second;
}

void Json::Erase(std::string_view key) {
  std::erase_if(members, [&](const JsonMember& m) { return m.first == key; });
}

Json FromDom(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      Json out{Json::Kind::kObject, "", {}, {}};
      for (const auto [key, value] : simdjson::dom::object(e)) out.members.push_back({std::string(key), FromDom(value)});
      return out;
    }
    case simdjson::dom::element_type::ARRAY: {
      Json out{Json::Kind::kArray, "", {}, {}};
      for (const auto value : simdjson::dom::array(e)) out.items.push_back(FromDom(value));
      return out;
    }
    case simdjson::dom::element_type::STRING: return Json::String(std::string(std::string_view(e)));
    case simdjson::dom::element_type::INT64: return {Json::Kind::kNumber, std::to_string(int64_t(e)), {}, {}};
    case simdjson::dom::element_type::UINT64: return {Json::Kind::kNumber, std::to_string(uint64_t(e)), {}, {}};
    case simdjson::dom::element_type::DOUBLE: return Json::Number(double(e));
    case simdjson::dom::element_type::BOOL: return Json::Bool(bool(e));
    case simdjson::dom::element_type::NULL_VALUE: return {};
  }
  return {};
}

// Indented by two spaces a level, as Python's json.dumps(indent=2) writes it.
void Write(const Json& j, std::string& out, int depth) {
  const std::string pad(2 * (depth + 1), ' ');
  switch (j.kind) {
    case Json::Kind::kNull: out += "null"; return;
    case Json::Kind::kBool:
    case Json::Kind::kNumber: out += j.scalar; return;
    case Json::Kind::kString: out += "\"" + json::Escape(j.scalar) + "\""; return;
    case Json::Kind::kArray:
      if (j.items.empty()) {
        out += "[]";
        return;
      }
      out += "[";
      for (size_t i = 0; i < j.items.size(); ++i) {
        out += (i ? ",\n" : "\n") + pad;
        Write(j.items[i], out, depth + 1);
      }
      out += "\n" + pad.substr(2) + "]";
      return;
    case Json::Kind::kObject:
      if (j.members.empty()) {
        out += "{}";
        return;
      }
      out += "{";
      for (size_t i = 0; i < j.members.size(); ++i) {
        out += (i ? ",\n" : "\n") + pad + "\"" + json::Escape(j.members[i].first) + "\": ";
        Write(j.members[i].second, out, depth + 1);
      }
      out += "\n" + pad.substr(2) + "}";
      return;
  }
}

Json Steps(const std::vector<ThresholdStep>& steps) {
  std::vector<Json> items;
  for (const auto& s : steps) {
    items.push_back(Json::Object({{"color", Json::String(s.color)}, {"value", s.value ? Json::Number(*s.value) : Json{}}}));
  }
  return Json::Object({{"mode", Json::String("absolute")}, {"steps", Json::Array(std::move(items))}});
}

const KpiDefinition* FindKpi(const KpiSettings& kpis, std::string_view name) {
  for (const auto& k : kpis.kpis) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

// The unit a KPI's value is shown in: from its metric's name (base units), else a plain number.
std::string UnitOf(const KpiDefinition& kpi) {
  if (kpi.metric.ends_with("_seconds")) return "s";
  if (kpi.metric.ends_with("_ratio")) return "percentunit";
  return "short";
}

Json Query(std::string expr, std::string legend) {
  return Json::Object({{"datasource", Json::Object({{"type", Json::String("prometheus")},
                                                    {"uid", Json::String("${datasource}")}})},
                       {"expr", Json::String(std::move(expr))},
                       {"legendFormat", Json::String(std::move(legend))},
                       {"refId", Json::String("A")}});
}

Json GridPos(int x, int y, int w, int h) {
  return Json::Object({{"h", Json::Number(h)}, {"w", Json::Number(w)}, {"x", Json::Number(x)}, {"y", Json::Number(y)}});
}

Json Stat(std::string title, std::string description, std::string expr, std::string unit, Json thresholds,
          Json grid_pos) {
  return Json::Object(
      {{"type", Json::String("stat")},
       {"title", Json::String(std::move(title))},
       {"description", Json::String(std::move(description))},
       {"gridPos", std::move(grid_pos)},
       {"datasource", Json::Object({{"type", Json::String("prometheus")}, {"uid", Json::String("${datasource}")}})},
       {"targets", Json::Array({Query(std::move(expr), "")})},
       {"fieldConfig",
        Json::Object({{"defaults", Json::Object({{"unit", Json::String(std::move(unit))},
                                                 {"color", Json::Object({{"mode", Json::String("thresholds")}})},
                                                 {"thresholds", std::move(thresholds)}})},
                      {"overrides", Json::Array({})}})},
       {"options", Json::Object({{"colorMode", Json::String("background")},
                                 {"graphMode", Json::String("area")},
                                 {"reduceOptions", Json::Object({{"calcs", Json::Array({Json::String("lastNotNull")})},
                                                                 {"fields", Json::String("")},
                                                                 {"values", Json::Bool(false)}})}})}});
}

std::string Human(const KpiDefinition& kpi, double v) {
  const std::string unit = UnitOf(kpi);
  if (unit == "s" && v >= 3600 && std::fmod(v, 3600) == 0) return fmt::format("{} h", v / 3600);
  if (unit == "percentunit") return fmt::format("{} %", std::round(v * 100 * 1e6) / 1e6);
  return fmt::format("{}", v);
}

// "target >= 500", and the zones and deadline where given.
std::string Describe(const KpiDefinition& kpi) {
  const std::string better = kpi.direction == Direction::kHigher ? ">=" : "<=";
  std::string text = "kpi:value{kpi=\"" + kpi.name + "\"} (" + kpi.category + "): target " + better + " " +
                     Human(kpi, kpi.target);
  if (kpi.green || kpi.red) {
    text += "; green " + better + " " + Human(kpi, GreenThreshold(kpi)) + ", red beyond " + Human(kpi, RedThreshold(kpi));
  }
  if (kpi.deadline) text += "; by " + *kpi.deadline;
  return text + ". Colours: the zones of kpi:status.";
}

constexpr int kStatWidth = 4;   // six stats a line
constexpr int kStatHeight = 4;

// The row on top: composite score, coverage, one stat per KPI. Returns its panels and height.
std::pair<std::vector<Json>, int> ScorecardRow(const KpiSettings& kpis) {
  std::vector<Json> panels;
  panels.push_back(Json::Object({{"type", Json::String("row")},
                                 {"title", Json::String("Scorecard (KPIs and targets)")},
                                 {"collapsed", Json::Bool(false)},
                                 {"gridPos", GridPos(0, 0, 24, 1)},
                                 {"panels", Json::Array({})}}));
  int index = 0;
  const auto next_pos = [&] {
    const int per_line = 24 / kStatWidth;
    const Json pos = GridPos(index % per_line * kStatWidth, 1 + index / per_line * kStatHeight, kStatWidth, kStatHeight);
    ++index;
    return pos;
  };
  panels.push_back(Stat("Composite score",
                        "kpi:composite_score, 0-100: green 100, yellow 50, red 0 per KPI, weighted within and across "
                        "categories; KPIs without data left out (see Coverage).",
                        "kpi:composite_score", "none",
                        Steps({{"red", std::nullopt}, {"yellow", 50}, {"green", 75}}), next_pos()));
  panels.push_back(Stat("Coverage", "kpi:coverage_ratio: the share of KPIs with data (a status).", "kpi:coverage_ratio",
                        "percentunit", Steps({{"text", std::nullopt}}), next_pos()));
  for (const auto& k : kpis.kpis) {
    panels.push_back(Stat(k.name, Describe(k), "kpi:value{kpi=\"" + k.name + "\"}", UnitOf(k), Steps(ZoneSteps(k)),
                          next_pos()));
  }
  const int lines = (index + 24 / kStatWidth - 1) / (24 / kStatWidth);
  return {std::move(panels), 1 + lines * kStatHeight};
}

// A base query marked "kpi": "<name>" gets that KPI's zones (threshold lines and zone colours) through an
// override by its refId; the mark goes. A KPI the settings do not have leaves the query as it is.
tl::expected<void, std::string> ApplyZones(Json& panel, const KpiSettings& kpis) {
  Json* targets = panel.Find("targets");
  if (!targets) return {};
  for (Json& target : targets->items) {
    const Json* mark = target.Find("kpi");
    if (!mark) continue;
    const std::string name = mark->scalar;
    const Json* ref = target.Find("refId");
    if (mark->kind != Json::Kind::kString || !ref) {
      return tl::unexpected(std::string("a \"kpi\" mark needs a name and a refId"));
    }
    const std::string ref_id = ref->scalar;
    target.Erase("kpi");
    const KpiDefinition* kpi = FindKpi(kpis, name);
    if (!kpi) continue;
    const bool graph = panel.Find("type") && panel.Find("type")->scalar == "timeseries";
    std::vector<Json> properties = {
        Json::Object({{"id", Json::String("thresholds")}, {"value", Steps(ZoneSteps(*kpi))}}),
        Json::Object({{"id", Json::String("color")}, {"value", Json::Object({{"mode", Json::String("thresholds")}})}})};
    if (graph) {
      properties.push_back(Json::Object({{"id", Json::String("custom.thresholdsStyle")},
                                         {"value", Json::Object({{"mode", Json::String("line+area")}})}}));
    }
    Json& overrides = panel.At("fieldConfig").At("overrides");
    if (overrides.kind != Json::Kind::kArray) overrides = Json::Array({});
    overrides.items.push_back(Json::Object(
        {{"matcher", Json::Object({{"id", Json::String("byFrameRefID")}, {"options", Json::String(ref_id)}})},
         {"properties", Json::Array(std::move(properties))}}));
  }
  return {};
}

}  // namespace

std::vector<ThresholdStep> ZoneSteps(const KpiDefinition& kpi) {
  const double green = GreenThreshold(kpi);
  const double red = RedThreshold(kpi);
  if (kpi.direction == Direction::kHigher) {
    std::vector<ThresholdStep> steps = {{"red", std::nullopt}};
    if (red < green) steps.push_back({"yellow", red});
    steps.push_back({"green", green});
    return steps;
  }
  const auto above = [](double v) { return std::nextafter(v, std::numeric_limits<double>::infinity()); };
  std::vector<ThresholdStep> steps = {{"green", std::nullopt}};
  if (green < red) steps.push_back({"yellow", above(green)});
  steps.push_back({"red", above(red)});
  return steps;
}

tl::expected<std::string, std::string> RenderDashboard(std::string_view base_json, const KpiSettings& kpis) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (const auto error = parser.parse(simdjson::padded_string(base_json)).get(doc); error) {
    return tl::unexpected(std::string("base dashboard: ") + simdjson::error_message(error));
  }
  Json dashboard = FromDom(doc);
  Json* panels = dashboard.Find("panels");
  if (dashboard.kind != Json::Kind::kObject || !panels || panels->kind != Json::Kind::kArray) {
    return tl::unexpected(std::string("base dashboard: no \"panels\" array"));
  }
  auto [generated, height] = ScorecardRow(kpis);
  for (Json& panel : panels->items) {
    if (auto applied = ApplyZones(panel, kpis); !applied) return tl::unexpected(applied.error());
    Json* y = panel.Find("gridPos") ? panel.At("gridPos").Find("y") : nullptr;
    if (!y || y->kind != Json::Kind::kNumber) {
      return tl::unexpected(std::string("base dashboard: a panel without gridPos.y"));
    }
    *y = Json::Number(std::stod(y->scalar) + height);
    generated.push_back(std::move(panel));
  }
  panels->items = std::move(generated);
  std::string out;
  Write(dashboard, out, 0);
  return out + "\n";
}

}  // namespace kpi
