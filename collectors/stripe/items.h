// Stripe's drill-down lists (README "Drill-down"): past-due and unpaid
// subscriptions and the failed payments of the last 30 days. Ids, amounts and
// times only, never a customer's name or email.
#pragma once

#include <string>
#include <vector>

#include "collectors/common/clock.h"
#include "collectors/common/output/items.h"
#include "collectors/stripe/billing.h"
#include "collectors/stripe/parse.h"

namespace kpi::stripe {

extern const ItemListKind kPastDueList;
extern const ItemListKind kUnpaidList;
extern const ItemListKind kFailedPaymentsList;

// Owing since the start of the period whose invoice is unpaid, oldest first,
// with the monthly amount when the subscription's items were read in full.
ItemList SubscriptionItems(const ItemListKind& kind, const std::string& target,
                           const std::vector<Subscription>& subscriptions, SystemTime now, size_t max_items,
                           DiscountPolicy policy);

// The failed charges among `charges` (the window's), newest first.
ItemList FailedPaymentItems(const std::string& target, const std::vector<Charge>& charges, SystemTime now,
                            size_t max_items);

}  // namespace kpi::stripe
