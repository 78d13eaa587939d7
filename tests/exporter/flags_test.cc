#include "exporter/flags.h"
#include "exporter/web/http_server.h"

#include <doctest/doctest.h>

using namespace kpi;

TEST_CASE("defaults follow the Prometheus exporter conventions") {
  auto flags = ParseFlags({});
  REQUIRE(flags);
  CHECK(flags->listen_addresses == std::vector<std::string>{":9877"});
  CHECK(flags->telemetry_path == "/metrics");
  CHECK(flags->log_level == "info");
  CHECK(flags->log_format == "logfmt");
  CHECK(flags->command.empty());
}

TEST_CASE("flags take --name=value and --name value, and the check-config command") {
  auto flags = ParseFlags({"check-config", "--config.file=/etc/kpi.toml", "--web.listen-address", "127.0.0.1:0",
                           "--log.format=json", "--log.level=debug", "--web.telemetry-path=/m"});
  REQUIRE(flags);
  CHECK(flags->command == "check-config");
  CHECK(flags->config_file == "/etc/kpi.toml");
  CHECK(flags->listen_addresses == std::vector<std::string>{"127.0.0.1:0"});
  CHECK(flags->log_format == "json");
  CHECK(flags->log_level == "debug");
  CHECK(flags->telemetry_path == "/m");
}

TEST_CASE("bad flags are errors that name the flag") {
  CHECK(ParseFlags({"--config-file=x"}).error() == "unknown flag --config-file");
  CHECK(ParseFlags({"--config.file"}).error() == "flag --config.file needs a value");
  CHECK(ParseFlags({"--log.level=verbose"}).error().starts_with("--log.level must be"));
  CHECK(ParseFlags({"--log.format=xml"}).error().starts_with("--log.format must be"));
  CHECK(ParseFlags({"--web.telemetry-path=/"}).error().starts_with("--web.telemetry-path"));
  CHECK(ParseFlags({"serve"}).error() == "unexpected argument 'serve'");
}

TEST_CASE("--web.listen-address repeats: every address given replaces the default") {
  auto flags = ParseFlags({"--web.listen-address=127.0.0.1:9877", "--web.listen-address", "[::1]:9877"});
  REQUIRE(flags);
  CHECK(flags->listen_addresses == std::vector<std::string>{"127.0.0.1:9877", "[::1]:9877"});
}

TEST_CASE("help and version") {
  CHECK(ParseFlags({"--help"})->help);
  CHECK(ParseFlags({"-h"})->help);
  CHECK(ParseFlags({"--version"})->version);
  CHECK(UsageText().find("--web.listen-address") != std::string::npos);
}

TEST_CASE("shard flags come in pairs and in range") {
  auto flags = ParseFlags({"--shard.index=2", "--shard.count", "3"});
  REQUIRE(flags);
  CHECK(flags->shard_index == 2);
  CHECK(flags->shard_count == 3);
  CHECK_FALSE(ParseFlags({}).value().shard_count);
  CHECK(ParseFlags({"--shard.index=0"}).error() == "--shard.index and --shard.count go together");
  CHECK(ParseFlags({"--shard.index=3", "--shard.count=3"}).error() ==
        "--shard.index must be a whole number from 0 to 2 (got '3')");
  CHECK(ParseFlags({"--shard.index=0", "--shard.count=0"}).error() ==
        "--shard.count must be a whole number from 1 to 1000 (got '0')");
  CHECK(ParseFlags({"--shard.index=x", "--shard.count=2"}).error() ==
        "--shard.index must be a whole number from 0 to 1 (got 'x')");
}

