// gzip (RFC 1952) for the exposition: Prometheus asks for it on every scrape.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kpi {

// One complete gzip member of `text`; nullopt if zlib fails. Members may be
// concatenated: a reader (Go's compress/gzip, which Prometheus uses) reads
// them as one body.
std::optional<std::string> GzipCompress(std::string_view text);

}  // namespace kpi
