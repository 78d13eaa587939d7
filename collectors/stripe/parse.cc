#include "collectors/stripe/parse.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <set>

#include "collectors/common/upstream/json.h"

namespace kpi::stripe {
namespace {

using json::JsonError;

constexpr std::array<std::string_view, 8> kSubscriptionStatuses = {
    "active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired", "trialing", "paused"};
constexpr std::array<std::string_view, 3> kChargeStatuses = {"succeeded", "pending", "failed"};

double Decimal(std::string_view text, const std::string& key) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end) throw JsonError("field '" + key + "' is not a decimal number");
  return value;
}

// Stripe documents every amount, quantity and divisor read here as non-negative (refunds and credits are
// objects of their own): a negative one is a wrong answer that would turn MRR negative, so it fails the listing.
template <typename Number>
Number NotNegative(Number value, std::string_view key) {
  if (value < 0) throw JsonError("field '" + std::string(key) + "' is negative; Stripe's amounts never are");
  return value;
}
template <typename Number>
std::optional<Number> NotNegative(std::optional<Number> value, std::string_view key) {
  if (value) NotNegative(*value, key);
  return value;
}

// `key` in integer minor units or, when that is null, `key`_decimal: the same
// as a decimal string, which may hold fractions of a minor unit.
std::optional<double> Amount(json::object o, const std::string& key) {
  if (const auto amount = json::OptInt(o, key)) return double(NotNegative(*amount, key));
  if (const auto decimal = json::OptStr(o, key + "_decimal")) {
    return NotNegative(Decimal(*decimal, key + "_decimal"), key + "_decimal");
  }
  return std::nullopt;
}

Coupon ParseDiscount(json::object discount) {
  // The pinned API version carries the coupon object itself; newer ones put it under source.coupon.
  std::optional<json::object> coupon = json::OptObj(discount, "coupon");
  if (const auto source = json::OptObj(discount, "source"); !coupon && source) coupon = json::OptObj(*source, "coupon");
  if (!coupon) throw JsonError("discount " + std::string(json::Str(discount, "id")) + " has no coupon object");
  const auto percent_off = json::OptNum(*coupon, "percent_off");
  if (percent_off && !(*percent_off > 0 && *percent_off <= 100)) {
    throw JsonError("coupon percent_off " + std::to_string(*percent_off) + " is outside Stripe's (0, 100]");
  }
  return Coupon{std::string(json::Str(*coupon, "duration")), percent_off,
                NotNegative(json::OptInt(*coupon, "amount_off"), "amount_off"),
                std::string(json::OptStr(*coupon, "currency").value_or(""))};
}

// Appends each discount whose id is not in `seen` yet.
void AddDiscount(json::object discount, std::set<std::string>& seen, std::vector<Coupon>& out) {
  if (seen.insert(std::string(json::Str(discount, "id"))).second) out.push_back(ParseDiscount(discount));
}

// A `discounts` array holds IDs unless expanded; an ID says nothing about the amount.
void AddDiscounts(json::array discounts, std::set<std::string>& seen, std::vector<Coupon>& out) {
  for (const json::element element : discounts) {
    std::string_view id;
    if (element.get(id) == simdjson::SUCCESS) throw JsonError("discount " + std::string(id) + " was not expanded");
    AddDiscount(json::AsObject(element, "discount"), seen, out);
  }
}

Price ParsePriceObject(json::object o) {
  Price price;
  price.id = std::string(json::Str(o, "id"));
  if (const auto recurring = json::OptObj(o, "recurring")) {
    price.recurring = true;
    price.interval = std::string(json::Str(*recurring, "interval"));
    price.interval_count = json::Int(*recurring, "interval_count");
    if (!InvoicesPerMonth(price.interval, price.interval_count)) {
      throw JsonError("price " + price.id + " recurs every " + std::to_string(price.interval_count) + " '" +
                      price.interval + "', not a Stripe interval");
    }
    price.metered = json::Str(*recurring, "usage_type") == "metered";
  }
  const std::string_view scheme = json::Str(o, "billing_scheme");
  if (scheme != "per_unit" && scheme != "tiered") throw JsonError("price " + price.id + ": unknown billing_scheme");
  price.tiered = scheme == "tiered";
  const auto mode = json::OptStr(o, "tiers_mode");
  if (price.tiered && mode != "graduated" && mode != "volume") {
    throw JsonError("price " + price.id + ": unknown tiers_mode");
  }
  price.volume = mode == "volume";
  price.unit_amount = Amount(o, "unit_amount");
  if (const auto tiers = json::OptArr(o, "tiers")) {
    price.tiers.emplace();
    for (const json::element element : *tiers) {
      const json::object tier = json::AsObject(element, "tier");
      price.tiers->push_back(Tier{json::OptInt(tier, "up_to"), Amount(tier, "unit_amount").value_or(0),
                                  Amount(tier, "flat_amount").value_or(0)});
    }
  }
  if (const auto transform = json::OptObj(o, "transform_quantity")) {
    price.divide_by = json::Int(*transform, "divide_by");
    if (price.divide_by < 1) throw JsonError("price " + price.id + ": transform_quantity.divide_by below 1");
    price.round_up = json::Str(*transform, "round") == "up";
  }
  return price;
}

