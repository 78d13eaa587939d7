#include "exporter/gzip.h"

#include <zlib.h>

namespace kpi {
namespace {

constexpr int kGzipWindow = 15 + 16;  // zlib: a gzip header and trailer
constexpr int kRawWindow = -15;       // zlib: raw deflate, no header or trailer

// Deflates all of `text` into `out` (appended), ending with `flush`.
bool Deflate(int window_bits, std::string_view text, int flush, std::string& out) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  // deflateBound covers Z_FINISH; a sync flush adds at most 5 bytes, and the gzip header 18.
  const size_t start = out.size();
  out.resize(start + deflateBound(&stream, uLong(text.size())) + 32);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = uInt(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data() + start);
  stream.avail_out = uInt(out.size() - start);
  const int result = deflate(&stream, flush);
  const bool done = flush == Z_FINISH ? result == Z_STREAM_END : result == Z_OK && stream.avail_in == 0;
  out.resize(start + stream.total_out);
  deflateEnd(&stream);
  return done;
}

void AppendLittleEndian32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out += char((value >> (8 * i)) & 0xff);
}

}  // namespace

std::optional<std::string> GzipCompress(std::string_view text) {
  std::string out;
  if (!Deflate(kGzipWindow, text, Z_FINISH, out)) return std::nullopt;
  return out;
}

std::optional<GzipPrefix> GzipStart(std::string_view text) {
  GzipPrefix prefix;
  if (!Deflate(kGzipWindow, text, Z_SYNC_FLUSH, prefix.bytes)) return std::nullopt;
  prefix.crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(text.data()), uInt(text.size())));
  prefix.length = text.size();
  return prefix;
}

std::optional<std::string> GzipFinish(const GzipPrefix& prefix, std::string_view tail) {
  std::string out;
  if (!Deflate(kRawWindow, tail, Z_FINISH, out)) return std::nullopt;
  const uLong tail_crc = crc32(0, reinterpret_cast<const Bytef*>(tail.data()), uInt(tail.size()));
  AppendLittleEndian32(out, uint32_t(crc32_combine(prefix.crc, tail_crc, z_off_t(tail.size()))));
  AppendLittleEndian32(out, uint32_t((prefix.length + tail.size()) & 0xffffffffu));  // ISIZE: modulo 2^32
  return out;
}

}  // namespace kpi
