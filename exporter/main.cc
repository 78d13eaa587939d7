// kpi_exporter: entry point. Parses flags and dispatches to the exporter or a subcommand.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "collectors/all.h"
#include "exporter/rules/alert_rules.h"
#include "exporter/app.h"
#include "exporter/config.h"
#include "exporter/flags.h"
#include "exporter/kpi/kpi_config.h"
#include "exporter/report/report_command.h"
#include "version.h"

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // glibc gives threads that allocate at the same time arenas of their own (up to 8 a core), and each keeps
  // freed memory it cannot hand back: with 8 polling workers over 1000 repositories that cost about 10 MiB of
  // RSS and let it drift from poll to poll (README "Benchmarks"). Two arenas are plenty for an exporter that
  // mostly waits on the network. MALLOC_ARENA_MAX still decides when set.
  if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 2);
#endif
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto flags = kpi::ParseFlags(args);
  if (!flags) {
    std::cerr << "kpi_exporter: " << flags.error() << "\n\n" << kpi::UsageText();
    return 2;
  }
  if (flags->help) {
    std::cout << kpi::UsageText();
    return 0;
  }
  if (flags->version) {
    // The Prometheus exporters' multi-line form (prometheus/common's version.Print).
    std::cout << "kpi_exporter, version " << kpi::kVersion << " (branch: " << kpi::kBranch
              << ", revision: " << kpi::kRevision << ")\n"
              << "  build user:       " << kpi::kBuildUser << "\n"
              << "  build date:       " << kpi::kBuildDate << "\n"
              << "  compiler:         " << kpi::kCompiler << "\n"
              << "  platform:         " << kpi::kPlatform << "\n";
    return 0;
  }
  if (flags->command == "check-config") {
    auto config = kpi::LoadConfig(flags->config_file, kpi::AllCollectorFactories(), kpi::ProcessEnvironment());
    if (!config) {
      // Every error, one per line in file order, then how many.
      std::cerr << config.error().ToString() << "\nkpi_exporter: " << flags->config_file << ": "
                << 1 + config.error().more.size() << " error(s)\n";
      return 2;
    }
    if (config->collectors.empty()) {
      std::string sections;
      for (const auto& factory : kpi::AllCollectorFactories()) sections += " [" + std::string(factory.section) + "]";
      std::cerr << "kpi_exporter: warning: " << flags->config_file << " configures no source (one of" << sections
                << "); /metrics would show only the exporter's own metrics\n";
    }
    std::cout << flags->config_file << ": OK, " << config->collectors.size() << " source(s):";
    for (const auto& collector : config->collectors) std::cout << " " << collector->name();
    std::cout << "\n";
    return 0;
  }
  if (flags->command == "rules") {
    kpi::AlertSettings alerts;
    // Without a config: the default KPIs of every source (the checked-in rules and the chart's); the
    // coverage rule counts only the KPIs an exporter has.
    kpi::KpiSettings kpis;
    kpis.kpis = kpi::DefaultKpis(kpi::AllCollectorFactories(), [](std::string_view) { return true; });
    if (flags->config_file_set) {
      auto config = kpi::LoadConfig(flags->config_file, kpi::AllCollectorFactories(), kpi::ProcessEnvironment(),
                                    kpi::ConfigScope::kAlertsOnly);
      if (!config) {
        std::cerr << "kpi_exporter: " << config.error().ToString() << "\n";
        return 2;
      }
      alerts = config->alerts;
      // Without [[kpi]] the default KPIs of every source, as without a config: coverage counts only an exporter's own.
      if (!config->kpis.defaults) kpis.kpis = config->kpis.kpis;
      kpis.scorecard = config->kpis.scorecard;
    }
    alerts.external_url = flags->external_url;
    const auto format = flags->format == "prometheusrule" ? kpi::RulesFormat::kPrometheusRule
                        : flags->format == "helm"         ? kpi::RulesFormat::kHelmTemplate
                                                          : kpi::RulesFormat::kRuleFile;
    std::cout << kpi::RenderRules(alerts, format, kpis);
    return 0;
  }
  if (flags->command == "report") return kpi::RunReport(*flags, kpi::SystemClock{});
  return kpi::RunExporter(*flags);
}
