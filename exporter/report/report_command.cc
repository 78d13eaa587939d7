#include "exporter/report/report_command.h"

#include <cmath>
#include <fstream>
#include <iostream>

#include "collectors/all.h"
#include "collectors/common/time_util.h"
#include "collectors/common/upstream/curl_transport.h"
#include "exporter/config.h"
#include "exporter/report/render.h"

namespace kpi {
namespace {

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::optional<Zone> ZoneOfStatus(const QueryValues& statuses, const std::string& kpi) {
  const auto it = statuses.values.find(kpi);
  if (it == statuses.values.end()) return std::nullopt;
  if (it->second == 0) return Zone::kRed;
  if (it->second == 1) return Zone::kYellow;
  if (it->second == 2) return Zone::kGreen;
  return std::nullopt;
}

std::optional<double> Find(const QueryValues& values, const std::string& key) {
  const auto it = values.values.find(key);
  return it == values.values.end() ? std::nullopt : std::optional<double>(it->second);
}

// The kpi:* rules at both ends of the range, or the first error.
struct PrometheusValues {
  QueryValues value_now, value_start, status_now, status_start, forecast, composite_now, composite_start, coverage;
};
tl::expected<PrometheusValues, Error> QueryAll(HttpClient& http, const Endpoint& prometheus, double end, double start) {
  PrometheusValues out;
  const std::pair<QueryValues*, std::tuple<std::string_view, double, std::string_view>> queries[] = {
      {&out.value_now, {"kpi:value", end, "kpi"}},
      {&out.value_start, {"kpi:value", start, "kpi"}},
      {&out.status_now, {"kpi:status", end, "kpi"}},
      {&out.status_start, {"kpi:status", start, "kpi"}},
      {&out.forecast, {"kpi:forecast_at_deadline", end, "kpi"}},
      {&out.composite_now, {"kpi:composite_score", end, ""}},
      {&out.composite_start, {"kpi:composite_score", start, ""}},
      {&out.coverage, {"kpi:coverage_ratio", end, ""}},
  };
  for (const auto& [into, query] : queries) {
    const auto& [expr, at, key] = query;
    auto answer = QueryPrometheus(http, prometheus, expr, at, key);
    if (!answer) return tl::unexpected(answer.error());
    *into = std::move(*answer);
  }
  return out;
}

void FillFromPrometheus(Review& review, const PrometheusValues& p) {
  for (auto& r : review.kpis) {
    r.now = Find(p.value_now, r.kpi.name);
    r.start = Find(p.value_start, r.kpi.name);
    r.zone = ZoneOfStatus(p.status_now, r.kpi.name);
    r.start_zone = ZoneOfStatus(p.status_start, r.kpi.name);
    r.forecast = Find(p.forecast, r.kpi.name);
  }
  review.composite_now = Find(p.composite_now, "");
  review.composite_start = Find(p.composite_start, "");
  review.coverage_now = Find(p.coverage, "");
  std::vector<std::string> ambiguous;
  for (const QueryValues* q : {&p.value_now, &p.value_start, &p.status_now, &p.status_start, &p.forecast}) {
    ambiguous.insert(ambiguous.end(), q->ambiguous.begin(), q->ambiguous.end());
  }
  if (!ambiguous.empty()) {
    review.notes.push_back("Prometheus holds several kpi:* series for " + Join(ambiguous) +
                           " (several exporters or rule files?): those values are left out, not guessed.");
  }
  if (p.value_now.values.empty() && p.value_now.ambiguous.empty()) {
    review.notes.push_back("Prometheus has no kpi:value series: are the generated rules (kpi_exporter rules) loaded?");
  } else if (p.value_start.values.empty() && p.value_start.ambiguous.empty()) {
    review.notes.push_back("Prometheus has no kpi:value at the range's start (" + review.start_time +
                           "): its history may be shorter than the range.");
  }
}

void FillFromScorecard(Review& review, const ExporterScorecard& card) {
  for (auto& r : review.kpis) {
    for (const auto& c : card.kpis) {
      if (c.kpi.name != r.kpi.name) continue;
      r.now = c.now;
      r.zone = c.zone;
    }
  }
  review.composite_now = card.composite;
  review.coverage_now = card.coverage;
  std::vector<std::string> promql;
  for (const auto& r : review.kpis) {
    if (!r.kpi.expr.empty()) promql.push_back(r.kpi.name);
  }
  if (!promql.empty()) review.notes.push_back("PromQL KPIs have values only in Prometheus: " + Join(promql) + ".");
}

void FillItems(Review& review, HttpClient* exporter, const std::optional<Endpoint>& endpoint) {
  if (!exporter) {
    review.items_unavailable = "no --exporter.url given";
    return;
  }
  auto lists = FetchItems(*exporter, *endpoint);
  if (lists) {
    review.items_listed = true;
    review.item_lists = std::move(*lists);
  } else if (lists.error().reason == "not_found") {
    review.items_unavailable = "the exporter at " + endpoint->url + " has no /api/v1/items (a version without it)";
  } else {
    review.items_unavailable = "the exporter's /api/v1/items could not be read (" + lists.error().message + ")";
  }
  if (!review.items_listed) review.notes.push_back("Items behind red KPIs not listed: " + review.items_unavailable + ".");
}

}  // namespace

tl::expected<Review, std::string> GatherReview(const ReviewRequest& request, HttpClient* prometheus,
                                               HttpClient* exporter) {
  Review review;
  review.range = request.range;
  review.end_unix_seconds = request.end_unix_seconds;
  const double start = request.end_unix_seconds - request.range_seconds;
  review.end_time = FormatTimestamp(*FromUnixSeconds(int64_t(std::floor(request.end_unix_seconds))));
  review.start_time = FormatTimestamp(*FromUnixSeconds(int64_t(std::floor(start))));

  // The exporter's scorecard, read once and only when needed (no config, or no Prometheus values).
  std::optional<tl::expected<ExporterScorecard, Error>> card;
  const auto scorecard = [&]() -> const tl::expected<ExporterScorecard, Error>& {
    if (!card && !exporter) card = tl::unexpected(Error{"not_found", "no --exporter.url given"});
    if (!card) card = FetchScorecard(*exporter, *request.exporter);
    return *card;
  };
  if (request.kpis) {
    for (const auto& k : *request.kpis) review.kpis.push_back({k});
  } else if (const auto& fetched = scorecard(); fetched) {
    for (const auto& c : fetched->kpis) review.kpis.push_back({c.kpi});
  } else {
    return tl::unexpected("could not read the KPIs from the exporter's /api/v1/scorecard: " + fetched.error().message);
  }

  std::string prometheus_problem = "No --prometheus.url given";
  if (prometheus) {
    auto values = QueryAll(*prometheus, *request.prometheus, request.end_unix_seconds, start);
    if (values) {
      review.compared = true;
      review.values_from = "Prometheus at " + request.prometheus->url + " (the kpi:* recording rules)";
      FillFromPrometheus(review, *values);
    } else {
      prometheus_problem = "Prometheus at " + request.prometheus->url + " could not be read (" + values.error().message + ")";
    }
  }
  if (!review.compared) {
    if (!exporter) return tl::unexpected(prometheus_problem + ", and no --exporter.url for the current values");
    const auto& fetched = scorecard();
    if (!fetched) {
      return tl::unexpected(prometheus_problem + ", nor the exporter's scorecard (" + fetched.error().message + ")");
    }
    review.values_from = "the exporter at " + request.exporter->url + " (current values only)";
    review.notes.push_back(prometheus_problem + ": the values are the exporter's current ones, so this report has no "
                           "values at the range's start, no trends, no forecasts and no change of the composite score.");
    FillFromScorecard(review, *fetched);
  }
  bool any_red = false;
  for (const auto& r : review.kpis) any_red = any_red || WantsItems(r);
  if (any_red) FillItems(review, exporter, request.exporter);
  return review;
}

int RunReport(const Flags& flags, const Clock& clock) {
  ReviewRequest request;
  request.range = flags.range;
  request.range_seconds = double(ParseDuration(flags.range)->count()) / 1000;  // ParseFlags checked it
  request.end_unix_seconds = ToUnixSeconds(flags.time.empty() ? clock.Now() : *ParseTimestamp(flags.time));
  for (const auto& [url, flag, into] : {std::tuple{&flags.prometheus_url, "--prometheus.url", &request.prometheus},
                                        std::tuple{&flags.exporter_url, "--exporter.url", &request.exporter}}) {
    if (url->empty()) continue;
    auto endpoint = ParseEndpoint(*url, flag);
    if (!endpoint) {
      std::cerr << "kpi_exporter: " << endpoint.error() << "\n";
      return 2;
    }
    *into = std::move(*endpoint);
  }
  if (!flags.config_file_set && !request.exporter) {
    std::cerr << "kpi_exporter: report needs --config.file or --exporter.url to know the KPIs\n";
    return 2;
  }
  if (flags.config_file_set) {
    auto config = LoadConfig(flags.config_file, AllCollectorFactories(), ProcessEnvironment(), ConfigScope::kAlertsOnly);
    if (!config) {
      std::cerr << "kpi_exporter: " << config.error().ToString() << "\n";
      return 2;
    }
    request.kpis = config->kpis.kpis;
  }

  CurlGlobal curl;
  std::unique_ptr<HttpClient> prometheus, exporter;
  if (request.prometheus) prometheus = ClientFor(*request.prometheus, std::make_unique<CurlTransport>(), clock);
  if (request.exporter) exporter = ClientFor(*request.exporter, std::make_unique<CurlTransport>(), clock);
  const auto review = GatherReview(request, prometheus.get(), exporter.get());
  if (!review) {
    std::cerr << "kpi_exporter: nothing to report: " << review.error() << "\n";
    return 1;
  }
  const std::string text = flags.format == "html" ? RenderReviewHtml(*review) : RenderReviewMarkdown(*review);
  if (flags.out.empty()) {
    std::cout << text;
    return std::cout.flush() ? 0 : 1;
  }
  std::ofstream file(flags.out, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    std::cerr << "kpi_exporter: could not write " << flags.out << "\n";
    return 1;
  }
  return 0;
}

}  // namespace kpi
