#include "exporter/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <chrono>

#include "collectors/common/upstream/json.h"
#include "collectors/common/text.h"
#include "collectors/common/time_util.h"

namespace kpi {

void SecretRedactor::SetSecrets(std::vector<std::string> secrets) {
  // Longest first, so a secret containing another is replaced whole.
  std::erase_if(secrets, [](const std::string& s) { return s.size() < kMinSecretBytes; });
  std::sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::lock_guard lock(mu_);
  secrets_ = std::move(secrets);
}

namespace {

// Where a URL printed inside other text ends.
bool EndsUrl(char c) { return static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>'; }

// Query parameters that carry credentials by convention.
bool IsCredentialParam(std::string_view name) {
  static constexpr std::string_view kNames[] = {"token",  "access_token", "api_key",       "apikey",    "key",
                                                "password", "secret",     "client_secret", "signature", "sig"};
  const std::string lower = AsciiLower(name);
  return std::find(std::begin(kNames), std::end(kNames), lower) != std::end(kNames);
}

// One URL after its "scheme://": userinfo and credential parameter values redacted.
std::string RedactUrl(std::string_view rest) {
  const size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  const size_t at = authority.rfind('@');
  std::string out = at == std::string_view::npos ? std::string(authority) : "<redacted>" + std::string(authority.substr(at));
  if (authority_end == std::string_view::npos) return out;
  const std::string_view tail = rest.substr(authority_end);
  const size_t question = tail.find('?');
  if (question == std::string_view::npos) return out + std::string(tail);
  out += tail.substr(0, question + 1);
  std::string_view query = tail.substr(question + 1);
  const size_t hash = query.find('#');
  const std::string_view fragment = hash == std::string_view::npos ? std::string_view() : query.substr(hash);
  query = query.substr(0, hash);
  for (bool first = true;; first = false) {
    const size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    const size_t eq = param.find('=');
    if (!first) out += '&';
    if (eq != std::string_view::npos && IsCredentialParam(param.substr(0, eq))) {
      out += std::string(param.substr(0, eq + 1)) + "<redacted>";
    } else {
      out += param;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out + std::string(fragment);
}

// Every URL in `text` loses its userinfo ("https://user:pass@host" ->
// "https://<redacted>@host") and the values of credential query parameters,
// whether or not the exporter knows them as secrets.
std::string RedactUrls(std::string_view text) {
  std::string out;
  size_t pos = 0;
  for (size_t scheme = text.find("://"); scheme != std::string_view::npos; scheme = text.find("://", pos)) {
    const size_t start = scheme + 3;
    size_t end = start;
    while (end < text.size() && !EndsUrl(text[end])) ++end;
    out += text.substr(pos, start - pos);
    out += RedactUrl(text.substr(start, end - start));
    pos = end;
  }
  return out + std::string(text.substr(pos));
}

}  // namespace

std::string SecretRedactor::Redact(std::string_view text) const {
  std::string out = RedactUrls(text);
  std::lock_guard lock(mu_);
  for (const auto& secret : secrets_) {
    for (size_t pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos)) {
      out.replace(pos, secret.size(), "<redacted>");
    }
  }
  // A text cut to size (label values, item texts: "…" where it was cut) may end in the first part of a secret,
  // which the whole-secret search above cannot see: the longest such part (at least kMinSecretBytes) goes too.
  constexpr std::string_view kCut = "\xE2\x80\xA6";
  for (size_t cut = out.find(kCut); cut != std::string::npos; cut = out.find(kCut, cut + kCut.size())) {
    size_t longest = 0;
    for (const auto& secret : secrets_) {
      for (size_t length = std::min(secret.size() - 1, cut); length >= kMinSecretBytes && length > longest; --length) {
        if (out.compare(cut - length, length, secret, 0, length) == 0) {
          longest = length;
          break;
        }
      }
    }
    if (longest == 0) continue;
    out.replace(cut - longest, longest, "<redacted>");
    cut = cut - longest + std::string_view("<redacted>").size();
  }
  return out;
}

std::optional<LogFormat> ParseLogFormat(std::string_view text) {
  if (text == "logfmt") return LogFormat::kLogfmt;
  if (text == "json") return LogFormat::kJson;
  return std::nullopt;
}

std::optional<spdlog::level::level_enum> ParseLogLevel(std::string_view text) {
  if (text == "debug") return spdlog::level::debug;
  if (text == "info") return spdlog::level::info;
  if (text == "warn") return spdlog::level::warn;
  if (text == "error") return spdlog::level::err;
  return std::nullopt;
}

// Quoted when it holds a space, '=', a quote, a backslash or any control
// character; control characters are escaped, so upstream text can never start
// a new log line (\r and \n) or hide in a raw tab.
std::string LogfmtValue(std::string_view value) {
  const auto is_control = [](unsigned char c) { return c < 0x20 || c == 0x7f; };
  const bool needs_quotes = value.empty() || value.find_first_of(" =\"\\") != std::string_view::npos ||
                            std::any_of(value.begin(), value.end(), is_control);
  if (!needs_quotes) return std::string(value);
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (is_control(static_cast<unsigned char>(c))) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

Logger::Logger(LogFormat format, spdlog::level::level_enum level, std::shared_ptr<const SecretRedactor> redactor,
               spdlog::sink_ptr sink)
    : format_(format), redactor_(std::move(redactor)) {
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  logger_ = std::make_shared<spdlog::logger>("kpi_exporter", std::move(sink));
  logger_->set_pattern("%v");
  logger_->set_level(level);
}

Logger Logger::With(std::string key, std::string value) const {
  Logger child = *this;
  child.context_.emplace_back(std::move(key), std::move(value));
  return child;
}

void Logger::Log(spdlog::level::level_enum level, std::string_view msg, const LogFields& fields) const {
  if (!logger_->should_log(level)) return;
  const auto now = std::chrono::system_clock::now();
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::string ts = FormatTimestamp(now);
  ts.insert(ts.size() - 1, fmt::format(".{:03d}", millis));
  const std::string_view level_name = level == spdlog::level::err ? "error"
                                      : level == spdlog::level::warn ? "warn"
                                      : level == spdlog::level::debug ? "debug"
                                                                       : "info";
  LogFields all{{"ts", ts}, {"level", std::string(level_name)}, {"msg", std::string(msg)}};
  all.insert(all.end(), context_.begin(), context_.end());
  all.insert(all.end(), fields.begin(), fields.end());

  std::string line;
  for (size_t i = 0; i < all.size(); ++i) {
    std::string value = redactor_ ? redactor_->Redact(all[i].second) : all[i].second;
    // Upstream text reaches logs in errors: a 1 MB answer must not make a 1 MB line.
    if (value.size() > kMaxLogValueBytes) {
      const size_t full = value.size();
      value.resize(kMaxLogValueBytes);
      value += "... (" + std::to_string(full) + " bytes)";
    }
    if (format_ == LogFormat::kJson) {
      line += (i ? ",\"" : "{\"") + json::Escape(all[i].first) + "\":\"" + json::Escape(value) + "\"";
    } else {
      line += (i ? " " : "") + all[i].first + "=" + LogfmtValue(value);
    }
  }
  if (format_ == LogFormat::kJson) line += "}";
  logger_->log(level, "{}", line);
}

}  // namespace kpi
