// HttpClient: every upstream request goes through here. It owns the policy
// (retries with backoff and jitter, Retry-After and x-ratelimit handling,
// the ETag cache, redirects that never carry credentials to another host);
// an HttpTransport performs single attempts on the wire (libcurl in
// production, in-memory fakes in unit tests).
//
// Thread-safety: one HttpClient serves one collector; its poll may call it
// from several threads at once (ParallelFor) when its transport allows that
// (TransportPool). The cache, the rate-limit wait and the jitter are shared
// under a mutex, so a 429 seen by one request holds back them all.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/clock.h"
#include "collectors/common/error.h"

namespace kpi {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string url;
  Headers headers;                  // sent as given, in addition to the transport's defaults
  std::optional<std::string> body;  // set: a POST with this body; unset: a GET
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased; a repeated header keeps the last value
  std::string body;
  bool from_cache = false;  // true when a 304 let us reuse the cached answer
  // Set on a 304 when the caller derived a value from this URL's body last
  // time (ParseOnce, parse_once.h): that value, whose type is `derived_type`.
  // The cache then kept no body, and `body` is empty.
  std::shared_ptr<const void> derived{};
  const std::type_info* derived_type = nullptr;
  std::string url{};  // the URL that answered (after redirects); set by HttpClient

  // The header's value, or "" when absent. `name` must be lower case.
  std::string_view Header(std::string_view name) const;
};

struct TransferLimits {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{10000};
  size_t max_body_bytes = 32u << 20;  // decoded size; guards against gzip bombs too
  std::string user_agent;
};

// One attempt, no policy. Errors: reason "timeout", "network", "response_too_large", "canceled".
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual tl::expected<HttpResponse, Error> Perform(const HttpRequest& request,
                                                    const TransferLimits& limits,
                                                    std::stop_token stop) = 0;
};

class HttpClient;

// Supplies the Authorization value per request, for credentials that expire
// (GitHub App installation tokens). Called by the HttpClient it is set on,
// on that client's thread, before each request that carries credentials; it
// may make requests of its own through that client with RequestOkWith (which
// never asks it again).
class AuthorizationProvider {
 public:
  virtual ~AuthorizationProvider() = default;
  // The full Authorization header value; an error fails the request it was for.
  virtual tl::expected<std::string, Error> Authorization(HttpClient& http) = 0;
  // The API answered 401 to the value last returned (revoked, or expired
  // early): the next Authorization() must not return it again.
  virtual void Invalidate() = 0;
};

