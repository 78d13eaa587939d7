#include "exporter/kpi/kpi_config.h"

#include <doctest/doctest.h>

#include "collectors/all.h"
#include "exporter/config.h"

using namespace kpi;

namespace {

EnvLookup Env() {
  return [](const std::string&) -> std::optional<std::string> { return std::string("token"); };
}

tl::expected<Config, ConfigError> Parse(const std::string& text) {
  return ParseConfig(text, "kpi.toml", AllCollectorFactories(), Env(), ConfigScope::kAlertsOnly);
}

std::string ErrorOf(const std::string& text) {
  auto config = Parse(text);
  REQUIRE_FALSE(config);
  return config.error().ToString();
}

const char* kGithub = "[github]\nrepos = [\"acme/widgets\"]\n";

std::vector<std::string> Names(const KpiSettings& s) {
  std::vector<std::string> out;
  for (const auto& k : s.kpis) out.push_back(k.name);
  return out;
}

}  // namespace

TEST_CASE("[[kpi]] as in the issue loads with every field") {
  auto config = Parse(std::string(kGithub) + R"(
[[kpi]]
name = "first_response"
category = "community"
metric = "github_issue_first_response_seconds"
labels = { repo = "acme/widgets" }
aggregate = "p90"
direction = "lower"
target = 86400
green = "12h"
red = 172800
weight = 2.5
deadline = "2027-06-30"

[[kpi]]
name = "growth"
category = "business"
expr = 'sum(stripe_mrr)'
target = 100000

[scorecard]
weights = { community = 0.7, business = 0.6 }
forecast_range = "14d"
)");
  REQUIRE(config);
  const KpiSettings& s = config->kpis;
  CHECK_FALSE(s.defaults);
  REQUIRE(s.kpis.size() == 2);
  const KpiDefinition& k = s.kpis[0];
  CHECK(k.name == "first_response");
  CHECK(k.category == "community");
  CHECK(k.summary);
  CHECK(k.matchers == Labels{{"repo", "acme/widgets"}});
  CHECK(k.aggregate == Aggregate::kP90);
  CHECK(k.direction == Direction::kLower);
  CHECK(k.target == 86400);
  CHECK(k.green == 43200);
  CHECK(k.red == 172800);
  CHECK(k.weight == 2.5);
  CHECK(k.deadline == "2027-06-30");
  CHECK(k.deadline_unix_seconds == 1814313600 + 86400);  // 2027-06-30T00:00Z is 1814313600; the end of that day
  CHECK(s.kpis[1].expr == "sum(stripe_mrr)");
  CHECK(s.kpis[1].direction == Direction::kHigher);
  CHECK(s.kpis[1].weight == 1);
  CHECK(s.scorecard.category_weights == std::map<std::string, double>{{"community", 0.7}, {"business", 0.6}});
  CHECK(s.scorecard.forecast_range == "14d");
}

TEST_CASE("[[kpi]] aggregate defaults: mean for a summary, sum for a gauge") {
  auto config = Parse(std::string(kGithub) +
                      "[[kpi]]\nname = \"a\"\ncategory = \"c\"\nmetric = \"github_pull_request_merge_lead_time_seconds\"\n"
                      "target = 1\n[[kpi]]\nname = \"b\"\ncategory = \"c\"\nmetric = \"github_repo_stars\"\ntarget = 1\n");
  REQUIRE(config);
  CHECK(config->kpis.kpis[0].aggregate == Aggregate::kMean);
  CHECK(config->kpis.kpis[1].aggregate == Aggregate::kSum);
}

