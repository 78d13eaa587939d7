#include "collectors/stripe/billing.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace kpi::stripe {
namespace {

// Stripe's currency lists ("Supported currencies": zero-decimal and three-decimal).
constexpr std::array<std::string_view, 16> kZeroDecimal = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
                                                           "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"};
constexpr std::array<std::string_view, 5> kThreeDecimal = {"bhd", "jod", "kwd", "omr", "tnd"};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool Counts(const Coupon& coupon, DiscountPolicy policy) {
  switch (policy) {
    case DiscountPolicy::kForever:
      return coupon.duration == "forever";
    case DiscountPolicy::kAll:
      return true;
    case DiscountPolicy::kNone:
      return false;
  }
  return false;
}

// `monthly` after the coupons that count, in order. amount_off is per invoice,
// so it comes off `invoices_per_month` times; a coupon in another currency
// does not apply (Stripe would not apply it either, short of currency_options).
// An invoice never goes below zero.
double Discounted(double monthly, const std::vector<Coupon>& coupons, DiscountPolicy policy, std::string_view currency,
                  double invoices_per_month) {
  for (const Coupon& coupon : coupons) {
    if (!Counts(coupon, policy)) continue;
    if (coupon.percent_off) monthly *= 1.0 - std::clamp(*coupon.percent_off, 0.0, 100.0) / 100.0;
    if (coupon.amount_off && coupon.currency == currency) monthly -= double(*coupon.amount_off) * invoices_per_month;
    monthly = std::max(0.0, monthly);
  }
  return monthly;
}

// Volume pricing: every unit at the price of the tier the whole quantity falls in.
std::optional<double> VolumeAmount(const std::vector<Tier>& tiers, int64_t quantity) {
  for (const Tier& tier : tiers) {
    if (!tier.up_to || quantity <= *tier.up_to) return tier.unit_amount * double(quantity) + tier.flat_amount;
  }
  return std::nullopt;
}

// Graduated pricing: each tier bills the units that fall inside it, plus its
// flat amount when any unit reaches it.
std::optional<double> GraduatedAmount(const std::vector<Tier>& tiers, int64_t quantity) {
  double total = 0;
  int64_t billed = 0;  // units billed by earlier tiers
  for (const Tier& tier : tiers) {
    if (billed >= quantity) break;
    const int64_t top = tier.up_to ? std::min(*tier.up_to, quantity) : quantity;
    if (top <= billed) continue;
    total += tier.unit_amount * double(top - billed) + tier.flat_amount;
    billed = top;
  }
  if (billed < quantity) return std::nullopt;
  return total;
}

}  // namespace

std::optional<DiscountPolicy> ParseDiscountPolicy(std::string_view text) {
  if (text == "forever") return DiscountPolicy::kForever;
  if (text == "all") return DiscountPolicy::kAll;
  if (text == "none") return DiscountPolicy::kNone;
  return std::nullopt;
}

double MinorUnitsPerMajor(std::string_view currency) {
  if (Contains(kZeroDecimal, currency)) return 1.0;
  if (Contains(kThreeDecimal, currency)) return 1000.0;
  return 100.0;
}

std::optional<double> InvoicesPerMonth(std::string_view interval, int64_t interval_count) {
  if (interval_count < 1) return std::nullopt;
  const double count = double(interval_count);
  if (interval == "day") return 365.0 / 12.0 / count;
  if (interval == "week") return 52.0 / 12.0 / count;
  if (interval == "month") return 1.0 / count;
  if (interval == "year") return 1.0 / 12.0 / count;
  return std::nullopt;
}

std::optional<double> InvoiceAmount(const Price& price, int64_t quantity) {
  if (price.tiered) {
    if (!price.tiers) return std::nullopt;
    return price.volume ? VolumeAmount(*price.tiers, quantity) : GraduatedAmount(*price.tiers, quantity);
  }
  if (!price.unit_amount) return std::nullopt;
  const double units = double(quantity) / double(price.divide_by);
  return *price.unit_amount * (price.round_up ? std::ceil(units) : std::floor(units));
}

std::optional<double> MonthlyMinorAmount(const Subscription& s, DiscountPolicy policy) {
  double monthly = 0;
  std::optional<double> invoices_per_month;  // the cycle a subscription-level amount_off is taken per
  for (const Item& item : s.items) {
    if (!item.price.recurring || item.price.metered) continue;
    const auto per_month = InvoicesPerMonth(item.price.interval, item.price.interval_count);
    const auto amount = InvoiceAmount(item.price, item.quantity);
    if (!per_month || !amount) return std::nullopt;
    monthly += Discounted(*amount * *per_month, item.coupons, policy, s.currency, *per_month);
    if (!invoices_per_month) invoices_per_month = per_month;
  }
  // Stripe: a subscription's own discount overrides the customer's.
  const auto& coupons = s.coupons.empty() ? s.customer_coupons : s.coupons;
  return Discounted(monthly, coupons, policy, s.currency, invoices_per_month.value_or(0));
}

bool PayingAt(const Subscription& subscription, int64_t t) {
  return subscription.created <= t && subscription.trial_end.value_or(t) <= t &&
         (!subscription.ended_at || *subscription.ended_at > t);
}

}  // namespace kpi::stripe
