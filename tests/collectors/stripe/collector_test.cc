// Stripe collector over an in-memory transport: MRR from the answers, the
// requests, caps, malformed objects, failures and config. Every expected
// figure is worked out by hand in the comments, never by calling the code
// under test.
#include "collectors/all.h"
#include "exporter/config.h"
#include "tests/collectors/stripe/answers.h"

using namespace kpi;
using namespace kpi::testing;
using namespace kpi::testing::stripe_answers;

TEST_CASE("MRR: active and past_due subscriptions count, unpaid, trialing, paused and incomplete ones do not") {
  World world;
  world.Subscriptions("active", {Monthly("sub_a", "active", 1000)});
  world.Subscriptions("past_due", {Monthly("sub_p", "past_due", 2000)});
  world.Subscriptions("unpaid", {Monthly("sub_u", "unpaid", 4000)});
  world.Subscriptions("trialing", {Monthly("sub_t", "trialing", 8000).Set("trial_end", N(kNow + 5 * kDay))});
  world.Subscriptions("paused", {Monthly("sub_z", "paused", 16000)});
  world.Subscriptions("incomplete", {Monthly("sub_i", "incomplete", 32000)});
  const auto m = PollOk(world);
  CHECK(m.at("stripe_mrr{currency=\"usd\"}") == 30);  // 1000 + 2000 cents
  for (const char* status : {"active", "past_due", "unpaid", "trialing", "paused", "incomplete"}) {
    CHECK(m.at(std::string("stripe_subscriptions{status=\"") + status + "\"}") == 1);
  }
  // Final statuses are read only back to the window start: no total for them.
  CHECK_FALSE(m.contains("stripe_subscriptions{status=\"canceled\"}"));
  CHECK_FALSE(m.contains("stripe_subscriptions{status=\"incomplete_expired\"}"));
  CHECK(world.report.targets() == std::map<std::string, bool>{{"account", true}});
  CHECK(world.report.truncations().empty());
}

TEST_CASE("MRR: quantities, zero-decimal and three-decimal currencies from the answer") {
  World world;
  world.Subscriptions(
      "active",
      {Sub("sub_j", "active", kNow - 90 * kDay, {Item("si_j", Price("price_j", 5000, "month", 1, "jpy"), 3)}, "jpy"),
       Monthly("sub_k", "active", 12345, kNow - 90 * kDay, "kwd"),
       Sub("sub_u", "active", kNow - 90 * kDay, {Item("si_u", Price("price_u", 120000, "year"), 2)})});
  const auto m = PollOk(world);
  CHECK(m.at("stripe_mrr{currency=\"jpy\"}") == 15000);                    // 5000 x 3 yen, not 150
  CHECK(m.at("stripe_mrr{currency=\"kwd\"}") == doctest::Approx(12.345));  // thousandths, not 123.45
  CHECK(m.at("stripe_mrr{currency=\"usd\"}") == doctest::Approx(200));     // 1200.00 a year x 2 / 12
}

TEST_CASE("MRR: a 20 % forever coupon counts once though discount repeats it, a once coupon not at all") {
  World world;
  const Obj forever = Discount("di_1", PercentOff("forever", "20"));
  world.Subscriptions("active",
                      {WithDiscounts(Monthly("sub_a", "active", 5000), {forever}).Set("discount", forever.json()),
                       WithDiscounts(Monthly("sub_b", "active", 5000, kNow - 90 * kDay, "eur"),
                                     {Discount("di_2", PercentOff("once", "50"))}),
                       // An older subscription with only the deprecated single discount.
                       Monthly("sub_c", "active", 5000, kNow - 900 * kDay, "gbp")
                           .Set("discount", Discount("di_3", PercentOff("forever", "10")).json())});
  const auto m = PollOk(world);
  CHECK(m.at("stripe_mrr{currency=\"usd\"}") == doctest::Approx(40));  // 50.00 x 0.8, not x 0.64
  CHECK(m.at("stripe_mrr{currency=\"eur\"}") == doctest::Approx(50));
  CHECK(m.at("stripe_mrr{currency=\"gbp\"}") == doctest::Approx(45));  // 50.00 x 0.9
}

