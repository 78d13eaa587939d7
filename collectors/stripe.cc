#include "collectors/stripe.h"

#include <algorithm>
#include <array>

#include "collectors/json.h"
#include "collectors/pagination.h"
#include "collectors/text.h"

namespace kpi {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kDaySeconds = 86400;
constexpr std::array<std::string_view, 8> kStatuses = {"active",    "past_due", "unpaid",   "canceled",
                                                        "incomplete", "incomplete_expired", "trialing", "paused"};

// Stripe's zero-decimal currencies: amounts are already in major units.
constexpr std::array<std::string_view, 16> kZeroDecimal = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
                                                           "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"};

std::optional<stripe::Coupon> ParseCoupon(json::object discount) {
  // Older API versions carry the coupon directly, newer ones under source.coupon.
  std::optional<json::object> coupon = json::OptObj(discount, "coupon");
  if (!coupon) {
    if (const auto source = json::OptObj(discount, "source")) coupon = json::OptObj(*source, "coupon");
  }
  if (!coupon) return std::nullopt;
  return stripe::Coupon{json::OptNum(*coupon, "percent_off"), json::OptInt(*coupon, "amount_off"),
                        AsciiLower(json::OptStr(*coupon, "currency").value_or(""))};
}

template <typename T, typename F>
tl::expected<stripe::Page<T>, Error> ParseList(std::string_view what, std::string_view body, F&& parse_one) {
  return json::ParseJson(what, [&] {
    simdjson::dom::parser parser;
    const json::object root = json::AsObject(json::Parse(parser, body), what);
    stripe::Page<T> page;
    for (const json::element item : json::Arr(root, "data")) page.data.push_back(parse_one(json::AsObject(item, "list element")));
    page.has_more = json::Bool(root, "has_more");
    return page;
  });
}

}  // namespace

namespace stripe {

double MinorUnitsPerMajor(std::string_view currency) {
  const std::string lower = AsciiLower(currency);
  return std::find(kZeroDecimal.begin(), kZeroDecimal.end(), lower) != kZeroDecimal.end() ? 1.0 : 100.0;
}

std::optional<double> ChargesPerMonth(std::string_view interval, int64_t interval_count) {
  if (interval_count < 1) return std::nullopt;
  const double count = double(interval_count);
  if (interval == "day") return 365.0 / 12.0 / count;
  if (interval == "week") return 52.0 / 12.0 / count;
  if (interval == "month") return 1.0 / count;
  if (interval == "year") return 1.0 / 12.0 / count;
  return std::nullopt;
}

double MonthlyMinorAmount(const Subscription& s) {
  double monthly = 0;
  std::optional<double> invoices_per_month;  // the billing cycle amount coupons apply to
  for (const Item& item : s.items) {
    const auto per_month = ChargesPerMonth(item.interval, item.interval_count);
    if (!per_month || item.metered || !item.unit_amount) continue;
    monthly += double(*item.unit_amount) * double(item.quantity) * *per_month;
    if (!invoices_per_month) invoices_per_month = per_month;
  }
  for (const Coupon& coupon : s.coupons) {
    if (coupon.percent_off) monthly *= 1.0 - std::clamp(*coupon.percent_off, 0.0, 100.0) / 100.0;
    if (coupon.amount_off && coupon.currency == s.currency && invoices_per_month) {
      monthly -= double(*coupon.amount_off) * *invoices_per_month;
    }
  }
  return std::max(0.0, monthly);
}

tl::expected<Page<Subscription>, Error> ParseSubscriptions(std::string_view body) {
  return ParseList<Subscription>("subscriptions", body, [](json::object o) {
    Subscription s;
    s.id = std::string(json::Str(o, "id"));
    s.status = std::string(json::Str(o, "status"));
    s.currency = AsciiLower(json::OptStr(o, "currency").value_or(""));
    s.created = json::Int(o, "created");
    s.ended_at = json::OptInt(o, "ended_at");
    if (!s.ended_at && s.status == "canceled") s.ended_at = json::OptInt(o, "canceled_at");
    s.trial_end = json::OptInt(o, "trial_end");
    for (const json::element element : json::Arr(json::Obj(o, "items"), "data")) {
      const json::object item = json::AsObject(element, "subscription item");
      const json::object price = json::Obj(item, "price");
      Item parsed;
      parsed.unit_amount = json::OptInt(price, "unit_amount");
      parsed.quantity = json::OptInt(item, "quantity").value_or(1);
      if (const auto recurring = json::OptObj(price, "recurring")) {
        parsed.interval = std::string(json::Str(*recurring, "interval"));
        parsed.interval_count = json::OptInt(*recurring, "interval_count").value_or(1);
        parsed.metered = json::OptStr(*recurring, "usage_type") == std::optional<std::string_view>("metered");
      }
      if (s.currency.empty()) s.currency = AsciiLower(json::OptStr(price, "currency").value_or(""));
      s.items.push_back(parsed);
    }
    if (const auto discount = json::OptObj(o, "discount")) {
      if (auto coupon = ParseCoupon(*discount)) s.coupons.push_back(*coupon);
    } else if (const auto discounts = json::OptArr(o, "discounts")) {
      for (const json::element d : *discounts) {
        json::object expanded;
        if (d.get(expanded) != simdjson::SUCCESS) continue;  // an unexpanded ID says nothing about the amount
        if (auto coupon = ParseCoupon(expanded)) s.coupons.push_back(*coupon);
      }
    }
    return s;
  });
}

tl::expected<Page<Charge>, Error> ParseCharges(std::string_view body) {
  return ParseList<Charge>("charges", body, [](json::object o) {
    return Charge{std::string(json::Str(o, "id")),       std::string(json::Str(o, "status")),
                  AsciiLower(json::Str(o, "currency")),         json::Int(o, "amount"),
                  json::OptInt(o, "amount_refunded").value_or(0), json::Int(o, "created")};
  });
}

}  // namespace stripe

