// gzip (RFC 1952) for the exposition: Prometheus asks for it on every scrape.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kpi {

// One complete gzip member of `text`; nullopt if zlib fails.
std::optional<std::string> GzipCompress(std::string_view text);

// The start of a gzip member: its header and `text` deflated up to a byte
// boundary (Z_SYNC_FLUSH), not yet final. Made once per stored page.
struct GzipPrefix {
  std::string bytes;
  uint32_t crc = 0;     // CRC-32 of `text`
  uint64_t length = 0;  // bytes of `text`
};
std::optional<GzipPrefix> GzipStart(std::string_view text);

// What to write after `prefix.bytes` so that the whole body is ONE gzip
// member of prefix text + `tail`: `tail` deflated as the final blocks (a new
// deflate stream starts on the byte boundary the sync flush left, and refers
// back to nothing before it), then the CRC-32 and length of both (RFC 1952
// §2.3.1). One member because some readers (curl --compressed, browsers)
// stop after the first.
std::optional<std::string> GzipFinish(const GzipPrefix& prefix, std::string_view tail);

}  // namespace kpi
