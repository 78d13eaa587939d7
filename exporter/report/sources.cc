#include "exporter/report/sources.h"

#include <curl/curl.h>

#include <cmath>
#include <cstdlib>

#include "collectors/common/upstream/json.h"
#include "exporter/kpi/kpi_config.h"
#include "exporter/kpi/definition.h"

namespace kpi {
namespace {

using CurlUrl = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

// Takes a part out of a parsed URL: its decoded value, or "" when absent.
std::string TakePart(CURLU* url, CURLUPart part) {
  char* text = nullptr;
  std::string out;
  if (curl_url_get(url, part, &text, CURLU_URLDECODE) == CURLUE_OK && text) out = text;
  curl_free(text);
  curl_url_set(url, part, nullptr, 0);
  return out;
}

std::optional<Zone> ZoneFromStatus(double status) {
  if (status == 0) return Zone::kRed;
  if (status == 1) return Zone::kYellow;
  if (status == 2) return Zone::kGreen;
  return std::nullopt;
}

tl::expected<std::string, Error> GetBody(HttpClient& http, const std::string& url) {
  auto response = http.GetOk(url);
  if (!response) return tl::unexpected(response.error());
  return std::move(response->body);
}

// A field value for people: strings as they are, numbers without exponent noise, booleans as words.
std::string FieldText(json::element e) {
  if (e.is_string()) return std::string(std::string_view(e));
  if (e.is_bool()) return bool(e) ? "yes" : "no";
  if (e.is_int64()) return std::to_string(int64_t(e));
  if (e.is_number()) return FormatSampleValue(double(e));
  return "";
}

}  // namespace

tl::expected<Endpoint, std::string> ParseEndpoint(std::string_view text, std::string_view flag) {
  CurlUrl url(curl_url(), &curl_url_cleanup);
  // The message never repeats the URL: it may hold a password.
  const std::string bad = std::string(flag) + " must be an http:// or https:// URL";
  if (!url || curl_url_set(url.get(), CURLUPART_URL, std::string(text).c_str(), 0) != CURLUE_OK) {
    return tl::unexpected(bad);
  }
  char* scheme = nullptr;
  const bool web = curl_url_get(url.get(), CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && scheme &&
                   (std::string_view(scheme) == "http" || std::string_view(scheme) == "https");
  curl_free(scheme);
  if (!web) return tl::unexpected(bad);
  const std::string user = TakePart(url.get(), CURLUPART_USER);
  const std::string password = TakePart(url.get(), CURLUPART_PASSWORD);
  Endpoint endpoint;
  if (!user.empty() || !password.empty()) endpoint.authorization = "Basic " + Base64Encode(user + ":" + password);
  char* clean = nullptr;
  if (curl_url_get(url.get(), CURLUPART_URL, &clean, 0) != CURLUE_OK || !clean) return tl::unexpected(bad);
  endpoint.url = clean;
  curl_free(clean);
  while (endpoint.url.ends_with('/')) endpoint.url.pop_back();
  return endpoint;
}

std::unique_ptr<HttpClient> ClientFor(const Endpoint& endpoint, std::unique_ptr<HttpTransport> transport,
                                      const Clock& clock) {
  HttpClientOptions options;
  options.api_url = endpoint.url;
  options.authorization = endpoint.authorization;
  options.extra_headers = {{"Accept", "application/json"}};
  options.limits.user_agent = "kpi_exporter report";
  options.limits.total_timeout = std::chrono::seconds(30);
  options.max_attempts = 2;
  options.max_rate_limit_wait = std::chrono::seconds(5);
  return std::make_unique<HttpClient>(std::move(transport), clock, std::move(options));
}

tl::expected<QueryValues, Error> ParseQueryAnswer(std::string_view body, std::string_view key_label) {
  return json::ParseJson("Prometheus query answer", [&] {
    simdjson::dom::parser parser;
    const auto root = json::AsObject(json::Parse(parser, body), "answer");
    if (json::Str(root, "status") != "success") throw json::JsonError("status is not success");
    const auto data = json::Obj(root, "data");
    if (json::Str(data, "resultType") != "vector") throw json::JsonError("resultType is not vector");
    QueryValues out;
    std::map<std::string, int> seen;
    for (const auto sample : json::Arr(data, "result")) {
      const auto series = json::AsObject(sample, "result");
      const auto labels = json::Obj(series, "metric");
      const std::string key(key_label.empty() ? "" : json::OptStr(labels, key_label).value_or(""));
      const auto pair = json::AsArray(series["value"], "value");
      if (pair.size() != 2) throw json::JsonError("value is not [time, \"number\"]");
      std::string_view text;
      if (pair.at(1).get(text) != simdjson::SUCCESS) throw json::JsonError("value is not [time, \"number\"]");
      char* end = nullptr;
      const std::string number(text);
      const double v = std::strtod(number.c_str(), &end);
      if (end != number.c_str() + number.size() || number.empty()) throw json::JsonError("value is not a number");
      if (++seen[key] == 2) out.ambiguous.push_back(key);
      if (std::isfinite(v)) out.values[key] = v;
    }
    for (const auto& key : out.ambiguous) out.values.erase(key);
    return out;
  });
}

tl::expected<QueryValues, Error> QueryPrometheus(HttpClient& http, const Endpoint& prometheus, std::string_view query,
                                                 double unix_seconds, std::string_view key_label) {
  const auto body = GetBody(http, prometheus.url + "/api/v1/query?query=" + UrlEncode(query) +
                                      "&time=" + FormatSampleValue(unix_seconds));
  if (!body) return tl::unexpected(body.error());
  return ParseQueryAnswer(*body, key_label);
}

tl::expected<ExporterScorecard, Error> ParseScorecard(std::string_view body) {
  return json::ParseJson("exporter scorecard", [&] {
    simdjson::dom::parser parser;
    const auto root = json::AsObject(json::Parse(parser, body), "answer");
    ExporterScorecard out;
    out.composite = json::OptNum(root, "composite_score");
    out.coverage = json::OptNum(root, "coverage_ratio");
    for (const auto entry : json::Arr(root, "kpis")) {
      const auto k = json::AsObject(entry, "kpis");
      ReviewKpi r;
      r.kpi.name = json::Str(k, "name");
      r.kpi.category = json::Str(k, "category");
      r.kpi.metric = json::OptStr(k, "metric").value_or("");  // older exporters do not say
      // The scorecard does not carry a PromQL KPI's expression; that there is one is what counts here.
      if (json::OptStr(k, "evaluated_by") == "prometheus") r.kpi.expr = "(PromQL, evaluated by Prometheus)";
      r.kpi.target = json::Num(k, "target");
      r.kpi.green = json::OptNum(k, "green");
      r.kpi.red = json::OptNum(k, "red");
      r.kpi.direction = json::Str(k, "direction") == "lower" ? Direction::kLower : Direction::kHigher;
      r.kpi.weight = json::OptNum(k, "weight").value_or(1);
      if (const auto deadline = json::OptStr(k, "deadline")) {
        const auto end = ParseDeadline(*deadline);
        if (!end) throw json::JsonError("deadline is not a date");
        r.kpi.deadline = std::string(*deadline);
        r.kpi.deadline_unix_seconds = *end;
      }
      r.now = json::OptNum(k, "value");
      if (const auto status = json::OptNum(k, "status")) r.zone = ZoneFromStatus(*status);
      out.kpis.push_back(std::move(r));
    }
    return out;
  });
}

tl::expected<ExporterScorecard, Error> FetchScorecard(HttpClient& http, const Endpoint& exporter) {
  const auto body = GetBody(http, exporter.url + "/api/v1/scorecard");
  if (!body) return tl::unexpected(body.error());
  return ParseScorecard(*body);
}

tl::expected<std::vector<ReviewItemList>, Error> ParseItems(std::string_view body) {
  return json::ParseJson("exporter items", [&] {
    simdjson::dom::parser parser;
    const auto root = json::AsObject(json::Parse(parser, body), "answer");
    if (json::Str(root, "status") != "success") throw json::JsonError("status is not success");
    std::vector<ReviewItemList> out;
    for (const auto entry : json::Arr(json::Obj(root, "data"), "lists")) {
      const auto l = json::AsObject(entry, "lists");
      ReviewItemList list;
      list.collector = json::Str(l, "collector");
      list.target = json::Str(l, "target");
      list.list = json::Str(l, "list");
      list.title = json::OptStr(l, "title").value_or(list.list);
      list.updated = json::OptStr(l, "updated").value_or("");
      for (const auto m : json::Arr(l, "metrics")) {
        std::string_view name;
        if (m.get(name) != simdjson::SUCCESS) throw json::JsonError("metrics holds a non-string");
        list.metrics.emplace_back(name);
      }
      list.total = json::Count(l, "total");
      list.truncated = json::OptBool(l, "truncated").value_or(false);
      for (const auto i : json::Arr(l, "items")) {
        const auto o = json::AsObject(i, "items");
        ReviewItem item;
        item.id = json::OptStr(o, "id").value_or("");
        item.title = json::OptStr(o, "title").value_or("");
        item.url = json::OptStr(o, "url").value_or("");
        item.since = json::OptStr(o, "since").value_or("");
        item.age_seconds = json::OptNum(o, "age_seconds");
        if (const auto fields = json::OptObj(o, "fields")) {
          for (const auto [name, v] : *fields) {
            const std::string text = FieldText(v);
            if (!text.empty()) item.fields.emplace_back(std::string(name), text);
          }
        }
        list.items.push_back(std::move(item));
      }
      out.push_back(std::move(list));
    }
    return out;
  });
}

tl::expected<std::vector<ReviewItemList>, Error> FetchItems(HttpClient& http, const Endpoint& exporter) {
  const auto body = GetBody(http, exporter.url + "/api/v1/items");
  if (!body) return tl::unexpected(body.error());
  return ParseItems(*body);
}

}  // namespace kpi
