#include "collectors/pypi.h"

#include <doctest/doctest.h>

#include "tests/support/collector_test_util.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

using namespace kpi;
using namespace kpi::testing;
using namespace std::chrono;

namespace {

struct World {
  FakeClock clock;
  std::shared_ptr<FakeTransport::State> state = std::make_shared<FakeTransport::State>();
  RecordingLog log;
  PypiCollector collector;
  HttpClient http;
  PollReport report;  // of the last poll
  explicit World(std::vector<std::string> packages)
      : collector(PypiConfig{{"https://pypi.test", hours(1), seconds(10)}, "https://stats.test", std::move(packages)}),
        http(std::make_unique<FakeTransport>(state), clock, collector.http_options()) {}
  void Set(const std::string& url, std::string body, long status = 200) {
    state->routes[url] = FakeExchange{{Json(std::move(body), {}, status)}, 0};
  }
  void Package(const std::string& name, const std::string& project, const std::string& recent, const std::string& overall) {
    Set("https://pypi.test/pypi/" + name + "/json", project);
    Set("https://stats.test/api/packages/" + name + "/recent", recent);
    Set("https://stats.test/api/packages/" + name + "/overall?mirrors=false", overall);
  }
  tl::expected<Snapshot, Error> Poll() {
    PollContext context{clock, log, {}, {}};
    auto result = collector.Poll(http, context);
    report = context.report;
    return result;
  }
};

// pypistats' /overall?mirrors=false answer: without_mirrors rows in date order.
std::string Days(std::initializer_list<std::pair<const char*, int>> days) {
  std::string out = R"({"data":[)";
  bool first = true;
  for (const auto& [date, n] : days) {
    out += std::string(first ? "" : ",") + R"({"category":"without_mirrors","date":")" + date +
           R"(","downloads":)" + std::to_string(n) + "}";
    first = false;
  }
  return out + R"(],"package":"x","type":"overall_downloads"})";
}

const char* kProject = R"({"info":{"name":"My_Package","version":"2.1.0"},"urls":[
    {"filename":"my_package-2.1.0.tar.gz","upload_time_iso_8601":"2026-10-01T10:00:00.123456Z"},
    {"filename":"my_package-2.1.0-py3-none-any.whl","upload_time_iso_8601":"2026-10-01T10:05:00.000000Z"}]})";
const char* kRecent = R"({"data":{"last_day":120,"last_month":4000,"last_week":900},"package":"my-package","type":"recent_downloads"})";

}  // namespace

TEST_CASE("PEP 503 normalisation") {
  CHECK(pypi::NormalizeName("Django_REST.framework") == "django-rest-framework");
  CHECK(pypi::NormalizeName("zope..interface") == "zope-interface");
  CHECK(pypi::NormalizeName("requests") == "requests");
  CHECK(pypi::NormalizeName("A-_.b") == "a-b");
}

TEST_CASE("the prior week is days newest-13 to newest-7: boundaries newest-6, newest-7, newest-13, newest-14") {
  // Newest 2026-01-20. newest-6 = 01-14 (last week), newest-7 = 01-13 and newest-13 = 01-07 (prior week),
  // newest-14 = 01-06 (before it). 01-09 has no row: it counts as 0.
  auto days = pypi::ParseOverall(Days({{"2026-01-06", 1000}, {"2026-01-07", 100}, {"2026-01-08", 20000},
                                       {"2026-01-10", 30000}, {"2026-01-13", 10}, {"2026-01-14", 1},
                                       {"2026-01-20", 500000}}));
  REQUIRE(days);
  CHECK(pypi::PriorWeek(*days) == 50110);  // 100 + 20000 + 30000 + 10
  CHECK_FALSE(pypi::PriorWeek({}));
}

TEST_CASE("the newest day is the newest row, and a row of 0 downloads is data") {
  // Out of date order on purpose; 01-21 has a row with 0 downloads, 01-22 has none.
  auto days = pypi::ParseOverall(Days({{"2026-01-20", 5}, {"2026-01-21", 0}, {"2026-01-08", 7}}));
  REQUIRE(days);
  CHECK(pypi::NewestDay(*days) == sys_days{2026y / January / 21});
  CHECK(pypi::PriorWeek(*days) == 7);  // 01-08 .. 01-14, counted back from 01-21
  CHECK_FALSE(pypi::NewestDay({}));
}