Item ParseItem(json::object o) {
  Item item;
  item.price = ParsePriceObject(json::Obj(o, "price"));
  item.quantity = NotNegative(json::OptInt(o, "quantity").value_or(1), "quantity");  // absent on metered items
  std::set<std::string> seen;
  AddDiscounts(json::Arr(o, "discounts"), seen, item.coupons);
  return item;
}

std::optional<Subscription> ParseSubscription(json::object o) {
  Subscription s;
  s.id = std::string(json::Str(o, "id"));
  s.customer = std::string(json::Str(json::Obj(o, "customer"), "id"));  // expanded
  s.status = std::string(json::Str(o, "status"));
  s.currency = std::string(json::Str(o, "currency"));
  s.created = json::Int(o, "created");
  s.ended_at = json::OptInt(o, "ended_at");
  s.trial_end = json::OptInt(o, "trial_end");
  s.current_period_start = json::OptInt(o, "current_period_start");
  const json::object items = json::Obj(o, "items");
  for (const json::element item : json::Arr(items, "data")) s.items.push_back(ParseItem(json::AsObject(item, "item")));
  s.more_items = json::Bool(items, "has_more");
  std::set<std::string> seen;
  AddDiscounts(json::Arr(o, "discounts"), seen, s.coupons);
  // The deprecated single `discount` repeats one of `discounts`, or stands alone on older subscriptions.
  if (const auto discount = json::OptObj(o, "discount")) AddDiscount(*discount, seen, s.coupons);
  // The customer is expanded; a deleted one carries no discount.
  if (const auto discount = json::OptObj(json::Obj(o, "customer"), "discount")) {
    s.customer_coupons.push_back(ParseDiscount(*discount));
  }
  const bool ended_without_time = s.status == "canceled" && !s.ended_at;
  if (!IsSubscriptionStatus(s.status) || !IsCurrencyCode(s.currency) || ended_without_time) return std::nullopt;
  return s;
}

std::optional<Charge> ParseCharge(json::object o) {
  Charge c{std::string(json::OptStr(o, "id").value_or("")),
           std::string(json::Str(o, "status")),
           std::string(json::Str(o, "currency")),
           NotNegative(json::Int(o, "amount_captured"), "amount_captured"),
           NotNegative(json::Int(o, "amount_refunded"), "amount_refunded"),
           json::Bool(o, "captured"),
           json::Int(o, "created"),
           NotNegative(json::OptInt(o, "amount").value_or(0), "amount")};
  const bool known_status =
      std::find(kChargeStatuses.begin(), kChargeStatuses.end(), c.status) != kChargeStatuses.end();
  if (!known_status || !IsCurrencyCode(c.currency)) return std::nullopt;
  return c;
}

template <typename T, typename F>
tl::expected<Page<T>, Error> ParseList(std::string_view what, std::string_view body, F parse_one) {
  return json::ParseJson(what, [&] {
    simdjson::dom::parser parser;
    const json::object root = json::AsObject(json::Parse(parser, body), what);
    Page<T> page;
    for (const json::element element : json::Arr(root, "data")) {
      const json::object o = json::AsObject(element, "list element");
      page.last_id = std::string(json::Str(o, "id"));
      try {
        std::optional<T> parsed = parse_one(o);
        if (parsed) {
          page.data.push_back(std::move(*parsed));
        } else {
          ++page.malformed;
        }
      } catch (const JsonError& e) {
        throw JsonError(page.last_id + ": " + e.what());
      }
    }
    page.has_more = json::Bool(root, "has_more");
    return page;
  });
}

}  // namespace

bool IsSubscriptionStatus(std::string_view status) {
  return std::find(kSubscriptionStatuses.begin(), kSubscriptionStatuses.end(), status) != kSubscriptionStatuses.end();
}

bool IsCurrencyCode(std::string_view currency) {
  return currency.size() == 3 &&
         std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

tl::expected<Page<Subscription>, Error> ParseSubscriptions(std::string_view body) {
  return ParseList<Subscription>("subscriptions", body, ParseSubscription);
}

tl::expected<Page<Item>, Error> ParseSubscriptionItems(std::string_view body) {
  return ParseList<Item>("subscription items", body, [](json::object o) { return std::optional<Item>(ParseItem(o)); });
}

tl::expected<Price, Error> ParsePrice(std::string_view body) {
  return json::ParseJson("price", [&] {
    simdjson::dom::parser parser;
    return ParsePriceObject(json::AsObject(json::Parse(parser, body), "price"));
  });
}

tl::expected<Page<Charge>, Error> ParseCharges(std::string_view body) {
  return ParseList<Charge>("charges", body, ParseCharge);
}

}  // namespace kpi::stripe
