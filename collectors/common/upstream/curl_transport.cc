#include "collectors/common/upstream/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>

#include "collectors/common/text.h"

namespace kpi {
namespace {

struct Transfer {
  HttpResponse response;
  size_t max_body_bytes = 0;
  bool too_large = false;
  std::stop_token stop;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer->response.body.size() + bytes > transfer->max_body_bytes) {
    transfer->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) {
    transfer->response.headers.clear();  // a new response (e.g. after 100 Continue)
    return bytes;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  const std::string name = AsciiLower(line.substr(0, colon));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  transfer->response.headers[name] = std::string(value);
  return bytes;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->stop.stop_requested() ? 1 : 0;  // non-zero aborts
}

}  // namespace

CurlGlobal::CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
CurlGlobal::~CurlGlobal() { curl_global_cleanup(); }

CurlTransport::CurlTransport() : handle_(curl_easy_init()) {}
CurlTransport::~CurlTransport() { curl_easy_cleanup(static_cast<CURL*>(handle_)); }

tl::expected<HttpResponse, Error> CurlTransport::Perform(const HttpRequest& request,
                                                         const TransferLimits& limits,
                                                         std::stop_token stop) {
  CURL* curl = static_cast<CURL*>(handle_);
  if (!curl) return tl::unexpected(Error{"network", "libcurl could not create a handle"});
  curl_easy_reset(curl);  // keeps the connection cache, drops the previous request's options

  Transfer transfer;
  transfer.max_body_bytes = limits.max_body_bytes;
  transfer.stop = stop;

  curl_slist* header_list = nullptr;
  for (const auto& [name, value] : request.headers) {
    header_list = curl_slist_append(header_list, (name + ": " + value).c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers_guard(header_list, curl_slist_free_all);

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  if (request.body) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body->size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, limits.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl can decode (gzip, deflate)
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, long(limits.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, long(limits.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limits.max_body_bytes));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);

  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    if (transfer.too_large || code == CURLE_FILESIZE_EXCEEDED) {
      return tl::unexpected(Error{"response_too_large", request.url + ": answer larger than " +
                                                            std::to_string(limits.max_body_bytes) + " bytes"});
    }
    if (code == CURLE_ABORTED_BY_CALLBACK) {
      return tl::unexpected(Error{"canceled", request.url + ": shutting down"});
    }
    const std::string reason = code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "network";
    return tl::unexpected(Error{reason, request.url + ": " + curl_easy_strerror(code)});
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  return std::move(transfer.response);
}

}  // namespace kpi
