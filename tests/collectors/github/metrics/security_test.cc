// Security alert KPIs (collectors/github/metrics/security.*) through the collector,
// with answers shaped like GitHub's published examples
// (tests/fixtures/github/vendor: dependabot-alerts-for-repository,
// code-scanning-alert-items, secret-scanning-alert-list).
#include "collectors/github/metrics/security.h"

#include <doctest/doctest.h>

#include "tests/collectors/github/world.h"

using namespace kpi;
using namespace kpi::github;
using namespace kpi::testing;
using namespace kpi::testing::github_world;
using namespace std::chrono_literals;

namespace {

constexpr auto kD = std::chrono::hours(24);
const std::string kDependabot = kRepo + "/dependabot/alerts?state=open,fixed&per_page=100";
const std::string kCode = kRepo + "/code-scanning/alerts?state=open&per_page=100";
const std::string kSecrets = kRepo + "/secret-scanning/alerts?state=open&per_page=100";

std::string AlertJson(const FakeClock& clock, int number, const std::string& state, const std::string& severity,
                      std::chrono::seconds created, std::optional<std::chrono::seconds> fixed = std::nullopt) {
  return "{\"number\":" + std::to_string(number) + ",\"html_url\":\"https://github.test/o/r/security/dependabot/" +
         std::to_string(number) + "\",\"state\":\"" + state + "\",\"dependency\":{\"package\":{\"ecosystem\":\"pip\",\"name\":\"django\"},\"scope\":\"runtime\"},"
         "\"security_advisory\":{\"ghsa_id\":\"GHSA-rf4j-j272-fj86\",\"severity\":\"" + severity +
         "\"},\"security_vulnerability\":{\"severity\":\"" + severity + "\"},\"created_at\":\"" + Ago(clock, created) +
         "\",\"updated_at\":\"" + Ago(clock, 1h) + "\",\"dismissed_at\":null,\"fixed_at\":" +
         (fixed ? "\"" + Ago(clock, *fixed) + "\"" : std::string("null")) + "}";
}

std::string CodeAlertJson(const std::string& state, const std::string& security_severity) {
  return "{\"number\":4,\"created_at\":\"2020-02-13T12:29:18Z\",\"state\":\"" + state +
         "\",\"rule\":{\"id\":\"js/zipslip\",\"severity\":\"error\"" +
         (security_severity.empty() ? "" : ",\"security_severity_level\":\"" + security_severity + "\"") +
         ",\"tags\":[\"security\"]},\"tool\":{\"name\":\"CodeQL\"}}";
}

}  // namespace

TEST_CASE("Dependabot: open by severity across cursor pages, fix time of fixed alerts only") {
  World world;
  const auto& c = world.clock;
  // Page 2 comes by cursor, as GitHub links it.
  world.Set(kDependabot,
            "[" + AlertJson(c, 1, "open", "critical", 9 * kD) + "," + AlertJson(c, 2, "open", "critical", 2 * kD) + "," +
                AlertJson(c, 3, "fixed", "high", 10 * kD, 7 * kD) + "]",
            {{"link", "<" + kRepo + "/dependabot/alerts?state=open,fixed&per_page=100&after=Y3Vyc29yOnYyOpK>; rel=\"next\""}});
  world.Set(kRepo + "/dependabot/alerts?state=open,fixed&per_page=100&after=Y3Vyc29yOnYyOpK",
            "[" + AlertJson(c, 4, "fixed", "low", 40 * kD, 1 * kD) + "," +
                AlertJson(c, 5, "fixed", "medium", 50 * kD, 31 * kD) + "," +
                AlertJson(c, 6, "dismissed", "medium", 5 * kD) + "," + AlertJson(c, 7, "auto_dismissed", "low", 5 * kD) +
                "]");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_dependabot_alerts_open{repo=\"o/r\",severity=\"critical\"} 2"));
  CHECK(HasLine(text, "github_dependabot_alerts_open{repo=\"o/r\",severity=\"high\"} 0"));
  CHECK(HasLine(text, "github_dependabot_alerts_open{repo=\"o/r\",severity=\"medium\"} 0"));
  CHECK(HasLine(text, "github_dependabot_alerts_open{repo=\"o/r\",severity=\"low\"} 0"));
  CHECK(HasLine(text, "github_dependabot_alert_oldest_open_seconds{repo=\"o/r\",severity=\"critical\"} 777600"));
  CHECK(HasLine(text, "github_dependabot_alert_oldest_open_seconds{repo=\"o/r\",severity=\"low\"} 0"));
  // #3: 3 days; #4: 39 days; #5 was fixed 31 days ago, outside the window.
  CHECK(HasLine(text, "github_dependabot_alert_fix_seconds_count{repo=\"o/r\",window=\"30d\"} 2"));
  CHECK(HasLine(text, "github_dependabot_alert_fix_seconds_sum{repo=\"o/r\",window=\"30d\"} 3628800"));
  for (const auto& request : world.state->requests) {  // page= is refused by the Dependabot listing
    if (request.url.find("/dependabot/") != std::string::npos) CHECK(request.url.find("&page=") == std::string::npos);
  }
}

