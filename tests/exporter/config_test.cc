#include "exporter/config.h"

#include <doctest/doctest.h>

#include "collectors/all.h"

using namespace kpi;
using namespace std::chrono_literals;

namespace {

EnvLookup Env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (name == "GITHUB_TOKEN") return std::string("ghp_test_token_value");
    return std::nullopt;
  };
}

tl::expected<Config, ConfigError> Parse(const std::string& text) {
  return ParseConfig(text, "kpi.toml", AllCollectorFactories(), Env());
}

std::string ErrorOf(const std::string& text) {
  auto config = Parse(text);
  REQUIRE_FALSE(config);
  return config.error().ToString();
}

}  // namespace

TEST_CASE("a full GitHub config loads with its settings") {
  auto config = Parse(R"(
[exporter]
max_concurrent_polls = 2
shutdown_timeout = "3s"

[github]
token = "${GITHUB_TOKEN}"
api_url = "https://ghe.example.com/api/v3/"
repos = ["prometheus/prometheus", "acme/widgets"]
orgs = ["acme"]
bug_labels = ["kind/bug"]
interval = "10m"
timeout = "20s"
workflow_runs = 50
)");
  REQUIRE(config);
  CHECK(config->exporter.max_concurrent_polls == 2);
  CHECK(config->exporter.shutdown_timeout == 3s);
  REQUIRE(config->collectors.size() == 1);
  const auto& github = *config->collectors[0];
  CHECK(github.name() == "github");
  CHECK(github.settings().api_url == "https://ghe.example.com/api/v3");
  CHECK(github.settings().interval == 10min);
  CHECK(github.settings().timeout == 20s);
  CHECK(github.http_options().authorization == "Bearer ghp_test_token_value");
  CHECK(config->secrets == std::vector<std::string>{"ghp_test_token_value"});
}

TEST_CASE("GitHub defaults") {
  auto config = Parse("[github]\nrepos = [\"a/b\"]\n");
  REQUIRE(config);
  const auto& github = *config->collectors[0];
  CHECK(github.settings().api_url == "https://api.github.com");
  CHECK(github.settings().interval == 5min);
  CHECK(github.http_options().authorization.empty());
  CHECK(github.http_options().max_requests_per_minute == 900);  // GitHub's secondary limit for REST
}

TEST_CASE("[github] rest_requests_per_minute paces REST requests, and 0 leaves them unpaced (GHES without limits)") {
  for (const auto& [value, paced] : std::vector<std::pair<std::string, int>>{{"0", 0}, {"300", 300}, {"5000", 5000}}) {
    auto config = Parse("[github]\nrepos = [\"a/b\"]\nrest_requests_per_minute = " + value + "\n");
    REQUIRE(config);
    CHECK(config->collectors[0]->http_options().max_requests_per_minute == paced);
  }
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"]\nrest_requests_per_minute = -1\n") ==
        "kpi.toml:3:28: 'rest_requests_per_minute' in [github] must be an integer from 0 to 100000");
}

TEST_CASE("[exporter] default_interval applies to sources without their own interval") {
  auto config = Parse("[github]\nrepos = [\"a/b\"]\n[exporter]\ndefault_interval = \"2m\"\n");
  REQUIRE(config);
  CHECK(config->collectors[0]->settings().interval == 2min);
  auto own = Parse("[exporter]\ndefault_interval = \"2m\"\n[github]\nrepos = [\"a/b\"]\ninterval = \"7m\"\n");
  REQUIRE(own);
  CHECK(own->collectors[0]->settings().interval == 7min);
}

TEST_CASE("a collector's fingerprint changes exactly when its configuration does") {
  const auto fingerprints = [](const std::string& text, const std::string& token = "ghp_test_token_value") {
    const EnvLookup env = [token](const std::string&) -> std::optional<std::string> { return token; };
    auto config = ParseConfig(text, "kpi.toml", AllCollectorFactories(), env);
    REQUIRE(config);
    return config->fingerprints;
  };
  const std::string github = "[github]\nrepos = [\"a/b\"]\ntoken = \"${GITHUB_TOKEN}\"\ninterval = \"5m\"\n";
  const std::string pypi = "[pypi]\npackages = [\"x\"]\n";
  const auto base = fingerprints(github + pypi);
  REQUIRE(base.size() == 2);
  CHECK(base.contains("github"));
  CHECK(base.contains("pypi"));
  // Comments, layout, key and section order: the same configuration.
  CHECK(fingerprints("# c\n" + pypi + "\n[github]\ninterval = \"5m\"\ntoken = \"${GITHUB_TOKEN}\"\nrepos = [ \"a/b\" ]\n") ==
        base);
  // A value, a secret from the environment, or the default interval changes only what it configures.
  const auto other_repo = fingerprints("[github]\nrepos = [\"a/c\"]\ntoken = \"${GITHUB_TOKEN}\"\ninterval = \"5m\"\n" + pypi);
  CHECK(other_repo.at("github") != base.at("github"));
  CHECK(other_repo.at("pypi") == base.at("pypi"));
  const auto other_token = fingerprints(github + pypi, "ghp_rotated");
  CHECK(other_token.at("github") != base.at("github"));
  CHECK(other_token.at("pypi") == base.at("pypi"));
  CHECK(fingerprints("[exporter]\ndefault_interval = \"2m\"\n" + github + pypi).at("pypi") != base.at("pypi"));
}

