// Error: what went wrong in a poll or while reading config, as a value.
// `reason` is a short, bounded token used as a metric label
// (kpi_exporter_collector_errors_total{reason}); `message` is for humans and
// must never contain a secret.
#pragma once

#include <memory>
#include <string>

namespace kpi {

class Snapshot;

struct Error {
  std::string reason;   // e.g. "timeout", "network", "http_5xx", "parse", "unauthorized", "rate_limited"
  std::string message;  // one line, no secrets
  // A poll that failed only in part may still carry what it got (plus the last
  // good values of the failed parts). The core swaps it in and still reports
  // the poll as failed.
  std::shared_ptr<const Snapshot> partial = nullptr;
};

}  // namespace kpi
