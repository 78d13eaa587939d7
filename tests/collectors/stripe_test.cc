// Stripe collector over an in-memory transport. Every expected figure is
// worked out by hand in the comments, never by calling the code under test.
//
// The answers carry the fields of Stripe's own examples for the pinned API
// version 2024-06-20 (openapi/fixtures3.json in github.com/stripe/openapi,
// commit 868e2cc of 2024-08-14: subscription, subscription_item, price,
// discount, coupon, customer, charge), with our own values.
#include "collectors/stripe.h"

#include <doctest/doctest.h>

#include "collectors/all.h"
#include "exporter/config.h"
#include "tests/support/collector_test_util.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

using namespace kpi;
using namespace kpi::testing;

namespace {

constexpr const char* kApi = "https://stripe.test";
constexpr int64_t kNow = 1793534400;  // 2026-11-01T12:00:00Z, FakeClock's start
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;
constexpr const char* kExpand =
    "&limit=100&expand%5B%5D=data.customer&expand%5B%5D=data.discounts&expand%5B%5D=data.items.data.discounts";
// kNow - 30 days = 1793534400 - 2592000
constexpr const char* kMonthAgo = "1790942400";

std::string Q(const std::string& text) { return "\"" + text + "\""; }
std::string N(int64_t number) { return std::to_string(number); }

// A JSON object whose fields can be replaced: each test starts from a
// vendor-shaped object and changes only what it is about.
class Obj {
 public:
  Obj(std::initializer_list<std::pair<std::string, std::string>> fields) : fields_(fields) {}
  Obj& Set(const std::string& key, std::string raw) {
    for (auto& field : fields_) {
      if (field.first == key) {
        field.second = std::move(raw);
        return *this;
      }
    }
    fields_.emplace_back(key, std::move(raw));
    return *this;
  }
  std::string json() const {
    std::string out = "{";
    for (const auto& [key, raw] : fields_) out += (out.size() > 1 ? "," : "") + Q(key) + ":" + raw;
    return out + "}";
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

std::string Array(const std::vector<Obj>& objects) {
  std::string out = "[";
  for (const Obj& o : objects) out += (out.size() > 1 ? "," : "") + o.json();
  return out + "]";
}

std::string ListOf(const std::vector<Obj>& objects, const std::string& url, bool has_more = false) {
  return Obj{{"object", Q("list")}, {"data", Array(objects)}, {"has_more", has_more ? "true" : "false"}, {"url", Q(url)}}
      .json();
}

std::string Recurring(const char* interval, int64_t count, const char* usage = "licensed") {
  return Obj{{"aggregate_usage", "null"}, {"interval", Q(interval)}, {"interval_count", N(count)},
             {"meter", "null"},           {"trial_period_days", "null"}, {"usage_type", Q(usage)}}
      .json();
}

Obj Price(const std::string& id, int64_t unit_amount, const char* interval = "month", int64_t count = 1,
          const char* currency = "usd") {
  return Obj{{"id", Q(id)},
             {"object", Q("price")},
             {"active", "true"},
             {"billing_scheme", Q("per_unit")},
             {"created", N(kNow - 900 * kDay)},
             {"currency", Q(currency)},
             {"custom_unit_amount", "null"},
             {"livemode", "false"},
             {"lookup_key", "null"},
             {"metadata", "{}"},
             {"nickname", "null"},
             {"product", Q("prod_" + id)},
             {"recurring", Recurring(interval, count)},
             {"tax_behavior", Q("unspecified")},
             {"tiers_mode", "null"},
             {"transform_quantity", "null"},
             {"type", Q("recurring")},
             {"unit_amount", N(unit_amount)},
             {"unit_amount_decimal", Q(N(unit_amount))}};
}

// The legacy plan Stripe still returns beside each item's price (not read).
const std::string kPlan = Obj{{"id", Q("plan_legacy")},  {"object", Q("plan")},      {"active", "true"},
                              {"aggregate_usage", "null"}, {"amount", "null"},        {"amount_decimal", "null"},
                              {"billing_scheme", Q("per_unit")}, {"created", N(kNow - 900 * kDay)},
                              {"currency", Q("usd")},      {"interval", Q("month")},  {"interval_count", "1"},
                              {"livemode", "false"},       {"metadata", "{}"},        {"meter", "null"},
                              {"nickname", "null"},        {"product", "null"},       {"tiers_mode", "null"},
                              {"transform_usage", "null"}, {"trial_period_days", "null"}, {"usage_type", Q("licensed")}}
                              .json();

Obj Item(const std::string& id, const Obj& price, int64_t quantity = 1) {
  return Obj{{"id", Q(id)},          {"object", Q("subscription_item")}, {"billing_thresholds", "null"},
             {"created", N(kNow - 400 * kDay)}, {"discounts", "[]"},     {"metadata", "{}"},
             {"plan", kPlan},        {"price", price.json()},            {"quantity", N(quantity)},
             {"subscription", Q("sub_x")}, {"tax_rates", "[]"}};
}

// A coupon off nothing yet: tests set percent_off, or amount_off and currency.
Obj Coupon(const char* duration) {
  return Obj{{"id", Q(std::string("co_") + duration)}, {"object", Q("coupon")}, {"amount_off", "null"},
             {"created", N(kNow - 500 * kDay)},        {"currency", "null"},    {"duration", Q(duration)},
             {"duration_in_months", std::string(duration) == "repeating" ? "3" : "null"},
             {"livemode", "false"},                    {"max_redemptions", "null"}, {"metadata", "{}"},
             {"name", Q("a coupon")},                  {"percent_off", "null"}, {"redeem_by", "null"},
             {"times_redeemed", "1"},                  {"valid", "true"}};
}

Obj PercentOff(const char* duration, const char* percent) { return Coupon(duration).Set("percent_off", percent); }

Obj Discount(const std::string& id, const Obj& coupon) {
  return Obj{{"id", Q(id)},           {"object", Q("discount")},  {"checkout_session", "null"},
             {"coupon", coupon.json()}, {"customer", Q("cus_1")},  {"end", "null"},
             {"invoice", "null"},       {"invoice_item", "null"},  {"promotion_code", "null"},
             {"start", N(kNow - 100 * kDay)}, {"subscription", "null"}, {"subscription_item", "null"}};
}

Obj Customer(const std::string& discount = "null") {
  return Obj{{"id", Q("cus_1")},      {"object", Q("customer")},  {"address", "null"},
             {"balance", "0"},         {"created", N(kNow - 900 * kDay)}, {"currency", Q("usd")},
             {"default_source", "null"}, {"delinquent", "false"},  {"description", "null"},
             {"discount", discount},   {"email", "null"},          {"invoice_prefix", Q("7FE1103")},
             {"invoice_settings", R"({"custom_fields":null,"default_payment_method":null,"footer":null,"rendering_options":null})"},
             {"livemode", "false"},    {"metadata", "{}"},         {"name", "null"},
             {"next_invoice_sequence", "1"}, {"phone", "null"},    {"preferred_locales", "[]"},
             {"shipping", "null"},     {"tax_exempt", Q("none")},  {"test_clock", "null"}};
}

Obj Sub(const std::string& id, const char* status, int64_t created, const std::vector<Obj>& items,
        const char* currency = "usd") {
  return Obj{{"id", Q(id)},
             {"object", Q("subscription")},
             {"application", "null"},
             {"application_fee_percent", "null"},
             {"automatic_tax", R"({"enabled":false,"liability":null})"},
             {"billing_cycle_anchor", N(created)},
             {"billing_cycle_anchor_config", "null"},
             {"billing_thresholds", "null"},
             {"cancel_at", "null"},
             {"cancel_at_period_end", "false"},
             {"canceled_at", "null"},
             {"cancellation_details", R"({"comment":null,"feedback":null,"reason":null})"},
             {"collection_method", Q("charge_automatically")},
             {"created", N(created)},
             {"currency", Q(currency)},
             {"current_period_end", N(kNow + 10 * kDay)},
             {"current_period_start", N(kNow - 20 * kDay)},
             {"customer", Customer().json()},
             {"days_until_due", "null"},
             {"default_payment_method", "null"},
             {"default_source", "null"},
             {"default_tax_rates", "[]"},
             {"description", "null"},
             {"discount", "null"},
             {"discounts", "[]"},
             {"ended_at", "null"},
             {"invoice_settings", R"({"account_tax_ids":null,"issuer":{"type":"self"}})"},
             {"items", ListOf(items, "/v1/subscription_items?subscription=" + id)},
             {"latest_invoice", "null"},
             {"livemode", "false"},
             {"metadata", "{}"},
             {"next_pending_invoice_item_invoice", "null"},
             {"on_behalf_of", "null"},
             {"pause_collection", "null"},
             {"payment_settings",
              R"({"payment_method_options":null,"payment_method_types":null,"save_default_payment_method":null})"},
             {"pending_invoice_item_interval", "null"},
             {"pending_setup_intent", "null"},
             {"pending_update", "null"},
             {"schedule", "null"},
             {"start_date", N(created)},
             {"status", Q(status)},
             {"test_clock", "null"},
             {"transfer_data", "null"},
             {"trial_end", "null"},
             {"trial_settings", R"({"end_behavior":{"missing_payment_method":"create_invoice"}})"},
             {"trial_start", "null"}};
}

// One monthly item at `cents`.
Obj Monthly(const std::string& id, const char* status, int64_t cents, int64_t created = kNow - 400 * kDay,
            const char* currency = "usd") {
  return Sub(id, status, created, {Item("si_" + id, Price("price_" + id, cents, "month", 1, currency))}, currency);
}

Obj Ended(Obj subscription, int64_t ended_at) {
  return subscription.Set("canceled_at", N(ended_at)).Set("ended_at", N(ended_at));
}

Obj Charge(const std::string& id, const char* status, const char* currency, int64_t amount, int64_t captured,
           int64_t refunded, int64_t created) {
  return Obj{{"id", Q(id)},
             {"object", Q("charge")},
             {"amount", N(amount)},
             {"amount_captured", N(captured)},
             {"amount_refunded", N(refunded)},
             {"application", "null"},
             {"application_fee", "null"},
             {"application_fee_amount", "null"},
             {"balance_transaction", "null"},
             {"billing_details", R"({"address":null,"email":null,"name":null,"phone":null})"},
             {"calculated_statement_descriptor", "null"},
             {"captured", captured > 0 ? "true" : "false"},
             {"created", N(created)},
             {"currency", Q(currency)},
             {"customer", Q("cus_1")},
             {"description", "null"},
             {"disputed", "false"},
             {"failure_balance_transaction", "null"},
             {"failure_code", std::string(status) == "failed" ? Q("card_declined") : "null"},
             {"failure_message", "null"},
             {"fraud_details", "{}"},
             {"invoice", "null"},
             {"livemode", "false"},
             {"metadata", "{}"},
             {"on_behalf_of", "null"},
             {"outcome", "null"},
             {"paid", std::string(status) == "succeeded" ? "true" : "false"},
             {"payment_intent", "null"},
             {"payment_method", Q("pm_1")},
             {"payment_method_details", R"({"type":"card","card":{"brand":"visa","last4":"4242"}})"},
             {"receipt_email", "null"},
             {"receipt_number", "null"},
             {"receipt_url", "null"},
             {"refunded", refunded > 0 && refunded == amount ? "true" : "false"},
             {"review", "null"},
             {"shipping", "null"},
             {"source", "null"},
             {"source_transfer", "null"},
             {"statement_descriptor", "null"},
             {"statement_descriptor_suffix", "null"},
             {"status", Q(status)},
             {"transfer_data", "null"},
             {"transfer_group", "null"}};
}

std::string SubscriptionsUrl(const std::string& status) {
  std::string filter;
  if (status == "canceled") filter = std::string("&current_period_end%5Bgte%5D=") + kMonthAgo;
  if (status == "incomplete_expired") filter = std::string("&created%5Bgte%5D=") + kMonthAgo;
  return std::string(kApi) + "/v1/subscriptions?status=" + status + filter + kExpand;
}
const std::string kChargesUrl = std::string(kApi) + "/v1/charges?created%5Bgte%5D=" + kMonthAgo + "&limit=100";

struct World {
  FakeClock clock;
  std::shared_ptr<FakeTransport::State> state = std::make_shared<FakeTransport::State>();
  StripeCollector collector;
  HttpClient http;
  RecordingLog log;
  PollReport report;  // of the last poll

  explicit World(int max_pages = 100, stripe::DiscountPolicy policy = stripe::DiscountPolicy::kForever)
      : collector(StripeConfig{{kApi, std::chrono::minutes(15), std::chrono::seconds(10)}, "rk_test_s3cret", max_pages, policy}),
        http(std::make_unique<FakeTransport>(state), clock, collector.http_options()) {
    for (const char* status : {"active", "past_due", "unpaid", "trialing", "paused", "incomplete", "canceled",
                               "incomplete_expired"}) {
      Subscriptions(status, {});
    }
    Charges({});
  }
  void Set(const std::string& url, std::string body, long status = 200, std::map<std::string, std::string> headers = {}) {
    state->routes[url] = FakeExchange{{Json(std::move(body), std::move(headers), status)}, 0};
  }
  void Subscriptions(const std::string& status, const std::vector<Obj>& subs, bool has_more = false,
                     const std::string& cursor = "") {
    Set(SubscriptionsUrl(status) + (cursor.empty() ? "" : "&starting_after=" + cursor),
        ListOf(subs, "/v1/subscriptions", has_more));
  }
  void Charges(const std::vector<Obj>& charges) { Set(kChargesUrl, ListOf(charges, "/v1/charges")); }
  tl::expected<Snapshot, Error> Poll() {
    PollContext context{clock, log, {}, {}};
    auto result = collector.Poll(http, context);
    report = context.report;
    return result;
  }
  size_t Requests(const std::string& url) const {
    return size_t(std::count_if(state->requests.begin(), state->requests.end(),
                                [&](const HttpRequest& r) { return r.url == url; }));
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

std::map<std::string, double> PollOk(World& world) {
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  return Samples(*snapshot);
}

}  // namespace

namespace {

Obj Tiered(const std::string& id, const char* mode, bool with_tiers) {
  Obj price = Price(id, 0);
  price.Set("billing_scheme", Q("tiered")).Set("tiers_mode", Q(mode)).Set("unit_amount", "null").Set("unit_amount_decimal", "null");
  // 5 units at 10.00, then 5 at 8.00 plus 20.00 for reaching the tier, then 5.00 each.
  if (with_tiers) {
    price.Set("tiers",
              R"([{"flat_amount":null,"flat_amount_decimal":null,"unit_amount":1000,"unit_amount_decimal":"1000","up_to":5},)"
              R"({"flat_amount":2000,"flat_amount_decimal":"2000","unit_amount":800,"unit_amount_decimal":"800","up_to":10},)"
              R"({"flat_amount":null,"flat_amount_decimal":null,"unit_amount":500,"unit_amount_decimal":"500","up_to":null}])");
  }
  return price;
}

Obj WithDiscounts(Obj subscription, const std::vector<Obj>& discounts) {
  return subscription.Set("discounts", Array(discounts));
}

}  // namespace

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
  world.Subscriptions("active", {Sub("sub_j", "active", kNow - 90 * kDay, {Item("si_j", Price("price_j", 5000, "month", 1, "jpy"), 3)}, "jpy"),
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
  world.Subscriptions("active", {WithDiscounts(Monthly("sub_a", "active", 5000), {forever}).Set("discount", forever.json()),
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
       WithDiscounts(Monthly("sub_c", "active", 5000, kNow - 90 * kDay, "gbp"), {Discount("di_3", PercentOff("once", "10"))})
           .Set("customer", Customer(customer_discount).json())});
  world.Subscriptions("past_due", {WithDiscounts(Monthly("sub_d", "past_due", 4000, kNow - 90 * kDay, "chf"),
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
    world.Subscriptions("active", {WithDiscounts(Monthly("sub_a", "active", 5000), {Discount("di_1", PercentOff("forever", "20")),
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
  world.Subscriptions("active", {Sub("sub_1", "active", kNow - 90 * kDay, {Item("si_1", Tiered("price_g", "graduated", false), 6)}),
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

TEST_CASE("MRR: an items list with has_more is read in full from /v1/subscription_items") {
  World world;
  const std::string items_url = std::string(kApi) +
      "/v1/subscription_items?subscription=sub_long&limit=100&expand%5B%5D=data.discounts&expand%5B%5D=data.price.tiers";
  const Obj first = Item("si_1", Price("price_1", 1000));
  world.Subscriptions("active", {Sub("sub_long", "active", kNow - 90 * kDay, {first})
                                     .Set("items", ListOf({first}, "/v1/subscription_items?subscription=sub_long", true))});
  world.Set(items_url, ListOf({first, Item("si_2", Price("price_2", 2000))}, "/v1/subscription_items", true));
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
  CHECK(m.at("stripe_mrr{currency=\"usd\"}") == doctest::Approx(59));  // 10.00 + 49.00 from a five-year-old subscription
  CHECK(m.at("stripe_subscriptions{status=\"active\"}") == 2);
  std::vector<std::string> urls;
  for (const auto& request : world.state->requests) urls.push_back(request.url);
  const std::string subs = std::string(kApi) + "/v1/subscriptions?status=";
  CHECK(urls == std::vector<std::string>{
                    subs + "active" + kExpand, subs + "active" + kExpand + "&starting_after=sub_new",
                    subs + "past_due" + kExpand, subs + "unpaid" + kExpand, subs + "trialing" + kExpand,
                    subs + "paused" + kExpand, subs + "incomplete" + kExpand,
                    subs + "canceled&current_period_end%5Bgte%5D=1790942400" + kExpand,
                    subs + "incomplete_expired&created%5Bgte%5D=1790942400" + kExpand,
                    std::string(kApi) + "/v1/charges?created%5Bgte%5D=1790942400&limit=100"});
}

TEST_CASE("churn: the share of subscriptions paying during the 30 days that ended in them") {
  World world;
  world.Subscriptions("active", {Monthly("sub_a1", "active", 1000), Monthly("sub_a2", "active", 1000),
                                 Monthly("sub_a3", "active", 1000)});
  world.Subscriptions("past_due", {Monthly("sub_p", "past_due", 1000)});
  world.Subscriptions("unpaid", {Monthly("sub_u", "unpaid", 1000)});
  world.Subscriptions("trialing", {Monthly("sub_t", "trialing", 1000, kNow - 3 * kDay).Set("trial_end", N(kNow + 11 * kDay))});
  world.Subscriptions(
      "canceled",
      {// Paying for years, canceled 10 days ago: churn, however old.
       Ended(Monthly("sub_c1", "canceled", 1000, kNow - 900 * kDay), kNow - 10 * kDay),
       // Started paying 20 days ago, ended 3 days ago: in both numerator and denominator (as Stripe counts).
       Ended(Monthly("sub_c2", "canceled", 1000, kNow - 20 * kDay), kNow - 3 * kDay),
       // Trial ended 26 days ago, canceled one second later: it paid.
       Ended(Monthly("sub_c6", "canceled", 1000, kNow - 40 * kDay).Set("trial_end", N(kNow - 26 * kDay)), kNow - 26 * kDay + 1),
       // Canceled during its trial, and at the trial's very end: never paid.
       Ended(Monthly("sub_c3", "canceled", 1000, kNow - 5 * kDay).Set("trial_end", N(kNow + 9 * kDay)), kNow - 2 * kDay),
       Ended(Monthly("sub_c5", "canceled", 1000, kNow - 40 * kDay).Set("trial_end", N(kNow - 26 * kDay)), kNow - 26 * kDay),
       // Ended 31 days ago (its period ran on past the window start, so the listing holds it).
       Ended(Monthly("sub_c4", "canceled", 1000, kNow - 900 * kDay).Set("current_period_end", N(kNow - 25 * kDay)),
             kNow - 31 * kDay)});
  const auto m = PollOk(world);
  // Paying during the window: a1-a3, p, c1, c2, c6 = 7; ended: c1, c2, c6 = 3. unpaid and trialing are not paying.
  CHECK(m.at("stripe_churn_ratio{window=\"30d\"}") == doctest::Approx(3.0 / 7.0));
  CHECK(m.at("stripe_subscriptions_canceled{window=\"30d\"}") == 5);  // c1, c2, c3, c5, c6
  CHECK(m.at("stripe_subscriptions_canceled{window=\"1d\"}") == 0);
}

TEST_CASE("churn: no series while no subscription paid in the window") {
  World world;
  world.Subscriptions("trialing", {Monthly("sub_t", "trialing", 1000, kNow - 3 * kDay).Set("trial_end", N(kNow + 11 * kDay))});
  world.Subscriptions("unpaid", {Monthly("sub_u", "unpaid", 1000)});
  const auto m = PollOk(world);
  CHECK_FALSE(m.contains("stripe_churn_ratio{window=\"30d\"}"));
  CHECK_FALSE(m.contains("stripe_mrr{currency=\"usd\"}"));
}

TEST_CASE("windows: subscriptions created 23 h, 25 h, 29 d and 31 d ago, in every listing") {
  World world;
  world.Subscriptions("active", {Monthly("sub_1", "active", 1000, kNow - 23 * kHour), Monthly("sub_2", "active", 1000, kNow - 25 * kHour),
                                 Monthly("sub_3", "active", 1000, kNow - 29 * kDay), Monthly("sub_4", "active", 1000, kNow - 31 * kDay)});
  world.Subscriptions("incomplete_expired", {Monthly("sub_x1", "incomplete_expired", 1000, kNow - 10 * kDay)});
  world.Subscriptions("canceled", {Ended(Monthly("sub_x2", "canceled", 1000, kNow - 2 * kDay), kNow - kHour)});
  const auto m = PollOk(world);
  CHECK(m.at("stripe_subscriptions_created{window=\"1d\"}") == 1);   // sub_1
  CHECK(m.at("stripe_subscriptions_created{window=\"30d\"}") == 5);  // sub_1-3, x1, x2
}

TEST_CASE("windows: subscriptions canceled 23 h, 25 h, 29 d and 31 d ago") {
  World world;
  world.Subscriptions("canceled", {Ended(Monthly("sub_1", "canceled", 1000), kNow - 23 * kHour),
                                   Ended(Monthly("sub_2", "canceled", 1000), kNow - 25 * kHour),
                                   Ended(Monthly("sub_3", "canceled", 1000), kNow - 29 * kDay),
                                   Ended(Monthly("sub_4", "canceled", 1000), kNow - 31 * kDay)});
  const auto m = PollOk(world);
  CHECK(m.at("stripe_subscriptions_canceled{window=\"1d\"}") == 1);
  CHECK(m.at("stripe_subscriptions_canceled{window=\"30d\"}") == 3);
}

TEST_CASE("windows: charges created 23 h, 25 h, 29 d and 31 d ago") {
  World world;
  world.Charges({Charge("ch_1", "succeeded", "usd", 100, 100, 0, kNow - 23 * kHour),
                 Charge("ch_2", "succeeded", "usd", 100, 100, 0, kNow - 25 * kHour),
                 Charge("ch_3", "succeeded", "usd", 100, 100, 0, kNow - 29 * kDay),
                 Charge("ch_4", "succeeded", "usd", 100, 100, 0, kNow - 31 * kDay)});
  const auto m = PollOk(world);
  CHECK(m.at("stripe_charges{status=\"succeeded\",window=\"1d\"}") == 1);
  CHECK(m.at("stripe_charges{status=\"succeeded\",window=\"30d\"}") == 3);
  CHECK(m.at("stripe_revenue{currency=\"usd\",window=\"1d\"}") == 1);
  CHECK(m.at("stripe_revenue{currency=\"usd\",window=\"30d\"}") == 3);
}

TEST_CASE("charges: revenue is the captured amount of succeeded charges net of refunds") {
  World world;
  world.Charges({Charge("ch_refunded", "succeeded", "usd", 5000, 5000, 1000, kNow - 2 * kHour),  // 40.00 kept
                 Charge("ch_uncaptured", "succeeded", "usd", 2500, 0, 0, kNow - 3 * kHour),   // nothing collected yet
                 Charge("ch_expired", "succeeded", "usd", 700, 0, 700, kNow - 4 * kHour),     // released: not -7.00
                 Charge("ch_partial", "succeeded", "usd", 3000, 2000, 0, kNow - 5 * kHour),   // 20.00 of 30.00 captured
                 Charge("ch_failed", "failed", "usd", 9900, 0, 0, kNow - 6 * kHour),
                 Charge("ch_pending", "pending", "usd", 100, 0, 0, kNow - 7 * kHour)});
  const auto m = PollOk(world);
  CHECK(m.at("stripe_revenue{currency=\"usd\",window=\"1d\"}") == 60);
  CHECK(m.at("stripe_charges{status=\"succeeded\",window=\"1d\"}") == 4);
  CHECK(m.at("stripe_charges{status=\"failed\",window=\"1d\"}") == 1);
  CHECK(m.at("stripe_charges{status=\"pending\",window=\"1d\"}") == 1);
  CHECK(m.at("stripe_charges{status=\"failed\",window=\"30d\"}") == 1);
}

TEST_CASE("currency: revenue in zero-decimal and three-decimal currencies") {
  World world;
  world.Charges({Charge("ch_j", "succeeded", "jpy", 3000, 3000, 0, kNow - kHour),
                 Charge("ch_k", "succeeded", "kwd", 1500, 1500, 0, kNow - kHour),
                 Charge("ch_b", "succeeded", "bhd", 2500, 2500, 500, kNow - kHour)});
  const auto m = PollOk(world);
  CHECK(m.at("stripe_revenue{currency=\"jpy\",window=\"1d\"}") == 3000);
  CHECK(m.at("stripe_revenue{currency=\"kwd\",window=\"1d\"}") == doctest::Approx(1.5));
  CHECK(m.at("stripe_revenue{currency=\"bhd\",window=\"1d\"}") == doctest::Approx(2));
}

TEST_CASE("caps: a listing cut by max_pages keeps the last complete values of its series and is reported") {
  World world(1);
  world.Subscriptions("active", {Monthly("sub_a", "active", 4900)});
  world.Subscriptions("canceled", {Ended(Monthly("sub_c", "canceled", 1000), kNow - 5 * kDay)});
  auto m = PollOk(world);
  REQUIRE(m.at("stripe_mrr{currency=\"usd\"}") == 49);
  REQUIRE(m.at("stripe_churn_ratio{window=\"30d\"}") == 0.5);

  // Now a second page: the first alone would give MRR 140.00, 2 active, 2 created and churn 1/3.
  world.Subscriptions("active", {Monthly("sub_b", "active", 7000, kNow - 3 * kDay), Monthly("sub_b2", "active", 7000, kNow - 3 * kDay)},
                      true);
  world.Charges({Charge("ch_1", "succeeded", "usd", 2500, 2500, 0, kNow - kHour)});
  m = PollOk(world);
  CHECK(m.at("stripe_mrr{currency=\"usd\"}") == 49);
  CHECK(m.at("stripe_subscriptions{status=\"active\"}") == 1);
  CHECK(m.at("stripe_subscriptions_created{window=\"30d\"}") == 0);
  CHECK(m.at("stripe_churn_ratio{window=\"30d\"}") == 0.5);
  CHECK(m.at("stripe_subscriptions{status=\"past_due\"}") == 0);          // its own listing was complete
  CHECK(m.at("stripe_revenue{currency=\"usd\",window=\"1d\"}") == 25);    // so was the charges listing
  CHECK(world.report.truncations() == std::set<std::pair<std::string, std::string>>{{"account", "subscriptions_active"}});
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
  const std::string items_url = std::string(kApi) +
      "/v1/subscription_items?subscription=sub_long&limit=100&expand%5B%5D=data.discounts&expand%5B%5D=data.price.tiers";
  const Obj first = Item("si_1", Price("price_1", 1000));
  world.Subscriptions("active", {Sub("sub_long", "active", kNow - 90 * kDay, {first})
                                     .Set("items", ListOf({first}, "/v1/subscription_items?subscription=sub_long", true))});
  world.Set(items_url, ListOf({first, Item("si_2", Price("price_2", 2000))}, "/v1/subscription_items", true));
  const auto m = PollOk(world);
  CHECK_FALSE(m.contains("stripe_mrr{currency=\"usd\"}"));
  CHECK(m.at("stripe_subscriptions{status=\"active\"}") == 1);
  CHECK(world.report.truncations() == std::set<std::pair<std::string, std::string>>{{"account", "subscription_items"}});
}

TEST_CASE("malformed: a status or currency outside Stripe's enumerations skips the object and is counted") {
  World world;
  world.Subscriptions("active", {Monthly("sub_ok", "active", 1000), Monthly("sub_cur", "active", 2000, kNow - kDay, "US$"),
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

TEST_CASE("target: an invalid key fails the poll without the key, reports the account down and keeps the last values") {
  World world;
  world.Subscriptions("active", {Monthly("sub_j", "active", 5000, kNow - 90 * kDay, "jpy")});
  REQUIRE(world.Poll());
  CHECK(world.report.targets() == std::map<std::string, bool>{{"account", true}});
  world.Set(SubscriptionsUrl("active"),
            R"({"error":{"message":"Invalid API Key provided: rk_test_****cret","type":"invalid_request_error"}})", 401);
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