TEST_CASE("downloads, prior week, newest day, version and release time, names normalised in requests and labels") {
  World w({"my-package"});
  w.Package("my-package", kProject, kRecent, Days({{"2026-10-01", 100}, {"2026-10-02", 3}, {"2026-10-08", 200}}));
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "pypi_downloads{package=\"my-package\",window=\"1d\"} 120"));
  CHECK(HasLine(text, "pypi_downloads{package=\"my-package\",window=\"7d\"} 900"));
  CHECK(HasLine(text, "pypi_downloads{package=\"my-package\",window=\"30d\"} 4000"));
  CHECK(HasLine(text, "pypi_downloads_prior{package=\"my-package\",window=\"7d\"} 100"));  // 10-01 is newest-7, 10-02 newest-6
  CHECK(HasLine(text, "pypi_downloads_newest_day_timestamp_seconds{package=\"my-package\"} 1791417600"));  // 2026-10-08T00:00:00Z
  CHECK(HasLine(text, "pypi_package_info{package=\"my-package\",version=\"2.1.0\"} 1"));
  CHECK(HasLine(text, "pypi_latest_release_timestamp_seconds{package=\"my-package\"} 1790849100"));  // 2026-10-01T10:05:00Z
  CHECK(w.report.targets() == std::map<std::string, bool>{{"my-package", true}});
}

TEST_CASE("a package pypistats answers 404 for has its release and 0 downloads, and is up") {
  World w({"brand-new"});
  w.Set("https://pypi.test/pypi/brand-new/json", kProject);
  // pypistats' 404 for a package without download rows is a plain-text "404".
  w.Set("https://stats.test/api/packages/brand-new/recent", "404", 404);
  w.Set("https://stats.test/api/packages/brand-new/overall?mirrors=false", "404", 404);
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "pypi_downloads{package=\"brand-new\",window=\"1d\"} 0"));
  CHECK(HasLine(text, "pypi_downloads{package=\"brand-new\",window=\"7d\"} 0"));
  CHECK(HasLine(text, "pypi_downloads{package=\"brand-new\",window=\"30d\"} 0"));
  CHECK(HasLine(text, "pypi_package_info{package=\"brand-new\",version=\"2.1.0\"} 1"));
  CHECK(HasLine(text, "pypi_latest_release_timestamp_seconds{package=\"brand-new\"} 1790849100"));
  // Without any row there is no newest day to count a prior week back from.
  CHECK(text.find("pypi_downloads_prior{") == std::string::npos);
  CHECK(text.find("pypi_downloads_newest_day_timestamp_seconds{") == std::string::npos);
  CHECK(w.report.targets() == std::map<std::string, bool>{{"brand-new", true}});
}

TEST_CASE("a pypistats error other than 404 fails the package") {
  World w({"my-package"});
  w.Package("my-package", kProject, kRecent, Days({{"2026-10-08", 200}}));
  w.Set("https://stats.test/api/packages/my-package/overall?mirrors=false", "503 TEMPORARILY DISABLED", 503);
  auto result = w.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "http_5xx");
  CHECK(w.report.targets() == std::map<std::string, bool>{{"my-package", false}});
}

TEST_CASE("a project pypi.org answers 404 for (unknown, or without releases) fails alone") {
  World w({"my-package", "missing"});
  w.Package("my-package", kProject, kRecent, Days({{"2026-10-08", 200}}));
  w.Set("https://pypi.test/pypi/missing/json", R"({"message": "Not Found"})", 404);
  auto result = w.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "not_found");
  CHECK(result.error().message.starts_with("missing: "));
  CHECK(w.report.targets() == std::map<std::string, bool>{{"missing", false}, {"my-package", true}});
  REQUIRE(result.error().partial);
  const std::string text = SnapshotText(*result.error().partial);
  CHECK(HasLine(text, "pypi_downloads{package=\"my-package\",window=\"30d\"} 4000"));
  CHECK(text.find("missing") == std::string::npos);
  for (const auto& request : w.state->requests) CHECK(request.url.find("stats.test/api/packages/missing") == std::string::npos);
}

