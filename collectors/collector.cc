#include "collectors/collector.h"

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

}  // namespace kpi
