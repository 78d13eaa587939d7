// Stripe Billing arithmetic on hand-built objects. Every expected figure is
// worked out by hand in the comments, never by calling the code under test.
#include "collectors/stripe/billing.h"

#include <doctest/doctest.h>

using namespace kpi::stripe;

namespace {

Price Monthly(double unit_amount, const char* interval = "month", int64_t interval_count = 1) {
  Price price;
  price.id = "price_1";
  price.recurring = true;
  price.interval = interval;
  price.interval_count = interval_count;
  price.unit_amount = unit_amount;
  return price;
}

Subscription Usd(std::vector<Item> items, std::vector<Coupon> coupons = {}, std::vector<Coupon> customer_coupons = {}) {
  Subscription s;
  s.id = "sub_1";
  s.status = "active";
  s.currency = "usd";
  s.items = std::move(items);
  s.coupons = std::move(coupons);
  s.customer_coupons = std::move(customer_coupons);
  return s;
}

Coupon PercentOff(const char* duration, double percent) { return Coupon{duration, percent, std::nullopt, ""}; }
Coupon AmountOff(const char* duration, int64_t amount, const char* currency) {
  return Coupon{duration, std::nullopt, amount, currency};
}

// 5 units at 10.00, then 5 at 8.00 plus 20.00 for reaching the tier, then 5.00 each.
Price Tiered(bool volume) {
  Price price = Monthly(0);
  price.unit_amount.reset();
  price.tiered = true;
  price.volume = volume;
  price.tiers = std::vector<Tier>{{5, 1000, 0}, {10, 800, 2000}, {std::nullopt, 500, 0}};
  return price;
}

double Mrr(const Subscription& s, DiscountPolicy policy = DiscountPolicy::kForever) {
  const auto mrr = MonthlyMinorAmount(s, policy);
  REQUIRE(mrr);
  return *mrr;
}

}  // namespace

TEST_CASE("MRR: a 20 % forever coupon takes a fifth off, once and repeating coupons leave MRR unchanged") {
  const Item item{Monthly(5000), 1, {}};
  CHECK(Mrr(Usd({item}, {PercentOff("forever", 20)})) == doctest::Approx(4000));  // 5000 x 0.8
  CHECK(Mrr(Usd({item}, {PercentOff("once", 20)})) == doctest::Approx(5000));
  CHECK(Mrr(Usd({item}, {PercentOff("repeating", 20)})) == doctest::Approx(5000));
  CHECK(Mrr(Usd({item}, {PercentOff("forever", 50)})) == doctest::Approx(2500));
}

TEST_CASE("MRR: mrr_discounts forever counts forever coupons, all counts every coupon, none counts none") {
  const Subscription s = Usd({Item{Monthly(5000), 1, {}}}, {PercentOff("forever", 20), PercentOff("once", 10)});
  CHECK(Mrr(s, DiscountPolicy::kForever) == doctest::Approx(4000));  // 5000 x 0.8
  CHECK(Mrr(s, DiscountPolicy::kAll) == doctest::Approx(3600));      // 5000 x 0.8 x 0.9
  CHECK(Mrr(s, DiscountPolicy::kNone) == doctest::Approx(5000));
  CHECK(ParseDiscountPolicy("forever") == DiscountPolicy::kForever);
  CHECK(ParseDiscountPolicy("all") == DiscountPolicy::kAll);
  CHECK(ParseDiscountPolicy("none") == DiscountPolicy::kNone);
  CHECK_FALSE(ParseDiscountPolicy("Forever"));
  CHECK_FALSE(ParseDiscountPolicy(""));
}

TEST_CASE("MRR: an amount_off coupon comes off each invoice, in its own currency only") {
  const Item yearly{Monthly(120000, "year"), 1, {}};
  // 1200.00 a year, 12.00 off each yearly invoice: (120000 - 1200) / 12 = 9900 a month.
  CHECK(Mrr(Usd({yearly}, {AmountOff("forever", 1200, "usd")})) == doctest::Approx(9900));
  CHECK(Mrr(Usd({yearly}, {AmountOff("forever", 1200, "eur")})) == doctest::Approx(10000));
  CHECK(Mrr(Usd({yearly}, {AmountOff("repeating", 1200, "usd")})) == doctest::Approx(10000));
  // Weekly 30.00 with 10.00 off each invoice: 2000 x 52 / 12 = 8666.67 a month.
  CHECK(Mrr(Usd({Item{Monthly(3000, "week"), 1, {}}}, {AmountOff("forever", 1000, "usd")})) ==
        doctest::Approx(104000.0 / 12.0));
  // A coupon larger than the invoice leaves nothing, never less.
  CHECK(Mrr(Usd({Item{Monthly(500), 1, {}}}, {AmountOff("forever", 900, "usd")})) == 0);
}

TEST_CASE("MRR: item discounts apply to their item before the subscription's discounts apply to the total") {
  const Item halved{Monthly(3000), 1, {PercentOff("forever", 50)}};
  const Item full{Monthly(2000), 1, {}};
  CHECK(Mrr(Usd({halved, full})) == doctest::Approx(3500));                               // 1500 + 2000
  CHECK(Mrr(Usd({halved, full}, {PercentOff("forever", 10)})) == doctest::Approx(3150));  // 3500 x 0.9
  CHECK(Mrr(Usd({Item{Monthly(3000), 2, {AmountOff("forever", 500, "usd")}}})) == doctest::Approx(5500));  // 6000 - 500
  CHECK(Mrr(Usd({Item{Monthly(3000), 1, {PercentOff("once", 50)}}})) == doctest::Approx(3000));
}

