// Stripe collector: MRR per currency, subscriptions by status, new and
// canceled subscriptions, 30-day churn, charges by status and revenue, from
// /v1/subscriptions (status=all) and /v1/charges (last 30 days).
// Definitions are in the README ("Stripe").
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/last_good.h"

namespace kpi {

struct StripeConfig {
  SourceSettings settings;
  std::string api_key;  // secret or restricted key (read access to subscriptions and charges)
  int max_pages = 100;  // per listing, 100 objects a page
};

std::unique_ptr<Collector> MakeStripeCollector(SectionReader& reader);

namespace stripe {

struct Coupon {
  std::optional<double> percent_off;
  std::optional<int64_t> amount_off;  // minor units of `currency`, per invoice
  std::string currency;
};

struct Item {
  std::optional<int64_t> unit_amount;  // minor units; none for tiered prices
  std::string interval;                // day, week, month, year
  int64_t interval_count = 1;
  int64_t quantity = 1;
  bool metered = false;
};

struct Subscription {
  std::string id;
  std::string status;
  std::string currency;
  int64_t created = 0;
  std::optional<int64_t> ended_at;  // canceled_at when ended_at is absent
  std::optional<int64_t> trial_end;
  std::vector<Item> items;
  std::vector<Coupon> coupons;
};

struct Charge {
  std::string id;
  std::string status;  // succeeded, pending, failed
  std::string currency;
  int64_t amount = 0;
  int64_t amount_refunded = 0;
  int64_t created = 0;
};

template <typename T>
struct Page {
  std::vector<T> data;
  bool has_more = false;
};

tl::expected<Page<Subscription>, Error> ParseSubscriptions(std::string_view body);
tl::expected<Page<Charge>, Error> ParseCharges(std::string_view body);

// Minor units per major unit: 1 for zero-decimal currencies (JPY, KRW, ...), else 100.
double MinorUnitsPerMajor(std::string_view currency);
// How many times a price with this interval is charged per month (day: 365/12, week: 52/12, ...), or nullopt.
std::optional<double> ChargesPerMonth(std::string_view interval, int64_t interval_count);
// MRR of one subscription in minor units of its currency (discounts applied; 0 for unpriced items).
double MonthlyMinorAmount(const Subscription& subscription);

}  // namespace stripe

class StripeCollector final : public Collector {
 public:
  explicit StripeCollector(StripeConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return "stripe"; }
  const SourceSettings& settings() const override { return config_.settings; }
  HttpClientOptions http_options() const override;
  tl::expected<Snapshot, Error> Poll(HttpClient& http, PollContext& context) override;

 private:
  template <typename T>
  tl::expected<std::vector<T>, Error> List(HttpClient& http, PollContext& context, const std::string& url,
                                           tl::expected<stripe::Page<T>, Error> (*parse)(std::string_view),
                                           std::string (*id_of)(const T&));

  StripeConfig config_;
  LastGood<std::vector<stripe::Subscription>> subscriptions_;
  LastGood<std::vector<stripe::Charge>> charges_;
};

}  // namespace kpi
