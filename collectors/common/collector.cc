#include "collectors/common/collector.h"

#include <algorithm>
#include <memory>

#include <curl/curl.h>

#include "collectors/common/last_good.h"

namespace kpi {

namespace {

// True when libcurl, which makes the requests, reads `url` as a URL with a host.
bool HasHost(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), &curl_url_cleanup);
  char* host = nullptr;
  const bool ok = handle && curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
                  curl_url_get(handle.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK && host && *host;
  curl_free(host);
  return ok;
}

}  // namespace

std::optional<std::string> ReadUrl(SectionReader& reader, std::string_view key) {
  auto url = reader.String(key);
  if (!url) return std::nullopt;
  const std::string where = "'" + std::string(key) + "' in [" + reader.section() + "]";
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    reader.Fail(key, where + " must start with http:// or https://");
  } else if (url->find_first_of(" \t\r\n") != std::string::npos || !HasHost(*url)) {
    reader.Fail(key, where + " is not a valid URL with a host");
  }
  while (url->ends_with('/')) url->pop_back();
  return url;
}

HttpClientOptions BaseHttpOptions(const SourceSettings& settings, std::string authorization, Headers extra_headers) {
  HttpClientOptions options;
  options.api_url = settings.api_url;
  options.authorization = std::move(authorization);
  options.extra_headers = std::move(extra_headers);
  options.limits.total_timeout = settings.timeout;
  return options;
}

SourceSettings ReadSourceSettings(SectionReader& reader, SourceSettings defaults) {
  SourceSettings settings = std::move(defaults);
  if (auto url = ReadUrl(reader, "api_url")) settings.api_url = *url;
  if (reader.default_interval()) settings.interval = *reader.default_interval();
  if (auto interval = reader.Duration("interval", kMinInterval, kMaxInterval)) settings.interval = *interval;
  if (auto timeout = reader.Duration("timeout", std::chrono::milliseconds(100), std::chrono::minutes(10))) {
    settings.timeout = *timeout;
  }
  if (auto concurrency = reader.Integer("concurrency", 1, kMaxConcurrency)) settings.concurrency = int(*concurrency);
  return settings;
}

tl::expected<Snapshot, Error> FinishPoll(SnapshotBuilder builder, const std::vector<Error>& errors) {
  auto snapshot = std::move(builder).Build();
  if (!snapshot || errors.empty()) return snapshot;
  Error summary = errors.front();
  if (errors.size() > 1) summary.message += " (and " + std::to_string(errors.size() - 1) + " more)";
  summary.partial = std::make_shared<Snapshot>(std::move(*snapshot));
  return tl::unexpected(std::move(summary));
}

bool Canceled(const std::vector<Error>& errors) {
  return std::any_of(errors.begin(), errors.end(), [](const Error& e) { return e.reason == "canceled"; });
}

}  // namespace kpi
