// PyPI collector: downloads per package from pypistats (last 1/7/30 days, and
// the 7 days before the last 7 from daily totals without mirrors, so a
// week-over-week drop alert works from the first poll) and the latest release
// from the PyPI JSON API. Package names are normalised as in PEP 503.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/last_good.h"

namespace kpi {

struct PypiConfig {
  SourceSettings settings;             // api_url = PyPI JSON API
  std::string stats_url;               // pypistats
  std::vector<std::string> packages;   // normalised, unique
};

std::unique_ptr<Collector> MakePypiCollector(SectionReader& reader);

namespace pypi {

// PEP 503: lower case, runs of '-', '_' and '.' become one '-'.
std::string NormalizeName(std::string_view name);

struct Recent {
  int64_t last_day = 0, last_week = 0, last_month = 0;
};
struct DailyTotal {
  std::string date;  // YYYY-MM-DD
  int64_t downloads = 0;
};
struct Release {
  std::string version;                  // "" when the project has none
  std::optional<SystemTime> uploaded;   // newest file of that version
};

tl::expected<Recent, Error> ParseRecent(std::string_view body);
tl::expected<std::vector<DailyTotal>, Error> ParseOverall(std::string_view body);  // without_mirrors only
tl::expected<Release, Error> ParseProject(std::string_view body);

// Downloads on the 7 days before the last 7, counted back from the newest date
// in `days` (a missing day counts as 0); nullopt when there are no days at all.
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
    pypi::Release release;
  };

 private:
  tl::expected<PackageStats, Error> PollPackage(HttpClient& http, const std::string& package);

  PypiConfig config_;
  LastGood<PackageStats> packages_;
};

}  // namespace kpi
