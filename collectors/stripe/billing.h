// Stripe Billing arithmetic: what one subscription adds to MRR, following
// Stripe's Billing analytics (definitions quoted in the README, "Stripe").
// Plain data parsed from API answers (see parse.h) and pure functions over
// it; no I/O. Amounts are in minor units of the subscription's currency
// (cents, yen, fils) as doubles: unit_amount_decimal and tiers may hold
// fractions of a minor unit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kpi::stripe {

// Which coupons lower MRR (config key mrr_discounts). Stripe's Dashboard lets
// users choose; its default counts only coupons with duration "forever".
enum class DiscountPolicy { kForever, kAll, kNone };
std::optional<DiscountPolicy> ParseDiscountPolicy(std::string_view text);

struct Coupon {
  std::string duration;               // forever, once, repeating
  std::optional<double> percent_off;  // 0-100
  std::optional<int64_t> amount_off;  // minor units of `currency`, per invoice
  std::string currency;
};

struct Tier {
  std::optional<int64_t> up_to;  // last quantity in this tier; nullopt = no upper bound
  double unit_amount = 0;        // per unit
  double flat_amount = 0;        // once for the tier
};

struct Price {
  std::string id;
  bool recurring = false;  // one-time prices are no recurring revenue
  std::string interval;    // day, week, month, year
  int64_t interval_count = 1;
  bool metered = false;                    // usage-based: Stripe leaves it out of MRR
  bool tiered = false;                     // billing_scheme "tiered" (else "per_unit")
  bool volume = false;                     // tiers_mode "volume" (else "graduated")
  std::optional<double> unit_amount;       // per_unit: unit_amount, else unit_amount_decimal
  std::optional<std::vector<Tier>> tiers;  // tiered: present only when expanded
  int64_t divide_by = 1;                   // transform_quantity: bill ceil/floor(quantity / divide_by) units
  bool round_up = false;
};

struct Item {
  Price price;
  int64_t quantity = 1;
  std::vector<Coupon> coupons;  // item-level discounts, applied before the subscription's
};

struct Subscription {
  std::string id;
  std::string customer;  // the customer's id
  std::string status;
  std::string currency;
  int64_t created = 0;
  std::optional<int64_t> ended_at;
  std::optional<int64_t> trial_end;
  std::vector<Item> items;
  bool more_items = false;               // the embedded items list was cut (has_more)
  std::vector<Coupon> coupons;           // the subscription's own discounts
  std::vector<Coupon> customer_coupons;  // customer.discount: applies only when `coupons` is empty
};

// Minor units per major unit: 1 for Stripe's zero-decimal currencies (jpy,
// krw, ...), 1000 for its three-decimal ones (bhd, jod, kwd, omr, tnd), else 100.
double MinorUnitsPerMajor(std::string_view currency);

// How many times a price with this interval is billed per month (day: 365/12,
// week: 52/12, month: 1, year: 1/12, each divided by the count), or nullopt.
std::optional<double> InvoicesPerMonth(std::string_view interval, int64_t interval_count);

// One invoice's amount for `quantity` units, before discounts; nullopt when
// the price carries no way to compute it (a tiered price whose tiers were not
// read, tiers that stop short of the quantity, no unit amount).
std::optional<double> InvoiceAmount(const Price& price, int64_t quantity);

// The subscription's MRR with the coupons `policy` counts; nullopt when an
// item's amount cannot be computed (see InvoiceAmount).
std::optional<double> MonthlyMinorAmount(const Subscription& subscription, DiscountPolicy policy);

// Whether the subscription was paying at unix time `t`, as far as its own
// times tell: created by then, its trial (if any) over, not yet ended. What
// they cannot tell (a past_due or paused spell, an earlier plan) is the
// caller's to document; see the README's stripe_mrr_prior.
bool PayingAt(const Subscription& subscription, int64_t t);

}  // namespace kpi::stripe
