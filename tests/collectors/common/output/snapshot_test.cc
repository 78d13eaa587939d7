#include "collectors/common/output/snapshot.h"
#include "collectors/common/shard.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace kpi;

TEST_CASE("gauges render in the text format with escaped labels") {
  SnapshotBuilder b;
  b.Gauge("demo_value", "A value.\nSecond line \\ here.", {{"repo", "a/b"}, {"text", "quote\" back\\ nl\n"}}, 1.5);
  b.Gauge("demo_value", "A value.\nSecond line \\ here.", {{"repo", "c/d"}, {"text", ""}}, 3);
  auto snapshot = std::move(b).Build();
  REQUIRE(snapshot);
  REQUIRE(snapshot->families().size() == 1);
  const auto& family = snapshot->families()[0];
  CHECK(family.help == "A value.\\nSecond line \\\\ here.");
  CHECK(family.type == "gauge");
  CHECK(family.samples() ==
        "demo_value{repo=\"a/b\",text=\"quote\\\" back\\\\ nl\\n\"} 1.5\n"
        "demo_value{repo=\"c/d\",text=\"\"} 3\n");
  CHECK(snapshot->series() == 2);
}

TEST_CASE("summaries have nearest-rank quantiles, sum and count") {
  SnapshotBuilder b;
  b.Summary("demo_seconds", "Durations.", {{"repo", "a/b"}}, {40, 10, 30, 20});
  b.Summary("demo_seconds", "Durations.", {{"repo", "empty"}}, {});
  auto snapshot = std::move(b).Build();
  REQUIRE(snapshot);
  CHECK(snapshot->families()[0].samples() ==
        "demo_seconds{repo=\"a/b\",quantile=\"0.5\"} 20\n"
        "demo_seconds{repo=\"a/b\",quantile=\"0.9\"} 40\n"
        "demo_seconds{repo=\"a/b\",quantile=\"0.99\"} 40\n"
        "demo_seconds_sum{repo=\"a/b\"} 100\n"
        "demo_seconds_count{repo=\"a/b\"} 4\n"
        "demo_seconds{repo=\"empty\",quantile=\"0.5\"} NaN\n"
        "demo_seconds{repo=\"empty\",quantile=\"0.9\"} NaN\n"
        "demo_seconds{repo=\"empty\",quantile=\"0.99\"} NaN\n"
        "demo_seconds_sum{repo=\"empty\"} 0\n"
        "demo_seconds_count{repo=\"empty\"} 0\n");
}

TEST_CASE("a series' labels and values read back exactly from its text") {
  SnapshotBuilder b;
  const Labels tricky{{"repo", "a/b"}, {"text", "quote\" back\\ nl\n, x=\"y\"}"}};
  b.Gauge("demo_value", "A value.", tricky, 0.1);
  b.Gauge("demo_value", "A value.", {}, -INFINITY);
  b.Gauge("demo_ratio", "A ratio.", {{"repo", ""}, {"quantile", "0.9"}}, 7.0 / 9.0);  // a gauge may have one
  b.Summary("demo_seconds", "Durations.", {{"repo", "a/b"}}, {1795500025.045399, 3});
  b.Summary("demo_seconds", "Durations.", {{"repo", "empty"}}, {});
  auto snapshot = std::move(b).Build();
  REQUIRE(snapshot);
  REQUIRE(snapshot->families().size() == 3);
  const auto& ratio = snapshot->families()[0].series.at(0);
  CHECK(ratio.labels() == Labels{{"repo", ""}, {"quantile", "0.9"}});
  CHECK(ratio.values() == std::vector<double>{7.0 / 9.0});
  const auto& summaries = snapshot->families()[1].series;
  CHECK(summaries.at(0).labels() == Labels{{"repo", "a/b"}});  // no quantile label
  CHECK(summaries.at(0).values() == std::vector<double>{3, 1795500025.045399, 1795500025.045399, 1795500028.045399, 2});
  CHECK(summaries.at(0).key() == "demo_seconds{repo=\"a/b\",quantile=\"0.5\"}");
  const auto empty = summaries.at(1).values();
  REQUIRE(empty.size() == 5);
  CHECK((std::isnan(empty[0]) && std::isnan(empty[2]) && empty[3] == 0 && empty[4] == 0));
  const auto& values = snapshot->families()[2].series;
  CHECK(values.at(0).labels() == tricky);
  CHECK(values.at(0).values() == std::vector<double>{0.1});
  CHECK(values.at(1).labels().empty());
  CHECK(values.at(1).values() == std::vector<double>{-INFINITY});
  CHECK(values.at(1).key() == "demo_value");
}

TEST_CASE("sample values use the shortest exact form") {
  CHECK(FormatSampleValue(0.1) == "0.1");
  CHECK(FormatSampleValue(7.0 / 9.0) == "0.7777777777777778");
  CHECK(FormatSampleValue(1795500025.045399) == "1795500025.045399");
  CHECK(FormatSampleValue(1e20) == "1e+20");
  CHECK(FormatSampleValue(-3) == "-3");
  CHECK(FormatSampleValue(INFINITY) == "+Inf");
}

