// Self-metrics that carry the exporter's own honesty: per-target health,
// truncation counts, and error counters that exist before the first error.
#include "exporter/telemetry/self_metrics.h"

#include <doctest/doctest.h>

#include "tests/support/collector_test_util.h"

using namespace kpi;
using namespace kpi::testing;

TEST_CASE("every error reason of a collector is exported at 0 from the start") {
  SelfMetrics metrics("1.0", "abc");
  metrics.SetInterval("github", std::chrono::minutes(5));
  const std::string text = metrics.Render();
  CHECK(HasLine(text, "kpi_exporter_series_dropped_total{collector=\"github\",reason=\"limit\"} 0"));
  CHECK(HasLine(text, "kpi_exporter_series_dropped_total{collector=\"github\",reason=\"duplicate\"} 0"));
  for (const char* reason : {"unauthorized", "not_found", "rate_limited", "http_4xx", "http_5xx", "timeout", "network",
                             "response_too_large", "parse", "internal"}) {
    CHECK_MESSAGE(HasLine(text, std::string("kpi_exporter_collector_errors_total{collector=\"github\",reason=\"") +
                                    reason + "\"} 0"),
                  reason);
  }
}

TEST_CASE("targets are up or down per poll, keep their last success, and leave with the config") {
  SelfMetrics metrics("1.0", "abc");
  PollReport first;
  first.Target("o/a", true);
  first.Target("o/b", true);
  first.Target("o/b", false);  // failed in a later step: down
  first.Truncated("o/a", "open_issues");
  metrics.RecordTargets("github", first, false, 1000);
  std::string text = metrics.Render();
  CHECK(HasLine(text, "kpi_exporter_target_up{collector=\"github\",target=\"o/a\"} 1"));
  CHECK(HasLine(text, "kpi_exporter_target_up{collector=\"github\",target=\"o/b\"} 0"));
  CHECK(HasLine(text, "kpi_exporter_target_last_success_timestamp_seconds{collector=\"github\",target=\"o/a\"} 1000"));
  CHECK(text.find("kpi_exporter_target_last_success_timestamp_seconds{collector=\"github\",target=\"o/b\"}") ==
        std::string::npos);
  CHECK(HasLine(text, "kpi_exporter_truncated_total{collector=\"github\",target=\"o/a\",what=\"open_issues\"} 1"));

  // A poll that failed before reaching o/a: o/a is down, its last success stays.
  PollReport early_failure;
  metrics.RecordTargets("github", early_failure, false, 2000);
  text = metrics.Render();
  CHECK(HasLine(text, "kpi_exporter_target_up{collector=\"github\",target=\"o/a\"} 0"));
  CHECK(HasLine(text, "kpi_exporter_target_last_success_timestamp_seconds{collector=\"github\",target=\"o/a\"} 1000"));

  // A successful poll that no longer names o/a (a reload removed it): gone.
  PollReport only_b;
  only_b.Target("o/b", true);
  metrics.RecordTargets("github", only_b, true, 3000);
  text = metrics.Render();
  CHECK(text.find("target=\"o/a\"} ") == std::string::npos);
  CHECK(HasLine(text, "kpi_exporter_target_up{collector=\"github\",target=\"o/b\"} 1"));
  CHECK(HasLine(text, "kpi_exporter_target_last_success_timestamp_seconds{collector=\"github\",target=\"o/b\"} 3000"));
  CHECK(HasLine(text, "kpi_exporter_truncated_total{collector=\"github\",target=\"o/a\",what=\"open_issues\"} 1"));

  metrics.ForgetCollector("github");
  CHECK(metrics.Render().find("kpi_exporter_target_up{") == std::string::npos);
}

TEST_CASE("the conditional-request cache: entries and bytes as last recorded, evictions counted from 0") {
  SelfMetrics metrics("1.0", "abc");
  metrics.SetInterval("github", std::chrono::minutes(5));
  CHECK(HasLine(metrics.Render(), "kpi_exporter_upstream_cache_evictions_total{collector=\"github\"} 0"));
  metrics.RecordCache("github", 120, 4096, 0);
  metrics.RecordCache("github", 100, 3000, 7);
  metrics.RecordCache("github", 100, 3100, 5);
  std::string text = metrics.Render();
  CHECK(HasLine(text, "kpi_exporter_upstream_cache_entries{collector=\"github\"} 100"));
  CHECK(HasLine(text, "kpi_exporter_upstream_cache_bytes{collector=\"github\"} 3100"));
  CHECK(HasLine(text, "kpi_exporter_upstream_cache_evictions_total{collector=\"github\"} 12"));
  metrics.ForgetCollector("github");
  text = metrics.Render();
  CHECK(text.find("kpi_exporter_upstream_cache_entries{") == std::string::npos);
  CHECK(text.find("kpi_exporter_upstream_cache_bytes{") == std::string::npos);
}
