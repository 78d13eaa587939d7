#include "exporter/web/web_config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

#include "exporter/web/basic_auth.h"

namespace kpi {
namespace {

std::string At(const std::string& path, const YAML::Mark& mark) {
  if (mark.is_null()) return path + ": ";
  return path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": ";
}

// exporter-toolkit's TLSConfig keys (web/tls_config.go), so a misspelt key is
// told apart from the unsupported feature.
const std::set<std::string> kTlsKeys = {"cert_file",      "key_file",          "cert",          "key",
                                        "client_ca_file", "client_ca",         "client_auth_type",
                                        "cipher_suites",  "curve_preferences", "min_version",   "max_version",
                                        "prefer_server_cipher_suites",         "client_allowed_sans"};

tl::expected<void, std::string> CheckKeys(const std::string& path, const YAML::Node& node, const std::string& section,
                                          const std::set<std::string>& known) {
  if (!node.IsMap()) return tl::unexpected(At(path, node.Mark()) + section + " must be a mapping");
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (!known.contains(key)) {
      return tl::unexpected(At(path, entry.first.Mark()) + "unknown key '" + key + "' in " + section);
    }
  }
  return {};
}

tl::expected<WebConfig, std::string> Parse(const std::string& path, const YAML::Node& root) {
  WebConfig config;
  if (root.IsNull()) return config;  // an empty file: no authentication, as exporter-toolkit
  if (!root.IsMap()) return tl::unexpected(At(path, root.Mark()) + "a web config must be a YAML mapping");
  const std::string folder = std::filesystem::path(path).parent_path().string();
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    const std::string where = At(path, entry.first.Mark());
    if (key == "basic_auth_users") {
      if (value.IsNull()) continue;
      if (!value.IsMap()) return tl::unexpected(where + "basic_auth_users must map user names to bcrypt hashes");
      for (const auto& user : value) {
        const std::string name = user.first.as<std::string>();
        if (!user.second.IsScalar() || !IsBcryptHash(user.second.as<std::string>())) {
          return tl::unexpected(At(path, user.second.Mark()) + "basic_auth_users: the password of '" + name +
                                "' is not a bcrypt hash ($2a$, $2b$ or $2y$; make one with `htpasswd -nBC 10 \"\" | tr -d ':\\n'`)");
        }
        config.basic_auth_users[name] = user.second.as<std::string>();
      }
    } else if (key == "tls_server_config") {
      if (auto ok = CheckKeys(path, value, key, kTlsKeys); !ok) return tl::unexpected(ok.error());
      std::string files;
      for (const char* file_key : {"cert_file", "key_file"}) {
        if (!value[file_key] || !value[file_key].IsScalar()) continue;
        std::filesystem::path file = value[file_key].as<std::string>();
        if (file.empty()) continue;
        if (file.is_relative()) file = std::filesystem::path(folder) / file;  // as exporter-toolkit
        files += std::string(files.empty() ? " (" : ", ") + file_key + " " + file.lexically_normal().string();
      }
      if (!files.empty()) files += ")";
      return tl::unexpected(where + "tls_server_config" + files +
                            " is not supported: this build cannot serve TLS (Debian's CivetWeb with OpenSSL 3). "
                            "Terminate TLS in front of the exporter: the Helm chart's kube-rbac-proxy sidecar "
                            "(kubeRBACProxy.enabled=true), a service mesh or an ingress");
    } else if (key == "http_server_config") {
      if (auto ok = CheckKeys(path, value, key, {"headers", "http2"}); !ok) return tl::unexpected(ok.error());
      return tl::unexpected(where + "http_server_config (headers, http2) is not supported");
    } else if (key == "rate_limit") {
      if (auto ok = CheckKeys(path, value, key, {"interval", "burst"}); !ok) return tl::unexpected(ok.error());
      return tl::unexpected(where + "rate_limit is not supported");
    } else {
      return tl::unexpected(where + "unknown key '" + key + "' in the web config");
    }
  }
  return config;
}

}  // namespace

tl::expected<WebConfig, std::string> LoadWebConfig(const std::string& path) {
  try {
    return Parse(path, YAML::LoadFile(path));
  } catch (const YAML::BadFile&) {
    return tl::unexpected(path + ": cannot read the web config file");
  } catch (const YAML::Exception& e) {
    return tl::unexpected(At(path, e.mark) + e.msg);
  }
}

}  // namespace kpi