TEST_CASE("builder rejects invalid names and conflicting types") {
  {
    SnapshotBuilder b;
    b.Gauge("bad-name", "x", {}, 1);
    CHECK_FALSE(std::move(b).Build());
  }
  {
    SnapshotBuilder b;
    b.Gauge("ok_name", "x", {{"bad-label", "v"}}, 1);
    CHECK_FALSE(std::move(b).Build());
  }
  {
    SnapshotBuilder b;
    b.Gauge("same", "x", {}, 1);
    b.Summary("same", "x", {}, {1});
    CHECK_FALSE(std::move(b).Build());
  }
}

TEST_CASE("the same series twice keeps the first and is counted, never a failed poll") {
  SnapshotBuilder b;
  b.Gauge("dup", "x", {{"a", "1"}}, 1);
  b.Gauge("dup", "x", {{"a", "2"}}, 5);
  b.Gauge("dup", "x", {{"a", "1"}}, 2);
  auto built = std::move(b).Build();
  REQUIRE(built);
  CHECK(built->families()[0].samples() == "dup{a=\"1\"} 1\ndup{a=\"2\"} 5\n");
  CHECK(built->dropped().duplicates == 1);
  CHECK(built->dropped().over_limit == 0);
}

TEST_CASE("past the series cap further series are dropped and counted") {
  SnapshotBuilder b(3);
  for (int i = 0; i < 5; ++i) b.Gauge("many", "x", {{"i", std::to_string(i)}}, i);
  b.Summary("late_summary", "x", {}, {1, 2});
  auto built = std::move(b).Build();
  REQUIRE(built);
  CHECK(built->series() == 3);
  CHECK(built->dropped().over_limit == 3);
  CHECK(built->families()[0].samples() == "many{i=\"0\"} 0\nmany{i=\"1\"} 1\nmany{i=\"2\"} 2\n");
}

TEST_CASE("label values are valid UTF-8 and at most 256 bytes, whatever the upstream sends") {
  CHECK(SanitizeLabelValue("main") == "main");
  CHECK(SanitizeLabelValue("caf\xC3\xA9") == "caf\xC3\xA9");                      // é stays
  CHECK(SanitizeLabelValue("a\xFF" "b") == "a\xEF\xBF\xBD" "b");                     // a stray byte
  CHECK(SanitizeLabelValue("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");              // overlong '/'
  CHECK(SanitizeLabelValue("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  CHECK(SanitizeLabelValue("\xE2\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD");              // cut short
  const std::string exactly(256, 'x');
  CHECK(SanitizeLabelValue(exactly) == exactly);
  const std::string longer = std::string(300, 'y');
  CHECK(SanitizeLabelValue(longer) == std::string(253, 'y') + "\xE2\x80\xA6");
  // A 3-byte character straddling the cut is not split.
  const std::string wide = std::string(252, 'z') + "\xE2\x82\xAC" + std::string(10, 'z');
  CHECK(SanitizeLabelValue(wide) == std::string(252, 'z') + "\xE2\x80\xA6");
  SnapshotBuilder b;
  b.Gauge("info", "x", {{"branch", std::string(1 << 20, 'b')}}, 1);
  auto built = std::move(b).Build();
  REQUIRE(built);
  CHECK(built->families()[0].samples().size() < 300);
}

TEST_CASE("families come out sorted by name") {
  SnapshotBuilder b;
  b.Gauge("zeta", "z", {}, 1);
  b.Gauge("alpha", "a", {}, 1);
  auto snapshot = std::move(b).Build();
  REQUIRE(snapshot);
  CHECK(snapshot->families()[0].name == "alpha");
  CHECK(snapshot->families()[1].name == "zeta");
}

TEST_CASE("MergedOver keeps the newer series and adds only what the newer lacks") {
  SnapshotBuilder older;
  older.Gauge("stars", "s", {{"repo", "a"}}, 1);
  older.Gauge("stars", "s", {{"repo", "b"}}, 2);
  older.Summary("lead", "l", {{"repo", "a"}}, {5});
  SnapshotBuilder newer;
  newer.Gauge("stars", "s", {{"repo", "b"}}, 20);
  const auto merged = std::move(newer).Build()->MergedOver(*std::move(older).Build());
  REQUIRE(merged.families().size() == 2);
  CHECK(merged.families()[1].name == "stars");
  CHECK(merged.families()[1].samples() == "stars{repo=\"b\"} 20\nstars{repo=\"a\"} 1\n");
  CHECK(merged.families()[0].samples().find("lead_count{repo=\"a\"} 1\n") != std::string::npos);
  CHECK(merged.series() == 3);
}

TEST_CASE("shards split targets by a stable hash of the name") {
  // FNV-1a-64 of the name, computed independently: o/r 1815681932991956195, o/a 1815665440317533030, o/c 1815663241294276608.
  CHECK(Shard{1, 2}.Owns("o/r"));
  CHECK_FALSE(Shard{0, 2}.Owns("o/r"));
  CHECK(Shard{2, 3}.Owns("o/r"));
  CHECK(Shard{0, 2}.Owns("o/a"));
  CHECK(Shard{0, 3}.Owns("o/c"));
  CHECK_FALSE(Shard{1, 3}.Owns("o/c"));
  CHECK(Shard{}.Owns("anything"));
}