TEST_CASE("MRR: item discounts and the customer's discount from the answer, amount_off per invoice") {
  World world;
  Obj halved = Item("si_1", Price("price_1", 3000));
  halved.Set("discounts", Array({Discount("di_1", PercentOff("forever", "50"))}));
  const std::string customer_discount = Discount("di_c", PercentOff("forever", "20")).json();
  world.Subscriptions(
      "active",
      {Sub("sub_a", "active", kNow - 90 * kDay, {halved, Item("si_2", Price("price_2", 2000))}),
       Monthly("sub_b", "active", 5000, kNow - 90 * kDay, "eur").Set("customer", Customer(customer_discount).json()),
       WithDiscounts(Monthly("sub_c", "active", 5000, kNow - 90 * kDay, "gbp"),
                     {Discount("di_3", PercentOff("once", "10"))})
           .Set("customer", Customer(customer_discount).json())});
  world.Subscriptions(
      "past_due",
      {WithDiscounts(Monthly("sub_d", "past_due", 4000, kNow - 90 * kDay, "chf"),
                     {Discount("di_4", Coupon("forever").Set("amount_off", "500").Set("currency", Q("chf")))})});
  const auto m = PollOk(world);
  CHECK(m.at("stripe_mrr{currency=\"usd\"}") == doctest::Approx(35));  // 30.00 x 0.5 + 20.00
  CHECK(m.at("stripe_mrr{currency=\"eur\"}") == doctest::Approx(40));  // the customer's 20 % off 50.00
  CHECK(m.at("stripe_mrr{currency=\"gbp\"}") == doctest::Approx(50));  // its own once coupon overrides the customer's
  CHECK(m.at("stripe_mrr{currency=\"chf\"}") == doctest::Approx(35));  // 40.00 - 5.00 each month
}

TEST_CASE("MRR: mrr_discounts all and none") {
  const auto mrr = [](stripe::DiscountPolicy policy) {
    World world(100, policy);
    world.Subscriptions(
        "active", {WithDiscounts(Monthly("sub_a", "active", 5000), {Discount("di_1", PercentOff("forever", "20")),
                                                                    Discount("di_2", PercentOff("once", "10"))})});
    return PollOk(world).at("stripe_mrr{currency=\"usd\"}");
  };
  CHECK(mrr(stripe::DiscountPolicy::kForever) == doctest::Approx(40));  // 50.00 x 0.8
  CHECK(mrr(stripe::DiscountPolicy::kAll) == doctest::Approx(36));      // 50.00 x 0.8 x 0.9
  CHECK(mrr(stripe::DiscountPolicy::kNone) == doctest::Approx(50));
}

TEST_CASE("MRR: a price without unit_amount is billed at unit_amount_decimal") {
  World world;
  Obj price = Price("price_d", 0);
  price.Set("unit_amount", "null").Set("unit_amount_decimal", Q("1234.5"));
  world.Subscriptions("active", {Sub("sub_d", "active", kNow - 90 * kDay, {Item("si_d", price, 2)})});
  CHECK(PollOk(world).at("stripe_mrr{currency=\"usd\"}") == doctest::Approx(24.69));  // 1234.5 x 2 cents
}

TEST_CASE("tiers: tiered prices are read from /v1/prices once per price and poll") {
  World world;
  const std::string graduated_url = std::string(kApi) + "/v1/prices/price_g?expand%5B%5D=tiers";
  const std::string volume_url = std::string(kApi) + "/v1/prices/price_v?expand%5B%5D=tiers";
  world.Set(graduated_url, Tiered("price_g", "graduated", true).json());
  world.Set(volume_url, Tiered("price_v", "volume", true).Set("currency", Q("eur")).json());
  world.Subscriptions(
      "active",
      {Sub("sub_1", "active", kNow - 90 * kDay, {Item("si_1", Tiered("price_g", "graduated", false), 6)}),
       Sub("sub_2", "active", kNow - 90 * kDay, {Item("si_2", Tiered("price_g", "graduated", false), 12)}),
       Sub("sub_3", "active", kNow - 90 * kDay, {Item("si_3", Tiered("price_v", "volume", false), 6)}, "eur")});
  const auto m = PollOk(world);
  // Graduated: 6 -> 5 x 1000 + 800 + 2000 = 7800; 12 -> 5000 + 5 x 800 + 2000 + 2 x 500 = 12000.
  CHECK(m.at("stripe_mrr{currency=\"usd\"}") == doctest::Approx(198));
  // Volume: 6 -> 6 x 800 + 2000 = 6800.
  CHECK(m.at("stripe_mrr{currency=\"eur\"}") == doctest::Approx(68));
  CHECK(world.Requests(graduated_url) == 1);
  CHECK(world.Requests(volume_url) == 1);
}