TEST_CASE("without [[kpi]] the defaults are the planning targets of the enabled sources only") {
  auto none = Parse("");
  REQUIRE(none);
  CHECK(none->kpis.kpis.empty());
  auto github = Parse(kGithub);
  REQUIRE(github);
  CHECK(github->kpis.defaults);
  CHECK(Names(github->kpis) == std::vector<std::string>{"stars", "forks", "contributors", "ci_success", "pr_lead_time",
                                                        "first_response", "bug_reports"});
  auto two = Parse("[pypi]\npackages = [\"requests\"]\n[discord]\ninvites = [\"acme\"]\n");
  REQUIRE(two);
  CHECK(Names(two->kpis) == std::vector<std::string>{"discord_members", "pypi_downloads"});
  const KpiDefinition& downloads = two->kpis.kpis[1];
  CHECK(downloads.target == 10000);
  CHECK(downloads.matchers == Labels{{"window", "30d"}});
  // The defaults pass the checks a [[kpi]] table gets: every metric and label is declared.
  for (const auto& f : AllCollectorFactories()) {
    for (const auto& d : f.catalog().default_kpis) {
      if (d.metric.empty()) continue;
      std::string text = "[" + std::string(f.section) + "]\n[[kpi]]\nname = \"x\"\ncategory = \"c\"\nmetric = \"" +
                         std::string(d.metric) + "\"\ntarget = 1\naggregate = \"" + std::string(d.aggregate) + "\"\n";
      if (!d.labels.empty()) {
        std::string labels;  // "kind=bug,window=30d" -> kind = "bug", window = "30d"
        for (const char c : d.labels) labels += c == '=' ? std::string(" = \"") : c == ',' ? std::string("\", ") : std::string(1, c);
        text += "labels = { " + labels + "\" }\n";
      }
      INFO(text);
      auto checked = ParseConfig(text, "kpi.toml", AllCollectorFactories(), Env(), ConfigScope::kAlertsOnly);
      CHECK_MESSAGE(checked.has_value(), (checked ? "" : checked.error().ToString()));
    }
  }
}

