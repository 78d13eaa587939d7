#include "collectors/stripe/collector.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <numeric>
#include <set>

#include "collectors/common/last_good.h"
#include "collectors/common/time_util.h"
#include "collectors/common/upstream/pagination.h"
#include "collectors/stripe/items.h"
#include "collectors/stripe/parse.h"

namespace kpi {
namespace {

using namespace std::chrono_literals;
using stripe::Subscription;
using Series = StripeCollector::Series;
using SubscriptionList = std::vector<Subscription>;

constexpr int64_t kDay = 86400;
constexpr int64_t kMonth = 30 * kDay;            // the churn window, and the longest window of every other series
constexpr std::string_view kTarget = "account";  // one collector reads one Stripe account

struct Window {
  const char* label;
  int64_t seconds;
};
constexpr std::array<Window, 2> kWindows = {{{"1d", kDay}, {"30d", kMonth}}};

// Statuses a subscription can still leave: each is listed in full, however
// old its subscriptions are. The final ones (canceled, incomplete_expired)
// pile up for ever and are read only as far back as the windows need.
constexpr std::array<const char*, 6> kCurrentStatuses = {"active",   "past_due", "unpaid",
                                                         "trialing", "paused",   "incomplete"};

// Expansions are at most four levels deep, `data` included (Stripe's limit):
// the discounts of subscriptions and of their items, and the customer for its
// own discount. Tiers would be five deep (data.items.data.price.tiers), so
// they come from /v1/prices, once per price and poll.
constexpr const char* kExpand =
    "&expand%5B%5D=data.customer&expand%5B%5D=data.discounts&expand%5B%5D=data.items.data.discounts";

constexpr const char* kMrrHelp = "Monthly recurring revenue of active and past_due subscriptions, in major units.";
constexpr const char* kMrrPriorHelp =
    "MRR as it was at the window's start, reconstructed from subscription start, trial end and end times with "
    "today's prices, quantities and discounts, in major units.";
constexpr const char* kArpuHelp = "MRR per paying customer (stripe_customers_paying with MRR in the currency), major units.";
constexpr const char* kPayingHelp = "Customers with at least one active or past_due subscription adding to MRR.";
constexpr const char* kMarginHelp = "The configured gross margin (0-1), for the kpi:ltv recording rule.";
constexpr const char* kStatusHelp = "Subscriptions by current status.";
constexpr const char* kCreatedHelp = "Subscriptions created in the window.";
constexpr const char* kCanceledHelp = "Subscriptions that ended (status canceled) in the window.";
constexpr const char* kChurnHelp =
    "Share of the subscriptions paying during the window (at its start or from within it) that ended in it.";
constexpr const char* kChargesHelp = "Charges created in the window, by status.";
constexpr const char* kRevenueHelp =
    "Captured amounts of succeeded charges created in the window, minus their refunds, in major units.";
constexpr const char* kMalformedHelp =
    "Objects of the last complete listing skipped because a status or currency was outside Stripe's enumerations.";

template <typename T>
struct Listing {
  std::vector<T> objects;
  int malformed = 0;
  bool complete = false;  // read to its end in this poll
};

// The requests of one poll. Failures go to `errors`, cuts to the poll report.
// After a cancellation (shutdown) it sends nothing more.
class Reader {
 public:
  Reader(HttpClient& http, PollContext& context, std::vector<Error>& errors, std::string api, int max_pages)
      : http_(http), context_(context), errors_(errors), api_(std::move(api)), max_pages_(max_pages) {}

