#include "exporter/flags.h"

#include <charconv>
#include <functional>
#include <map>

#include "collectors/common/shard.h"
#include "collectors/common/time_util.h"
#include "exporter/logging.h"

namespace kpi {
namespace {

std::optional<int> ParseBoundedInt(const std::string& text, int min, int max) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
  return value;
}

}  // namespace

tl::expected<void, std::string> CheckExternalUrl(std::string_view url) {
  const std::string_view scheme = url.starts_with("https://") ? "https://" : url.starts_with("http://") ? "http://" : "";
  if (scheme.empty()) return tl::unexpected(std::string("must start with http:// or https://"));
  const std::string_view rest = url.substr(scheme.size());
  const std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string_view::npos) return tl::unexpected(std::string("must not hold a user or password"));
  if (authority.empty() || authority.starts_with(':')) return tl::unexpected(std::string("has no host"));
  if (url.find_first_of("?#") != std::string_view::npos) {
    return tl::unexpected(std::string("must have no query (?) or fragment (#)"));
  }
  static constexpr std::string_view kAllowed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/[]@!$&()*+,;=%";
  if (url.find_first_not_of(kAllowed) != std::string_view::npos) {
    return tl::unexpected("must hold URL characters only (got '" + std::string(1, url[url.find_first_not_of(kAllowed)]) +
                          "'; percent-encode it)");
  }
  return {};
}

tl::expected<Flags, std::string> ParseFlags(const std::vector<std::string>& args) {
  Flags flags;
  std::string shard_index, shard_count;
  std::vector<std::string> listen_addresses;  // --web.listen-address, repeatable
  const std::map<std::string, std::string*> valued = {
      {"--config.file", &flags.config_file},
      {"--web.telemetry-path", &flags.telemetry_path},
      {"--web.config.file", &flags.web_config_file}, {"--log.level", &flags.log_level},
      {"--log.format", &flags.log_format},       {"--format", &flags.format},
      {"--shard.index", &shard_index},           {"--shard.count", &shard_count},
      {"--prometheus.url", &flags.prometheus_url}, {"--exporter.url", &flags.exporter_url},
      {"--range", &flags.range},                 {"--time", &flags.time},
      {"--out", &flags.out},                     {"--web.external-url", &flags.external_url},
  };
  std::vector<std::string> report_flags_seen;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
    } else if (arg == "--version") {
      flags.version = true;
    } else if (arg == "--web.enable-lifecycle") {
      flags.enable_lifecycle = true;
    } else if (arg.starts_with("--")) {
      const auto eq = arg.find('=');
      const std::string name = arg.substr(0, eq);
      const auto target = valued.find(name);
      if (target == valued.end() && name != "--web.listen-address") return tl::unexpected("unknown flag " + name);
      if (name == "--config.file") flags.config_file_set = true;
      if (name == "--prometheus.url" || name == "--exporter.url" || name == "--range" || name == "--time" ||
          name == "--out") {
        report_flags_seen.push_back(name);
      }
      std::string value;
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return tl::unexpected("flag " + name + " needs a value");
      }
      if (name == "--web.listen-address") {
        listen_addresses.push_back(std::move(value));
      } else {
        *target->second = std::move(value);
      }
    } else if (flags.command.empty() && (arg == "check-config" || arg == "rules" || arg == "report")) {
      flags.command = arg;
    } else {
      return tl::unexpected("unexpected argument '" + arg + "'");
    }
  }
  if (!listen_addresses.empty()) flags.listen_addresses = std::move(listen_addresses);
  if (!ParseLogLevel(flags.log_level)) {
    return tl::unexpected("--log.level must be one of debug, info, warn, error (got '" + flags.log_level + "')");
  }
  if (!ParseLogFormat(flags.log_format)) {
    return tl::unexpected("--log.format must be logfmt or json (got '" + flags.log_format + "')");
  }
  if (flags.command == "report") {
    if (flags.format.empty()) flags.format = "markdown";
    if (flags.format != "markdown" && flags.format != "html") {
      return tl::unexpected("--format must be markdown or html for the report command (got '" + flags.format + "')");
    }
    const auto range = ParseDuration(flags.range);
    if (!range || range->count() <= 0) {
      return tl::unexpected("--range must be a duration such as 7d or 30d (got '" + flags.range + "')");
    }
    if (!flags.time.empty() && !ParseTimestamp(flags.time)) {
      return tl::unexpected("--time must be an RFC 3339 timestamp such as 2026-12-01T09:00:00Z (got '" + flags.time +
                            "')");
    }
  } else {
    if (flags.format.empty()) flags.format = "rulefile";
    if (flags.format != "rulefile" && flags.format != "prometheusrule" && flags.format != "helm") {
      return tl::unexpected("--format must be rulefile, prometheusrule or helm (got '" + flags.format + "')");
    }
    if (flags.format != "rulefile" && flags.command != "rules") {
      return tl::unexpected(std::string("--format only applies to the rules and report commands"));
    }
    if (!report_flags_seen.empty()) {
      return tl::unexpected(report_flags_seen.front() + " only applies to the report command");
    }
  }
  if (!flags.external_url.empty()) {
    if (auto checked = CheckExternalUrl(flags.external_url); !checked) {
      // Not echoed: a URL with userinfo would put its password into the error.
      return tl::unexpected("--web.external-url " + checked.error());
    }
  }
  if (!flags.telemetry_path.starts_with("/") || flags.telemetry_path == "/") {
    return tl::unexpected(std::string("--web.telemetry-path must start with / and not be / itself"));
  }
  if (shard_index.empty() != shard_count.empty()) {
    return tl::unexpected(std::string("--shard.index and --shard.count go together"));
  }
  if (!shard_count.empty()) {
    const auto count = ParseBoundedInt(shard_count, 1, kMaxShards);
    if (!count) return tl::unexpected("--shard.count must be a whole number from 1 to 1000 (got '" + shard_count + "')");
    const auto index = ParseBoundedInt(shard_index, 0, *count - 1);
    if (!index) {
      return tl::unexpected("--shard.index must be a whole number from 0 to " + std::to_string(*count - 1) + " (got '" +
                            shard_index + "')");
    }
    flags.shard_count = count;
    flags.shard_index = index;
  }
  return flags;
}

