// Stripe collector: MRR per currency, current subscriptions by status, new and
// canceled subscriptions, 30-day churn, charges by status and revenue.
// Definitions, requests and their reasons are in the README ("Stripe"); the
// arithmetic is in collectors/stripe/billing.h, the parsing in
// collectors/stripe/parse.h.
//
// Every series belongs to a group computed from certain listings (MRR from the
// active and past_due subscriptions, churn from those and the canceled ones,
// ...). A group is recomputed only when each of its listings was read in full
// in this poll; otherwise it keeps its last complete values (or stays absent),
// and the cut or failure is reported to the core. Polled by one thread at a
// time; the kept groups live between polls.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/common/collector.h"
#include "collectors/stripe/billing.h"

namespace kpi {

struct StripeConfig {
  SourceSettings settings;
  std::string api_key;  // secret or restricted key (read access to subscriptions, customers, prices, charges)
  int max_pages = 100;  // per listing, 100 objects a page
  stripe::DiscountPolicy mrr_discounts = stripe::DiscountPolicy::kForever;
  std::optional<double> gross_margin = std::nullopt;  // 0-1, exported for the kpi:ltv rule; none: no LTV
};

std::unique_ptr<Collector> MakeStripeCollector(SectionReader& reader);
// Its metric families and KPI defaults (see collectors/common/output/catalog.h).
SourceCatalog StripeCatalog();

class StripeCollector final : public Collector {
 public:
  explicit StripeCollector(StripeConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return "stripe"; }
  const SourceSettings& settings() const override { return config_.settings; }
  HttpClientOptions http_options() const override;
  tl::expected<Snapshot, Error> Poll(HttpClient& http, PollContext& context) override;

  struct Series {
    std::string name;
    std::string help;
    Labels labels;
    double value = 0;
  };

 private:
  StripeConfig config_;
  std::map<std::string, std::vector<Series>> kept_;  // group -> its series as of the last poll that read it in full
  std::map<std::string, ItemList> kept_items_;       // list -> as of the last poll that read its listing in full
};

}  // namespace kpi