TEST_CASE("listen addresses that cannot be served are errors, never a crash") {
  CHECK(ParseListenAddress(":9877").value().host.empty());
  CHECK(ParseListenAddress(":9877").value().port == 9877);
  CHECK(ParseListenAddress("127.0.0.1:0").value().host == "127.0.0.1");
  CHECK(ParseListenAddress("[::1]:80").value().host == "::1");
  CHECK(ParseListenAddress("[::]:9877").value().host == "::");
  CHECK(ParseListenAddress("::1:80").error() ==
        "--web.listen-address: an IPv6 address goes in brackets, e.g. [::1]:9877, got '::1:80'");
  CHECK(ParseListenAddress(":99999999999999999999").error() ==
        "--web.listen-address has an invalid port: ':99999999999999999999'");
  CHECK(ParseListenAddress(":65536").error() == "--web.listen-address has an invalid port: ':65536'");
  CHECK(ParseListenAddress("9877").error() == "--web.listen-address must be [host]:port, got '9877'");
}

TEST_CASE("the report command: its flags, defaults, and checks that name the flag") {
  auto flags = ParseFlags({"report", "--prometheus.url=http://p:9090", "--exporter.url", "http://e:9877",
                           "--range=30d", "--time=2026-12-01T09:00:00Z", "--out=review.md"});
  REQUIRE(flags);
  CHECK(flags->command == "report");
  CHECK(flags->format == "markdown");
  CHECK(flags->prometheus_url == "http://p:9090");
  CHECK(flags->exporter_url == "http://e:9877");
  CHECK(flags->range == "30d");
  CHECK(flags->time == "2026-12-01T09:00:00Z");
  CHECK(flags->out == "review.md");
  CHECK(ParseFlags({"report"})->range == "7d");
  CHECK(ParseFlags({"report", "--format=html"})->format == "html");
  CHECK(ParseFlags({"rules"})->format == "rulefile");
  CHECK(ParseFlags({"report", "--format=helm"}).error() ==
        "--format must be markdown or html for the report command (got 'helm')");
  CHECK(ParseFlags({"rules", "--format=html"}).error().starts_with("--format must be rulefile"));
  CHECK(ParseFlags({"report", "--range=soon"}).error().starts_with("--range must be a duration"));
  CHECK(ParseFlags({"report", "--range=0s"}).error().starts_with("--range must be a duration"));
  CHECK(ParseFlags({"report", "--time=yesterday"}).error().starts_with("--time must be an RFC 3339 timestamp"));
  // Report flags elsewhere are mistakes, not silently ignored.
  CHECK(ParseFlags({"--prometheus.url=http://p:9090"}).error() == "--prometheus.url only applies to the report command");
  CHECK(ParseFlags({"rules", "--out=x"}).error() == "--out only applies to the report command");
}

TEST_CASE("the external URL flag: an absolute http(s) URL without user, query or fragment, and errors do not echo it") {
  auto flags = ParseFlags({"rules", "--web.external-url=https://kpi.example.com/kpi-exporter/"});
  REQUIRE(flags);
  CHECK(flags->external_url == "https://kpi.example.com/kpi-exporter/");
  CHECK(ParseFlags({"--web.external-url", "http://10.0.0.5:9877"}));
  CHECK(ParseFlags({})->external_url.empty());
  for (const auto& [url, message] : std::vector<std::pair<std::string, std::string>>{
           {"kpi.example.com/x", "must start with http:// or https://"},
           {"ftp://kpi.example.com/", "must start with http:// or https://"},
           {"/kpi-exporter/", "must start with http:// or https://"},
           {"https://", "has no host"},
           {"https://:9877/", "has no host"},
           {"https://admin:s3cret@kpi.example.com/", "must not hold a user or password"},
           {"https://kpi.example.com/?x=1", "must have no query (?) or fragment (#)"},
           {"https://kpi.example.com/#top", "must have no query (?) or fragment (#)"},
           {"https://kpi.example.com/{{ x }}", "must hold URL characters only (got '{'; percent-encode it)"},
           {"https://kpi.example.com/it's", "must hold URL characters only (got '''; percent-encode it)"},
           {"https://kpi.example.com/a b", "must hold URL characters only (got ' '; percent-encode it)"},
       }) {
    const auto parsed = ParseFlags({"--web.external-url=" + url});
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == "--web.external-url " + message);
    CHECK(parsed.error().find("s3cret") == std::string::npos);
  }
}