namespace {

// sub_long: an active subscription whose embedded items list (si_1) has more;
// /v1/subscription_items answers si_1 and si_2 with has_more. Returns that URL.
std::string SetLongSubscription(World& world) {
  const std::string items_url =
      std::string(kApi) +
      "/v1/"
      "subscription_items?subscription=sub_long&limit=100&expand%5B%5D=data.discounts&expand%5B%5D=data.price.tiers";
  const Obj first = Item("si_1", Price("price_1", 1000));
  world.Subscriptions("active",
                      {Sub("sub_long", "active", kNow - 90 * kDay, {first})
                           .Set("items", ListOf({first}, "/v1/subscription_items?subscription=sub_long", true))});
  world.Set(items_url, ListOf({first, Item("si_2", Price("price_2", 2000))}, "/v1/subscription_items", true));
  return items_url;
}

}  // namespace

TEST_CASE("MRR: an items list with has_more is read in full from /v1/subscription_items") {
  World world;
  const std::string items_url = SetLongSubscription(world);
  world.Set(items_url + "&starting_after=si_2",
            ListOf({Item("si_3", Tiered("price_t", "graduated", true), 6)}, "/v1/subscription_items"));
  // 10.00 + 20.00 + 78.00 (6 graduated units, tiers expanded in the listing: no /v1/prices request).
  CHECK(PollOk(world).at("stripe_mrr{currency=\"usd\"}") == doctest::Approx(108));
  CHECK(world.Requests(std::string(kApi) + "/v1/prices/price_t?expand%5B%5D=tiers") == 0);
}

TEST_CASE("completeness: every current status is listed in full however old, canceled ones from the window start") {
  World world;
  world.Subscriptions("active", {Monthly("sub_new", "active", 1000, kNow - 2 * kDay)}, true);
  world.Subscriptions("active", {Monthly("sub_old", "active", 4900, kNow - 5 * 365 * kDay)}, false, "sub_new");
  const auto m = PollOk(world);
  CHECK(m.at("stripe_mrr{currency=\"usd\"}") ==
        doctest::Approx(59));  // 10.00 + 49.00 from a five-year-old subscription
  CHECK(m.at("stripe_subscriptions{status=\"active\"}") == 2);
  std::vector<std::string> urls;
  for (const auto& request : world.state->requests) urls.push_back(request.url);
  const std::string subs = std::string(kApi) + "/v1/subscriptions?status=";
  CHECK(urls ==
        std::vector<std::string>{subs + "active" + kExpand, subs + "active" + kExpand + "&starting_after=sub_new",
                                 subs + "past_due" + kExpand, subs + "unpaid" + kExpand, subs + "trialing" + kExpand,
                                 subs + "paused" + kExpand, subs + "incomplete" + kExpand,
                                 subs + "canceled&current_period_end%5Bgte%5D=1790942400" + kExpand,
                                 subs + "incomplete_expired&created%5Bgte%5D=1790942400" + kExpand,
                                 std::string(kApi) + "/v1/charges?created%5Bgte%5D=1790942400&limit=100"});
}

