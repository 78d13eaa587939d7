// Stripe collector over an in-memory transport with hand-built answers. Every
// expected figure is worked out by hand in the comments, never by calling the
// code under test.
#include "collectors/stripe.h"

#include <doctest/doctest.h>

#include "tests/support/collector_test_util.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

using namespace kpi;
using namespace kpi::testing;

namespace {

constexpr const char* kApi = "https://stripe.test";
constexpr int64_t kDay = 86400;

std::string Price(int64_t unit_amount, const char* currency, const char* interval, int count = 1,
                  const char* usage = "licensed") {
  return "{\"unit_amount\":" + std::to_string(unit_amount) + ",\"currency\":\"" + currency +
         "\",\"recurring\":{\"interval\":\"" + interval + "\",\"interval_count\":" + std::to_string(count) +
         ",\"usage_type\":\"" + usage + "\"}}";
}

std::string Sub(const std::string& id, const std::string& status, const char* currency, int64_t created,
                const std::string& items, const std::string& extra = "") {
  return "{\"id\":\"" + id + "\",\"object\":\"subscription\",\"status\":\"" + status + "\",\"currency\":\"" + currency +
         "\",\"created\":" + std::to_string(created) + ",\"items\":{\"object\":\"list\",\"data\":[" + items +
         "],\"has_more\":false}" + extra + "}";
}

std::string Item(const std::string& price, int quantity = 1) {
  return "{\"quantity\":" + std::to_string(quantity) + ",\"price\":" + price + "}";
}

std::string Charge(const std::string& id, const char* status, const char* currency, int64_t amount, int64_t refunded,
                   int64_t created) {
  return "{\"id\":\"" + id + "\",\"status\":\"" + status + "\",\"currency\":\"" + currency +
         "\",\"amount\":" + std::to_string(amount) + ",\"amount_refunded\":" + std::to_string(refunded) +
         ",\"created\":" + std::to_string(created) + "}";
}

struct World {
  FakeClock clock;
  int64_t now = int64_t(ToUnixSeconds(clock.Now()));
  std::shared_ptr<FakeTransport::State> state = std::make_shared<FakeTransport::State>();
  StripeCollector collector{StripeConfig{{kApi, std::chrono::minutes(15), std::chrono::seconds(10)}, "rk_test_s3cret", 100}};
  HttpClient http{std::make_unique<FakeTransport>(state), clock, collector.http_options()};
  RecordingLog log;
  std::string subs_url = std::string(kApi) + "/v1/subscriptions?status=all&limit=100&expand%5B%5D=data.discounts";
  std::string charges_url = std::string(kApi) + "/v1/charges?limit=100&created%5Bgte%5D=" + std::to_string(now - 30 * kDay);

