#include "collectors/discord.h"

#include <doctest/doctest.h>

#include "collectors/all.h"
#include "exporter/config.h"
#include "tests/support/collector_test_util.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

using namespace kpi;
using namespace kpi::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kApi = "https://discord.test/api/v10";

struct World {
  FakeClock clock;
  std::shared_ptr<FakeTransport::State> state = std::make_shared<FakeTransport::State>();
  RecordingLog log;
  DiscordCollector collector;
  HttpClient http;
  explicit World(DiscordConfig config)
      : collector((config.settings.api_url = kApi, config)),
        http(std::make_unique<FakeTransport>(state), clock, collector.http_options()) {}
  void Set(const std::string& path, std::string body, std::map<std::string, std::string> headers = {}, long status = 200) {
    state->routes[kApi + path] = FakeExchange{{Json(std::move(body), std::move(headers), status)}, 0};
  }
  tl::expected<Snapshot, Error> Poll() {
    PollContext context{clock, log, {}, {}};
    auto result = collector.Poll(http, context);
    report = context.report;
    return result;
  }
  PollReport report;  // of the last poll
};

const char* kGuild = R"({"id":"111","name":"Acme \"Community\"","approximate_member_count":187,"approximate_presence_count":42})";
const char* kInvite =
    R"({"code":"acme","guild":{"id":"222","name":"Acme Users"},"approximate_member_count":95,"approximate_presence_count":7})";

}  // namespace

TEST_CASE("guilds by id with the bot token, invites anonymously") {
  World w(DiscordConfig{{}, "bot-token-xyz", {"111"}, {"acme"}});
  w.Set("/guilds/111?with_counts=true", kGuild);
  w.Set("/invites/acme?with_counts=true", kInvite);
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(HasLine(text, "discord_guild_members{guild=\"111\"} 187"));
  CHECK(HasLine(text, "discord_guild_members_online{guild=\"111\"} 42"));
  CHECK(HasLine(text, "discord_guild_info{guild=\"111\",name=\"Acme \\\"Community\\\"\"} 1"));
  CHECK(HasLine(text, "discord_guild_members{guild=\"222\"} 95"));
  CHECK(HasLine(text, "discord_guild_members_online{guild=\"222\"} 7"));
  CHECK(HasLine(text, "discord_guild_info{guild=\"222\",name=\"Acme Users\"} 1"));
  CHECK(w.report.targets() == std::map<std::string, bool>{{"111", true}, {"acme", true}});
  for (const auto& request : w.state->requests) {
    const bool has_auth = std::any_of(request.headers.begin(), request.headers.end(),
                                      [](const auto& h) { return h.first == "Authorization" && h.second == "Bot bot-token-xyz"; });
    CHECK(has_auth == (request.url.find("/guilds/") != std::string::npos));
  }
}

TEST_CASE("a 429 with a fractional retry_after in the body is waited out, then retried") {
  World w(DiscordConfig{{}, "", {}, {"acme"}});
  w.state->routes[std::string(kApi) + "/invites/acme?with_counts=true"] = FakeExchange{
      {Json(R"({"message":"You are being rate limited.","retry_after":0.347,"global":true})",
            {{"content-type", "application/json"}, {"retry-after", "1"}, {"x-ratelimit-global", "true"}}, 429),
       Json(kInvite)},
      0};
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  CHECK(w.clock.sleeps() == std::vector<std::chrono::milliseconds>{347ms});  // the body's value, not the header's 1s
}

TEST_CASE("an expired invite fails only itself, the guild still reports") {
  World w(DiscordConfig{{}, "bot-token-xyz", {"111"}, {"expired"}});
  w.Set("/guilds/111?with_counts=true", kGuild);
  w.Set("/invites/expired?with_counts=true", R"({"message":"Unknown Invite","code":10006})", {}, 404);
  auto result = w.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "not_found");
  CHECK(result.error().message.starts_with("invite expired: "));
  CHECK(w.report.targets() == std::map<std::string, bool>{{"111", true}, {"expired", false}});
  REQUIRE(result.error().partial);
  CHECK(HasLine(SnapshotText(*result.error().partial), "discord_guild_members{guild=\"111\"} 187"));
}

