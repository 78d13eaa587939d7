#include "collectors/pypi.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "collectors/common/upstream/json.h"
#include "collectors/common/text.h"
#include "collectors/common/time_util.h"

namespace kpi {
namespace {

using namespace std::chrono_literals;

std::optional<std::chrono::sys_days> ParseDate(std::string_view text) {
  const auto t = ParseTimestamp(std::string(text) + "T00:00:00Z");
  if (!t) return std::nullopt;
  return std::chrono::floor<std::chrono::days>(*t);
}

// pypistats answers 404 for a package it has no download rows for yet (a new
// or renamed one): nothing was counted, which is no data, not a failure.
template <typename T>
tl::expected<std::optional<T>, Error> GetStats(HttpClient& http, const std::string& url,
                                               tl::expected<T, Error> (*parse)(std::string_view)) {
  auto response = http.GetOk(url);
  if (!response && response.error().reason == "not_found") return std::optional<T>();
  return response.and_then([&](const HttpResponse& r) { return parse(r.body); }).map([](T value) {
    return std::optional<T>(std::move(value));
  });
}

}  // namespace

namespace pypi {

std::string NormalizeName(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (out.empty() || out.back() != '-') out += '-';
    } else {
      out += char(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

tl::expected<Recent, Error> ParseRecent(std::string_view body) {
  return json::ParseJson("recent downloads", [&] {
    simdjson::dom::parser parser;
    const json::object data = json::Obj(json::AsObject(json::Parse(parser, body), "recent downloads"), "data");
    return Recent{json::Count(data, "last_day"), json::Count(data, "last_week"), json::Count(data, "last_month")};
  });
}

tl::expected<std::vector<DailyTotal>, Error> ParseOverall(std::string_view body) {
  return json::ParseJson("daily downloads", [&] {
    simdjson::dom::parser parser;
    std::vector<DailyTotal> days;
    for (const json::element e : json::Arr(json::AsObject(json::Parse(parser, body), "daily downloads"), "data")) {
      const json::object day = json::AsObject(e, "day");
      // mirrors=false answers without_mirrors rows only; a stray other row must not count twice.
      if (json::OptStr(day, "category").value_or("without_mirrors") != "without_mirrors") continue;
      const auto date = ParseDate(json::Str(day, "date"));
      if (!date) throw json::JsonError("field 'date' is not a YYYY-MM-DD date");
      days.push_back(DailyTotal{*date, json::Count(day, "downloads")});
    }
    return days;
  });
}

tl::expected<Release, Error> ParseProject(std::string_view body) {
  return json::ParseJson("project", [&] {
    simdjson::dom::parser parser;
    const json::object root = json::AsObject(json::Parse(parser, body), "project");
    Release release;
    release.version = std::string(json::OptStr(json::Obj(root, "info"), "version").value_or(""));
    // "urls" lists the files of info.version.
    const auto files = json::OptArr(root, "urls");
    if (!files) return release;
    for (const json::element e : *files) {
      const auto uploaded = json::OptStr(json::AsObject(e, "file"), "upload_time_iso_8601");
      const auto t = uploaded ? ParseTimestamp(*uploaded) : std::nullopt;
      if (uploaded && !t) throw json::JsonError("field 'upload_time_iso_8601' is not a timestamp");
      if (t && (!release.uploaded || *t > *release.uploaded)) release.uploaded = t;
    }
    return release;
  });
}

std::optional<std::chrono::sys_days> NewestDay(const std::vector<DailyTotal>& days) {
  const auto newest = std::max_element(days.begin(), days.end(),
                                       [](const DailyTotal& a, const DailyTotal& b) { return a.date < b.date; });
  if (newest == days.end()) return std::nullopt;
  return newest->date;
}

std::optional<int64_t> PriorWeek(const std::vector<DailyTotal>& days) {
  const auto newest = NewestDay(days);
  if (!newest) return std::nullopt;
  // The last 7 days are newest-6 .. newest; the prior 7 are newest-13 .. newest-7.
  const auto first = *newest - std::chrono::days(13);
  const auto last = *newest - std::chrono::days(7);
  int64_t sum = 0;
  for (const auto& day : days) {
    if (day.date >= first && day.date <= last) sum += day.downloads;
  }
  return sum;
}

}  // namespace pypi

SourceCatalog PypiCatalog() {
  static constexpr MetricFamilyInfo kFamilies[] = {
      {"pypi_downloads", "gauge", "package,window"},
      {"pypi_downloads_prior", "gauge", "package,window"},
      {"pypi_downloads_newest_day_timestamp_seconds", "gauge", "package"},
      {"pypi_package_info", "gauge", "package,version"},
      {"pypi_latest_release_timestamp_seconds", "gauge", "package"},
  };
  static constexpr KpiDefault kKpis[] = {
      {"pypi_downloads", "adoption", "pypi_downloads", "window=30d", "sum", "higher", 10000},
  };
  return {kFamilies, kKpis};
}
std::unique_ptr<Collector> MakePypiCollector(SectionReader& reader) {
  PypiConfig config;
  config.settings = ReadSourceSettings(reader, {"https://pypi.org", 1h, 10s});
  config.stats_url = ReadUrl(reader, "stats_url").value_or("https://pypistats.org");
  for (const auto& name : reader.StringList("packages")) {
    if (!ConsistsOf(name, ::isalnum, "-_.")) {
      reader.Fail("packages", "package name '" + name + "' is not valid");
      break;
    }
    const std::string normalized = pypi::NormalizeName(name);
    if (std::find(config.packages.begin(), config.packages.end(), normalized) == config.packages.end()) {
      config.packages.push_back(normalized);
    }
  }
  if (reader.ok() && config.packages.empty()) reader.Fail("packages", "[pypi] needs at least one entry in 'packages'");
  if (!reader.ok()) return nullptr;
  return std::make_unique<PypiCollector>(std::move(config));
}

HttpClientOptions PypiCollector::http_options() const {
  return BaseHttpOptions(config_.settings, "", {{"Accept", "application/json"}});  // both APIs are public
}

tl::expected<PypiCollector::PackageStats, Error> PypiCollector::PollPackage(HttpClient& http, const std::string& package,
                                                                            PollLog& log) {
  PackageStats stats;
  // pypi.org answers 404 for a project that does not exist and for one without
  // releases: either way there is nothing to report for it, so it fails alone.
  auto release = http.GetOk(config_.settings.api_url + "/pypi/" + package + "/json").and_then([](const HttpResponse& r) {
    return pypi::ParseProject(r.body);
  });
  if (!release) return tl::unexpected(release.error());
  stats.release = std::move(*release);

  const std::string stats_base = config_.stats_url + "/api/packages/" + package;
  const auto recent = GetStats(http, stats_base + "/recent", pypi::ParseRecent);
  if (!recent) return tl::unexpected(recent.error());
  const auto daily = GetStats(http, stats_base + "/overall?mirrors=false", pypi::ParseOverall);
  if (!daily) return tl::unexpected(daily.error());
  if (!*recent || !*daily) log.Debug("package " + package + ": pypistats has no download rows for it yet; downloads are 0");
  stats.recent = recent->value_or(pypi::Recent{});
  const auto days = daily->value_or(std::vector<pypi::DailyTotal>{});
  stats.prior_week = pypi::PriorWeek(days);
  stats.newest_day = pypi::NewestDay(days);
  return stats;
}

tl::expected<Snapshot, Error> PypiCollector::Poll(HttpClient& http, PollContext& context) {
  std::vector<Error> errors;
  std::vector<std::string> owned;
  for (const auto& package : config_.packages) {
    if (!context.shard.Owns(package)) continue;  // another shard's
    owned.push_back(package);
    // A failed package (unknown, no releases, a malformed answer) fails only itself; its last good values stay.
    if (!packages_.UpdateTarget(package, PollPackage(http, package, context.log), errors, context.report)) {
      return tl::unexpected(errors.back());
    }
  }
  packages_.Retain(owned);

  SnapshotBuilder b(context.max_series);
  for (const auto& [package, s] : packages_.values()) {
    const Labels p{{"package", package}};
    // Built from p: clang 14 (the fuzz build) cannot capture a structured binding.
    const auto windowed = [&p](std::string_view window) { return Labels{p[0], {"window", std::string(window)}}; };
    const char* help = "Downloads in the window (pypistats, without mirrors).";
    b.Gauge("pypi_downloads", help, windowed("1d"), double(s.recent.last_day));
    b.Gauge("pypi_downloads", help, windowed("7d"), double(s.recent.last_week));
    b.Gauge("pypi_downloads", help, windowed("30d"), double(s.recent.last_month));
    if (s.prior_week) {
      b.Gauge("pypi_downloads_prior", "Downloads in the window before the most recent one (7d: days 8-14 back from the newest day).",
              windowed("7d"), double(*s.prior_week));
    }
    if (s.newest_day) {
      b.Gauge("pypi_downloads_newest_day_timestamp_seconds",
              "Start (00:00 UTC) of the newest day pypistats has daily downloads for.", p, ToUnixSeconds(*s.newest_day));
    }
    if (!s.release.version.empty()) {
      b.Gauge("pypi_package_info", "The package's latest version as a label; always 1.",
              {{"package", package}, {"version", s.release.version}}, 1);
    }
    if (s.release.uploaded) {
      b.Gauge("pypi_latest_release_timestamp_seconds", "Upload time of the latest release's newest file.", p,
              ToUnixSeconds(*s.release.uploaded));
    }
  }
  return FinishPoll(std::move(b), errors);
}

}  // namespace kpi
