// TransportPool: several transports behind one, so a collector can have
// several requests in flight (each libcurl handle serves one transfer at a
// time and keeps its own connections). Perform borrows a free transport,
// waiting while all are busy; the pool's size bounds the requests in flight.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "collectors/common/upstream/http_client.h"

namespace kpi {

class TransportPool final : public HttpTransport {
 public:
  // `size` transports made by `make` (at least one).
  TransportPool(int size, const std::function<std::unique_ptr<HttpTransport>()>& make);

  tl::expected<HttpResponse, Error> Perform(const HttpRequest& request, const TransferLimits& limits,
                                            std::stop_token stop) override;

 private:
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<HttpTransport>> all_;
  std::vector<HttpTransport*> free_;
};

}  // namespace kpi
