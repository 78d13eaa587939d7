// The one interface every source implements, and what the core hands it.
//
// A collector is built from its config section by a factory (see all.cc),
// then polled by the scheduler from one worker thread at a time: Poll need not
// be reentrant, and a collector may keep caches between polls in members.
// The core wraps every Poll with timing, success and error metrics; a
// collector only returns a Snapshot or an Error.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "collectors/common/output/catalog.h"
#include "collectors/common/clock.h"
#include "collectors/common/error.h"
#include "collectors/common/output/items.h"
#include "collectors/common/upstream/http_client.h"
#include "collectors/common/poll_report.h"
#include "collectors/common/section_reader.h"
#include "collectors/common/shard.h"
#include "collectors/common/output/snapshot.h"

namespace kpi {

// Logging for a collector, already tagged with collector=<name> by the core.
class PollLog {
 public:
  virtual ~PollLog() = default;
  virtual void Debug(std::string_view message) = 0;
  virtual void Warn(std::string_view message) = 0;
};

// [exporter] max_series_per_collector's default: generous for real
// organisations, small enough that no upstream answer can make the page huge.
inline constexpr size_t kDefaultMaxSeries = 100'000;

// The exporter-wide bounds on what one poll keeps.
struct PollLimits {
  size_t max_series = kDefaultMaxSeries;  // [exporter] max_series_per_collector
  size_t max_items = kDefaultMaxItems;    // [drill_down] max_items: items per list, 0 = no lists
  bool operator==(const PollLimits&) const = default;
};

struct PollContext {
  const Clock& clock;
  PollLog& log;
  std::stop_token stop;
  PollReport report;  // filled by the collector, read by the core after Poll returns
  Shard shard = {};   // the targets this process owns; a collector that shards skips the rest
  size_t max_series = kDefaultMaxSeries;  // hand to SnapshotBuilder: the collector's series cap
  size_t max_items = kDefaultMaxItems;    // hand to MakeItemList; 0: build no item lists
  // Set by a collector that must poll less often for now (a rate limit that
  // would not last until its reset at the configured interval); the core
  // waits this long before the next poll, never less than the interval.
  std::optional<std::chrono::milliseconds> next_interval = std::nullopt;
};

// Keys every source section accepts: api_url, interval, timeout.
struct SourceSettings {
  std::string api_url;
  std::chrono::milliseconds interval{std::chrono::minutes(5)};
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  // Requests in flight at once for this source (its targets polled side by
  // side). At most 100: GitHub's documented cap on concurrent requests.
  int concurrency = 8;
};
inline constexpr int kMaxConcurrency = 100;

// Every poll interval lies between these (README: "Keys every source accepts").
inline constexpr std::chrono::milliseconds kMinInterval = std::chrono::seconds(1);
inline constexpr std::chrono::milliseconds kMaxInterval = std::chrono::hours(7 * 24);

// Reads api_url (see ReadUrl), interval (1s to 7d), timeout (100ms to 10m) and
// concurrency (1 to kMaxConcurrency).
SourceSettings ReadSourceSettings(SectionReader& reader, SourceSettings defaults);

// Reads a URL key: must start with http:// or https://; trailing '/' dropped.
std::optional<std::string> ReadUrl(SectionReader& reader, std::string_view key);

// What every source's HttpClient starts from: credentials only to api_url's
// origin, the source's timeout, and any headers the API wants.
HttpClientOptions BaseHttpOptions(const SourceSettings& settings, std::string authorization = {},
                                  Headers extra_headers = {});

class Collector {
 public:
  virtual ~Collector() = default;
  virtual std::string_view name() const = 0;
  virtual const SourceSettings& settings() const = 0;
  // How the core should build this collector's HttpClient (auth header, Accept, limits).
  virtual HttpClientOptions http_options() const = 0;
  virtual tl::expected<Snapshot, Error> Poll(HttpClient& http, PollContext& context) = 0;
};

// Builds a collector from its section, or returns nullptr after recording the
// problem in the reader (the caller turns reader.Finish() into the error).
using CollectorFactoryFn = std::unique_ptr<Collector> (*)(SectionReader& reader);

struct CollectorFactory {
  std::string_view section;  // the TOML table name, e.g. "github"
  CollectorFactoryFn create;
  SourceCatalog (*catalog)() = nullptr;  // its metric families and KPI defaults
};

}  // namespace kpi
