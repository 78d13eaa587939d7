// The --web.config.file, in the Prometheus exporter-toolkit format
// (https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md).
// Supported: basic_auth_users (bcrypt hashes). Refused at start-up, each with
// a message naming the feature: tls_server_config (Debian's CivetWeb/OpenSSL
// 3 pairing cannot serve TLS; terminate TLS in front, e.g. the chart's
// kube-rbac-proxy sidecar), http_server_config and rate_limit. Unknown keys
// and malformed YAML are errors with file:line:column.
#pragma once

#include <map>
#include <string>

#include <tl/expected.hpp>

namespace kpi {

struct WebConfig {
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
};

tl::expected<WebConfig, std::string> LoadWebConfig(const std::string& path);

}  // namespace kpi