struct HttpClientOptions {
  std::string api_url;        // credentials go only to this URL's scheme://host:port
  std::string authorization;  // full Authorization header value, or empty; a secret
  // When set, asked per request instead of `authorization`. A 401 invalidates
  // its value and the request goes once more with a fresh one.
  std::shared_ptr<AuthorizationProvider> authorization_provider;
  Headers extra_headers;      // e.g. Accept, API version headers
  TransferLimits limits;
  int max_attempts = 3;                                  // total tries for 5xx, 429 and network errors
  std::chrono::milliseconds backoff_base{500};           // doubled per retry, full jitter
  std::chrono::milliseconds backoff_max{30'000};
  std::chrono::milliseconds max_rate_limit_wait{60'000};  // longer waits fail the poll instead
  int max_redirects = 5;
  // Attempts allowed per minute (any 61 s; 0: unpaced); more wait for the window to
  // move. GitHub's secondary limit allows 900 REST points a minute.
  int max_requests_per_minute = 0;
  // Which requests max_requests_per_minute counts (unset: all). GitHub limits
  // GraphQL by its own points per minute, apart from REST's requests.
  std::function<bool(const HttpRequest&)> paced;
  // Points an answered attempt costs against the API's limit (GitHub: 1 for
  // any answer but a 304 or /rate_limit); summed in points_spent(). Unset: 0.
  std::function<int(const HttpRequest&, const HttpResponse&)> cost;
  // The conditional-request cache keeps, per URL, the validator and either the
  // raw body or (after ParseOnce) what was derived from it, which is far
  // smaller: enough entries for every URL of a large poll (GitHub at 1000
  // repositories asks about 11 000), so unchanged answers are 304s, free. A
  // repository's parsed pages take some 35 KiB (the bench's shape) to 70 KiB
  // (real titles and URLs, 100 issues, 60 runs): 128 MiB holds about 2000.
  // Past it the least recently used go, and a poll's URLs come round in a
  // cycle, so a cache too small for one poll answers none 304: shard first.
  size_t cache_max_entries = 100'000;
  size_t cache_max_bytes = 128u << 20;
};

// Called once per attempt with the status code as text ("200", "304", "500")
// or "error" for a transport failure; feeds kpi_exporter_upstream_requests_total.
using AttemptObserver = std::function<void(std::string_view code)>;

// Whether a request may carry the configured Authorization (still only ever to
// the api_url origin). kOmit is for public endpoints that must be called anonymously.
enum class Credentials { kSend, kOmit };

class HttpClient {
 public:
  HttpClient(std::unique_ptr<HttpTransport> transport, const Clock& clock, HttpClientOptions options,
             AttemptObserver observer = {}, std::stop_token stop = {});

  // Told, before each retry, which request failed why and how long the client
  // waits (the scheduler logs it at debug).
  void set_retry_log(std::function<void(const std::string& message)> log) { retry_log_ = std::move(log); }

  // GETs `url` with the full policy. Any final HTTP status is returned as a
  // response; only transport failures, exhausted retries and rate limits that
  // would take too long are errors.
  tl::expected<HttpResponse, Error> Get(const std::string& url, Credentials credentials = Credentials::kSend);

  // Like Get, but a non-2xx final status is an error too (reason "unauthorized",
  // "not_found", "rate_limited", "http_4xx" or "http_5xx").
  tl::expected<HttpResponse, Error> GetOk(const std::string& url, Credentials credentials = Credentials::kSend);

  // A POST for read-only query endpoints (e.g. Jira's approximate-count): same
  // retries and rate-limit handling as GET, no cache, no redirects; non-2xx is an error.
  tl::expected<HttpResponse, Error> PostOk(const std::string& url, std::string body,
                                           std::string content_type = "application/json");

  // A request with exactly this Authorization value (still only to api_url's
  // origin), for an AuthorizationProvider's own calls such as trading an app
  // JWT for a token. A GET without `body`, else a POST of JSON. Retried like any
  // request; no cache, no redirects; non-2xx is an error.
  tl::expected<HttpResponse, Error> RequestOkWith(const std::string& url, const std::string& authorization,
                                                  std::optional<std::string> body = std::nullopt);

  // Keeps `derived`, what the caller made of `response`'s body (a function of
  // the body alone), in place of the body in the cache entry for its URL, so a
  // later 304 hands it back (HttpResponse::derived). Does nothing when that
  // entry is gone or now holds another answer. `bytes`: what it is charged
  // against cache_max_bytes. Use ParseOnce (parse_once.h), not this.
  void KeepDerived(const HttpResponse& response, const std::type_info& type, std::shared_ptr<const void> derived,
                   size_t bytes);

  // Whether a request to `url` would carry credentials (some are set and `url`
  // is on api_url's origin).
  bool SendsCredentialsTo(std::string_view url) const;

  const HttpClientOptions& options() const { return options_; }
  // The conditional-request cache now, and the entries it dropped to stay within its limits over the client's
  // life (kpi_exporter_upstream_cache_*): evictions mean answers that could be free 304s are paid again.
  struct CacheStats {
    size_t entries = 0;
    size_t bytes = 0;  // as charged against cache_max_bytes
    uint64_t evictions = 0;
  };
  CacheStats cache_stats() const;
  // What options().cost charged so far, over the client's life.
  int64_t points_spent() const { return points_spent_; }
  const Clock& clock() const { return clock_; }
  // Stopped at shutdown: for a caller's own waits between requests.
  std::stop_token stop_token() const { return stop_; }

 private:
  struct Cached {
    std::string validator_header;  // "If-None-Match" or "If-Modified-Since"
    std::string validator;
    std::shared_ptr<const HttpResponse> response;  // with `derived` set, its body is dropped
    size_t bytes = 0;                              // charged against cache_max_bytes
  };
  struct CacheEntry {
    Cached cached;
    std::list<std::string>::iterator lru_position;
  };

  // Adds the credentials `credentials` allows, renewing a provider's value once on a 401.
  tl::expected<HttpResponse, Error> Send(HttpRequest request, Credentials credentials);
  tl::expected<HttpResponse, Error> SendWithRetries(HttpRequest request, bool cacheable);
  bool IsApiOrigin(std::string_view url) const;
  std::optional<Error> WaitForRateLimitReset();
  std::optional<Error> Pace(const HttpRequest& request);
  void RememberRateLimit(const HttpResponse& response);
  std::optional<std::chrono::milliseconds> RetryDelay(const HttpResponse& response) const;
  std::chrono::milliseconds Backoff(int attempt);
  void Store(const std::string& url, const HttpResponse& response);
  void Evict();  // least recently used entries until the cache fits its limits; mu_ held
  std::optional<Cached> Lookup(const std::string& url);

  std::unique_ptr<HttpTransport> transport_;
  const Clock& clock_;
  HttpClientOptions options_;
  AttemptObserver observer_;
  std::function<void(const std::string&)> retry_log_;
  std::stop_token stop_;
  std::string api_origin_;
  mutable std::mutex mu_;  // guards everything below
  std::mt19937_64 rng_;
  std::optional<SystemTime> rate_limited_until_;
  std::deque<SystemTime> recent_attempts_;
  std::atomic<int64_t> points_spent_{0};  // within the last minute, for max_requests_per_minute
  std::unordered_map<std::string, CacheEntry> cache_;
  std::list<std::string> cache_lru_;  // front = most recently used
  size_t cache_bytes_ = 0;
  uint64_t cache_evictions_ = 0;
};

// "https://api.github.com:443/x?y" -> "https://api.github.com:443"; the port is
// made explicit so "https://h" and "https://h:443" compare equal.
std::string OriginOf(std::string_view url);

// Resolves a Location header against the URL it came from.
std::string ResolveUrl(std::string_view base, std::string_view location);

// The error for a final non-2xx answer: reason "unauthorized" (401/403),
// "not_found", "rate_limited" (429, or `rate_limited` for a 403 that is one),
// "http_4xx" or "http_5xx". Only an "unauthorized" answer to a request that
// carried credentials suggests checking them.
Error HttpStatusError(long status, std::string_view url, bool rate_limited = false, bool credentials_sent = true);

// Percent-encodes a query parameter value or path segment.
std::string UrlEncode(std::string_view text);

// Standard base64 with padding (for HTTP Basic credentials).
std::string Base64Encode(std::string_view bytes);

}  // namespace kpi
