#include "collectors/stripe/items.h"

#include <algorithm>
#include <cstdio>

#include "collectors/common/upstream/http_client.h"
#include "collectors/common/time_util.h"

namespace kpi::stripe {
namespace {

// "20.00" for 2000 cents, "1000" for 1000 yen, "6.200" for 6200 fils.
std::string MajorAmount(double minor, std::string_view currency) {
  const double per_major = MinorUnitsPerMajor(currency);
  const int decimals = per_major >= 1000 ? 3 : per_major >= 100 ? 2 : 0;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, minor / per_major);
  return buffer;
}

std::optional<SystemTime> At(std::optional<int64_t> unix_seconds) {
  if (!unix_seconds) return std::nullopt;
  return FromUnixSeconds(*unix_seconds);
}

}  // namespace

// Each names the series it explains (README "Drill-down").
const ItemListKind kPastDueList{"past_due", "Past-due subscriptions", {R"(stripe_subscriptions{status="past_due"})"}};
const ItemListKind kUnpaidList{"unpaid", "Unpaid subscriptions", {R"(stripe_subscriptions{status="unpaid"})"}};
const ItemListKind kFailedPaymentsList{"failed_payments",
                                       "Failed payments in the last 30 days",
                                       {R"(stripe_charges{status="failed",window="30d"})"}};

ItemList SubscriptionItems(const ItemListKind& kind, const std::string& target,
                           const std::vector<Subscription>& subscriptions, SystemTime now, size_t max_items,
                           DiscountPolicy policy) {
  std::vector<ListItem> items;
  for (const Subscription& s : subscriptions) {
    ListItem item{s.id, "", "https://dashboard.stripe.com/subscriptions/" + UrlEncode(s.id), At(s.current_period_start)};
    // Only from a complete items list: unpaid subscriptions' cut lists are not read on.
    const auto monthly = s.more_items ? std::nullopt : MonthlyMinorAmount(s, policy);
    if (monthly) {
      item.fields.push_back({"monthly amount", MajorAmount(*monthly, s.currency) + " " + s.currency});
    }
    items.push_back(std::move(item));
  }
  SortOldestFirst(items);
  return MakeItemList(kind, target, now, std::move(items), max_items);
}

ItemList FailedPaymentItems(const std::string& target, const std::vector<Charge>& charges, SystemTime now,
                            size_t max_items) {
  std::vector<const Charge*> failed;
  for (const auto& c : charges) {
    if (c.status == "failed") failed.push_back(&c);
  }
  std::stable_sort(failed.begin(), failed.end(), [](const auto* a, const auto* b) { return a->created > b->created; });
  std::vector<ListItem> items;
  for (const Charge* c : failed) {
    items.push_back({c->id, "", c->id.empty() ? "" : "https://dashboard.stripe.com/payments/" + UrlEncode(c->id),
                     At(c->created), {{"amount", MajorAmount(double(c->amount), c->currency) + " " + c->currency}}});
  }
  return MakeItemList(kFailedPaymentsList, target, now, std::move(items), max_items);
}

}  // namespace kpi::stripe
