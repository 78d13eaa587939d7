// Error: what went wrong in a poll or while reading config, as a value.
// `reason` is a short, bounded token used as a metric label
// (kpi_exporter_collector_errors_total{reason}); `message` is for humans and
// must never contain a secret.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace kpi {

class Snapshot;

// Every reason a poll can fail with ("canceled", a shutdown, is never counted).
// kpi_exporter_collector_errors_total starts at 0 for each, so increase() sees
// the first error.
inline constexpr std::array<std::string_view, 10> kErrorReasons = {
    "unauthorized", "not_found", "rate_limited", "http_4xx", "http_5xx",
    "timeout",      "network",   "response_too_large", "parse", "internal"};

struct Error {
  std::string reason;   // e.g. "timeout", "network", "http_5xx", "parse", "unauthorized", "rate_limited"
  std::string message;  // one line, no secrets
  // A poll that failed only in part may still carry what it got (plus the last
  // good values of the failed parts). The core swaps it in and still reports
  // the poll as failed.
  std::shared_ptr<const Snapshot> partial = nullptr;
};

}  // namespace kpi
