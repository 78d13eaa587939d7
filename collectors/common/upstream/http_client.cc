#include "collectors/common/upstream/http_client.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <curl/curl.h>

#include "collectors/common/upstream/json.h"
#include "collectors/common/text.h"
#include "collectors/common/time_util.h"

namespace kpi {
namespace {

using std::chrono::milliseconds;

bool IsRetryableStatus(long status) { return status == 429 || (status >= 500 && status <= 599); }

bool IsRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<double> ParseNumber(std::string_view text) {
  text = Trim(text);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// RFC 9110 requires all three HTTP date formats (IMF-fixdate, RFC 850,
// asctime); libcurl's parser reads each of them.
std::optional<SystemTime> ParseHttpDate(std::string_view text) {
  const std::string date(Trim(text));
  const time_t seconds = curl_getdate(date.c_str(), nullptr);
  if (seconds == -1) return std::nullopt;
  return FromUnixSeconds(seconds);  // a date far in the future would overflow SystemTime
}

// GitHub's secondary limits answer 403 or 429 with this in the message
// ("You have exceeded a secondary rate limit..."), with or without retry-after.
bool IsSecondaryRateLimit(const HttpResponse& response) {
  if (response.status != 403 && response.status != 429) return false;
  return AsciiLower(std::string_view(response.body).substr(0, 4096)).find("secondary rate limit") != std::string::npos;
}

// GitHub: "wait for at least one minute" when a secondary limit gives no retry-after.
constexpr milliseconds kSecondaryRateLimitWait{60'000};

// The longest wait any vendor documents (GitHub's rate-limit window is an
// hour); a reset or retry-after beyond it is a broken header, not a plan.
constexpr auto kMaxDocumentedWait = std::chrono::hours(1);

}  // namespace

Error HttpStatusError(long status, std::string_view url, bool rate_limited, bool credentials_sent) {
  std::string reason = rate_limited                     ? "rate_limited"
                       : status == 401 || status == 403 ? "unauthorized"
                       : status == 404                  ? "not_found"
                       : status == 429                  ? "rate_limited"
                       : status >= 500                  ? "http_5xx"
                                                        : "http_4xx";
  std::string message = std::string(url) + " answered HTTP " + std::to_string(status);
  // A hint names only what the user can change: no credentials, no hint about them.
  if (reason == "unauthorized" && credentials_sent) message += " (check the configured credentials)";
  return Error{std::move(reason), std::move(message)};
}

std::string_view HttpResponse::Header(std::string_view name) const {
  const auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string_view{} : std::string_view{it->second};
}

namespace {

// libcurl's own URL parser, so the credential decision, redirects and the
// connection all read a URL the same way.
using CurlUrl = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

CurlUrl ParseCurlUrl(const std::string& url) {
  CurlUrl handle(curl_url(), &curl_url_cleanup);
  if (handle && curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) handle.reset();
  return handle;
}

std::string Part(CURLU* handle, CURLUPart part, unsigned flags = 0) {
  char* text = nullptr;
  if (curl_url_get(handle, part, &text, flags) != CURLUE_OK || !text) return {};
  std::string out(text);
  curl_free(text);
  return out;
}

}  // namespace

std::string OriginOf(std::string_view url) {
  const CurlUrl handle = ParseCurlUrl(std::string(url));
  if (!handle) return {};
  const std::string host = Part(handle.get(), CURLUPART_HOST);
  if (host.empty()) return {};
  return AsciiLower(Part(handle.get(), CURLUPART_SCHEME)) + "://" + AsciiLower(host) + ":" +
         Part(handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
}

std::string ResolveUrl(std::string_view base, std::string_view location) {
  const CurlUrl handle = ParseCurlUrl(std::string(base));
  if (!handle) return std::string(location);
  // Setting a relative URL on a parsed one resolves it as RFC 3986 says.
  if (curl_url_set(handle.get(), CURLUPART_URL, std::string(location).c_str(), 0) != CURLUE_OK) return {};
  return Part(handle.get(), CURLUPART_URL);
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
    for (const int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

HttpClient::HttpClient(std::unique_ptr<HttpTransport> transport, const Clock& clock,
                       HttpClientOptions options, AttemptObserver observer, std::stop_token stop)
    : transport_(std::move(transport)),
      clock_(clock),
      options_(std::move(options)),
      observer_(std::move(observer)),
      stop_(std::move(stop)),
      api_origin_(OriginOf(options_.api_url)),
      rng_(std::random_device{}()) {}

tl::expected<HttpResponse, Error> HttpClient::GetOk(const std::string& url, Credentials credentials) {
  auto response = Get(url, credentials);
  if (response && (response->status < 200 || response->status > 299)) {
    return tl::unexpected(
        HttpStatusError(response->status, url, false, credentials == Credentials::kSend && SendsCredentialsTo(url)));
  }
  return response;
}

tl::expected<HttpResponse, Error> HttpClient::PostOk(const std::string& url, std::string body,
                                                     std::string content_type) {
  HttpRequest request{url, options_.extra_headers, std::move(body)};
  request.headers.emplace_back("Content-Type", std::move(content_type));
  auto response = Send(std::move(request), Credentials::kSend);
  if (response && (response->status < 200 || response->status > 299)) {
    return tl::unexpected(HttpStatusError(response->status, url, false, SendsCredentialsTo(url)));
  }
  return response;
}

tl::expected<HttpResponse, Error> HttpClient::RequestOkWith(const std::string& url, const std::string& authorization,
                                                            std::optional<std::string> body) {
  HttpRequest request{url, options_.extra_headers, std::move(body)};
  if (request.body) request.headers.emplace_back("Content-Type", "application/json");
  const bool credentials_sent = IsApiOrigin(url);
  if (credentials_sent) request.headers.emplace_back("Authorization", authorization);
  auto response = SendWithRetries(std::move(request), false);
  if (response && (response->status < 200 || response->status > 299)) {
    return tl::unexpected(HttpStatusError(response->status, url, false, credentials_sent));
  }
  return response;
}

bool HttpClient::IsApiOrigin(std::string_view url) const {
  return !api_origin_.empty() && OriginOf(url) == api_origin_;
}

bool HttpClient::SendsCredentialsTo(std::string_view url) const {
  return (options_.authorization_provider || !options_.authorization.empty()) && IsApiOrigin(url);
}

tl::expected<HttpResponse, Error> HttpClient::Get(const std::string& first_url, Credentials credentials) {
  std::string url = first_url;
  for (int hop = 0;; ++hop) {
    auto response = Send(HttpRequest{url, options_.extra_headers, std::nullopt}, credentials);
    if (!response || !IsRedirect(response->status)) return response;
    const auto location = response->Header("location");
    if (location.empty()) return response;
    if (hop >= options_.max_redirects) {
      return tl::unexpected(Error{"http_4xx", url + ": too many redirects"});
    }
    // The next hop gets credentials only if it is the API's own origin again;
    // SendsCredentialsTo checks every hop afresh.
    url = ResolveUrl(url, location);
  }
}

tl::expected<HttpResponse, Error> HttpClient::Send(HttpRequest request, Credentials credentials) {
  const bool cacheable = !request.body;
  if (credentials == Credentials::kOmit || !SendsCredentialsTo(request.url)) {
    return SendWithRetries(std::move(request), cacheable);
  }
  const auto& provider = options_.authorization_provider;
  if (!provider) {
    request.headers.emplace_back("Authorization", options_.authorization);
    return SendWithRetries(std::move(request), cacheable);
  }
  for (int round = 1;; ++round) {
    // Asked before every request (not once per client): the provider renews what expires.
    auto authorization = provider->Authorization(*this);
    if (!authorization) return tl::unexpected(authorization.error());
    HttpRequest attempt = request;
    attempt.headers.emplace_back("Authorization", std::move(*authorization));
    auto response = SendWithRetries(std::move(attempt), cacheable);
    // A short-lived credential can be revoked or expire early: one fresh value,
    // one more try; a second 401 is the caller's to report.
    if (round == 2 || !response || response->status != 401) return response;
    provider->Invalidate();
  }
}

tl::expected<HttpResponse, Error> HttpClient::SendWithRetries(HttpRequest request, bool cacheable) {
  const std::string url = request.url;
  const std::optional<Cached> cached = cacheable ? Lookup(url) : std::nullopt;
  if (cached) request.headers.emplace_back(cached->validator_header, cached->validator);

  Error last_error{"network", url + ": no attempt made"};
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (auto error = WaitForRateLimitReset()) return tl::unexpected(*error);
    if (auto error = Pace(request)) return tl::unexpected(*error);
    if (stop_.stop_requested()) return tl::unexpected(Error{"canceled", url + ": shutting down"});

    auto response = transport_->Perform(request, options_.limits, stop_);
    std::optional<milliseconds> delay;
    if (!response) {
      if (observer_) observer_("error");
      last_error = response.error();
      if (last_error.reason == "response_too_large" || last_error.reason == "canceled") break;
    } else {
      if (observer_) observer_(std::to_string(response->status));
      if (options_.cost) points_spent_ += options_.cost(request, *response);
      RememberRateLimit(*response);
      response->url = url;
      if (response->status == 304 && cached) {
        HttpResponse reused = *cached->response;
        for (const auto& [name, value] : response->headers) {
          if (name.starts_with("x-ratelimit") || name == "date") reused.headers[name] = value;
        }
        reused.from_cache = true;
        return reused;
      }
      const bool secondary_rate_limit = IsSecondaryRateLimit(*response);
      const bool primary_rate_limit = !secondary_rate_limit && response->status == 403 &&
                                      response->Header("x-ratelimit-remaining") == "0";
      if (!IsRetryableStatus(response->status) && !primary_rate_limit && !secondary_rate_limit) {
        if (cacheable) Store(url, *response);
        return response;
      }
      last_error = HttpStatusError(response->status, url, primary_rate_limit || secondary_rate_limit);
      if (secondary_rate_limit) last_error.message += " (secondary rate limit)";
      delay = RetryDelay(*response);
      if (secondary_rate_limit && !delay) delay = kSecondaryRateLimitWait;
      if (delay && *delay > options_.max_rate_limit_wait) {
        last_error.message += " and asked to wait " + FormatDuration(*delay) + "; giving up this poll";
        return tl::unexpected(last_error);
      }
      // A 429 or secondary limit holds for every request of this client (limits may be global), not just this URL.
      if ((response->status == 429 || secondary_rate_limit) && delay) {
        std::lock_guard lock(mu_);
        rate_limited_until_ = clock_.Now() + *delay;
      }
      if (primary_rate_limit && !delay) break;
    }
    if (attempt == options_.max_attempts) break;
    const milliseconds wait = delay.value_or(Backoff(attempt));
    if (retry_log_) {
      retry_log_("retrying in " + FormatDuration(wait) + " (attempt " +
                 std::to_string(attempt + 1) + " of " + std::to_string(options_.max_attempts) +
                 "): " + last_error.reason + ": " + last_error.message);
    }
    if (!clock_.SleepFor(wait, stop_)) {
      return tl::unexpected(Error{"canceled", url + ": shutting down"});
    }
  }
  return tl::unexpected(last_error);
}

std::optional<Error> HttpClient::WaitForRateLimitReset() {
  std::optional<SystemTime> until;
  {
    std::lock_guard lock(mu_);
    until = rate_limited_until_;
  }
  // Clears the wait unless another request has set a new one meanwhile.
  const auto clear = [&] {
    std::lock_guard lock(mu_);
    if (rate_limited_until_ == until) rate_limited_until_.reset();
  };
  if (!until) return std::nullopt;
  const auto wait = std::chrono::ceil<milliseconds>(*until - clock_.Now());
  if (wait <= milliseconds::zero()) {
    clear();
    return std::nullopt;
  }
  if (wait > options_.max_rate_limit_wait) {
    return Error{"rate_limited", "rate limit exhausted until " + FormatTimestamp(*until) +
                                     "; not calling the API before then"};
  }
  if (!clock_.SleepFor(wait, stop_)) return Error{"canceled", "shutting down"};
  clear();
  return std::nullopt;
}

std::optional<Error> HttpClient::Pace(const HttpRequest& request) {
  if (options_.max_requests_per_minute <= 0 || (options_.paced && !options_.paced(request))) return std::nullopt;
  // A minute and a second: the API counts arrivals on its own clock, a
  // request's latency later, so an exact minute can let one too many through.
  constexpr auto kWindow = std::chrono::seconds(61);
  for (;;) {
    SystemTime free_at;
    {
      std::lock_guard lock(mu_);
      const SystemTime now = clock_.Now();
      while (!recent_attempts_.empty() && recent_attempts_.front() <= now - kWindow) recent_attempts_.pop_front();
      if (recent_attempts_.size() < size_t(options_.max_requests_per_minute)) {
        recent_attempts_.push_back(now);
        return std::nullopt;
      }
      free_at = recent_attempts_.front() + kWindow;
    }
    const auto wait = std::max(milliseconds(1), std::chrono::ceil<milliseconds>(free_at - clock_.Now()));
    if (!clock_.SleepFor(wait, stop_)) return Error{"canceled", "shutting down"};
  }
}

void HttpClient::RememberRateLimit(const HttpResponse& response) {
  // GitHub style: remaining hits 0, reset is a Unix time in seconds. GitHub
  // names the bucket in x-ratelimit-resource; only the core bucket (or an API
  // that names none) holds back every request. An empty graphql or search
  // bucket must not stop REST polling until its own reset.
  if (Trim(response.Header("x-ratelimit-remaining")) != "0") return;
  if (const auto resource = Trim(response.Header("x-ratelimit-resource")); !resource.empty() && resource != "core") {
    return;
  }
  const auto reset = ParseNumber(response.Header("x-ratelimit-reset"));
  if (!reset) return;
  // Clamped in seconds before any conversion: 1e300 would overflow into the past.
  const double now = ToUnixSeconds(clock_.Now());
  const double until = std::clamp(*reset, now, now + double(Seconds(kMaxDocumentedWait).count()));
  std::lock_guard lock(mu_);
  rate_limited_until_ = SystemTime{} + std::chrono::duration_cast<SystemTime::duration>(Seconds(until));
}

std::optional<milliseconds> HttpClient::RetryDelay(const HttpResponse& response) const {
  const auto to_ms = [](double seconds) {
    const double clamped = std::clamp(seconds, 0.0, double(Seconds(kMaxDocumentedWait).count()));
    return milliseconds(int64_t(std::ceil(clamped * 1000)));
  };
  // Discord style: {"retry_after": 0.25, "global": false} in a 429's body, more precise than its header.
  if (response.status == 429 && response.Header("content-type").find("json") != std::string_view::npos) {
    const auto seconds = json::ParseJson("429 body", [&] {
      simdjson::dom::parser parser;
      return json::OptNum(json::AsObject(json::Parse(parser, response.body), "429 body"), "retry_after");
    });
    if (seconds && *seconds && std::isfinite(**seconds)) return to_ms(**seconds);
  }
  if (const auto retry_after = response.Header("retry-after"); !retry_after.empty()) {
    if (const auto seconds = ParseNumber(retry_after)) return to_ms(*seconds);
    if (const auto date = ParseHttpDate(retry_after)) return to_ms(Seconds(*date - clock_.Now()).count());
  }
  std::lock_guard lock(mu_);
  if (rate_limited_until_) return to_ms(Seconds(*rate_limited_until_ - clock_.Now()).count());
  return std::nullopt;
}

milliseconds HttpClient::Backoff(int attempt) {
  const double exponential = double(options_.backoff_base.count()) * std::pow(2.0, attempt - 1);
  const double capped = std::min(exponential, double(options_.backoff_max.count()));
  // "Equal jitter": at least half the delay, so retries never bunch up at zero.
  std::uniform_real_distribution<double> jitter(capped / 2, capped);
  std::lock_guard lock(mu_);
  return milliseconds(int64_t(jitter(rng_)));
}

std::optional<HttpClient::Cached> HttpClient::Lookup(const std::string& url) {
  std::lock_guard lock(mu_);
  const auto it = cache_.find(url);
  if (it == cache_.end()) return std::nullopt;
  cache_lru_.splice(cache_lru_.begin(), cache_lru_, it->second.lru_position);
  return it->second.cached;
}

namespace {

// The validator header to send back and its value, for an answer that has one.
std::optional<std::pair<std::string, std::string>> ValidatorOf(const HttpResponse& response) {
  if (const auto etag = response.Header("etag"); !etag.empty()) return std::pair{"If-None-Match", std::string(etag)};
  if (const auto modified = response.Header("last-modified"); !modified.empty()) {
    return std::pair{"If-Modified-Since", std::string(modified)};
  }
  return std::nullopt;
}

}  // namespace

void HttpClient::Store(const std::string& url, const HttpResponse& response) {
  if (response.status != 200) return;
  auto validator = ValidatorOf(response);
  if (!validator) return;
  if (response.body.size() > options_.cache_max_bytes / 4) return;  // one answer may not flush the cache
  auto stored = std::make_shared<const HttpResponse>(response);
  std::lock_guard lock(mu_);
  if (const auto old = cache_.find(url); old != cache_.end()) {
    cache_bytes_ -= old->second.cached.bytes;
    cache_lru_.erase(old->second.lru_position);
    cache_.erase(old);
  }
  cache_lru_.push_front(url);
  cache_bytes_ += response.body.size();
  cache_.emplace(url, CacheEntry{Cached{std::move(validator->first), std::move(validator->second), std::move(stored),
                                        response.body.size()},
                                 cache_lru_.begin()});
  Evict();
}

void HttpClient::KeepDerived(const HttpResponse& response, const std::type_info& type,
                             std::shared_ptr<const void> derived, size_t bytes) {
  const auto validator = ValidatorOf(response);
  if (!validator) return;
  std::lock_guard lock(mu_);
  const auto found = cache_.find(response.url);
  if (found == cache_.end() || found->second.cached.validator != validator->second) return;
  Cached& cached = found->second.cached;
  auto kept = std::make_shared<HttpResponse>();
  kept->status = cached.response->status;
  // Only what a caller reads besides the body: the pagination links and the validators.
  for (const char* name : {"link", "etag", "last-modified", "content-type"}) {
    if (const auto value = cached.response->Header(name); !value.empty()) kept->headers.emplace(name, value);
  }
  kept->url = response.url;
  kept->derived = std::move(derived);
  kept->derived_type = &type;
  cache_bytes_ = cache_bytes_ - cached.bytes + bytes;
  cached.bytes = bytes;
  cached.response = std::move(kept);
  Evict();
}

void HttpClient::Evict() {
  while (cache_.size() > options_.cache_max_entries || cache_bytes_ > options_.cache_max_bytes) {
    const auto victim = cache_.find(cache_lru_.back());
    cache_bytes_ -= victim->second.cached.bytes;
    cache_.erase(victim);
    cache_lru_.pop_back();
    ++cache_evictions_;
  }
}

HttpClient::CacheStats HttpClient::cache_stats() const {
  std::lock_guard lock(mu_);
  return CacheStats{cache_.size(), cache_bytes_, cache_evictions_};
}

}  // namespace kpi
