// Structured logging (logfmt or JSON lines) on spdlog, with secret redaction.
// A Logger is cheap to copy; With() returns a child carrying extra fields,
// e.g. the collector name the core attaches before handing it to a poll.
//
// Thread-safety: all methods are thread-safe (spdlog sinks are mt, the
// redactor locks).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace kpi {

using LogFields = std::vector<std::pair<std::string, std::string>>;

// Longer field values (and messages) are cut, saying how long they were.
inline constexpr size_t kMaxLogValueBytes = 2048;

// Replaces every known secret in a text with "<redacted>". Secrets are set
// from the loaded config and replaced as a whole on reload. Shorter secrets
// are not redacted (they would match ordinary words).
inline constexpr size_t kMinSecretBytes = 4;
class SecretRedactor {
 public:
  void SetSecrets(std::vector<std::string> secrets);
  std::string Redact(std::string_view text) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> secrets_;
};

enum class LogFormat { kLogfmt, kJson };

std::optional<LogFormat> ParseLogFormat(std::string_view text);
std::optional<spdlog::level::level_enum> ParseLogLevel(std::string_view text);

class Logger {
 public:
  // Writes to `sink` (stderr in production) at `level` and above.
  Logger(LogFormat format, spdlog::level::level_enum level, std::shared_ptr<const SecretRedactor> redactor,
         spdlog::sink_ptr sink = nullptr);

  Logger With(std::string key, std::string value) const;

  void Debug(std::string_view msg, const LogFields& fields = {}) const { Log(spdlog::level::debug, msg, fields); }
  void Info(std::string_view msg, const LogFields& fields = {}) const { Log(spdlog::level::info, msg, fields); }
  void Warn(std::string_view msg, const LogFields& fields = {}) const { Log(spdlog::level::warn, msg, fields); }
  void Error(std::string_view msg, const LogFields& fields = {}) const { Log(spdlog::level::err, msg, fields); }
  void Log(spdlog::level::level_enum level, std::string_view msg, const LogFields& fields) const;

 private:
  LogFormat format_;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<const SecretRedactor> redactor_;
  LogFields context_;
};

// Quotes for logfmt when needed.
std::string LogfmtValue(std::string_view value);

}  // namespace kpi
