// pypistats.org answers (recent, overall) and the weekly sums built on them.
#include "collectors/pypi.h"
#include "tests/fuzz/fuzz_check.h"

using namespace kpi::pypi;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = kpi::fuzz::Text(data, size);
  if (const auto recent = ParseRecent(body)) {
    KPI_FUZZ_CHECK(recent->last_day >= 0 && recent->last_week >= 0 && recent->last_month >= 0);
  }
  if (const auto days = ParseOverall(body)) {
    for (const DailyTotal& day : *days) KPI_FUZZ_CHECK(day.downloads >= 0);
    (void)NewestDay(*days);
    if (const auto prior = PriorWeek(*days)) KPI_FUZZ_CHECK(*prior >= 0);
  }
  return 0;
}