TEST_CASE("code scanning counts by security severity, secret scanning counts open alerts") {
  World world;
  world.Set(kDependabot, "[]");
  world.Set(kCode, "[" + CodeAlertJson("open", "high") + "," + CodeAlertJson("open", "high") + "," +
                       CodeAlertJson("open", "") + "," + CodeAlertJson("open", "critical") + "]",
            {{"link", "<" + kCode + "&page=2>; rel=\"next\""}});
  world.Set(kCode + "&page=2", "[" + CodeAlertJson("open", "low") + "]");
  world.Set(kSecrets, R"([{"number":2,"state":"open","secret_type":"adafruit_io_key"},{"number":1,"state":"open"}])");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_code_scanning_alerts_open{repo=\"o/r\",severity=\"high\"} 2"));
  CHECK(HasLine(text, "github_code_scanning_alerts_open{repo=\"o/r\",severity=\"critical\"} 1"));
  CHECK(HasLine(text, "github_code_scanning_alerts_open{repo=\"o/r\",severity=\"medium\"} 0"));
  CHECK(HasLine(text, "github_code_scanning_alerts_open{repo=\"o/r\",severity=\"low\"} 1"));
  CHECK(HasLine(text, "github_secret_scanning_alerts_open{repo=\"o/r\"} 2"));
  CHECK(HasLine(text, "github_dependabot_alerts_open{repo=\"o/r\",severity=\"critical\"} 0"));
  // A rule without a security severity is a quality rule, not a malformed alert.
  CHECK(HasLine(text, "github_malformed_objects{repo=\"o/r\",listing=\"code_scanning_alerts\"} 0"));
}

// Issue 16, item 5: the upstream does not decide which label values exist; what is left out is counted and logged.
TEST_CASE("a severity outside GitHub's four adds no series and is counted as malformed") {
  World world;
  const auto& c = world.clock;
  world.Set(kDependabot, "[" + AlertJson(c, 1, "open", "bogus", 9 * kD) + "," + AlertJson(c, 2, "open", "critical", kD) + "]");
  world.Set(kCode, "[" + CodeAlertJson("open", "severe") + "," + CodeAlertJson("open", "low") + "]");
  world.Set(kSecrets, "[]");
  const std::string text = world.PollText();
  CHECK(HasLine(text, "github_dependabot_alerts_open{repo=\"o/r\",severity=\"critical\"} 1"));
  CHECK(HasLine(text, "github_code_scanning_alerts_open{repo=\"o/r\",severity=\"low\"} 1"));
  CHECK(text.find("bogus") == std::string::npos);
  CHECK(text.find("severe") == std::string::npos);
  CHECK(HasLine(text, "github_malformed_objects{repo=\"o/r\",listing=\"dependabot_alerts\"} 1"));
  CHECK(HasLine(text, "github_malformed_objects{repo=\"o/r\",listing=\"code_scanning_alerts\"} 1"));
  const auto warned = [&](const std::string& words) {
    return std::count_if(world.log.warnings.begin(), world.log.warnings.end(),
                         [&](const std::string& line) { return line.find(words) != std::string::npos; });
  };
  CHECK(warned("o/r: 1 open Dependabot alerts have a severity outside") == 1);
  CHECK(warned("o/r: 1 open code scanning alerts have a severity outside") == 1);
}

