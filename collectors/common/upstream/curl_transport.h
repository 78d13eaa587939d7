// CurlTransport: HttpTransport over one reused libcurl easy handle (keeps
// connections and TLS sessions warm between polls). Redirects are not followed
// here; HttpClient follows them so it can decide about credentials per hop.
//
// Thread-safety: one instance per worker; not shareable. Create a CurlGlobal
// in main() before any thread starts.
#pragma once

#include <memory>

#include "collectors/common/upstream/http_client.h"

namespace kpi {

// RAII for curl_global_init/cleanup; one per process, created before threads.
class CurlGlobal {
 public:
  CurlGlobal();
  ~CurlGlobal();
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
};

class CurlTransport final : public HttpTransport {
 public:
  CurlTransport();
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  tl::expected<HttpResponse, Error> Perform(const HttpRequest& request, const TransferLimits& limits,
                                            std::stop_token stop) override;

 private:
  void* handle_;  // CURL*
};

}  // namespace kpi