TEST_CASE("MRR: the customer's discount applies only to a subscription without discounts of its own") {
  const Item item{Monthly(5000), 1, {}};
  CHECK(Mrr(Usd({item}, {}, {PercentOff("forever", 20)})) == doctest::Approx(4000));
  // The subscription's own (finite) coupon overrides the customer's, and does not count itself.
  CHECK(Mrr(Usd({item}, {PercentOff("once", 10)}, {PercentOff("forever", 20)})) == doctest::Approx(5000));
  // An item's discount does not override it.
  CHECK(Mrr(Usd({Item{Monthly(5000), 1, {PercentOff("forever", 50)}}}, {}, {PercentOff("forever", 20)})) ==
        doctest::Approx(2000));  // 5000 x 0.5 x 0.8
}

TEST_CASE("MRR: intervals are normalised to a month, metered and one-time items add nothing") {
  CHECK(*InvoicesPerMonth("year", 1) == doctest::Approx(1.0 / 12));
  CHECK(*InvoicesPerMonth("month", 3) == doctest::Approx(1.0 / 3));
  CHECK(*InvoicesPerMonth("week", 2) == doctest::Approx(52.0 / 24));
  CHECK(*InvoicesPerMonth("day", 1) == doctest::Approx(365.0 / 12));
  CHECK_FALSE(InvoicesPerMonth("fortnight", 1));
  CHECK_FALSE(InvoicesPerMonth("month", 0));
  Price metered = Monthly(3);
  metered.metered = true;
  Price one_time = Monthly(7000);
  one_time.recurring = false;
  // 90.00 every 3 months = 3000 a month, 2 seats at 12.00 a year = 200 a month.
  CHECK(Mrr(Usd({Item{Monthly(9000, "month", 3), 1, {}}, Item{Monthly(1200, "year"), 2, {}}, Item{metered, 1, {}},
                 Item{one_time, 1, {}}})) == doctest::Approx(3200));
}

TEST_CASE("currency: zero-decimal currencies are whole units, three-decimal ones thousandths") {
  CHECK(MinorUnitsPerMajor("jpy") == 1);
  CHECK(MinorUnitsPerMajor("krw") == 1);
  CHECK(MinorUnitsPerMajor("xpf") == 1);
  CHECK(MinorUnitsPerMajor("bhd") == 1000);
  CHECK(MinorUnitsPerMajor("jod") == 1000);
  CHECK(MinorUnitsPerMajor("kwd") == 1000);
  CHECK(MinorUnitsPerMajor("omr") == 1000);
  CHECK(MinorUnitsPerMajor("tnd") == 1000);
  CHECK(MinorUnitsPerMajor("usd") == 100);
  CHECK(MinorUnitsPerMajor("eur") == 100);
}

TEST_CASE("tiers: graduated tiers bill the units inside each tier and each reached tier's flat amount") {
  const Price graduated = Tiered(false);
  CHECK(*InvoiceAmount(graduated, 5) == doctest::Approx(5000));    // 5 x 1000
  CHECK(*InvoiceAmount(graduated, 6) == doctest::Approx(7800));    // 5000 + 1 x 800 + 2000
  CHECK(*InvoiceAmount(graduated, 12) == doctest::Approx(12000));  // 5000 + 5 x 800 + 2000 + 2 x 500
  CHECK(*InvoiceAmount(graduated, 0) == 0);
}

TEST_CASE("tiers: volume tiers bill every unit at the price of the tier the quantity falls in") {
  const Price volume = Tiered(true);
  CHECK(*InvoiceAmount(volume, 5) == doctest::Approx(5000));   // 5 x 1000
  CHECK(*InvoiceAmount(volume, 6) == doctest::Approx(6800));   // 6 x 800 + 2000
  CHECK(*InvoiceAmount(volume, 11) == doctest::Approx(5500));  // 11 x 500
}

TEST_CASE("tiers: a tiered price without its tiers, or tiers short of the quantity, has no amount") {
  Price unread = Tiered(false);
  unread.tiers.reset();
  CHECK_FALSE(InvoiceAmount(unread, 1));
  Price short_tiers = Tiered(true);
  short_tiers.tiers->pop_back();  // the last tier now ends at 10
  CHECK_FALSE(InvoiceAmount(short_tiers, 11));
  CHECK(*InvoiceAmount(short_tiers, 10) == doctest::Approx(10000));  // 10 x 800 + 2000
  CHECK_FALSE(MonthlyMinorAmount(Usd({Item{unread, 3, {}}}), DiscountPolicy::kForever));
}

TEST_CASE("prices: transform_quantity bills whole packages, rounded as the price says") {
  Price package = Monthly(500);
  package.divide_by = 10;
  package.round_up = true;
  CHECK(*InvoiceAmount(package, 25) == doctest::Approx(1500));  // 3 packages
  package.round_up = false;
  CHECK(*InvoiceAmount(package, 25) == doctest::Approx(1000));         // 2 packages
  CHECK(*InvoiceAmount(Monthly(1234.5), 2) == doctest::Approx(2469));  // fractional minor units (unit_amount_decimal)
}
