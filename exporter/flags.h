// Command-line flags, in the Prometheus exporter style (--config.file,
// --web.listen-address, ...), plus the subcommand.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace kpi {

struct Flags {
  std::string command;  // "" = serve, "check-config", "rules", "report"
  std::string config_file = "kpi-exporter.toml";
  bool config_file_set = false;  // `rules` uses the built-in defaults without one
  std::string format;  // rules: rulefile (default), prometheusrule or helm; report: markdown (default) or html
  std::vector<std::string> listen_addresses = {":9877"};  // --web.listen-address, repeatable
  std::string telemetry_path = "/metrics";
  std::string log_level = "info";
  std::string log_format = "logfmt";
  // --shard.index / --shard.count: both or neither; they override [exporter] shard_index / shard_count.
  std::optional<int> shard_index;
  std::optional<int> shard_count;
  std::string web_config_file;    // --web.config.file: exporter-toolkit web config (basic auth); empty: none
  bool enable_lifecycle = false;  // --web.enable-lifecycle: allow POST /-/reload
  // --web.external-url: the URL people reach the exporter under (behind a proxy: its public address and path).
  // `rules` builds the alerts' `link` annotations from it; empty: none. Checked by CheckExternalUrl.
  std::string external_url;
  // The report command (exporter/report/): where the values come from and where the review goes.
  std::string prometheus_url;  // --prometheus.url; empty: no comparison, current values from the exporter
  std::string exporter_url;    // --exporter.url: /api/v1/scorecard and /api/v1/items of a running exporter
  std::string range = "7d";    // --range: the review's period, in Prometheus' duration grammar
  std::string time;            // --time: the end of the range (RFC 3339); empty: now
  std::string out;             // --out: the file to write; empty: stdout
  bool help = false;
  bool version = false;
};

// Accepts "--flag=value" and "--flag value". Errors name the offending flag.
tl::expected<Flags, std::string> ParseFlags(const std::vector<std::string>& args);

// An absolute http(s) URL with a host, without userinfo, query or fragment, of URL characters only (no
// quote or brace: it goes into YAML and Prometheus templates as is). The error says what is wrong.
tl::expected<void, std::string> CheckExternalUrl(std::string_view url);

std::string UsageText();

}  // namespace kpi
