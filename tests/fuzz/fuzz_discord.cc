// Discord answers: a guild with counts, or an invite.
#include "collectors/discord.h"
#include "tests/fuzz/fuzz_check.h"

using namespace kpi::discord;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = kpi::fuzz::Text(data, size);
  for (const auto& guild : {ParseGuild(body), ParseInvite(body)}) {
    if (guild) KPI_FUZZ_CHECK(guild->members >= 0 && guild->online >= 0);
  }
  return 0;
}
