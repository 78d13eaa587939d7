// The standard process_* metrics every Prometheus client library exports
// (CPU, memory, file descriptors, start time), read from /proc/self at scrape
// time. Linux only; elsewhere it renders nothing.
#pragma once

#include <string>

namespace kpi {

std::string RenderProcessMetrics();

}  // namespace kpi