std::unique_ptr<Collector> MakeStripeCollector(SectionReader& reader) {
  StripeConfig config;
  config.settings = ReadSourceSettings(reader, {"https://api.stripe.com", 15min, 20s});
  config.api_key = reader.Secret("api_key").value_or("");
  if (auto pages = reader.Integer("max_pages", 1, 10000)) config.max_pages = int(*pages);
  if (reader.ok() && config.api_key.empty()) reader.Fail("api_key", "[stripe] needs 'api_key' or 'api_key_file'");
  if (!reader.ok()) return nullptr;
  return std::make_unique<StripeCollector>(std::move(config));
}

HttpClientOptions StripeCollector::http_options() const {
  // The API version is pinned so answers keep the shape this code reads, whatever the account's default.
  return BaseHttpOptions(config_.settings, "Bearer " + config_.api_key, {{"Stripe-Version", "2024-06-20"}});
}

template <typename T>
tl::expected<std::vector<T>, Error> StripeCollector::List(HttpClient& http, PollContext& context, const std::string& url,
                                                          tl::expected<stripe::Page<T>, Error> (*parse)(std::string_view),
                                                          std::string (*id_of)(const T&)) {
  std::vector<T> all;
  auto walk = WalkCursor(
      http, [&](const std::string& cursor) { return cursor.empty() ? url : url + "&starting_after=" + UrlEncode(cursor); },
      config_.max_pages, [&](const HttpResponse& page) -> tl::expected<std::optional<std::string>, Error> {
        auto parsed = parse(page.body);
        if (!parsed) return tl::unexpected(parsed.error());
        all.insert(all.end(), parsed->data.begin(), parsed->data.end());
        if (!parsed->has_more || parsed->data.empty()) return std::nullopt;
        return id_of(parsed->data.back());
      });
  if (!walk) return tl::unexpected(walk.error());
  if (walk->truncated) context.log.Warn(url + ": more than max_pages pages; counts are a lower bound");
  return all;
}

