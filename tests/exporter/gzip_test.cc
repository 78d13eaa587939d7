#include "exporter/gzip.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <string>

namespace kpi {
namespace {

// Inflates `body` as exactly one gzip member; nullopt if it is not one.
std::optional<std::string> InflateOneMember(const std::string& body) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return std::nullopt;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = uInt(body.size());
  std::string text;
  char buffer[4096];
  int result = Z_OK;
  while (result == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    result = inflate(&z, Z_NO_FLUSH);
    text.append(buffer, sizeof buffer - z.avail_out);
  }
  const bool whole = result == Z_STREAM_END && z.avail_in == 0;  // checks CRC-32 and ISIZE too
  inflateEnd(&z);
  if (!whole) return std::nullopt;
  return text;
}

std::string Exposition(int series) {
  std::string text = "# HELP github_repo_stars Stars.\n# TYPE github_repo_stars gauge\n";
  for (int i = 0; i < series; ++i) text += "github_repo_stars{repo=\"acme/r" + std::to_string(i) + "\"} " + std::to_string(i * 7) + "\n";
  return text;
}

}  // namespace

TEST_CASE("a stored gzip start and a per-scrape end make one gzip member of both texts") {
  const std::string stored = Exposition(20000);  // larger than deflate's 32 KiB window
  const std::string live = "# HELP kpi_exporter_up Up.\n# TYPE kpi_exporter_up gauge\nkpi_exporter_up 1\n" + Exposition(3);
  for (const auto& [head, tail] : std::initializer_list<std::pair<std::string, std::string>>{
           {stored, live}, {stored, ""}, {"", live}, {"", ""}}) {
    const auto prefix = GzipStart(head);
    REQUIRE(prefix);
    const auto end = GzipFinish(*prefix, tail);
    REQUIRE(end);
    const auto text = InflateOneMember(prefix->bytes + *end);
    REQUIRE(text);
    CHECK(*text == head + tail);
  }
  // The same prefix serves every scrape.
  const auto prefix = GzipStart(stored);
  CHECK(InflateOneMember(prefix->bytes + *GzipFinish(*prefix, "a 1\n")) == stored + "a 1\n");
  CHECK(InflateOneMember(prefix->bytes + *GzipFinish(*prefix, "a 2\n")) == stored + "a 2\n");
  // A wrong length in the trailer is refused by the reader: the trailer is checked.
  std::string broken = prefix->bytes + *GzipFinish(*prefix, "a 1\n");
  broken.back() ^= 1;
  CHECK_FALSE(InflateOneMember(broken));
}

TEST_CASE("GzipCompress makes one member") {
  const auto body = GzipCompress("hello\n");
  REQUIRE(body);
  CHECK(InflateOneMember(*body) == std::string("hello\n"));
}

}  // namespace kpi