TEST_CASE("a repository without security features: metrics absent, poll ok, logged once") {
  GithubConfig config;
  config.security_recheck = 30min;
  World world(config);
  world.Set(kDependabot, R"({"message":"Dependabot alerts are disabled for this repository.","status":"403"})", {}, 403);
  world.Set(kCode, R"({"message":"no analysis found","status":"404"})", {}, 404);
  world.Set(kSecrets, R"({"message":"Secret scanning is disabled on this repository.","status":"404"})", {}, 404);
  REQUIRE(world.Poll());
  world.clock.Advance(31min);  // past security_recheck: asked again, still off, not logged again
  auto second = world.Poll();
  REQUIRE(second);
  const std::string text = SnapshotText(*second);
  CHECK(text.find("github_dependabot") == std::string::npos);
  CHECK(text.find("github_code_scanning") == std::string::npos);
  CHECK(text.find("github_secret_scanning") == std::string::npos);
  CHECK(HasLine(text, "github_repo_stars{repo=\"o/r\"} 5"));
  CHECK(world.report.targets() == std::map<std::string, bool>{{"o/r", true}});
  const auto warned = [&](const std::string& feature) {
    return std::count_if(world.log.warnings.begin(), world.log.warnings.end(),
                         [&](const std::string& line) { return line.find(feature) != std::string::npos; });
  };
  CHECK(warned("Dependabot alerts are not available") == 1);
  CHECK(warned("code scanning alerts are not available") == 1);
  CHECK(warned("secret scanning alerts are not available") == 1);
}

TEST_CASE("a security feature found off is asked about again only after security_recheck") {
  GithubConfig config;
  config.security_recheck = 30min;  // (the clock stays within the hour: the issue listing's URL stays the same)
  World world(config);
  world.Set(kCode, R"({"message":"no analysis found","status":"404"})", {}, 404);
  const auto asked = [&] {
    return std::count_if(world.state->requests.begin(), world.state->requests.end(),
                         [](const HttpRequest& r) { return r.url == kCode; });
  };
  REQUIRE(world.Poll());
  CHECK(asked() == 1);
  world.clock.Advance(20min);
  REQUIRE(world.Poll());
  CHECK(asked() == 1);  // each ask costs a point: an organisation's repositories without the feature cost nothing
  world.Set(kCode, "[" + CodeAlertJson("open", "high") + "]");  // turned on meanwhile
  world.clock.Advance(10min);
  const std::string text = world.PollText();
  CHECK(asked() == 2);
  CHECK(HasLine(text, "github_code_scanning_alerts_open{repo=\"o/r\",severity=\"high\"} 1"));
  world.clock.Advance(5min);
  REQUIRE(world.Poll());
  CHECK(asked() == 3);  // on: read every poll again
  world.Set(kCode, R"({"message":"no analysis found","status":"404"})", {}, 404);  // and off again: said again
  world.clock.Advance(5min);
  REQUIRE(world.Poll());
  CHECK(std::count_if(world.log.warnings.begin(), world.log.warnings.end(), [](const std::string& line) {
          return line.find("code scanning alerts are not available") != std::string::npos;
        }) == 2);
}

TEST_CASE("security = false asks for no alerts") {
  GithubConfig config;
  config.security = false;
  World off(config);
  REQUIRE(off.Poll());
  for (const auto& request : off.state->requests) CHECK(request.url.find("alerts") == std::string::npos);
}

TEST_CASE("dependabot_critical_high lists the open critical and high alerts, oldest first") {
  World world;
  const auto& c = world.clock;
  world.Set(kDependabot, "[" + AlertJson(c, 1, "open", "critical", 9 * kD) + "," + AlertJson(c, 2, "open", "high", 20 * kD) +
                             "," + AlertJson(c, 3, "open", "medium", 30 * kD) + "," + AlertJson(c, 4, "open", "low", 31 * kD) +
                             "," + AlertJson(c, 5, "fixed", "critical", 40 * kD, 1 * kD) + "," +
                             AlertJson(c, 6, "open", "critical", 1 * kD) + "]");
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const ItemList& list = World::List(*snapshot, "dependabot_critical_high");
  CHECK(list.metrics ==
        std::vector<std::string>{"github_dependabot_alerts_open", "github_dependabot_alert_oldest_open_seconds"});
  CHECK(list.total == 3);
  REQUIRE(list.items.size() == 3);
  CHECK(list.items[0].id == "#2");
  CHECK(list.items[0].title == "django");
  CHECK(list.items[0].url == "https://github.test/o/r/security/dependabot/2");
  CHECK(list.items[0].since == c.Now() - 20 * kD);
  CHECK(list.items[0].fields == std::vector<std::pair<std::string, std::string>>{{"severity", "high"}});
  CHECK(list.items[1].id == "#1");
  CHECK(list.items[2].id == "#6");
  CHECK(list.items[2].fields == std::vector<std::pair<std::string, std::string>>{{"severity", "critical"}});
}
