// The explicit list of sources. Adding a source: one file pair, its test, one line in all.cc.
#pragma once

#include <span>

#include "collectors/common/collector.h"

namespace kpi {

std::span<const CollectorFactory> AllCollectorFactories();

}  // namespace kpi
