// PyPI's JSON API answer (a project's newest release) and PEP 503 names.
#include "collectors/pypi.h"
#include "tests/fuzz/fuzz_check.h"

using namespace kpi::pypi;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = kpi::fuzz::Text(data, size);
  (void)ParseProject(body);
  const std::string name = NormalizeName(body);
  KPI_FUZZ_CHECK(NormalizeName(name) == name);
  return 0;
}