TEST_CASE("an empty file is a valid config with no sources") {
  auto config = Parse("");
  REQUIRE(config);
  CHECK(config->collectors.empty());
}

TEST_CASE("every kind of bad config is an error with file, line and column") {
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"\n") .starts_with("kpi.toml:2:"));  // TOML syntax
  CHECK(ErrorOf("[gitlab]\nrepos = []\n") == "kpi.toml:1:2: unknown section [gitlab]; known sections: exporter, drill_down, alerts, kpi, scorecard, github, jira, stripe, discord, pypi");
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"]\nrepo = \"x\"\n") == "kpi.toml:3:1: unknown key 'repo' in [github]");
  CHECK(ErrorOf("[github]\nrepos = \"a/b\"\n") == "kpi.toml:2:9: 'repos' in [github] must be an array of strings");
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"]\ninterval = \"soon\"\n") ==
        "kpi.toml:3:12: 'interval' in [github] must be a duration such as \"30s\", \"5m\" or \"1h\"");
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"]\ninterval = \"500ms\"\n") ==
        "kpi.toml:3:12: 'interval' in [github] must be from 1s to 7d");
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"]\ninterval = \"8d\"\n") ==
        "kpi.toml:3:12: 'interval' in [github] must be from 1s to 7d");
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"]\ntimeout = \"640000000000h\"\n") ==
        "kpi.toml:3:11: 'timeout' in [github] must be a duration such as \"30s\", \"5m\" or \"1h\"");
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"]\ntimeout = \"0s\"\n") ==
        "kpi.toml:3:11: 'timeout' in [github] must be from 100ms to 10m");
  CHECK(ErrorOf("[alerts.ci_success_ratio]\nthreshold = nan\n") ==
        "kpi.toml:2:13: 'threshold' in [alerts.ci_success_ratio] must be a finite number");
  CHECK(ErrorOf("[alerts.ci_success_ratio]\nthreshold = -inf\n") ==
        "kpi.toml:2:13: 'threshold' in [alerts.ci_success_ratio] must be a finite number");
  CHECK(ErrorOf("[github]\nrepos = [\"not-a-repo\"]\n") ==
        "kpi.toml:2:9: repos entry 'not-a-repo' is not of the form owner/name");
  CHECK(ErrorOf("[github]\nrepos = []\n") == "kpi.toml:2:9: [github] needs at least one entry in 'repos' or 'orgs'");
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"]\napi_url = \"ftp://x\"\n") ==
        "kpi.toml:3:11: 'api_url' in [github] must start with http:// or https://");
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"]\napi_url = \"http://\"\n") ==
        "kpi.toml:3:11: 'api_url' in [github] is not a valid URL with a host");
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"]\napi_url = \"https://git hub.example\"\n") ==
        "kpi.toml:3:11: 'api_url' in [github] is not a valid URL with a host");
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"]\ntoken = \"${NOPE}\"\n") ==
        "kpi.toml:3:9: 'token' in [github] refers to environment variable NOPE, which is not set or empty");
  CHECK(ErrorOf("[exporter]\nmax_concurrent_polls = 0\n") ==
        "kpi.toml:2:24: 'max_concurrent_polls' in [exporter] must be an integer from 1 to 64");
  CHECK(ErrorOf("[exporter]\nlisten = \":1\"\n") == "kpi.toml:2:1: unknown key 'listen' in [exporter]");
  CHECK(ErrorOf("github = 5\n") == "kpi.toml:1:1: 'github' must be a table ([github])");
  CHECK(ErrorOf("[exporter]\nmax_series_per_collector = 0\n") ==
        "kpi.toml:2:28: 'max_series_per_collector' in [exporter] must be an integer from 1 to 10000000");
  CHECK(ErrorOf("[exporter]\nshard_count = 2\nshard_index = 2\n") ==
        "kpi.toml:3:15: 'shard_index' must be less than 'shard_count' (2)");
}

