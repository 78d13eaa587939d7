#include "collectors/pypi.h"

#include <doctest/doctest.h>

#include "collectors/time_util.h"
#include "tests/support/collector_test_util.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

using namespace kpi;
using namespace kpi::testing;

namespace {

struct World {
  FakeClock clock;
  std::shared_ptr<FakeTransport::State> state = std::make_shared<FakeTransport::State>();
  RecordingLog log;
  PypiCollector collector;
  HttpClient http;
  explicit World(std::vector<std::string> packages)
      : collector(PypiConfig{{"https://pypi.test", std::chrono::hours(1), std::chrono::seconds(10)}, "https://stats.test",
                             std::move(packages)}),
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
    return collector.Poll(http, context);
  }
};

std::string Days(std::initializer_list<std::pair<const char*, int>> days) {
  std::string out = R"({"package":"x","type":"overall_downloads","data":[)";
  bool first = true;
  for (const auto& [date, n] : days) {
    out += std::string(first ? "" : ",") + R"({"category":"without_mirrors","date":")" + date +
           R"(","downloads":)" + std::to_string(n) + "}";
    out += std::string(R"(,{"category":"with_mirrors","date":")") + date + R"(","downloads":999999})";
    first = false;
  }
  return out + "]}";
}

}  // namespace

TEST_CASE("PEP 503 normalisation") {
  CHECK(pypi::NormalizeName("Django_REST.framework") == "django-rest-framework");
  CHECK(pypi::NormalizeName("zope..interface") == "zope-interface");
  CHECK(pypi::NormalizeName("requests") == "requests");
  CHECK(pypi::NormalizeName("A-_.b") == "a-b");
}

TEST_CASE("the prior week sums days 8-14 before the newest day, a missing day counts as 0") {
  // Newest 2026-01-20: last 7 days are 01-14..01-20, the prior 7 are 01-07..01-13.
  auto days = pypi::ParseOverall(Days({{"2026-01-06", 1000}, {"2026-01-07", 10}, {"2026-01-08", 20},
                                       /* 01-09 missing */ {"2026-01-10", 30}, {"2026-01-11", 40},
                                       {"2026-01-12", 50}, {"2026-01-13", 60}, {"2026-01-14", 500},
                                       {"2026-01-20", 700}}));
  REQUIRE(days);
  CHECK(days->size() == 9);  // with_mirrors rows left out
  CHECK(pypi::PriorWeek(*days) == 10 + 20 + 30 + 40 + 50 + 60);
  CHECK_FALSE(pypi::PriorWeek({}));
}

TEST_CASE("downloads, prior week, version and release time, names normalised in requests and labels") {
  World w({"my-package"});
  w.Package("my-package",
            R"({"info":{"name":"My_Package","version":"2.1.0"},"urls":[
                {"upload_time_iso_8601":"2026-10-01T10:00:00.123456Z"},{"upload_time_iso_8601":"2026-10-01T10:05:00.000000Z"}]})",
            R"({"data":{"last_day":120,"last_week":900,"last_month":4000},"package":"my-package","type":"recent_downloads"})",
            Days({{"2026-10-01", 100}, {"2026-10-08", 200}}));
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "pypi_downloads{package=\"my-package\",window=\"1d\"} 120"));
  CHECK(HasLine(text, "pypi_downloads{package=\"my-package\",window=\"7d\"} 900"));
  CHECK(HasLine(text, "pypi_downloads{package=\"my-package\",window=\"30d\"} 4000"));
  CHECK(HasLine(text, "pypi_downloads_prior{package=\"my-package\",window=\"7d\"} 100"));  // 10-01 is 7 days before 10-08
  CHECK(HasLine(text, "pypi_package_info{package=\"my-package\",version=\"2.1.0\"} 1"));
  CHECK(HasLine(text, "pypi_latest_release_timestamp_seconds{package=\"my-package\"} " +
                      FormatSampleValue(ToUnixSeconds(*ParseTimestamp("2026-10-01T10:05:00Z")))));
}

TEST_CASE("a package without releases has downloads but no release time, an unknown one fails alone") {
  World w({"empty-pkg", "missing"});
  w.Package("empty-pkg", R"({"info":{"name":"empty-pkg","version":""},"releases":{},"urls":[]})",
            R"({"data":{"last_day":0,"last_week":0,"last_month":3}})", R"({"data":[]})");
  w.Set("https://pypi.test/pypi/missing/json", R"({"message":"Not Found"})", 404);
  auto result = w.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "not_found");
  CHECK(result.error().message.starts_with("missing: "));
  REQUIRE(result.error().partial);
  const std::string text = SnapshotText(*result.error().partial);
  CHECK(HasLine(text, "pypi_downloads{package=\"empty-pkg\",window=\"30d\"} 3"));
  CHECK(text.find("pypi_latest_release_timestamp_seconds{package=\"empty-pkg\"}") == std::string::npos);
  CHECK(text.find("pypi_package_info{package=\"empty-pkg\"") == std::string::npos);
  CHECK(text.find("pypi_downloads_prior{package=\"empty-pkg\"") == std::string::npos);
  CHECK(text.find("missing") == std::string::npos);
}

TEST_CASE("malformed answers are parse errors") {
  CHECK(pypi::ParseRecent(R"({"data":{"last_day":"many"}})").error().reason == "parse");
  CHECK(pypi::ParseOverall(R"({"data":[{"date":"yesterday","downloads":1}]})").error().message ==
        "daily downloads: field 'date' is not a YYYY-MM-DD date");
  CHECK_FALSE(pypi::ParseProject(R"({"info":)"));
}
