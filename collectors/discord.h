// Discord collector: member and online counts of guilds, read with a bot
// token (GET /guilds/{id}?with_counts=true) or anonymously through public
// invite codes (GET /invites/{code}?with_counts=true). Discord's 429s
// (retry_after in the body, global limits) are honoured by the HTTP client.
// Each guild id and invite code is a target: one that fails (an expired
// invite, a malformed answer) keeps its last good values and fails alone.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collectors/common/collector.h"
#include "collectors/common/last_good.h"

namespace kpi {

struct DiscordConfig {
  SourceSettings settings;
  std::string token;  // bot token; needed for `guilds` only
  std::vector<std::string> guilds;   // guild ids (snowflakes)
  std::vector<std::string> invites;  // invite codes
};

std::unique_ptr<Collector> MakeDiscordCollector(SectionReader& reader);
// Its metric families and KPI defaults (see collectors/common/output/catalog.h).
SourceCatalog DiscordCatalog();

namespace discord {

struct Guild {
  std::string id;
  std::string name;
  int64_t members = 0;  // approximate_member_count
  int64_t online = 0;   // approximate_presence_count
};

// A guild object, or an invite object (whose guild sits under "guild", with
// the counts beside it). The guild id must be a snowflake and the counts
// non-negative; an invite without a guild (group DM) is an error.
tl::expected<Guild, Error> ParseGuild(std::string_view body);
tl::expected<Guild, Error> ParseInvite(std::string_view body);

}  // namespace discord

class DiscordCollector final : public Collector {
 public:
  explicit DiscordCollector(DiscordConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return "discord"; }
  const SourceSettings& settings() const override { return config_.settings; }
  HttpClientOptions http_options() const override;
  tl::expected<Snapshot, Error> Poll(HttpClient& http, PollContext& context) override;

 private:
  DiscordConfig config_;
  LastGood<discord::Guild> guilds_;  // keyed "guild <id>" / "invite <code>"
};

}  // namespace kpi
