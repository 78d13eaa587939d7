#include "collectors/common/upstream/transport_pool.h"

#include <algorithm>

namespace kpi {

TransportPool::TransportPool(int size, const std::function<std::unique_ptr<HttpTransport>()>& make) {
  for (int i = 0; i < std::max(1, size); ++i) {
    all_.push_back(make());
    free_.push_back(all_.back().get());
  }
}

tl::expected<HttpResponse, Error> TransportPool::Perform(const HttpRequest& request, const TransferLimits& limits,
                                                         std::stop_token stop) {
  HttpTransport* transport = nullptr;
  {
    std::unique_lock lock(mu_);
    freed_.wait(lock, [&] { return !free_.empty(); });  // a transfer ends within its timeout: no stop check needed
    transport = free_.back();
    free_.pop_back();
  }
  auto response = transport->Perform(request, limits, stop);
  {
    std::lock_guard lock(mu_);
    free_.push_back(transport);
  }
  freed_.notify_one();
  return response;
}

}  // namespace kpi
