#include "exporter/report/sources.h"

#include <doctest/doctest.h>

using namespace kpi;

TEST_CASE("report endpoints: credentials in a URL go to the Authorization header, never into the URL") {
  const auto plain = ParseEndpoint("http://prometheus:9090/", "--prometheus.url");
  REQUIRE(plain);
  CHECK(plain->url == "http://prometheus:9090");
  CHECK(plain->authorization == "");
  const auto secret = ParseEndpoint("https://alice:s3cr%40t@exporter.example:9877/kpi/", "--exporter.url");
  REQUIRE(secret);
  CHECK(secret->url == "https://exporter.example:9877/kpi");
  CHECK(secret->authorization == "Basic " + Base64Encode("alice:s3cr@t"));
  // Refused without repeating the URL, which may hold a password.
  const auto ftp = ParseEndpoint("ftp://bob:hunter2@host/", "--exporter.url");
  REQUIRE_FALSE(ftp);
  CHECK(ftp.error() == "--exporter.url must be an http:// or https:// URL");
  CHECK_FALSE(ParseEndpoint("not a url", "--prometheus.url"));
}

TEST_CASE("report Prometheus answers: values by the kpi label, NaN left out, duplicates are no value") {
  const auto answer = ParseQueryAnswer(R"({"status":"success","data":{"resultType":"vector","result":[
      {"metric":{"__name__":"kpi:value","kpi":"stars","category":"community"},"value":[1700000000,"1234"]},
      {"metric":{"kpi":"first_response"},"value":[1700000000,"NaN"]},
      {"metric":{"kpi":"dup","instance":"a"},"value":[1700000000,"1"]},
      {"metric":{"kpi":"dup","instance":"b"},"value":[1700000000,"2"]}]}})",
                                       "kpi");
  REQUIRE(answer);
  CHECK(answer->values == std::map<std::string, double>{{"stars", 1234}});
  CHECK(answer->ambiguous == std::vector<std::string>{"dup"});
  const auto scalar = ParseQueryAnswer(
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"62.5"]}]}})", "");
  REQUIRE(scalar);
  CHECK(scalar->values.at("") == 62.5);
  CHECK_FALSE(ParseQueryAnswer(R"({"status":"error","errorType":"bad_data","error":"parse error"})", "kpi"));
  CHECK_FALSE(ParseQueryAnswer(R"({"status":"success","data":{"resultType":"matrix","result":[]}})", "kpi"));
  CHECK_FALSE(ParseQueryAnswer(
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"12abc"]}]}})", ""));
}

TEST_CASE("report scorecard answers: definitions, current values and zones from /api/v1/scorecard") {
  const auto card = ParseScorecard(R"({"composite_score":33.3,"coverage_ratio":0.5,"category_scores":{},"kpis":[
      {"name":"stars","category":"community","metric":"github_repo_stars","value":1234,"target":1240,"green":1300,
       "red":null,"direction":"higher","zone":"yellow","status":1,"weight":2,"deadline":"2027-06-30","evaluated_by":"exporter"},
      {"name":"uptime","category":"ops","metric":null,"value":null,"target":0.99,"green":null,"red":null,
       "direction":"lower","zone":null,"status":null,"weight":1,"deadline":null,"evaluated_by":"prometheus"}]})");
  REQUIRE(card);
  CHECK(card->composite == 33.3);
  CHECK(card->coverage == 0.5);
  REQUIRE(card->kpis.size() == 2);
  const ReviewKpi& stars = card->kpis[0];
  CHECK(stars.kpi.metric == "github_repo_stars");
  CHECK(stars.kpi.green == 1300);
  CHECK_FALSE(stars.kpi.red);
  CHECK(stars.kpi.weight == 2);
  CHECK(stars.kpi.deadline == "2027-06-30");
  CHECK(stars.kpi.deadline_unix_seconds == 1814400000);  // the end of 2027-06-30, UTC
  CHECK(stars.now == 1234);
  CHECK(stars.zone == Zone::kYellow);
  CHECK(card->kpis[1].kpi.direction == Direction::kLower);
  CHECK(stars.kpi.expr.empty());
  CHECK_FALSE(card->kpis[1].kpi.expr.empty());  // evaluated by Prometheus: a PromQL KPI
  CHECK_FALSE(card->kpis[1].now);
  CHECK_FALSE(card->kpis[1].zone);
  CHECK_FALSE(ParseScorecard(R"({"kpis":[{"name":"x","category":"c","target":1,"direction":"higher",
      "deadline":"2027-02-31"}]})"));
}

TEST_CASE("report items answers: the /api/v1/items contract") {
  const auto lists = ParseItems(R"({"status":"success","data":{"lists":[
      {"collector":"github","target":"acme/widgets","list":"failing_workflows","title":"Failing workflows",
       "metrics":["github_workflow_failing"],"updated":"2026-12-01T09:00:00Z","total":2,"truncated":false,
       "items":[{"id":"CI","title":"CI","url":"https://github.com/acme/widgets/actions/runs/1","since":"2026-11-30T09:00:00Z",
                 "age_seconds":86400,"fields":{"consecutive_failures":3,"branch":"main","flaky":false,"nested":{}}}]}]}})");
  REQUIRE(lists);
  REQUIRE(lists->size() == 1);
  const ReviewItemList& l = lists->front();
  CHECK(l.metrics == std::vector<std::string>{"github_workflow_failing"});
  CHECK(l.total == 2);
  REQUIRE(l.items.size() == 1);
  CHECK(l.items[0].age_seconds == 86400);
  CHECK(l.items[0].fields ==
        std::vector<std::pair<std::string, std::string>>{{"consecutive_failures", "3"}, {"branch", "main"}, {"flaky", "no"}});
  CHECK_FALSE(ParseItems(R"({"status":"success","data":{"lists":[{"collector":"github"}]}})"));
  CHECK_FALSE(ParseItems(R"({"status":"success","data":{"lists":[{"collector":"g","target":"t","list":"l",
      "metrics":["m"],"total":-1,"items":[]}]}})"));
}
