// The config loader: any text as a config file, with every source's factory.
// Environment variables all resolve to one planted secret, which must never
// appear in an error message (config errors are printed and logged).
#include <string>

#include "collectors/all.h"
#include "exporter/config.h"
#include "tests/fuzz/fuzz_check.h"

namespace {
constexpr std::string_view kPlantedSecret = "FUZZ-PLANTED-SECRET-7f3a9c";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = kpi::fuzz::Text(data, size);
  // Secret files would read the machine's files; the fuzzer may name any path.
  if (text.find("_file") != std::string_view::npos) return -1;
  if (text.find(kPlantedSecret) != std::string_view::npos) return -1;
  const kpi::EnvLookup env = [](const std::string&) { return std::optional<std::string>(kPlantedSecret); };
  for (const auto scope : {kpi::ConfigScope::kEverything, kpi::ConfigScope::kAlertsOnly}) {
    const auto config = kpi::ParseConfig(text, "fuzz.toml", kpi::AllCollectorFactories(), env, scope);
    if (!config) {
      const std::string message = config.error().ToString();
      // Only a secret taken from the environment is checked: one written into
      // the file itself may legitimately share text with the rest of the file.
      KPI_FUZZ_CHECK(message.find(kPlantedSecret) == std::string::npos);
      KPI_FUZZ_CHECK(config.error().line >= 0 && config.error().column >= 0);
    }
  }
  return 0;
}