TEST_CASE("a malformed or hostile answer fails only its package, whose last good values stay") {
  World w({"my-package"});
  w.Package("my-package", kProject, kRecent, Days({{"2026-10-01", 100}, {"2026-10-08", 200}}));
  REQUIRE(w.Poll());
  for (const char* bad : {R"({"data":{"last_day":-5,"last_week":0,"last_month":0}})", R"({"data":)", "[]"}) {
    CAPTURE(bad);
    w.Set("https://stats.test/api/packages/my-package/recent", bad);
    auto result = w.Poll();
    REQUIRE_FALSE(result);
    CHECK(result.error().reason == "parse");
    CHECK(w.report.targets() == std::map<std::string, bool>{{"my-package", false}});
    REQUIRE(result.error().partial);
    const std::string text = SnapshotText(*result.error().partial);
    CHECK(HasLine(text, "pypi_downloads{package=\"my-package\",window=\"1d\"} 120"));
    CHECK(HasLine(text, "pypi_downloads_prior{package=\"my-package\",window=\"7d\"} 100"));
    CHECK(HasLine(text, "pypi_downloads_newest_day_timestamp_seconds{package=\"my-package\"} 1791417600"));
  }
}

TEST_CASE("malformed answers are parse errors") {
  CHECK(pypi::ParseRecent(R"({"data":{"last_day":"many"}})").error().reason == "parse");
  CHECK(pypi::ParseOverall(R"({"data":[{"category":"without_mirrors","date":"yesterday","downloads":1}]})").error().message ==
        "daily downloads: field 'date' is not a YYYY-MM-DD date");
  CHECK(pypi::ParseOverall(R"({"data":[{"category":"without_mirrors","date":"2026-02-30","downloads":1}]})").error().reason ==
        "parse");
  CHECK(pypi::ParseOverall(R"({"data":[{"date":"2026-01-01","downloads":9007199254740993}]})").error().message ==
        "daily downloads: field 'downloads' is not a count");
  CHECK(pypi::ParseOverall(R"({"data":[{"date":"2026-01-01","downloads":9007199254740992}]})"));  // 2^53 is still exact
  CHECK_FALSE(pypi::ParseProject(R"({"info":)"));
}

TEST_CASE("drill-down: the figures behind the drop alert, each from the day its window starts") {
  World w({"my-package"});
  w.Package("my-package", kProject, kRecent, Days({{"2026-10-01", 100}, {"2026-10-02", 3}, {"2026-10-08", 200}}));
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  REQUIRE(snapshot->items().size() == 1);
  const ItemList& list = *snapshot->items()[0];
  CHECK(list.target == "my-package");
  CHECK(list.list == "download_drop");
  CHECK(list.metrics == std::vector<std::string>{"pypi_downloads", "pypi_downloads_prior"});
  CHECK(list.updated == w.clock.Now());
  REQUIRE(list.items.size() == 3);
  const auto day = [](int64_t unix_seconds) { return SystemTime(std::chrono::seconds(unix_seconds)); };
  CHECK(list.items[0].id == "newest day");
  CHECK(list.items[0].since == day(1791417600));  // 2026-10-08
  CHECK(list.items[0].fields == std::vector<std::pair<std::string, std::string>>{{"downloads", "120"}});
  CHECK(list.items[1].id == "last 7 days");
  CHECK(list.items[1].since == day(1791417600 - 6 * 86400));  // 2026-10-02
  // 900 against 100: +800 %.
  CHECK(list.items[1].fields == std::vector<std::pair<std::string, std::string>>{
                                    {"downloads", "900"}, {"change from the prior 7 days", "+800.0 %"}});
  CHECK(list.items[2].id == "prior 7 days");
  CHECK(list.items[2].since == day(1791417600 - 13 * 86400));  // 2026-09-25
  CHECK(list.items[2].url == "https://pypistats.org/packages/my-package");
}
