#include "exporter/flags.h"

#include <functional>
#include <map>

#include "exporter/logging.h"

namespace kpi {

tl::expected<Flags, std::string> ParseFlags(const std::vector<std::string>& args) {
  Flags flags;
  const std::map<std::string, std::string*> valued = {
      {"--config.file", &flags.config_file},       {"--web.listen-address", &flags.listen_address},
      {"--web.telemetry-path", &flags.telemetry_path}, {"--log.level", &flags.log_level},
      {"--log.format", &flags.log_format},       {"--format", &flags.format},
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
    } else if (arg == "--version") {
      flags.version = true;
    } else if (arg.starts_with("--")) {
      const auto eq = arg.find('=');
      const std::string name = arg.substr(0, eq);
      const auto target = valued.find(name);
      if (target == valued.end()) return tl::unexpected("unknown flag " + name);
      if (name == "--config.file") flags.config_file_set = true;
      if (eq != std::string::npos) {
        *target->second = arg.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        *target->second = args[++i];
      } else {
        return tl::unexpected("flag " + name + " needs a value");
      }
    } else if (flags.command.empty() && (arg == "check-config" || arg == "rules")) {
      flags.command = arg;
    } else {
      return tl::unexpected("unexpected argument '" + arg + "'");
    }
  }
  if (!ParseLogLevel(flags.log_level)) {
    return tl::unexpected("--log.level must be one of debug, info, warn, error (got '" + flags.log_level + "')");
  }
  if (!ParseLogFormat(flags.log_format)) {
    return tl::unexpected("--log.format must be logfmt or json (got '" + flags.log_format + "')");
  }
  if (flags.format != "rulefile" && flags.format != "prometheusrule" && flags.format != "helm") {
    return tl::unexpected("--format must be rulefile, prometheusrule or helm (got '" + flags.format + "')");
  }
  if (flags.format != "rulefile" && flags.command != "rules") {
    return tl::unexpected(std::string("--format only applies to the rules command"));
  }
  if (!flags.telemetry_path.starts_with("/") || flags.telemetry_path == "/") {
    return tl::unexpected(std::string("--web.telemetry-path must start with / and not be / itself"));
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

Flags:
  --config.file=PATH           TOML configuration file (default "kpi-exporter.toml")
  --web.listen-address=ADDR    address to serve on, [host]:port (default ":9877"; port 0 picks a free port)
  --web.telemetry-path=PATH    path of the metrics page (default "/metrics")
  --log.level=LEVEL            debug, info, warn or error (default "info")
  --log.format=FORMAT          logfmt or json (default "logfmt")
  --format=FORMAT              rules: rulefile (default; for rule_files), prometheusrule (a
                               PrometheusRule object) or helm (the chart's template)
  --version                    print version and exit
  -h, --help                   print this help and exit

Endpoints: / (status page), /metrics, /healthz, /readyz, POST /-/reload.
Signals: SIGHUP reloads the config; SIGTERM and SIGINT shut down gracefully.
)";
}

}  // namespace kpi
