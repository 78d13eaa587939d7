#include "exporter/rules/alert_rules.h"

#include <doctest/doctest.h>

using namespace kpi;

TEST_CASE("the job selector goes into every selector of the exporter's own metrics and nowhere else") {
  const std::string job = "job=~\"kpi-exporter.*\"";
  CHECK(WithSelector("github_workflow_failing == 1", job) == "github_workflow_failing{job=~\"kpi-exporter.*\"} == 1");
  CHECK(WithSelector("pypi_downloads{window=\"7d\"} < 0.5", job) ==
        "pypi_downloads{job=~\"kpi-exporter.*\",window=\"7d\"} < 0.5");
  CHECK(WithSelector("stripe_mrr {}", job) == "stripe_mrr {job=~\"kpi-exporter.*\"}");
  // Range vectors and offsets keep their place; functions, label names, strings and recorded names are untouched.
  CHECK(WithSelector("increase(kpi_exporter_truncated_total[3h]) > 0", job) ==
        "increase(kpi_exporter_truncated_total{job=~\"kpi-exporter.*\"}[3h]) > 0");
  CHECK(WithSelector("sum by (repo) (github_x) / ignoring (target) kpi:ltv", "a=\"b\"") ==
        "sum by (repo) (github_x{a=\"b\"}) / ignoring (target) kpi:ltv");
  CHECK(WithSelector("up{name=\"github_x\"} + node_load1 + 1e3 + 5m", job) ==
        "up{name=\"github_x\"} + node_load1 + 1e3 + 5m");
  CHECK(WithSelector("time() - 86400 - jira_x > 3", "") == "time() - 86400 - jira_x > 3");
}

TEST_CASE("job_selector must be label matchers") {
  CHECK(IsMatcherList(""));
  CHECK(IsMatcherList("job=~\"kpi-exporter.*\""));
  CHECK(IsMatcherList("job=\"kpi\", namespace!~\"dev|test\""));
  CHECK_FALSE(IsMatcherList("job=kpi"));
  CHECK_FALSE(IsMatcherList("{job=\"kpi\"}"));
  CHECK_FALSE(IsMatcherList("job==\"kpi\""));
  CHECK_FALSE(IsMatcherList("job=\"kpi\","));
}

TEST_CASE("thresholds in annotations read in their units") {
  CHECK(HumanThreshold(86400, ThresholdUnit::kSeconds) == "1d");
  CHECK(HumanThreshold(172800, ThresholdUnit::kSeconds) == "2d");
  CHECK(HumanThreshold(5400, ThresholdUnit::kSeconds) == "1h30m");
  CHECK(HumanThreshold(0.03, ThresholdUnit::kRatio) == "3 %");
  CHECK(HumanThreshold(0.955, ThresholdUnit::kRatio) == "95.5 %");
  CHECK(HumanThreshold(0.5, ThresholdUnit::kNumber) == "0.5");
  CHECK(HumanThreshold(5, ThresholdUnit::kNumber) == "5");
}

TEST_CASE("descriptions say the configured threshold and for, pairs share their alert name") {
  AlertSettings settings;
  settings.overrides["issue_awaiting_response"] = AlertOverride{std::nullopt, 7200.0, std::string("45m"), std::nullopt};
  const std::string rules = RenderRules(settings, RulesFormat::kRuleFile);
  CHECK(rules.find("(limit: 2h).") != std::string::npos);
  CHECK(rules.find("awaiting_response_oldest_age_seconds{job=~\"kpi-exporter.*\"} > 7200'") != std::string::npos);
  int churn = 0;
  for (const auto& a : AlertDefinitions()) churn += a.name == "StripeChurnHigh";
  CHECK(churn == 2);
}

TEST_CASE("alerts with items behind them link to their list under the external URL, none without one") {
  CHECK(ItemsLinkOf("issue_awaiting_response", "https://kpi.example.com/kpi-exporter/") ==
        "https://kpi.example.com/kpi-exporter/items?collector=github&target={{ $labels.repo | urlquery }}"
        "&list=awaiting_response");
  CHECK(ItemsLinkOf("jira_sla_open_breaching", "http://kpi:9877") ==
        "http://kpi:9877/items?collector=jira&target={{ $labels.query | urlquery }}&list=breaching_sla");
  CHECK(ItemsLinkOf("stripe_failed_charges", "http://kpi:9877") ==
        "http://kpi:9877/items?collector=stripe&target=account&list=failed_payments");
  CHECK(ItemsLinkOf("kpi_red", "http://kpi:9877/") == "http://kpi:9877/items/kpi?name={{ $labels.kpi | urlquery }}");
  CHECK(ItemsLinkOf("stripe_churn_high", "http://kpi:9877").empty());  // no list explains churn
  CHECK(ItemsLinkOf("issue_awaiting_response", "").empty());
  // Every alert with a link exists; the rule file has the links only with an external URL.
  int links = 0;
  for (const auto& a : AlertDefinitions()) links += !ItemsLinkOf(a.key, "http://kpi:9877").empty();
  CHECK(links == 15);
  KpiSettings kpis;
  kpis.kpis.push_back(KpiDefinition{});
  kpis.kpis.back().name = "stars";
  kpis.kpis.back().metric = "github_repo_stars";
  AlertSettings settings;
  CHECK(RenderRules(settings, RulesFormat::kRuleFile, kpis).find("link:") == std::string::npos);
  settings.external_url = "https://kpi.example.com/kpi-exporter/";
  const std::string rules = RenderRules(settings, RulesFormat::kRuleFile, kpis);
  const auto red = rules.find("- alert: KpiRed");
  REQUIRE(red != std::string::npos);
  CHECK(rules.find("link: 'https://kpi.example.com/kpi-exporter/items/kpi?name={{ $labels.kpi | urlquery }}'", red) !=
        std::string::npos);
  const std::string helm = RenderRules(settings, RulesFormat::kHelmTemplate);
  CHECK(helm.find("{{- if .Values.externalUrl }}\n          link: '{{ trimSuffix \"/\" .Values.externalUrl }}/items?"
                  "collector=github&target={{`{{ $labels.repo | urlquery }}`}}&list=failing_workflows'\n{{- end }}\n") !=
        std::string::npos);
}