TEST_CASE("every error of a file is reported at once, in file order") {
  // [exporter] is read first (its default_interval applies to the sources) although it stands last
  // here: the report is in file order all the same.
  const std::string text =
      "[github]\nrepos = [\"a/b\"]\ninterval = \"soon\"\nrepo = \"x\"\n"
      "[gitlab]\nx = 1\n"
      "[pypi]\npackages = \"requests\"\n"
      "[alerts.no_such_alert]\nenabled = true\n[alerts.ci_success_ratio]\nthreshold = nan\n"
      "[exporter]\nmax_concurrent_polls = 0\n";
  auto config = Parse(text);
  REQUIRE_FALSE(config);
  CHECK(config.error().more.size() == 6);
  CHECK(config.error().ToString() ==
        "kpi.toml:3:12: 'interval' in [github] must be a duration such as \"30s\", \"5m\" or \"1h\"\n"
        "kpi.toml:4:1: unknown key 'repo' in [github]\n"
        "kpi.toml:5:2: unknown section [gitlab]; known sections: exporter, drill_down, alerts, kpi, scorecard, github, jira, stripe, discord, pypi\n"
        "kpi.toml:8:12: 'packages' in [pypi] must be an array of strings\n"
        "kpi.toml:9:1: unknown alert [alerts.no_such_alert]; known alerts: " +
            config.error().more[3].message.substr(config.error().more[3].message.find("known alerts: ") + 14) +
            "\n"
            "kpi.toml:12:13: 'threshold' in [alerts.ci_success_ratio] must be a finite number\n"
            "kpi.toml:14:24: 'max_concurrent_polls' in [exporter] must be an integer from 1 to 64");
}

TEST_CASE("a missing file is an error naming the file") {
  auto config = LoadConfig("/nonexistent/kpi.toml", AllCollectorFactories(), Env());
  REQUIRE_FALSE(config);
  CHECK(config.error().ToString() == "/nonexistent/kpi.toml: cannot open config file");
}

TEST_CASE("[github.dora] is strict, with file, line and column") {
  const std::string head = "[github]\nrepos = [\"a/b\"]\n[github.dora]\n";
  CHECK(Parse(head + "source = \"releases\"\nincident_labels = [\"sev1\"]\n"));
  CHECK(Parse(head));  // every key has a default
  CHECK(ErrorOf(head + "sorce = \"releases\"\n") == "kpi.toml:4:1: unknown key 'sorce' in [github.dora]");
  CHECK(ErrorOf(head + "source = \"tags\"\n") ==
        "kpi.toml:4:10: 'source' in [github.dora] must be \"deployments\", \"releases\" or \"workflow\", not 'tags'");
  CHECK(ErrorOf(head + "source = \"workflow\"\n") ==
        "kpi.toml:4:10: source = \"workflow\" in [github.dora] needs 'workflow' (a file name such as \"deploy.yml\", "
        "or an id)");
  CHECK(ErrorOf(head + "max_commits_per_deployment = 0\n").starts_with("kpi.toml:4:30: 'max_commits_per_deployment'"));
  CHECK(ErrorOf(head + "lead_time_from = \"merge\"\n") ==
        "kpi.toml:4:18: 'lead_time_from' in [github.dora] must be \"commit\" or \"pull_request\", not 'merge'");
  CHECK(Parse(head + "lead_time_from = \"pull_request\"\n"));
  CHECK(ErrorOf("[github]\nrepos = [\"a/b\"]\nsecurity = \"yes\"\n").starts_with("kpi.toml:3:12: 'security'"));
}

TEST_CASE("[drill_down] max_items: 20 by default, 0 turns the lists off, strict like every section") {
  CHECK(Parse("")->drill_down.max_items == 20);
  CHECK(Parse("[drill_down]\nmax_items = 0\n")->drill_down.max_items == 0);
  CHECK(Parse("[drill_down]\nmax_items = 5\n")->poll_limits().max_items == 5);
  CHECK(ErrorOf("[drill_down]\nmax_items = 1001\n").starts_with("kpi.toml:2:13: "));
  CHECK(ErrorOf("[drill_down]\nmax_items = \"20\"\n").starts_with("kpi.toml:2:13: "));
  CHECK(ErrorOf("[drill_down]\nmax_itemz = 3\n") == "kpi.toml:2:1: unknown key 'max_itemz' in [drill_down]");
}
