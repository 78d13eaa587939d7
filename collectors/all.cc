#include "collectors/all.h"

#include "collectors/github.h"
#include "collectors/jira.h"
#include "collectors/stripe.h"

namespace kpi {

std::span<const CollectorFactory> AllCollectorFactories() {
  static constexpr CollectorFactory kFactories[] = {
      {"github", &MakeGithubCollector},
      {"jira", &MakeJiraCollector},
      {"stripe", &MakeStripeCollector},
  };
  return kFactories;
}

}  // namespace kpi
