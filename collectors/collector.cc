#include "collectors/collector.h"

#include <algorithm>

#include "collectors/last_good.h"

namespace kpi {

SourceSettings ReadSourceSettings(SectionReader& reader, SourceSettings defaults) {
  SourceSettings settings = std::move(defaults);
  if (auto url = reader.String("api_url")) {
    if (!url->starts_with("http://") && !url->starts_with("https://")) {
      reader.Fail("api_url", "'api_url' in [" + reader.section() + "] must start with http:// or https://");
    }
    settings.api_url = *url;
  }
  while (settings.api_url.ends_with('/')) settings.api_url.pop_back();
  if (reader.default_interval()) settings.interval = *reader.default_interval();
  if (auto interval = reader.Duration("interval")) {
    if (*interval < std::chrono::seconds(1)) reader.Fail("interval", "'interval' must be at least 1s");
    settings.interval = *interval;
  }
  if (auto timeout = reader.Duration("timeout")) settings.timeout = *timeout;
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
