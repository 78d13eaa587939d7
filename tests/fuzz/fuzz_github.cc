// GitHub REST answers (collectors/github/parse.h): every parser gets every input.
#include "collectors/common/upstream/json.h"
#include "collectors/github/parse.h"
#include "tests/fuzz/fuzz_check.h"

using namespace kpi::github;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = kpi::fuzz::Text(data, size);
  if (const auto repo = ParseRepo(body)) {
    KPI_FUZZ_CHECK(repo->stars >= 0 && repo->forks >= 0 && repo->watchers >= 0);
  }
  if (const auto issues = ParseIssues(body)) {
    for (const Issue& issue : *issues) KPI_FUZZ_CHECK(issue.comments >= 0);
  }
  (void)ParseComments(body);
  (void)ParseWorkflows(body);
  (void)ParseWorkflowRuns(body);
  (void)ParsePullRequests(body);
  (void)ParseRateLimits(body);
  (void)ParseActiveRepoNames(body);
  (void)ParseInstallationId(body);
  (void)ParseInstallationToken(body);
  if (const auto length = kpi::json::ParseArrayLength(body)) KPI_FUZZ_CHECK(*length >= 0);
  return 0;
}
