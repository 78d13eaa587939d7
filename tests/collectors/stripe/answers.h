// Stripe answers for the collector tests, shaped as Stripe's own examples for
// the pinned API version 2024-06-20 (openapi/fixtures3.json in
// github.com/stripe/openapi, commit 868e2cc of 2024-08-14: subscription,
// subscription_item, price, discount, coupon, customer, charge): every field
// of the example, with our own values. Each test starts from these objects
// and changes only what it is about. Plus World: the collector over an
// in-memory transport that answers every listing (empty unless a test fills
// it).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collectors/stripe/collector.h"
#include "tests/support/collector_test_util.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

namespace kpi::testing::stripe_answers {

constexpr const char* kApi = "https://stripe.test";
constexpr int64_t kNow = 1793534400;  // 2026-11-01T12:00:00Z, FakeClock's start
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;
constexpr const char* kExpand =
    "&limit=100&expand%5B%5D=data.customer&expand%5B%5D=data.discounts&expand%5B%5D=data.items.data.discounts";
// kNow - 30 days = 1793534400 - 2592000
constexpr const char* kMonthAgo = "1790942400";

inline std::string Q(const std::string& text) { return "\"" + text + "\""; }
inline std::string N(int64_t number) { return std::to_string(number); }

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

inline std::string Array(const std::vector<Obj>& objects) {
  std::string out = "[";
  for (const Obj& o : objects) out += (out.size() > 1 ? "," : "") + o.json();
  return out + "]";
}

inline std::string ListOf(const std::vector<Obj>& objects, const std::string& url, bool has_more = false) {
  return Obj{
      {"object", Q("list")}, {"data", Array(objects)}, {"has_more", has_more ? "true" : "false"}, {"url", Q(url)}}
      .json();
}

inline std::string Recurring(const char* interval, int64_t count, const char* usage = "licensed") {
  return Obj{{"aggregate_usage", "null"}, {"interval", Q(interval)},     {"interval_count", N(count)},
             {"meter", "null"},           {"trial_period_days", "null"}, {"usage_type", Q(usage)}}
      .json();
}

inline Obj Price(const std::string& id, int64_t unit_amount, const char* interval = "month", int64_t count = 1,
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
constexpr const char* kPlan =
    R"({"id":"plan_legacy","object":"plan","active":true,"aggregate_usage":null,"amount":null,)"
    R"("amount_decimal":null,"billing_scheme":"per_unit","created":1715774400,"currency":"usd","interval":"month",)"
    R"("interval_count":1,"livemode":false,"metadata":{},"meter":null,"nickname":null,"product":null,)"
    R"("tiers_mode":null,"transform_usage":null,"trial_period_days":null,"usage_type":"licensed"})";

inline Obj Item(const std::string& id, const Obj& price, int64_t quantity = 1) {
  return Obj{{"id", Q(id)},
             {"object", Q("subscription_item")},
             {"billing_thresholds", "null"},
             {"created", N(kNow - 400 * kDay)},
             {"discounts", "[]"},
             {"metadata", "{}"},
             {"plan", kPlan},
             {"price", price.json()},
             {"quantity", N(quantity)},
             {"subscription", Q("sub_x")},
             {"tax_rates", "[]"}};
}

// A coupon off nothing yet: tests set percent_off, or amount_off and currency.
inline Obj Coupon(const char* duration) {
  return Obj{{"id", Q(std::string("co_") + duration)},
             {"object", Q("coupon")},
             {"amount_off", "null"},
             {"created", N(kNow - 500 * kDay)},
             {"currency", "null"},
             {"duration", Q(duration)},
             {"duration_in_months", std::string(duration) == "repeating" ? "3" : "null"},
             {"livemode", "false"},
             {"max_redemptions", "null"},
             {"metadata", "{}"},
             {"name", Q("a coupon")},
             {"percent_off", "null"},
             {"redeem_by", "null"},
             {"times_redeemed", "1"},
             {"valid", "true"}};
}

inline Obj PercentOff(const char* duration, const char* percent) {
  return Coupon(duration).Set("percent_off", percent);
}

inline Obj Discount(const std::string& id, const Obj& coupon) {
  return Obj{{"id", Q(id)},
             {"object", Q("discount")},
             {"checkout_session", "null"},
             {"coupon", coupon.json()},
             {"customer", Q("cus_1")},
             {"end", "null"},
             {"invoice", "null"},
             {"invoice_item", "null"},
             {"promotion_code", "null"},
             {"start", N(kNow - 100 * kDay)},
             {"subscription", "null"},
             {"subscription_item", "null"}};
}

inline Obj Customer(const std::string& discount = "null") {
  return Obj{{"id", Q("cus_1")},
             {"object", Q("customer")},
             {"address", "null"},
             {"balance", "0"},
             {"created", N(kNow - 900 * kDay)},
             {"currency", Q("usd")},
             {"default_source", "null"},
             {"delinquent", "false"},
             {"description", "null"},
             {"discount", discount},
             {"email", "null"},
             {"invoice_prefix", Q("7FE1103")},
             {"invoice_settings",
              R"({"custom_fields":null,"default_payment_method":null,"footer":null,"rendering_options":null})"},
             {"livemode", "false"},
             {"metadata", "{}"},
             {"name", "null"},
             {"next_invoice_sequence", "1"},
             {"phone", "null"},
             {"preferred_locales", "[]"},
             {"shipping", "null"},
             {"tax_exempt", Q("none")},
             {"test_clock", "null"}};
}

inline Obj Sub(const std::string& id, const char* status, int64_t created, const std::vector<Obj>& items,
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
inline Obj Monthly(const std::string& id, const char* status, int64_t cents, int64_t created = kNow - 400 * kDay,
                   const char* currency = "usd") {
  return Sub(id, status, created, {Item("si_" + id, Price("price_" + id, cents, "month", 1, currency))}, currency);
}

inline Obj Ended(Obj subscription, int64_t ended_at) {
  return subscription.Set("canceled_at", N(ended_at)).Set("ended_at", N(ended_at));
}

inline Obj Charge(const std::string& id, const char* status, const char* currency, int64_t amount, int64_t captured,
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

inline std::string SubscriptionsUrl(const std::string& status) {
  std::string filter;
  if (status == "canceled") filter = std::string("&current_period_end%5Bgte%5D=") + kMonthAgo;
  if (status == "incomplete_expired") filter = std::string("&created%5Bgte%5D=") + kMonthAgo;
  return std::string(kApi) + "/v1/subscriptions?status=" + status + filter + kExpand;
}
inline const std::string kChargesUrl = std::string(kApi) + "/v1/charges?created%5Bgte%5D=" + kMonthAgo + "&limit=100";

struct World {
  FakeClock clock;
  std::shared_ptr<FakeTransport::State> state = std::make_shared<FakeTransport::State>();
  StripeCollector collector;
  HttpClient http;
  RecordingLog log;
  PollReport report;  // of the last poll

  explicit World(int max_pages = 100, stripe::DiscountPolicy policy = stripe::DiscountPolicy::kForever)
      : collector(StripeConfig{
            {kApi, std::chrono::minutes(15), std::chrono::seconds(10)}, "rk_test_s3cret", max_pages, policy}),
        http(std::make_unique<FakeTransport>(state), clock, collector.http_options()) {
    for (const char* status :
         {"active", "past_due", "unpaid", "trialing", "paused", "incomplete", "canceled", "incomplete_expired"}) {
      Subscriptions(status, {});
    }
    Charges({});
  }
  void Set(const std::string& url, std::string body, long status = 200,
           std::map<std::string, std::string> headers = {}) {
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

inline std::map<std::string, double> Samples(const Snapshot& snapshot) {
  std::map<std::string, double> out;
  for (const auto& family : snapshot.families()) {
    const std::string samples = family.samples();
    std::string_view text = samples;
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

inline std::map<std::string, double> PollOk(World& world) {
  auto snapshot = world.Poll();
  REQUIRE(snapshot);
  return Samples(*snapshot);
}

inline Obj Tiered(const std::string& id, const char* mode, bool with_tiers) {
  Obj price = Price(id, 0);
  price.Set("billing_scheme", Q("tiered"))
      .Set("tiers_mode", Q(mode))
      .Set("unit_amount", "null")
      .Set("unit_amount_decimal", "null");
  // 5 units at 10.00, then 5 at 8.00 plus 20.00 for reaching the tier, then 5.00 each.
  if (with_tiers) {
    price.Set(
        "tiers",
        R"([{"flat_amount":null,"flat_amount_decimal":null,"unit_amount":1000,"unit_amount_decimal":"1000","up_to":5},)"
        R"({"flat_amount":2000,"flat_amount_decimal":"2000","unit_amount":800,"unit_amount_decimal":"800","up_to":10},)"
        R"({"flat_amount":null,"flat_amount_decimal":null,"unit_amount":500,"unit_amount_decimal":"500","up_to":null}])");
  }
  return price;
}

inline Obj WithDiscounts(Obj subscription, const std::vector<Obj>& discounts) {
  return subscription.Set("discounts", Array(discounts));
}

}  // namespace kpi::testing::stripe_answers
