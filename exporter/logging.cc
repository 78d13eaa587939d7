#include "exporter/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <chrono>

#include "collectors/json.h"
#include "collectors/time_util.h"

namespace kpi {

void SecretRedactor::SetSecrets(std::vector<std::string> secrets) {
  // Longest first, so a secret containing another is replaced whole.
  std::erase_if(secrets, [](const std::string& s) { return s.size() < 4; });
  std::sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::lock_guard lock(mu_);
  secrets_ = std::move(secrets);
}

std::string SecretRedactor::Redact(std::string_view text) const {
  std::string out(text);
  std::lock_guard lock(mu_);
  for (const auto& secret : secrets_) {
    for (size_t pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos)) {
      out.replace(pos, secret.size(), "<redacted>");
    }
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

std::string LogfmtValue(std::string_view value) {
  const bool needs_quotes = value.empty() || value.find_first_of(" =\"\\\n\t") != std::string_view::npos;
  if (!needs_quotes) return std::string(value);
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
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
    const std::string value = redactor_ ? redactor_->Redact(all[i].second) : all[i].second;
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
