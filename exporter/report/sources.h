// Where the review's numbers come from, over HTTP (the project's HttpClient):
// Prometheus' instant query API (/api/v1/query with time=) on the kpi:*
// recording rules, and a running exporter's /api/v1/scorecard and
// /api/v1/items. Parsing is strict: a malformed answer is an Error, never a
// guessed number.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/upstream/http_client.h"
#include "exporter/report/review.h"

namespace kpi {

// A base URL as given on the command line, split so that its credentials
// (http://user:password@host) travel only in the Authorization header and
// never appear in a message or the report.
struct Endpoint {
  std::string url;            // without user information, without a trailing slash
  std::string authorization;  // "Basic ..." or empty; a secret
};
tl::expected<Endpoint, std::string> ParseEndpoint(std::string_view url, std::string_view flag);

// An HttpClient for one endpoint (credentials only to its origin; few retries: a person waits).
std::unique_ptr<HttpClient> ClientFor(const Endpoint& endpoint, std::unique_ptr<HttpTransport> transport,
                                      const Clock& clock);

// One instant query's vector, by the value of `key_label` ("" keys a single unlabelled result).
// A key with several series has no value (it would be a guess) and is listed in `ambiguous`.
struct QueryValues {
  std::map<std::string, double> values;  // finite values only
  std::vector<std::string> ambiguous;
};
tl::expected<QueryValues, Error> QueryPrometheus(HttpClient& http, const Endpoint& prometheus, std::string_view query,
                                                 double unix_seconds, std::string_view key_label);
// Parses a /api/v1/query answer (exposed for tests).
tl::expected<QueryValues, Error> ParseQueryAnswer(std::string_view body, std::string_view key_label);

// The exporter's /api/v1/scorecard: the KPI definitions with their current values and zones.
struct ExporterScorecard {
  std::vector<ReviewKpi> kpis;
  std::optional<double> composite, coverage;
};
tl::expected<ExporterScorecard, Error> FetchScorecard(HttpClient& http, const Endpoint& exporter);
tl::expected<ExporterScorecard, Error> ParseScorecard(std::string_view body);

// The exporter's /api/v1/items; an exporter without the endpoint answers 404 (Error reason "not_found").
tl::expected<std::vector<ReviewItemList>, Error> FetchItems(HttpClient& http, const Endpoint& exporter);
tl::expected<std::vector<ReviewItemList>, Error> ParseItems(std::string_view body);

}  // namespace kpi