  World() {
    const int64_t day = kDay;
    const std::string page1 = "{\"object\":\"list\",\"has_more\":true,\"data\":[" +
        Sub("sub_1", "active", "usd", now - 90 * day, Item(Price(4900, "usd", "month"))) + "," +
        Sub("sub_2", "active", "usd", now - 90 * day, Item(Price(120000, "usd", "year"), 2),
            ",\"discount\":{\"coupon\":{\"percent_off\":20,\"amount_off\":null}}") + "," +
        Sub("sub_3", "active", "usd", now - 90 * day, Item(Price(1000, "usd", "week")),
            ",\"discounts\":[{\"coupon\":{\"percent_off\":null,\"amount_off\":500,\"currency\":\"usd\"}}]") + "," +
        Sub("sub_4", "active", "jpy", now - 90 * day, Item(Price(5000, "jpy", "month"), 3)) + "," +
        Sub("sub_5", "past_due", "eur", now - 90 * day, Item(Price(9000, "eur", "month", 3))) + "]}";
    const std::string page2 = "{\"object\":\"list\",\"has_more\":false,\"data\":[" +
        Sub("sub_6", "trialing", "usd", now - 3 * day, Item(Price(9900, "usd", "month")),
            ",\"trial_end\":" + std::to_string(now + 11 * day)) + "," +
        Sub("sub_7", "canceled", "usd", now - 60 * day, Item(Price(4900, "usd", "month")),
            ",\"canceled_at\":" + std::to_string(now - 12 * day) + ",\"ended_at\":" + std::to_string(now - 10 * day)) + "," +
        Sub("sub_8", "canceled", "usd", now - 5 * day, Item(Price(4900, "usd", "month")),
            ",\"canceled_at\":" + std::to_string(now - 7200)) + "," +
        Sub("sub_9", "active", "usd", now - 3600, Item(Price(3, "usd", "month", 1, "metered"))) + "]}";
    Set(subs_url, page1);
    Set(subs_url + "&starting_after=sub_5", page2);
    Set(charges_url, "{\"object\":\"list\",\"has_more\":false,\"data\":[" +
                         Charge("ch_1", "succeeded", "usd", 5000, 1000, now - 7200) + "," +
                         Charge("ch_2", "succeeded", "jpy", 3000, 0, now - 5 * day) + "," +
                         Charge("ch_3", "failed", "usd", 2000, 0, now - 3 * 3600) + "," +
                         Charge("ch_4", "pending", "usd", 100, 0, now - 10 * day) + "," +
                         Charge("ch_5", "succeeded", "usd", 10000, 0, now - 20 * day) + "]}");
  }
  void Set(const std::string& url, std::string body, std::map<std::string, std::string> headers = {}, long status = 200) {
    state->routes[url] = FakeExchange{{Json(std::move(body), std::move(headers), status)}, 0};
  }
  tl::expected<Snapshot, Error> Poll() {
    PollContext context{clock, log, {}, {}};
    return collector.Poll(http, context);
  }
};

std::map<std::string, double> Samples(const Snapshot& snapshot) {
  std::map<std::string, double> out;
  for (const auto& family : snapshot.families()) {
    std::string_view text = family.samples;
    while (!text.empty()) {
      const auto end = text.find('\n');
      const auto line = text.substr(0, end);
      const auto space = line.rfind(' ');
      out[std::string(line.substr(0, space))] = std::stod(std::string(line.substr(space + 1)));
      text.remove_prefix(end + 1);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("MRR: intervals, quantities, coupons, zero-decimal currencies, trials and metered items excluded") {
  World world;
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const auto m = Samples(*snapshot);
  // USD: sub_1 $49/month; sub_2 $1200/year x2 = $200/month, 20 % off = $160;
  // sub_3 $10/week = 10*52/12, minus a $5-per-invoice coupon = 5*52/12 = $21.666...;
  // sub_6 is trialing, sub_9 metered: no MRR.
  CHECK(m.at("stripe_mrr{currency=\"usd\"}") == doctest::Approx(49.0 + 160.0 + 5.0 * 52.0 / 12.0));
  // JPY is zero-decimal: 5000 x 3 = 15000 yen, not 150.
  CHECK(m.at("stripe_mrr{currency=\"jpy\"}") == 15000);
  // EUR: past_due counts; 90 EUR every 3 months = 30 EUR a month.
  CHECK(m.at("stripe_mrr{currency=\"eur\"}") == doctest::Approx(30.0));
}

TEST_CASE("subscriptions by status, created, canceled and churn over two pages") {
  World world;
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const auto m = Samples(*snapshot);
  CHECK(m.at("stripe_subscriptions{status=\"active\"}") == 5);  // sub_1-4, sub_9
  CHECK(m.at("stripe_subscriptions{status=\"past_due\"}") == 1);
  CHECK(m.at("stripe_subscriptions{status=\"trialing\"}") == 1);
  CHECK(m.at("stripe_subscriptions{status=\"canceled\"}") == 2);
  CHECK(m.at("stripe_subscriptions{status=\"unpaid\"}") == 0);
  CHECK(m.at("stripe_subscriptions_created{window=\"1d\"}") == 1);   // sub_9
  CHECK(m.at("stripe_subscriptions_created{window=\"30d\"}") == 3);  // sub_6, sub_8, sub_9
  CHECK(m.at("stripe_subscriptions_canceled{window=\"1d\"}") == 1);  // sub_8 (canceled_at stands in for ended_at)
  CHECK(m.at("stripe_subscriptions_canceled{window=\"30d\"}") == 2);
  // Paying 30 days ago: sub_1-5 and sub_7 = 6. Of those, sub_7 ended inside the window.
  // sub_8 began and ended inside the window: canceled, but not churn of a paying base.
  CHECK(m.at("stripe_churn_ratio{window=\"30d\"}") == doctest::Approx(1.0 / 6.0));
}

TEST_CASE("charges by status and revenue net of refunds, per window") {
  World world;
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const auto m = Samples(*snapshot);
  CHECK(m.at("stripe_charges{status=\"succeeded\",window=\"1d\"}") == 1);
  CHECK(m.at("stripe_charges{status=\"succeeded\",window=\"30d\"}") == 3);
  CHECK(m.at("stripe_charges{status=\"failed\",window=\"1d\"}") == 1);
  CHECK(m.at("stripe_charges{status=\"pending\",window=\"1d\"}") == 0);
  CHECK(m.at("stripe_charges{status=\"pending\",window=\"30d\"}") == 1);
  CHECK(m.at("stripe_revenue{currency=\"usd\",window=\"1d\"}") == 40);    // (5000 - 1000) cents
  CHECK(m.at("stripe_revenue{currency=\"usd\",window=\"30d\"}") == 140);  // + 10000 cents
  CHECK(m.at("stripe_revenue{currency=\"jpy\",window=\"30d\"}") == 3000);
  CHECK_FALSE(m.contains("stripe_revenue{currency=\"jpy\",window=\"1d\"}"));
}

TEST_CASE("an invalid key is a clear error without the key, and the last values stay") {
  World world;
  REQUIRE(world.Poll());
  world.Set(world.subs_url, R"({"error":{"message":"Invalid API Key provided: rk_test_****cret","type":"invalid_request_error"}})",
            {}, 401);
  auto result = world.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "unauthorized");
  CHECK(result.error().message.find("check the configured credentials") != std::string::npos);
  CHECK(result.error().message.find("rk_test_s3cret") == std::string::npos);
  REQUIRE(result.error().partial);
  CHECK(Samples(*result.error().partial).at("stripe_mrr{currency=\"jpy\"}") == 15000);
}

TEST_CASE("429 answers are honoured with their Retry-After") {
  World world;
  world.state->routes[world.charges_url].answers.insert(
      world.state->routes[world.charges_url].answers.begin(),
      Json(R"({"error":{"type":"rate_limit_error"}})", {{"retry-after", "3"}}, 429));
  REQUIRE(world.Poll());
  CHECK(world.clock.sleeps() == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(3000)});
}

TEST_CASE("the key is sent as a bearer token with a pinned API version") {
  World world;
  REQUIRE(world.Poll());
  for (const auto& request : world.state->requests) {
    const auto has = [&](const char* name, const char* value) {
      return std::any_of(request.headers.begin(), request.headers.end(),
                         [&](const auto& h) { return h.first == name && h.second == value; });
    };
    CHECK(has("Authorization", "Bearer rk_test_s3cret"));
    CHECK(has("Stripe-Version", "2024-06-20"));
  }
}

TEST_CASE("interval normalisation and currency units") {
  CHECK(*stripe::ChargesPerMonth("year", 1) == doctest::Approx(1.0 / 12));
  CHECK(*stripe::ChargesPerMonth("month", 3) == doctest::Approx(1.0 / 3));
  CHECK(*stripe::ChargesPerMonth("week", 2) == doctest::Approx(52.0 / 24));
  CHECK(*stripe::ChargesPerMonth("day", 1) == doctest::Approx(365.0 / 12));
  CHECK_FALSE(stripe::ChargesPerMonth("fortnight", 1));
  CHECK(stripe::MinorUnitsPerMajor("JPY") == 1);
  CHECK(stripe::MinorUnitsPerMajor("krw") == 1);
  CHECK(stripe::MinorUnitsPerMajor("usd") == 100);
}
