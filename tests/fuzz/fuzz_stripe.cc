// Stripe answers (subscriptions, subscription items, prices, charges) and the
// monthly amounts computed from what parsed.
#include <cmath>

#include "collectors/stripe/billing.h"
#include "collectors/stripe/parse.h"
#include "tests/fuzz/fuzz_check.h"

using namespace kpi::stripe;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = kpi::fuzz::Text(data, size);
  if (const auto page = ParseSubscriptions(body)) {
    KPI_FUZZ_CHECK(page->malformed >= 0);
    for (const Subscription& subscription : page->data) {
      KPI_FUZZ_CHECK(IsSubscriptionStatus(subscription.status));
      for (const auto policy : {DiscountPolicy::kForever, DiscountPolicy::kAll, DiscountPolicy::kNone}) {
        if (const auto amount = MonthlyMinorAmount(subscription, policy)) KPI_FUZZ_CHECK(std::isfinite(*amount));
      }
    }
  }
  (void)ParseSubscriptionItems(body);
  if (const auto price = ParsePrice(body)) {
    for (const int64_t quantity : {int64_t{0}, int64_t{1}, int64_t{1000}}) {
      if (const auto amount = InvoiceAmount(*price, quantity)) KPI_FUZZ_CHECK(std::isfinite(*amount));
    }
  }
  if (const auto charges = ParseCharges(body)) {
    for (const Charge& charge : charges->data) KPI_FUZZ_CHECK(IsCurrencyCode(charge.currency));
  }
  return 0;
}
