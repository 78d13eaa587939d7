// PyPI collector: downloads per package from pypistats (last 1/7/30 days, the
// 7 days before the last 7 from daily totals without mirrors, so a
// week-over-week drop alert works from the first poll, and the newest day
// pypistats has data for, so stale data can be told from a drop) and the
// latest release from the PyPI JSON API. Package names are normalised as in
// PEP 503.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/common/collector.h"
#include "collectors/common/last_good.h"

namespace kpi {

struct PypiConfig {
  SourceSettings settings;             // api_url = PyPI JSON API
  std::string stats_url;               // pypistats
  std::vector<std::string> packages;   // normalised, unique
};

std::unique_ptr<Collector> MakePypiCollector(SectionReader& reader);
// Its metric families and KPI defaults (see collectors/common/output/catalog.h).
SourceCatalog PypiCatalog();

namespace pypi {

// PEP 503: lower case, runs of '-', '_' and '.' become one '-'.
std::string NormalizeName(std::string_view name);

struct Recent {
  int64_t last_day = 0, last_week = 0, last_month = 0;
};
struct DailyTotal {
  std::chrono::sys_days date;  // the UTC day
  int64_t downloads = 0;
};
struct Release {
  std::string version;                  // "" when the answer names none
  std::optional<SystemTime> uploaded;   // newest file of that version
};

// Download counts must be whole numbers from 0 to 2^53 (exact as a double,
// and safe to add up); anything else fails the package's poll.
tl::expected<Recent, Error> ParseRecent(std::string_view body);
tl::expected<std::vector<DailyTotal>, Error> ParseOverall(std::string_view body);  // without_mirrors rows only
tl::expected<Release, Error> ParseProject(std::string_view body);

// The newest day pypistats has a row for, whatever its count (a row of 0
// downloads is data; a day without a row is not); nullopt without rows.
std::optional<std::chrono::sys_days> NewestDay(const std::vector<DailyTotal>& days);

// Downloads on the 7 days before the last 7, counted back from NewestDay (the
// last 7 are newest-6 .. newest, the prior 7 are newest-13 .. newest-7; a
// missing day counts as 0); nullopt without rows.
std::optional<int64_t> PriorWeek(const std::vector<DailyTotal>& days);

}  // namespace pypi

class PypiCollector final : public Collector {
 public:
  explicit PypiCollector(PypiConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return "pypi"; }
  const SourceSettings& settings() const override { return config_.settings; }
  HttpClientOptions http_options() const override;
  tl::expected<Snapshot, Error> Poll(HttpClient& http, PollContext& context) override;

  struct PackageStats {
    pypi::Recent recent;
    std::optional<int64_t> prior_week;
    std::optional<std::chrono::sys_days> newest_day;
    pypi::Release release;
    SystemTime polled_at{};  // when these figures were read (the drill-down list's `updated`)
  };

 private:
  tl::expected<PackageStats, Error> PollPackage(HttpClient& http, const std::string& package, PollLog& log);

  PypiConfig config_;
  LastGood<PackageStats> packages_;
};

}  // namespace kpi