tl::expected<Snapshot, Error> StripeCollector::Poll(HttpClient& http, PollContext& context) {
  const SystemTime now = context.clock.Now();
  const int64_t now_s = int64_t(ToUnixSeconds(now));
  const int64_t month_ago = now_s - 30 * kDaySeconds;
  std::vector<Error> errors;
  const std::string api = config_.settings.api_url;
  if (!subscriptions_.Update("subscriptions",
                             List<stripe::Subscription>(
                                 http, context, api + "/v1/subscriptions?status=all&limit=100&expand%5B%5D=data.discounts",
                                 &stripe::ParseSubscriptions, [](const stripe::Subscription& s) { return s.id; }),
                             errors) ||
      !charges_.Update("charges",
                       List<stripe::Charge>(http, context,
                                            api + "/v1/charges?limit=100&created%5Bgte%5D=" + std::to_string(month_ago),
                                            &stripe::ParseCharges, [](const stripe::Charge& c) { return c.id; }),
                       errors)) {
    return tl::unexpected(errors.back());
  }

  SnapshotBuilder b;
  if (const auto subs = subscriptions_.values().find("subscriptions"); subs != subscriptions_.values().end()) {
    std::map<std::string, double> mrr_minor;
    std::map<std::string, int64_t> by_status;
    for (const auto status : kStatuses) by_status[std::string(status)] = 0;
    int64_t created_1d = 0, created_30d = 0, canceled_1d = 0, canceled_30d = 0;
    int64_t active_at_start = 0, churned = 0;
    for (const auto& s : subs->second) {
      ++by_status[s.status];
      if ((s.status == "active" || s.status == "past_due") && !s.currency.empty()) {
        mrr_minor[s.currency] += stripe::MonthlyMinorAmount(s);
      }
      created_1d += s.created >= now_s - kDaySeconds;
      created_30d += s.created >= month_ago;
      const bool ended = s.status == "canceled" && s.ended_at;
      canceled_1d += ended && *s.ended_at >= now_s - kDaySeconds;
      canceled_30d += ended && *s.ended_at >= month_ago;
      const bool paying_at_start = s.created < month_ago && (!s.ended_at || *s.ended_at >= month_ago) &&
                                   (!s.trial_end || *s.trial_end <= month_ago) && s.status != "incomplete" &&
                                   s.status != "incomplete_expired";
      active_at_start += paying_at_start;
      churned += paying_at_start && ended && *s.ended_at >= month_ago;
    }
    for (const auto& [currency, minor] : mrr_minor) {
      b.Gauge("stripe_mrr", "Monthly recurring revenue of active and past_due subscriptions, in major units.",
              {{"currency", currency}}, minor / stripe::MinorUnitsPerMajor(currency));
    }
    for (const auto& [status, count] : by_status) {
      b.Gauge("stripe_subscriptions", "Subscriptions by status.", {{"status", status}}, double(count));
    }
    const char* created_help = "Subscriptions created in the window.";
    b.Gauge("stripe_subscriptions_created", created_help, {{"window", "1d"}}, double(created_1d));
    b.Gauge("stripe_subscriptions_created", created_help, {{"window", "30d"}}, double(created_30d));
    const char* canceled_help = "Subscriptions that ended (canceled) in the window.";
    b.Gauge("stripe_subscriptions_canceled", canceled_help, {{"window", "1d"}}, double(canceled_1d));
    b.Gauge("stripe_subscriptions_canceled", canceled_help, {{"window", "30d"}}, double(canceled_30d));
    if (active_at_start > 0) {
      b.Gauge("stripe_churn_ratio",
              "Subscriptions paying at the window's start that ended within it, divided by those paying at its start.",
              {{"window", "30d"}}, double(churned) / double(active_at_start));
    }
  }
  if (const auto charges = charges_.values().find("charges"); charges != charges_.values().end()) {
    std::map<std::pair<std::string, std::string>, int64_t> counts;  // (status, window)
    std::map<std::pair<std::string, std::string>, double> revenue;  // (currency, window), minor units
    for (const auto status : {"succeeded", "pending", "failed"}) {
      counts[{status, "1d"}] = 0;
      counts[{status, "30d"}] = 0;
    }
    for (const auto& c : charges->second) {
      for (const auto& [window, start] : {std::pair{"1d", now_s - kDaySeconds}, std::pair{"30d", month_ago}}) {
        if (c.created < start) continue;
        ++counts[{c.status, window}];
        if (c.status == "succeeded") revenue[{c.currency, window}] += double(c.amount - c.amount_refunded);
      }
    }
    for (const auto& [key, count] : counts) {
      b.Gauge("stripe_charges", "Charges created in the window, by status.", {{"status", key.first}, {"window", key.second}},
              double(count));
    }
    for (const auto& [key, minor] : revenue) {
      b.Gauge("stripe_revenue", "Succeeded charges minus refunds in the window, in major units.",
              {{"currency", key.first}, {"window", key.second}}, minor / stripe::MinorUnitsPerMajor(key.first));
    }
  }
  return FinishPoll(std::move(b), errors);
}

}  // namespace kpi