TEST_CASE("invalid [[kpi]] and [scorecard] are errors at file:line:column") {
  const std::string head = std::string(kGithub) + "[[kpi]]\nname = \"k\"\ncategory = \"c\"\n";  // kpi body from line 6
  const auto error = [&](const std::string& body) { return ErrorOf(head + body); };
  CHECK(error("metric = \"github_repo_starz\"\ntarget = 1\n") ==
        "kpi.toml:6:10: unknown metric 'github_repo_starz' in [[kpi]] k: 'metric' must be one of the exporter's own "
        "metrics (README \"Metrics\"), or use 'expr'");
  CHECK(error("metric = \"github_repo_stars\"\nlabels = { repository = \"a/b\" }\ntarget = 1\n") ==
        "kpi.toml:7:10: unknown label 'repository' for metric github_repo_stars in [[kpi]] k; its labels: repo");
  CHECK(error("metric = \"pypi_downloads\"\ntarget = 1\n") ==
        "kpi.toml:6:10: metric 'pypi_downloads' of [[kpi]] k comes from [pypi], which this config does not enable");
  CHECK(error("metric = \"github_repo_stars\"\ntarget = 500\ngreen = 400\n") ==
        "kpi.toml:8:9: 'green' of [[kpi]] k must be at least the target (500) when higher is better");
  CHECK(error("metric = \"github_repo_stars\"\ntarget = 500\nred = 600\n") ==
        "kpi.toml:8:7: 'red' of [[kpi]] k must be at most the target (500) when higher is better");
  CHECK(error("metric = \"github_repo_stars\"\ndirection = \"lower\"\ntarget = 5\ngreen = 6\n") ==
        "kpi.toml:9:9: 'green' of [[kpi]] k must be at most the target (5) when lower is better");
  CHECK(error("metric = \"github_repo_stars\"\ndirection = \"lower\"\ntarget = 5\nred = 4\n") ==
        "kpi.toml:9:7: 'red' of [[kpi]] k must be at least the target (5) when lower is better");
  CHECK(error("metric = \"github_repo_stars\"\ntarget = 1\nweight = -0.5\n") ==
        "kpi.toml:8:10: 'weight' of [[kpi]] k must not be negative");
  CHECK(error("metric = \"github_repo_stars\"\ntarget = 1\ndeadline = \"2027-02-30\"\n") ==
        "kpi.toml:8:12: 'deadline' of [[kpi]] k must be a date such as \"2027-06-30\"");
  CHECK(error("metric = \"github_repo_stars\"\ntarget = 1\ndeadline = \"end of June\"\n") ==
        "kpi.toml:8:12: 'deadline' of [[kpi]] k must be a date such as \"2027-06-30\"");
  CHECK(error("metric = \"github_repo_stars\"\naggregate = \"p50\"\ntarget = 1\n") ==
        "kpi.toml:7:13: 'aggregate' of [[kpi]] k must be sum, max, min or avg (github_repo_stars is a gauge)");
  CHECK(error("metric = \"github_repo_stars\"\n") == "kpi.toml:3:1: [[kpi]] k needs a 'target'");
  CHECK(error("metric = \"github_repo_stars\"\ntarget = 1\ndirection = \"up\"\n") ==
        "kpi.toml:8:13: 'direction' of [[kpi]] k must be \"higher\" or \"lower\" (which is better)");
  CHECK(error("metric = \"github_repo_stars\"\nexpr = \"up\"\ntarget = 1\n") ==
        "kpi.toml:7:8: [[kpi]] k needs exactly one of 'metric' and 'expr'");
  CHECK(error("metric = \"github_repo_stars\"\ntarget = 1\ntargte = 2\n") == "kpi.toml:8:1: unknown key 'targte' in [kpi]");
  CHECK(error("expr = \"up\"\nlabels = { repo = \"a/b\" }\ntarget = 1\n") ==
        "kpi.toml:7:10: 'labels' of [[kpi]] k go with 'metric', not 'expr'");
  CHECK(ErrorOf(std::string(kGithub) + "[[kpi]]\nname = \"Bad-Name\"\n") ==
        "kpi.toml:4:8: 'name' in [[kpi]] must be set and consist of a-z, 0-9 and _");
  const std::string stars = "[[kpi]]\nname = \"s\"\ncategory = \"c\"\nmetric = \"github_repo_stars\"\ntarget = 1\n";
  CHECK(ErrorOf(std::string(kGithub) + stars + stars) == "kpi.toml:9:8: [[kpi]] name 's' is used twice");
  CHECK(ErrorOf(std::string(kGithub) + "[scorecard]\nweights = { c = -1 }\n" + stars) ==
        "kpi.toml:4:17: weight of category 'c' in [scorecard] must not be negative");
  CHECK(ErrorOf(std::string(kGithub) + "[scorecard]\nweights = { other = 1 }\n" + stars) ==
        "kpi.toml:7:12: category 'c' of [[kpi]] s has no weight in [scorecard] weights");
  CHECK(ErrorOf("kpi = 3\n" + std::string(kGithub)) == "kpi.toml:1:7: 'kpi' must be an array of tables ([[kpi]])");
  CHECK(ErrorOf("[scorecard]\nforecast = \"7d\"\n") == "kpi.toml:2:1: unknown key 'forecast' in [scorecard]");
  // KpiRed's and KpiOffTrack's `for` moved to [alerts.kpi_red] and [alerts.kpi_off_track], like every alert's.
  CHECK(ErrorOf("[scorecard]\nred_for = \"1h\"\n") == "kpi.toml:2:1: unknown key 'red_for' in [scorecard]");
}

TEST_CASE("deadlines are calendar days ending at 24:00 UTC") {
  CHECK(ParseDeadline("1970-01-01") == 86400);
  CHECK(ParseDeadline("2024-02-29") == 1709164800 + 86400);
  CHECK_FALSE(ParseDeadline("2023-02-29"));
  CHECK_FALSE(ParseDeadline("2027-6-30"));
  CHECK_FALSE(ParseDeadline("2027-06-30T00:00:00Z"));
}