  // Pages through `url` with starting_after; `what` names the listing in reports.
  template <typename T>
  Listing<T> List(const std::string& what, const std::string& url,
                  tl::expected<stripe::Page<T>, Error> (*parse)(std::string_view)) {
    Listing<T> listing;
    if (canceled()) return listing;
    const auto page_url = [&](const std::string& cursor) {
      return cursor.empty() ? url : url + "&starting_after=" + UrlEncode(cursor);
    };
    auto walk = WalkCursor(http_, page_url, max_pages_,
                           [&](const HttpResponse& response) -> tl::expected<std::optional<std::string>, Error> {
                             auto page = parse(response.body);
                             if (!page) return tl::unexpected(page.error());
                             std::move(page->data.begin(), page->data.end(), std::back_inserter(listing.objects));
                             listing.malformed += page->malformed;
                             if (!page->has_more || page->last_id.empty()) return std::nullopt;
                             return page->last_id;
                           });
    if (!walk) {
      errors_.push_back(Error{walk.error().reason, what + ": " + walk.error().message});
    } else if (walk->truncated) {
      context_.report.Truncated(kTarget, what);
    } else {
      listing.complete = true;
    }
    return listing;
  }

  Listing<Subscription> Subscriptions(const std::string& status, const std::string& filter = "") {
    return List<Subscription>("subscriptions_" + status,
                              api_ + "/v1/subscriptions?status=" + status + filter + "&limit=100" + kExpand,
                              &stripe::ParseSubscriptions);
  }

  // Reads what a subscription listing leaves out for MRR: the rest of an items
  // list that has_more, and the tiers of tiered prices. False when something
  // could not be read.
  bool CompleteItems(SubscriptionList& subscriptions) {
    for (Subscription& s : subscriptions) {
      if (s.more_items) {
        auto items = List<stripe::Item>("subscription_items",
                                        api_ + "/v1/subscription_items?subscription=" + UrlEncode(s.id) +
                                            "&limit=100&expand%5B%5D=data.discounts&expand%5B%5D=data.price.tiers",
                                        &stripe::ParseSubscriptionItems);
        if (!items.complete) return false;
        s.items = std::move(items.objects);
        s.more_items = false;
      }
      for (stripe::Item& item : s.items) {
        if (!item.price.tiered || item.price.tiers) continue;
        item.price.tiers = Tiers(item.price.id);
        if (!item.price.tiers) return false;
      }
    }
    return true;
  }

  bool canceled() const { return Canceled(errors_); }
  const std::string& api() const { return api_; }

 private:
  std::optional<std::vector<stripe::Tier>> Tiers(const std::string& price_id) {
    if (const auto known = tiers_.find(price_id); known != tiers_.end()) return known->second;
    if (canceled()) return std::nullopt;
    auto price = http_.GetOk(api_ + "/v1/prices/" + UrlEncode(price_id) + "?expand%5B%5D=tiers")
                     .and_then([](const HttpResponse& response) { return stripe::ParsePrice(response.body); });
    if (price && !price->tiers) price = tl::unexpected(Error{"parse", "no tiers in the answer"});
    if (!price) {
      errors_.push_back(Error{price.error().reason, "price " + price_id + ": " + price.error().message});
      return std::nullopt;
    }
    return tiers_[price_id] = *price->tiers;
  }

