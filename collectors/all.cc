#include "collectors/all.h"

#include "collectors/github.h"

namespace kpi {

std::span<const CollectorFactory> AllCollectorFactories() {
  static constexpr CollectorFactory kFactories[] = {
      {"github", &MakeGithubCollector},
  };
  return kFactories;
}

}  // namespace kpi
