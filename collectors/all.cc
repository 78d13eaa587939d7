#include "collectors/all.h"

#include "collectors/discord.h"
#include "collectors/github/collector.h"
#include "collectors/jira.h"
#include "collectors/pypi.h"
#include "collectors/stripe/collector.h"

namespace kpi {

std::span<const CollectorFactory> AllCollectorFactories() {
  static constexpr CollectorFactory kFactories[] = {
      {"github", &MakeGithubCollector, &GithubCatalog},
      {"jira", &MakeJiraCollector, &JiraCatalog},
      {"stripe", &MakeStripeCollector, &StripeCatalog},
      {"discord", &MakeDiscordCollector, &DiscordCatalog},
      {"pypi", &MakePypiCollector, &PypiCatalog},
  };
  return kFactories;
}

}  // namespace kpi