std::string UsageText() {
  return R"(usage: kpi_exporter [command] [flags]

Polls GitHub (and other sources) in the background and serves what it learned
as Prometheus metrics.

Commands:
  (none)            run the exporter
  check-config      validate --config.file and exit: 0 when valid, 2 with file:line:col otherwise
  rules             print the alerting and recording rules, with the thresholds of --config.file
                    ([alerts.*] tables; built-in defaults without --config.file)
  report            write the KPI review of --range: values now and at the range's start, trend,
                    zone, forecast, composite score, and the items behind every red KPI

Flags:
  --config.file=PATH           TOML configuration file (default "kpi-exporter.toml")
  --web.listen-address=ADDR    address to serve on, [host]:port or [v6]:port (default ":9877"; port 0 picks a
                               free port); repeat the flag to serve on several, e.g. 127.0.0.1:9877 and [::1]:9877
  --web.telemetry-path=PATH    path of the metrics page (default "/metrics")
  --web.config.file=FILE       exporter-toolkit web config: basic_auth_users (bcrypt); TLS is refused,
                               terminate it in front (chart: kubeRBACProxy.enabled)
  --web.enable-lifecycle       allow POST /-/reload (off by default, as in Prometheus; SIGHUP always reloads)
  --web.external-url=URL       the URL people reach the exporter under, e.g. https://kpi.example.com/kpi-exporter/
                               (absolute http(s), no user, query or fragment); `rules` gives each alert with
                               items behind it a `link` annotation to that list's page under it (none without)
  --shard.index=N              this process's shard, 0 .. count-1 (with --shard.count; overrides [exporter] shard_index)
  --shard.count=N              processes sharing the config; each polls the repositories whose name hashes to its index
  --log.level=LEVEL            debug, info, warn or error (default "info")
  --log.format=FORMAT          logfmt or json (default "logfmt")
  --format=FORMAT              rules: rulefile (default; for rule_files), prometheusrule (a
                               PrometheusRule object) or helm (the chart's template)
  --prometheus.url=URL         report: the Prometheus that evaluates the kpi:* rules; without it (or
                               when unreachable) the report has the exporter's current values only
  --exporter.url=URL           report: a running exporter (its /api/v1/scorecard and /api/v1/items)
  --range=DURATION             report: the period reviewed, e.g. 7d, 30d (default "7d")
  --time=TIMESTAMP             report: the end of the period, RFC 3339 (default: now)
  --format=FORMAT              report: markdown (default) or html
  --out=FILE                   report: write to FILE instead of standard output
  --version                    print version and exit
  -h, --help                   print this help and exit

Endpoints: / (status page), /metrics, /healthz and /-/healthy, /readyz and /-/ready, POST /-/reload.
Signals: SIGHUP reloads the config; SIGTERM and SIGINT shut down gracefully.
)";
}

}  // namespace kpi