  HttpClient& http_;
  PollContext& context_;
  std::vector<Error>& errors_;
  const std::string api_;
  const int max_pages_;
  std::map<std::string, std::vector<stripe::Tier>> tiers_;  // price id -> tiers, for this poll
};

tl::expected<std::vector<Series>, Error> Mrr(std::initializer_list<const SubscriptionList*> lists,
                                             stripe::DiscountPolicy policy) {
  std::map<std::string, double> minor;  // currency -> minor units a month
  for (const SubscriptionList* list : lists) {
    for (const Subscription& s : *list) {
      const auto monthly = stripe::MonthlyMinorAmount(s, policy);
      if (!monthly) {
        return tl::unexpected(Error{"parse", "subscription " + s.id + ": a price without a computable amount"});
      }
      minor[s.currency] += *monthly;
    }
  }
  std::vector<Series> series;
  for (const auto& [currency, amount] : minor) {
    series.push_back({"stripe_mrr", kMrrHelp, {{"currency", currency}}, amount / stripe::MinorUnitsPerMajor(currency)});
  }
  // Stripe's ARPU: MRR divided by the customers paying it (a customer with two subscriptions is one).
  std::map<std::string, std::set<std::string>> payers;  // currency -> customers
  std::set<std::string> paying;
  for (const SubscriptionList* list : lists) {
    for (const Subscription& s : *list) {
      if (stripe::MonthlyMinorAmount(s, policy).value_or(0) <= 0) continue;
      payers[s.currency].insert(s.customer);
      paying.insert(s.customer);
    }
  }
  for (const auto& [currency, customers] : payers) {
    series.push_back({"stripe_arpu", kArpuHelp, {{"currency", currency}},
                      minor[currency] / stripe::MinorUnitsPerMajor(currency) / double(customers.size())});
  }
  series.push_back({"stripe_customers_paying", kPayingHelp, {}, double(paying.size())});
  return series;
}

// MRR at `then`: the subscriptions active, past_due or canceled now that were paying then, at today's amounts.
tl::expected<std::vector<Series>, Error> MrrPrior(std::initializer_list<const SubscriptionList*> lists, int64_t then,
                                                  stripe::DiscountPolicy policy) {
  std::map<std::string, double> minor;  // currency -> minor units a month
  for (const SubscriptionList* list : lists) {
    for (const Subscription& s : *list) {
      minor.try_emplace(s.currency, 0);  // a currency paying now and not then had an MRR of 0
      if (!stripe::PayingAt(s, then)) continue;
      const auto monthly = stripe::MonthlyMinorAmount(s, policy);
      if (!monthly) {
        return tl::unexpected(Error{"parse", "subscription " + s.id + ": a price without a computable amount"});
      }
      minor[s.currency] += *monthly;
    }
  }
  std::vector<Series> series;
  for (const auto& [currency, amount] : minor) {
    series.push_back({"stripe_mrr_prior", kMrrPriorHelp, {{"currency", currency}, {"window", "30d"}},
                      amount / stripe::MinorUnitsPerMajor(currency)});
  }
  return series;
}

// A canceled subscription paid before it ended unless it ended in its trial
// (or at the trial's end).
bool PaidBeforeEnding(const Subscription& s) {
  return *s.ended_at > std::max(s.created, s.trial_end.value_or(s.created));
}

// Stripe's subscriber churn rate, counted per subscription: among the
// subscriptions that paid at some time in the window (active or past_due now,
// or canceled within it after paying), the share that ended within it.
// unpaid, trialing, paused and incomplete ones are not paying.
std::vector<Series> Churn(const SubscriptionList& active, const SubscriptionList& past_due,
                          const SubscriptionList& canceled, int64_t window_start) {
  const auto churned = std::count_if(canceled.begin(), canceled.end(), [&](const Subscription& s) {
    return *s.ended_at >= window_start && PaidBeforeEnding(s);
  });
  const auto paid = int64_t(active.size() + past_due.size()) + churned;
  if (paid == 0) return {};
  return {{"stripe_churn_ratio", kChurnHelp, {{"window", "30d"}}, double(churned) / double(paid)}};
}

std::vector<Series> Created(const std::map<std::string, Listing<Subscription>>& listings, int64_t now) {
  std::vector<Series> series;
  for (const Window& window : kWindows) {
    int64_t created = 0;
    for (const auto& [status, listing] : listings) {
      created += std::count_if(listing.objects.begin(), listing.objects.end(),
                               [&](const Subscription& s) { return s.created >= now - window.seconds; });
    }
    series.push_back({"stripe_subscriptions_created", kCreatedHelp, {{"window", window.label}}, double(created)});
  }
  return series;
}

std::vector<Series> Ended(const SubscriptionList& canceled, int64_t now) {
  std::vector<Series> series;
  for (const Window& window : kWindows) {
    const auto ended = std::count_if(canceled.begin(), canceled.end(),
                                     [&](const Subscription& s) { return *s.ended_at >= now - window.seconds; });
    series.push_back({"stripe_subscriptions_canceled", kCanceledHelp, {{"window", window.label}}, double(ended)});
  }
  return series;
}

// Revenue is what was collected: the captured part of succeeded charges,
// less refunds. An uncaptured charge collected nothing (and one that expired
// uncaptured shows its whole amount as refunded).
std::vector<Series> Charges(const std::vector<stripe::Charge>& charges, int64_t now) {
  std::map<std::pair<std::string, std::string>, int64_t> counts;  // (status, window)
  std::map<std::pair<std::string, std::string>, double> minor;    // (currency, window)
  for (const Window& window : kWindows) {
    for (const char* status : {"succeeded", "pending", "failed"}) counts[{status, window.label}] = 0;
    for (const stripe::Charge& c : charges) {
      if (c.created < now - window.seconds) continue;
      ++counts[{c.status, window.label}];
      if (c.status != "succeeded") continue;
      const int64_t collected = c.captured ? std::max<int64_t>(0, c.amount_captured - c.amount_refunded) : 0;
      minor[{c.currency, window.label}] += double(collected);
    }
  }
  std::vector<Series> series;
  for (const auto& [key, count] : counts) {
    series.push_back({"stripe_charges", kChargesHelp, {{"status", key.first}, {"window", key.second}}, double(count)});
  }
  for (const auto& [key, amount] : minor) {
    series.push_back({"stripe_revenue",
                      kRevenueHelp,
                      {{"currency", key.first}, {"window", key.second}},
                      amount / stripe::MinorUnitsPerMajor(key.first)});
  }
  return series;
}

struct Listings {
  std::map<std::string, Listing<Subscription>> subscriptions;  // by status
  bool items_complete = false;  // the active and past_due ones' items and tiers were read in full
  bool canceled_items_complete = false;  // idem, the canceled ones' (for stripe_mrr_prior)
  Listing<stripe::Charge> charges;
};

Listings ReadListings(Reader& read, int64_t month_ago) {
  Listings listings;
  auto& subscriptions = listings.subscriptions;
  for (const char* status : kCurrentStatuses) subscriptions[status] = read.Subscriptions(status);
  // Stripe's list has no ended_at filter. In the pinned API version a
  // subscription's current period only moves forward while it lives, and it
  // ends at the latest when that period ends (canceled at period end:
  // ended_at = current_period_end; canceled at once: within the period). So
  // current_period_end >= window start holds for every subscription that
  // ended in the window, and the exact ended_at test follows. The one
  // exception is a `paused` subscription (its trial ended without a payment
  // method, so it never paid): its period stands still, and canceling it
  // later is not found here.
  subscriptions["canceled"] =
      read.Subscriptions("canceled", "&current_period_end%5Bgte%5D=" + std::to_string(month_ago));
  // Only for stripe_subscriptions_created: the abandoned ones created in the window.
  subscriptions["incomplete_expired"] =
      read.Subscriptions("incomplete_expired", "&created%5Bgte%5D=" + std::to_string(month_ago));
  auto& active = subscriptions["active"];
  auto& past_due = subscriptions["past_due"];
  listings.items_complete = active.complete && past_due.complete && read.CompleteItems(active.objects) &&
                            read.CompleteItems(past_due.objects);
  auto& canceled = subscriptions["canceled"];
  listings.canceled_items_complete = listings.items_complete && canceled.complete && read.CompleteItems(canceled.objects);
  listings.charges = read.List<stripe::Charge>(
      "charges", read.api() + "/v1/charges?created%5Bgte%5D=" + std::to_string(month_ago) + "&limit=100",
      &stripe::ParseCharges);
  return listings;
}

// The groups of series whose listings were all read in full (see stripe.h).
std::map<std::string, std::vector<Series>> Groups(const Listings& listings, int64_t now, stripe::DiscountPolicy policy,
                                                  std::vector<Error>& errors) {
  std::map<std::string, std::vector<Series>> groups;
  const auto& subscriptions = listings.subscriptions;
  const auto& active = subscriptions.at("active");
  const auto& past_due = subscriptions.at("past_due");
  const auto& canceled = subscriptions.at("canceled");
  if (listings.items_complete) {
    auto mrr = Mrr({&active.objects, &past_due.objects}, policy);
    if (mrr) {
      groups["mrr"] = std::move(*mrr);
    } else {
      errors.push_back(mrr.error());
    }
  }
  if (listings.canceled_items_complete) {
    // Every subscription that ended after the window's start is in the canceled listing (see ReadListings).
    auto prior = MrrPrior({&active.objects, &past_due.objects, &canceled.objects}, now - kMonth, policy);
    if (prior) {
      groups["mrr_prior"] = std::move(*prior);
    } else {
      errors.push_back(prior.error());
    }
  }
  const auto all_complete =
      std::all_of(subscriptions.begin(), subscriptions.end(), [](const auto& entry) { return entry.second.complete; });
  if (all_complete) groups["created"] = Created(subscriptions, now);
  if (canceled.complete) groups["canceled"] = Ended(canceled.objects, now);
  if (active.complete && past_due.complete && canceled.complete) {
    groups["churn"] = Churn(active.objects, past_due.objects, canceled.objects, now - kMonth);
  }
  if (listings.charges.complete) groups["charges"] = Charges(listings.charges.objects, now);

  const auto malformed = [&](const std::string& what, const auto& listing) {
    if (!listing.complete) return;
    groups["malformed_" + what] = {
        {"stripe_malformed_objects", kMalformedHelp, {{"listing", what}}, double(listing.malformed)}};
  };
  malformed("charges", listings.charges);
  for (const auto& [status, listing] : subscriptions) {
    malformed("subscriptions_" + status, listing);
    const bool current = std::find(kCurrentStatuses.begin(), kCurrentStatuses.end(), status) != kCurrentStatuses.end();
    if (current && listing.complete) {
      groups["status_" + status] = {
          {"stripe_subscriptions", kStatusHelp, {{"status", status}}, double(listing.objects.size())}};
    }
  }
  return groups;
}

// Each list from a listing read in full in this poll; a cut or failed one keeps its last list.
void KeepItems(const Listings& listings, SystemTime now, size_t max_items, stripe::DiscountPolicy policy,
               std::map<std::string, ItemList>& kept) {
  if (max_items == 0) {
    kept.clear();
    return;
  }
  const auto& past_due = listings.subscriptions.at("past_due");
  const auto& unpaid = listings.subscriptions.at("unpaid");
  const std::string target(kTarget);
  if (past_due.complete) {
    kept["past_due"] = stripe::SubscriptionItems(stripe::kPastDueList, target, past_due.objects, now, max_items, policy);
  }
  if (unpaid.complete) {
    kept["unpaid"] = stripe::SubscriptionItems(stripe::kUnpaidList, target, unpaid.objects, now, max_items, policy);
  }
  if (listings.charges.complete) {
    kept["failed_payments"] = stripe::FailedPaymentItems(target, listings.charges.objects, now, max_items);
  }
}

}  // namespace

SourceCatalog StripeCatalog() {
  static constexpr MetricFamilyInfo kFamilies[] = {
      {"stripe_mrr", "gauge", "currency"},
      {"stripe_gross_margin_ratio", "gauge", ""},
      {"stripe_mrr_prior", "gauge", "currency,window"},
      {"stripe_arpu", "gauge", "currency"},
      {"stripe_customers_paying", "gauge", ""},
      {"stripe_subscriptions", "gauge", "status"},
      {"stripe_subscriptions_created", "gauge", "window"},
      {"stripe_subscriptions_canceled", "gauge", "window"},
      {"stripe_churn_ratio", "gauge", "window"},
      {"stripe_charges", "gauge", "status,window"},
      {"stripe_revenue", "gauge", "currency,window"},
      {"stripe_malformed_objects", "gauge", "listing"},
  };
  // MRR growth needs last month's MRR (stripe_mrr_prior), so Prometheus evaluates it; with one currency only,
  // as amounts in two currencies do not add up.
  static constexpr KpiDefault kKpis[] = {
      {"churn", "business", "stripe_churn_ratio", "window=30d", "max", "lower", 0.03},
      {"mrr_growth", "business", "", "", "", "higher", 0.15,
       "(sum(stripe_mrr) / sum(stripe_mrr_prior{window=\"30d\"}) - 1) and on () (count(stripe_mrr) == 1)"},
  };
  return {kFamilies, kKpis};
}
std::unique_ptr<Collector> MakeStripeCollector(SectionReader& reader) {
  StripeConfig config;
  config.settings = ReadSourceSettings(reader, {"https://api.stripe.com", 15min, 20s});
  config.api_key = reader.Secret("api_key").value_or("");
  if (auto pages = reader.Integer("max_pages", 1, 10000)) config.max_pages = int(*pages);
  if (const auto discounts = reader.String("mrr_discounts")) {
    const auto policy = stripe::ParseDiscountPolicy(*discounts);
    if (policy) {
      config.mrr_discounts = *policy;
    } else {
      reader.Fail("mrr_discounts", "'mrr_discounts' in [stripe] must be \"forever\", \"all\" or \"none\"");
    }
  }
  config.gross_margin = reader.Number("gross_margin", 0, 1);
  if (reader.ok() && config.api_key.empty()) reader.Fail("api_key", "[stripe] needs 'api_key' or 'api_key_file'");
  if (!reader.ok()) return nullptr;
  return std::make_unique<StripeCollector>(std::move(config));
}

HttpClientOptions StripeCollector::http_options() const {
  // The API version is pinned so answers keep the shape this code reads, whatever the account's default.
  return BaseHttpOptions(config_.settings, "Bearer " + config_.api_key, {{"Stripe-Version", "2024-06-20"}});
}

tl::expected<Snapshot, Error> StripeCollector::Poll(HttpClient& http, PollContext& context) {
  // Sharded, the account belongs to one shard like any other target; the others export nothing for it.
  if (!context.shard.Owns(kTarget)) return Snapshot();
  const int64_t now = int64_t(ToUnixSeconds(context.clock.Now()));
  std::vector<Error> errors;
  Reader read(http, context, errors, config_.settings.api_url, config_.max_pages);
  Listings listings = ReadListings(read, now - kMonth);
  if (read.canceled()) return tl::unexpected(errors.back());

  for (auto& [group, series] : Groups(listings, now, config_.mrr_discounts, errors)) kept_[group] = std::move(series);
  KeepItems(listings, context.clock.Now(), context.max_items, config_.mrr_discounts, kept_items_);
  const int malformed =
      std::accumulate(listings.subscriptions.begin(), listings.subscriptions.end(), listings.charges.malformed,
                      [](int sum, const auto& entry) { return sum + entry.second.malformed; });
  if (malformed > 0) {
    context.log.Warn(
        "skipped " + std::to_string(malformed) +
        " objects whose status or currency is outside Stripe's enumerations (see stripe_malformed_objects)");
  }

  SnapshotBuilder b(context.max_series);
  for (const auto& [group, series] : kept_) {
    for (const Series& s : series) b.Gauge(s.name, s.help, s.labels, s.value);
  }
  if (config_.gross_margin) b.Gauge("stripe_gross_margin_ratio", kMarginHelp, {}, *config_.gross_margin);
  for (const auto& [list, items] : kept_items_) b.Items(items);
  context.report.Target(kTarget, errors.empty());
  return FinishPoll(std::move(b), errors);
}

}  // namespace kpi