TEST_CASE("a guild configured by id and reached by invite is reported once") {
  World w(DiscordConfig{{}, "t0ken", {"222"}, {"acme"}});
  w.Set("/guilds/222?with_counts=true", R"({"id":"222","name":"Acme Users","approximate_member_count":96,"approximate_presence_count":8})");
  w.Set("/invites/acme?with_counts=true", kInvite);
  auto snapshot = w.Poll();
  REQUIRE(snapshot);
  CHECK(HasLine(SnapshotText(*snapshot), "discord_guild_members{guild=\"222\"} 96"));
}

TEST_CASE("an answer about another guild fails the guild asked for") {
  World w(DiscordConfig{{}, "bot-token-xyz", {"111"}, {}});
  w.Set("/guilds/111?with_counts=true", R"({"id":"333","name":"Other","approximate_member_count":5,"approximate_presence_count":1})");
  auto result = w.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "parse");
  CHECK(result.error().message == "guild 111: guild: the answer is for guild 333");
  CHECK(w.report.targets() == std::map<std::string, bool>{{"111", false}});
  CHECK(SnapshotText(*result.error().partial).empty());
}

TEST_CASE("a malformed or hostile answer fails only its guild or invite, whose last good values stay") {
  World w(DiscordConfig{{}, "bot-token-xyz", {"111"}, {"acme"}});
  w.Set("/guilds/111?with_counts=true", kGuild);
  w.Set("/invites/acme?with_counts=true", kInvite);
  REQUIRE(w.Poll());
  for (const char* bad : {
           R"({"code":"acme","guild":{"id":"222","name":"Acme Users"},"approximate_member_count":-1,"approximate_presence_count":7})",
           R"({"code":"acme","guild":{"id":"2\"22","name":"x"},"approximate_member_count":1,"approximate_presence_count":1})",
           R"({"code":"acme","type":1,"channel":{"id":"9","type":3},"approximate_member_count":3})",  // a group DM invite
           R"({"code":"acme","guild":{"id":"222","name":"Acme Users"}})",                            // no counts
           "<html>"}) {
    CAPTURE(bad);
    w.Set("/invites/acme?with_counts=true", bad);
    auto result = w.Poll();
    REQUIRE_FALSE(result);
    CHECK(result.error().reason == "parse");
    CHECK(result.error().message.starts_with("invite acme: "));
    CHECK(w.report.targets() == std::map<std::string, bool>{{"111", true}, {"acme", false}});
    REQUIRE(result.error().partial);
    const std::string text = SnapshotText(*result.error().partial);
    CHECK(HasLine(text, "discord_guild_members{guild=\"222\"} 95"));
    CHECK(HasLine(text, "discord_guild_members{guild=\"111\"} 187"));
  }
  CHECK(discord::ParseInvite(R"({"code":"x","type":1,"approximate_member_count":3,"approximate_presence_count":1})")
            .error()
            .message == "invite: the invite is not for a guild");
  CHECK(discord::ParseGuild(R"({"id":"abc","name":"x","approximate_member_count":3,"approximate_presence_count":1})")
            .error()
            .message == "guild: field 'id' is not a guild id");
}

TEST_CASE("Discord config rules") {
  const auto error = [](const std::string& text) {
    auto config = ParseConfig(text, "d.toml", AllCollectorFactories(), [](const std::string&) { return std::nullopt; });
    REQUIRE_FALSE(config);
    return config.error().ToString();
  };
  CHECK(error("[discord]\nguilds = [\"123\"]\n") ==
        "d.toml:2:10: 'guilds' needs a bot 'token' (or 'token_file'); use 'invites' to read public counts without one");
  CHECK(error("[discord]\ninvites = [\"bad code\"]\n") == "d.toml:2:11: invite code 'bad code' is not valid");
  CHECK(error("[discord]\ntoken = \"x\"\nguilds = [\"12a\"]\n") == "d.toml:3:10: guild id '12a' is not a numeric id");
  CHECK(error("[discord]\n") == "d.toml:1:1: [discord] needs at least one entry in 'guilds' or 'invites'");
}