TEST_CASE("caps: a listing cut by max_pages keeps the last complete values of its series and is reported") {
  World world(1);
  world.Subscriptions("active", {Monthly("sub_a", "active", 4900)});
  world.Subscriptions("canceled", {Ended(Monthly("sub_c", "canceled", 1000), kNow - 5 * kDay)});
  auto m = PollOk(world);
  REQUIRE(m.at("stripe_mrr{currency=\"usd\"}") == 49);
  REQUIRE(m.at("stripe_churn_ratio{window=\"30d\"}") == 0.5);

  // Now a second page: the first alone would give MRR 140.00, 2 active, 2 created and churn 1/3.
  world.Subscriptions(
      "active", {Monthly("sub_b", "active", 7000, kNow - 3 * kDay), Monthly("sub_b2", "active", 7000, kNow - 3 * kDay)},
      true);
  world.Charges({Charge("ch_1", "succeeded", "usd", 2500, 2500, 0, kNow - kHour)});
  m = PollOk(world);
  CHECK(m.at("stripe_mrr{currency=\"usd\"}") == 49);
  CHECK(m.at("stripe_subscriptions{status=\"active\"}") == 1);
  CHECK(m.at("stripe_subscriptions_created{window=\"30d\"}") == 0);
  CHECK(m.at("stripe_churn_ratio{window=\"30d\"}") == 0.5);
  CHECK(m.at("stripe_subscriptions{status=\"past_due\"}") == 0);        // its own listing was complete
  CHECK(m.at("stripe_revenue{currency=\"usd\",window=\"1d\"}") == 25);  // so was the charges listing
  CHECK(world.report.truncations() ==
        std::set<std::pair<std::string, std::string>>{{"account", "subscriptions_active"}});
  CHECK(world.report.targets() == std::map<std::string, bool>{{"account", true}});  // a cut is not a failure

  World fresh(1);
  fresh.Subscriptions("active", {Monthly("sub_b", "active", 7000)}, true);
  m = PollOk(fresh);
  CHECK_FALSE(m.contains("stripe_mrr{currency=\"usd\"}"));
  CHECK_FALSE(m.contains("stripe_subscriptions{status=\"active\"}"));
  CHECK_FALSE(m.contains("stripe_churn_ratio{window=\"30d\"}"));
  CHECK(m.at("stripe_charges{status=\"succeeded\",window=\"30d\"}") == 0);
}

TEST_CASE("caps: a cut items listing keeps the last MRR and is reported as subscription_items") {
  World world(1);
  const std::string items_url = SetLongSubscription(world);
  const auto m = PollOk(world);
  CHECK_FALSE(m.contains("stripe_mrr{currency=\"usd\"}"));
  CHECK(m.at("stripe_subscriptions{status=\"active\"}") == 1);
  CHECK(world.report.truncations() == std::set<std::pair<std::string, std::string>>{{"account", "subscription_items"}});
}

TEST_CASE("malformed: a status or currency outside Stripe's enumerations skips the object and is counted") {
  World world;
  world.Subscriptions("active",
                      {Monthly("sub_ok", "active", 1000), Monthly("sub_cur", "active", 2000, kNow - kDay, "US$"),
                       Monthly("sub_status", "activated", 4000)});
  world.Charges({Charge("ch_ok", "succeeded", "usd", 500, 500, 0, kNow - kHour),
                 Charge("ch_status", "refunded", "usd", 500, 500, 500, kNow - kHour),
                 Charge("ch_cur", "succeeded", "dollars", 500, 500, 0, kNow - kHour)});
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const std::string text = SnapshotText(*snapshot);
  CHECK(text.find("US$") == std::string::npos);
  CHECK(text.find("activated") == std::string::npos);
  CHECK(text.find("dollars") == std::string::npos);
  CHECK(text.find("\"refunded\"") == std::string::npos);
  const auto m = Samples(*snapshot);
  CHECK(m.at("stripe_mrr{currency=\"usd\"}") == 10);
  CHECK(m.at("stripe_subscriptions{status=\"active\"}") == 1);
  CHECK(m.at("stripe_subscriptions_created{window=\"1d\"}") == 0);  // sub_cur was skipped
  CHECK(m.at("stripe_revenue{currency=\"usd\",window=\"1d\"}") == 5);
  CHECK(m.at("stripe_malformed_objects{listing=\"subscriptions_active\"}") == 2);
  CHECK(m.at("stripe_malformed_objects{listing=\"charges\"}") == 2);
  CHECK(m.at("stripe_malformed_objects{listing=\"subscriptions_past_due\"}") == 0);
  REQUIRE(world.log.warnings.size() == 1);  // once per poll, not per object
  CHECK(world.log.warnings[0].find("skipped 4 objects") != std::string::npos);
}

TEST_CASE("parse: a discount left as an ID is an error, never an undiscounted MRR") {
  World world;
  world.Subscriptions("active", {Monthly("sub_a", "active", 5000).Set("discounts", R"(["di_123"])")});
  auto result = world.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "parse");
  CHECK(result.error().message.find("di_123 was not expanded") != std::string::npos);
  CHECK_FALSE(Samples(*result.error().partial).contains("stripe_mrr{currency=\"usd\"}"));
  CHECK(world.report.targets() == std::map<std::string, bool>{{"account", false}});
}

