// kpi_dashboard BASE.json [CONFIG.toml]: prints the Grafana dashboard for the
// [[kpi]] of CONFIG, or without them (or without CONFIG) for the default KPIs
// of every source (the chart's copy).
// A build tool beside kpi_exporter: `cmake --build build --target rules` runs it.
#include <fstream>
#include <iostream>
#include <sstream>

#include "collectors/all.h"
#include "exporter/config.h"
#include "exporter/kpi/dashboard.h"
#include "exporter/kpi/kpi_config.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: kpi_dashboard BASE.json [CONFIG.toml]\n";
    return 2;
  }
  std::ifstream file(argv[1], std::ios::binary);
  std::stringstream base;
  base << file.rdbuf();
  if (!file) {
    std::cerr << "kpi_dashboard: cannot read " << argv[1] << "\n";
    return 2;
  }
  kpi::KpiSettings kpis;
  kpis.kpis = kpi::DefaultKpis(kpi::AllCollectorFactories(), [](std::string_view) { return true; });
  if (argc == 3) {
    auto config = kpi::LoadConfig(argv[2], kpi::AllCollectorFactories(), kpi::ProcessEnvironment(),
                                  kpi::ConfigScope::kAlertsOnly);
    if (!config) {
      std::cerr << "kpi_dashboard: " << config.error().ToString() << "\n";
      return 2;
    }
    // Without [[kpi]] the default KPIs of every source, as without a config (like the rules).
    if (!config->kpis.defaults) kpis.kpis = config->kpis.kpis;
    kpis.scorecard = config->kpis.scorecard;
  }
  const auto dashboard = kpi::RenderDashboard(base.str(), kpis);
  if (!dashboard) {
    std::cerr << "kpi_dashboard: " << argv[1] << ": " << dashboard.error() << "\n";
    return 2;
  }
  std::cout << *dashboard;
  return 0;
}
