// Jira answers (search pages of Cloud and Data Center, approximate counts) and
// the JQL rewriting applied to configured queries.
#include "collectors/jira.h"
#include "tests/fuzz/fuzz_check.h"

using namespace kpi::jira;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = kpi::fuzz::Text(data, size);
  for (const bool cloud : {true, false}) {
    if (const auto page = ParseSearchPage(body, cloud)) {
      if (page->total) KPI_FUZZ_CHECK(*page->total >= 0);
    }
  }
  if (const auto count = ParseApproximateCount(body)) KPI_FUZZ_CHECK(*count >= 0);
  const std::string without = WithoutOrderBy(body);
  KPI_FUZZ_CHECK(without.size() <= body.size());
  (void)Refine(body, kResolvedWindowJql, body);
  return 0;
}
