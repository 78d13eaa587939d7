// ParseOnce: parse an answer's body once per change of the answer, not once
// per poll. The conditional-request cache then keeps what was parsed (a few
// fields per object) instead of the raw JSON, so it can hold every URL of a
// large poll and unchanged answers stay free 304s.
#pragma once

#include <memory>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <tl/expected.hpp>

#include "collectors/common/error.h"
#include "collectors/common/upstream/approx_bytes.h"
#include "collectors/common/upstream/http_client.h"

namespace kpi {

// `parse(body)` returns tl::expected<T, Error> and must depend on the body
// alone (no clock, no config): its result stands for every later 304 of the
// same URL. It is charged ApproxBytes(T) (approx_bytes.h) against the cache's
// byte limit. Returns `parse`'s value, or the value it gave for this URL's
// unchanged answer before. A URL read through ParseOnce must always be read
// through it with the same T: after the first parse the cache keeps no body.
template <class Parse>
auto ParseOnce(HttpClient& http, const HttpResponse& response, Parse&& parse)
    -> tl::expected<std::shared_ptr<const typename std::invoke_result_t<Parse, std::string_view>::value_type>, Error> {
  using T = typename std::invoke_result_t<Parse, std::string_view>::value_type;
  if (response.derived) {
    if (response.derived_type && *response.derived_type == typeid(T)) {
      return std::static_pointer_cast<const T>(response.derived);
    }
    return tl::unexpected(Error{"internal", response.url + ": its cached answer was parsed as another type"});
  }
  auto parsed = parse(std::string_view(response.body));
  if (!parsed) return tl::unexpected(std::move(parsed.error()));
  auto shared = std::make_shared<const T>(std::move(*parsed));
  http.KeepDerived(response, typeid(T), shared, ApproxBytes(*shared));
  return shared;
}

}  // namespace kpi
