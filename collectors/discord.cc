#include "collectors/discord.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "collectors/common/upstream/json.h"
#include "collectors/common/text.h"

namespace kpi {
namespace {

using namespace std::chrono_literals;

// Guild fields from `guild`, counts from `counts` (the same object for a
// guild, the invite around it for an invite). The id becomes a label, so it
// must be a snowflake.
discord::Guild GuildFrom(json::object guild, json::object counts) {
  discord::Guild g{std::string(json::Str(guild, "id")), std::string(json::Str(guild, "name")),
                   json::Count(counts, "approximate_member_count"), json::Count(counts, "approximate_presence_count")};
  if (!ConsistsOf(g.id, ::isdigit)) throw json::JsonError("field 'id' is not a guild id");
  return g;
}

}  // namespace

namespace discord {

tl::expected<Guild, Error> ParseGuild(std::string_view body) {
  return json::ParseJson("guild", [&] {
    simdjson::dom::parser parser;
    const json::object o = json::AsObject(json::Parse(parser, body), "guild");
    return GuildFrom(o, o);
  });
}

tl::expected<Guild, Error> ParseInvite(std::string_view body) {
  return json::ParseJson("invite", [&] {
    simdjson::dom::parser parser;
    const json::object o = json::AsObject(json::Parse(parser, body), "invite");
    // Group DM and friend invites have no guild.
    const auto guild = json::OptObj(o, "guild");
    if (!guild) throw json::JsonError("the invite is not for a guild");
    return GuildFrom(*guild, o);
  });
}

}  // namespace discord

SourceCatalog DiscordCatalog() {
  static constexpr MetricFamilyInfo kFamilies[] = {
      {"discord_guild_members", "gauge", "guild"},
      {"discord_guild_members_online", "gauge", "guild"},
      {"discord_guild_info", "gauge", "guild,name"},
  };
  static constexpr KpiDefault kKpis[] = {
      {"discord_members", "community", "discord_guild_members", "", "sum", "higher", 200},
  };
  return {kFamilies, kKpis};
}
std::unique_ptr<Collector> MakeDiscordCollector(SectionReader& reader) {
  DiscordConfig config;
  config.settings = ReadSourceSettings(reader, {"https://discord.com/api/v10", 5min, 10s});
  config.token = reader.Secret("token").value_or("");
  config.guilds = reader.StringList("guilds");
  config.invites = reader.StringList("invites");
  for (const auto& id : config.guilds) {
    if (reader.ok() && !ConsistsOf(id, ::isdigit)) reader.Fail("guilds", "guild id '" + id + "' is not a numeric id");
  }
  for (const auto& code : config.invites) {
    if (reader.ok() && !ConsistsOf(code, ::isalnum, "-")) reader.Fail("invites", "invite code '" + code + "' is not valid");
  }
  if (reader.ok() && !config.guilds.empty() && config.token.empty()) {
    reader.Fail("guilds", "'guilds' needs a bot 'token' (or 'token_file'); use 'invites' to read public counts without one");
  }
  if (reader.ok() && config.guilds.empty() && config.invites.empty()) {
    reader.Fail("guilds", "[discord] needs at least one entry in 'guilds' or 'invites'");
  }
  if (!reader.ok()) return nullptr;
  return std::make_unique<DiscordCollector>(std::move(config));
}

HttpClientOptions DiscordCollector::http_options() const {
  return BaseHttpOptions(config_.settings, config_.token.empty() ? "" : "Bot " + config_.token);
}

tl::expected<Snapshot, Error> DiscordCollector::Poll(HttpClient& http, PollContext& context) {
  std::vector<Error> errors;
  std::vector<std::string> keys;
  // The target is the configured guild id or invite code; the key keeps the two
  // apart for the last good values (a code may be all digits).
  const auto update = [&](const std::string& target, std::string key, tl::expected<discord::Guild, Error> guild) {
    keys.push_back(std::move(key));
    context.report.Target(target, guild.has_value());
    return guilds_.Update(keys.back(), std::move(guild), errors);
  };
  const std::string api = config_.settings.api_url;
  for (const auto& id : config_.guilds) {
    if (!context.shard.Owns(id)) continue;  // another shard's
    auto guild = http.GetOk(api + "/guilds/" + id + "?with_counts=true")
                     .and_then([](const HttpResponse& r) { return discord::ParseGuild(r.body); })
                     .and_then([&](discord::Guild g) -> tl::expected<discord::Guild, Error> {
                       // The label is the guild's id: an answer about another guild must not stand in for this one.
                       if (g.id != id) return tl::unexpected(Error{"parse", "guild: the answer is for guild " + g.id});
                       return g;
                     });
    if (!update(id, "guild " + id, std::move(guild))) return tl::unexpected(errors.back());
  }
  for (const auto& code : config_.invites) {
    if (!context.shard.Owns(code)) continue;
    // Invites are public: no bot token goes with them.
    auto guild = http.GetOk(api + "/invites/" + code + "?with_counts=true", Credentials::kOmit)
                     .and_then([](const HttpResponse& r) { return discord::ParseInvite(r.body); });
    if (!update(code, "invite " + code, std::move(guild))) return tl::unexpected(errors.back());
  }
  guilds_.Retain(keys);

  SnapshotBuilder b(context.max_series);
  std::set<std::string> seen;  // a guild configured by id and by invite is reported once (by id: listed first)
  for (const auto& key : keys) {
    const auto found = guilds_.values().find(key);
    if (found == guilds_.values().end() || !seen.insert(found->second.id).second) continue;
    const discord::Guild& g = found->second;
    const Labels l{{"guild", g.id}};
    b.Gauge("discord_guild_members", "Approximate member count of the guild.", l, double(g.members));
    b.Gauge("discord_guild_members_online", "Approximate count of members online.", l, double(g.online));
    b.Gauge("discord_guild_info", "The guild's name as a label; always 1.", {{"guild", g.id}, {"name", g.name}}, 1);
  }
  return FinishPoll(std::move(b), errors);
}

}  // namespace kpi
