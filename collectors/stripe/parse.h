// Stripe API answers (pinned Stripe-Version 2024-06-20) into the plain data of
// billing.h. A page whose shape is wrong (a missing or mistyped field, an
// interval or billing scheme Stripe does not define, a discount that was not
// expanded) is a parse error. A single object whose status or currency lies
// outside Stripe's enumerations is skipped and counted as malformed, so it
// never becomes a label.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "collectors/common/error.h"
#include "collectors/stripe/billing.h"

namespace kpi::stripe {

struct Charge {
  std::string id;
  std::string status;  // succeeded, pending, failed
  std::string currency;
  int64_t amount_captured = 0;  // 0 while uncaptured
  int64_t amount_refunded = 0;
  bool captured = false;
  int64_t created = 0;
  int64_t amount = 0;  // asked for, minor units
};

template <typename T>
struct Page {
  std::vector<T> data;  // the well-formed objects
  int malformed = 0;    // objects skipped
  bool has_more = false;
  std::string last_id;  // the cursor for the next page (also when the last object was skipped)
};

// Stripe's subscription statuses.
bool IsSubscriptionStatus(std::string_view status);
// A three-letter lower-case ISO 4217 code, as Stripe writes currencies.
bool IsCurrencyCode(std::string_view currency);

// GET /v1/subscriptions with data.discounts, data.items.data.discounts and data.customer expanded.
tl::expected<Page<Subscription>, Error> ParseSubscriptions(std::string_view body);
// GET /v1/subscription_items with data.discounts expanded.
tl::expected<Page<Item>, Error> ParseSubscriptionItems(std::string_view body);
// GET /v1/prices/{id}, tiers expanded.
tl::expected<Price, Error> ParsePrice(std::string_view body);
// GET /v1/charges.
tl::expected<Page<Charge>, Error> ParseCharges(std::string_view body);

}  // namespace kpi::stripe