// Issue 16: Stripe documents these amounts as non-negative; a negative one would make MRR or revenue negative.
TEST_CASE("parse: a negative amount, quantity or an impossible percent_off fails the listing, never a negative MRR") {
  const auto fails_with = [](World& world, const std::string& words) {
    auto result = world.Poll();
    REQUIRE_FALSE(result);
    CHECK(result.error().reason == "parse");
    CHECK(result.error().message.find(words) != std::string::npos);
    CHECK_FALSE(Samples(*result.error().partial).contains("stripe_mrr{currency=\"usd\"}"));
  };
  SUBCASE("unit_amount") {
    World world;
    world.Subscriptions("active", {Monthly("sub_a", "active", -5000)});
    fails_with(world, "field 'unit_amount' is negative");
  }
  SUBCASE("quantity") {
    World world;
    world.Subscriptions("active", {Sub("sub_q", "active", kNow - 90 * kDay, {Item("si_q", Price("price_q", 5000, "month"), -2)})});
    fails_with(world, "field 'quantity' is negative");
  }
  SUBCASE("percent_off") {
    World world;
    world.Subscriptions("active", {WithDiscounts(Monthly("sub_a", "active", 5000), {Discount("di_1", PercentOff("forever", "150"))})});
    fails_with(world, "outside Stripe's (0, 100]");
  }
  SUBCASE("charge amount_captured") {
    World world;
    world.Charges({Charge("ch_neg", "succeeded", "usd", 500, -500, 0, kNow - kHour)});
    auto result = world.Poll();
    REQUIRE_FALSE(result);
    CHECK(result.error().message.find("field 'amount_captured' is negative") != std::string::npos);
  }
}

TEST_CASE("target: an invalid key fails the poll without the key, reports the account down and keeps the last values") {
  World world;
  world.Subscriptions("active", {Monthly("sub_j", "active", 5000, kNow - 90 * kDay, "jpy")});
  REQUIRE(world.Poll());
  CHECK(world.report.targets() == std::map<std::string, bool>{{"account", true}});
  world.Set(SubscriptionsUrl("active"),
            R"({"error":{"message":"Invalid API Key provided: rk_test_****cret","type":"invalid_request_error"}})",
            401);
  auto result = world.Poll();
  REQUIRE_FALSE(result);
  CHECK(result.error().reason == "unauthorized");
  CHECK(result.error().message.find("check the configured credentials") != std::string::npos);
  CHECK(result.error().message.find("rk_test_s3cret") == std::string::npos);
  REQUIRE(result.error().partial);
  CHECK(Samples(*result.error().partial).at("stripe_mrr{currency=\"jpy\"}") == 5000);
  CHECK(world.report.targets() == std::map<std::string, bool>{{"account", false}});
}

TEST_CASE("429 answers are honoured with their Retry-After") {
  World world;
  auto& answers = world.state->routes[kChargesUrl].answers;
  answers.insert(answers.begin(), Json(R"({"error":{"type":"rate_limit_error"}})", {{"retry-after", "3"}}, 429));
  REQUIRE(world.Poll());
  CHECK(world.clock.sleeps() == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(3000)});
}

TEST_CASE("the key is sent as a bearer token with a pinned API version") {
  World world;
  REQUIRE(world.Poll());
  REQUIRE(world.state->requests.size() == 9);
  for (const auto& request : world.state->requests) {
    const auto has = [&](const char* name, const char* value) {
      return std::any_of(request.headers.begin(), request.headers.end(),
                         [&](const auto& h) { return h.first == name && h.second == value; });
    };
    CHECK(has("Authorization", "Bearer rk_test_s3cret"));
    CHECK(has("Stripe-Version", "2024-06-20"));
  }
}

