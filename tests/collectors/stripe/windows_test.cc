// Stripe collector over an in-memory transport: the 1d and 30d windows,
// churn and charges. Every expected figure is worked out by hand in the
// comments, never by calling the code under test.
#include "tests/collectors/stripe/answers.h"

using namespace kpi;
using namespace kpi::testing;
using namespace kpi::testing::stripe_answers;

TEST_CASE("churn: the share of subscriptions paying during the 30 days that ended in them") {
  World world;
  world.Subscriptions("active", {Monthly("sub_a1", "active", 1000), Monthly("sub_a2", "active", 1000),
                                 Monthly("sub_a3", "active", 1000)});
  world.Subscriptions("past_due", {Monthly("sub_p", "past_due", 1000)});
  world.Subscriptions("unpaid", {Monthly("sub_u", "unpaid", 1000)});
  world.Subscriptions("trialing",
                      {Monthly("sub_t", "trialing", 1000, kNow - 3 * kDay).Set("trial_end", N(kNow + 11 * kDay))});
  world.Subscriptions(
      "canceled",
      {// Paying for years, canceled 10 days ago: churn, however old.
       Ended(Monthly("sub_c1", "canceled", 1000, kNow - 900 * kDay), kNow - 10 * kDay),
       // Started paying 20 days ago, ended 3 days ago: in both numerator and denominator (as Stripe counts).
       Ended(Monthly("sub_c2", "canceled", 1000, kNow - 20 * kDay), kNow - 3 * kDay),
       // Trial ended 26 days ago, canceled one second later: it paid.
       Ended(Monthly("sub_c6", "canceled", 1000, kNow - 40 * kDay).Set("trial_end", N(kNow - 26 * kDay)),
             kNow - 26 * kDay + 1),
       // Canceled during its trial, and at the trial's very end: never paid.
       Ended(Monthly("sub_c3", "canceled", 1000, kNow - 5 * kDay).Set("trial_end", N(kNow + 9 * kDay)),
             kNow - 2 * kDay),
       Ended(Monthly("sub_c5", "canceled", 1000, kNow - 40 * kDay).Set("trial_end", N(kNow - 26 * kDay)),
             kNow - 26 * kDay),
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
  world.Subscriptions("trialing",
                      {Monthly("sub_t", "trialing", 1000, kNow - 3 * kDay).Set("trial_end", N(kNow + 11 * kDay))});
  world.Subscriptions("unpaid", {Monthly("sub_u", "unpaid", 1000)});
  const auto m = PollOk(world);
  CHECK_FALSE(m.contains("stripe_churn_ratio{window=\"30d\"}"));
  CHECK_FALSE(m.contains("stripe_mrr{currency=\"usd\"}"));
}

TEST_CASE("windows: subscriptions created 23 h, 25 h, 29 d and 31 d ago, in every listing") {
  World world;
  world.Subscriptions(
      "active",
      {Monthly("sub_1", "active", 1000, kNow - 23 * kHour), Monthly("sub_2", "active", 1000, kNow - 25 * kHour),
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
                 Charge("ch_uncaptured", "succeeded", "usd", 2500, 0, 0, kNow - 3 * kHour),  // nothing collected yet
                 Charge("ch_expired", "succeeded", "usd", 700, 0, 700, kNow - 4 * kHour),    // released: not -7.00
                 Charge("ch_partial", "succeeded", "usd", 3000, 2000, 0, kNow - 5 * kHour),  // 20.00 of 30.00 captured
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