TEST_CASE("config: mrr_discounts is forever, all or none, and anything else points at the key") {
  const auto parse = [](const std::string& text) {
    return ParseConfig(text, "s.toml", AllCollectorFactories(),
                       [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
  };
  for (const char* value : {"forever", "all", "none"}) {
    CHECK(parse(std::string("[stripe]\napi_key = \"sk_test_x\"\nmrr_discounts = \"") + value + "\"\n"));
  }
  CHECK(parse("[stripe]\napi_key = \"sk_test_x\"\nmrr_discounts = \"sometimes\"\n").error().ToString() ==
        "s.toml:3:17: 'mrr_discounts' in [stripe] must be \"forever\", \"all\" or \"none\"");
  CHECK(parse("[stripe]\napi_key = \"sk_test_x\"\nmrr_discounts = \"Forever\"\n").error().ToString() ==
        "s.toml:3:17: 'mrr_discounts' in [stripe] must be \"forever\", \"all\" or \"none\"");
  CHECK(parse("[stripe]\napi_key = \"sk_test_x\"\nmrr_discounts = true\n").error().line == 3);
}

// A subscription of `cents` a month for customer `customer`.
static Obj For(const char* customer, Obj subscription) {
  return subscription.Set("customer", Customer().Set("id", Q(customer)).json());
}

TEST_CASE("MRR 30 days ago from start, trial end and end times, and ARPU per paying customer") {
  World world;
  const int64_t then = kNow - 30 * kDay;
  world.Subscriptions(
      "active",
      {For("cus_1", Monthly("sub_old", "active", 1000, kNow - 400 * kDay)),  // then and now
       For("cus_2", Monthly("sub_new", "active", 2000, kNow - 10 * kDay)),   // started inside the window: now only
       // Created before the window, but in its trial at the window's start: now only.
       For("cus_2", Monthly("sub_trial", "active", 16000, kNow - 40 * kDay).Set("trial_end", N(kNow - 25 * kDay))),
       // Created exactly at the window's start: paying then.
       For("cus_4", Monthly("sub_edge", "active", 64000, then))});
  world.Subscriptions(
      "past_due", {For("cus_3", Monthly("sub_due", "past_due", 32000, kNow - 60 * kDay).Set("trial_end", N(kNow - 45 * kDay)))});
  world.Subscriptions(
      "canceled",
      {// Paying at the window's start, canceled inside it: then only.
       For("cus_5", Ended(Monthly("sub_gone", "canceled", 4000, kNow - 400 * kDay), kNow - 5 * kDay)),
       // Started and canceled inside the window: neither.
       For("cus_6", Ended(Monthly("sub_blip", "canceled", 8000, kNow - 20 * kDay), kNow - 3 * kDay)),
       // Ended exactly at the window's start: not paying then.
       For("cus_7", Ended(Monthly("sub_before", "canceled", 128, kNow - 400 * kDay), then))});
  const auto m = PollOk(world);
  // Now: 1000 + 2000 + 16000 + 64000 + 32000 cents = 1150.00.
  CHECK(m.at("stripe_mrr{currency=\"usd\"}") == doctest::Approx(1150));
  // Then: sub_old 1000 + sub_edge 64000 + sub_due 32000 (trial over 45 days ago) + sub_gone 4000 = 1010.00.
  CHECK(m.at("stripe_mrr_prior{currency=\"usd\",window=\"30d\"}") == doctest::Approx(1010));
  // Paying now: cus_1, cus_2 (two subscriptions, one customer), cus_3, cus_4; 1150.00 / 4.
  CHECK(m.at("stripe_customers_paying") == 4);
  CHECK(m.at("stripe_arpu{currency=\"usd\"}") == doctest::Approx(287.5));
  CHECK_FALSE(m.contains("stripe_gross_margin_ratio"));
}

TEST_CASE("MRR prior: a currency paying now and not then had 0, and no subscriptions make no ARPU") {
  World world;
  world.Subscriptions("active", {Monthly("sub_eur", "active", 5000, kNow - 2 * kDay, "eur")});
  auto m = PollOk(world);
  CHECK(m.at("stripe_mrr_prior{currency=\"eur\",window=\"30d\"}") == 0);
  CHECK(m.at("stripe_arpu{currency=\"eur\"}") == 50);
  World empty;
  m = PollOk(empty);
  CHECK(m.at("stripe_customers_paying") == 0);
  CHECK_FALSE(m.contains("stripe_arpu{currency=\"usd\"}"));
  CHECK_FALSE(m.contains("stripe_mrr_prior{currency=\"usd\",window=\"30d\"}"));
}

TEST_CASE("stripe gross_margin is exported for kpi:ltv and checked to be a share") {
  const auto parse = [](const std::string& text) {
    return ParseConfig(text, "s.toml", AllCollectorFactories(),
                       [](const std::string&) -> std::optional<std::string> { return std::string("rk"); });
  };
  CHECK(parse("[stripe]\napi_key = \"rk_x\"\ngross_margin = 0.8\n"));
  CHECK(parse("[stripe]\napi_key = \"rk_x\"\ngross_margin = 1.5\n").error().ToString().starts_with("s.toml:3:16: "));
}

namespace {

const ItemList& ListNamed(const Snapshot& snapshot, const std::string& list) {
  for (const auto& l : snapshot.items()) {
    if (l->list == list) return *l;
  }
  FAIL("no list " << list);
  return *snapshot.items().front();
}

std::string Field(const ListItem& item, const std::string& label) {
  for (const auto& [l, v] : item.fields) {
    if (l == label) return v;
  }
  return "";
}

}  // namespace

TEST_CASE("drill-down: past_due and unpaid oldest first, failed payments newest first, with ids, amounts and dashboard URLs") {
  World world;
  // The customer carries a name and an email: neither may reach a list.
  const std::string customer = Customer().Set("name", Q("Jane Doe")).Set("email", Q("jane@customer.test")).json();
  world.Subscriptions("past_due",
                      {Monthly("sub_p2", "past_due", 2000).Set("current_period_start", N(kNow - 3 * kDay)).Set("customer", customer),
                       Monthly("sub_p1", "past_due", 5000, kNow - 400 * kDay, "eur").Set("current_period_start", N(kNow - 10 * kDay))});
  world.Subscriptions("unpaid", {Monthly("sub_u", "unpaid", 4000).Set("current_period_start", N(kNow - 40 * kDay))});
  world.Charges({Charge("ch_ok", "succeeded", "usd", 2900, 2900, 0, kNow - kDay),
                 Charge("ch_f1", "failed", "usd", 1500, 0, 0, kNow - 5 * kDay),
                 Charge("ch_f2", "failed", "jpy", 1000, 0, 0, kNow - 2 * kDay)});
  const auto snapshot = world.Poll();
  REQUIRE(snapshot);
  const ItemList& past_due = ListNamed(*snapshot, "past_due");
  CHECK(past_due.target == "account");
  CHECK(past_due.total == 2);
  REQUIRE(past_due.items.size() == 2);
  CHECK(past_due.items[0].id == "sub_p1");  // owing for 10 days
  CHECK(past_due.items[0].since == SystemTime(std::chrono::seconds(kNow - 10 * kDay)));
  CHECK(past_due.items[0].url == "https://dashboard.stripe.com/subscriptions/sub_p1");
  CHECK(Field(past_due.items[0], "monthly amount") == "50.00 eur");
  CHECK(Field(past_due.items[1], "monthly amount") == "20.00 usd");
  const ItemList& unpaid = ListNamed(*snapshot, "unpaid");
  REQUIRE(unpaid.items.size() == 1);
  CHECK(unpaid.items[0].since == SystemTime(std::chrono::seconds(kNow - 40 * kDay)));
  const ItemList& failed = ListNamed(*snapshot, "failed_payments");
  CHECK(failed.metrics == std::vector<std::string>{R"(stripe_charges{status="failed",window="30d"})"});
  REQUIRE(failed.items.size() == 2);
  CHECK(failed.items[0].id == "ch_f2");  // 2 days ago: the newest first
  CHECK(Field(failed.items[0], "amount") == "1000 jpy");  // zero-decimal
  CHECK(failed.items[0].url == "https://dashboard.stripe.com/payments/ch_f2");
  CHECK(Field(failed.items[1], "amount") == "15.00 usd");
  for (const auto& list : snapshot->items()) {
    for (const auto& item : list->items) {
      for (const std::string& text : {item.id, item.title, item.url, Field(item, "monthly amount"), Field(item, "amount")}) {
        CHECK(text.find("Jane") == std::string::npos);
        CHECK(text.find("jane@") == std::string::npos);
        CHECK(text.find("cus_") == std::string::npos);
      }
    }
  }
}

TEST_CASE("drill-down: a listing that fails keeps its last list") {
  World world;
  world.Charges({Charge("ch_f1", "failed", "usd", 1500, 0, 0, kNow - 5 * kDay)});
  REQUIRE(world.Poll());
  world.Set(kChargesUrl, "{}", 500);
  const auto failed = world.Poll();
  REQUIRE_FALSE(failed);
  REQUIRE(failed.error().partial);
  CHECK(ListNamed(*failed.error().partial, "failed_payments").items.at(0).id == "ch_f1");
}
