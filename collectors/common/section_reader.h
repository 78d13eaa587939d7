// SectionReader: strict, typed access to one TOML table of the config file.
// Every getter marks its key as known; Finish() then reports the first problem
// (wrong type, bad value, missing key, or a key nobody asked for) with file,
// line and column, and Errors() every one of them in file order (check-config
// shows them all in one run). Secrets come from "${ENV_VAR}" or a "<key>_file" key and
// are remembered so logs and pages can redact them; their values never appear
// in an error.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>
#include <tl/expected.hpp>

namespace kpi {

struct ConfigError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  // Further errors in the same file, in file order (a config can hold several).
  std::vector<ConfigError> more;
  std::string ToString() const;  // "file:line:col: message", one line per error
};

// Sorts errors into file order and folds them into one ConfigError (the first,
// carrying the rest in `more`). `errors` must not be empty.
ConfigError InFileOrder(std::vector<ConfigError> errors);

// Looks up an environment variable; injectable so tests need not touch the real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnvironment();

class SectionReader {
 public:
  SectionReader(const toml::table& table, std::string section, std::string file, EnvLookup env);

  const std::string& section() const { return section_; }
  // [exporter] default_interval, which a source uses when it sets no interval of its own.
  void set_default_interval(std::optional<std::chrono::milliseconds> d) { default_interval_ = d; }
  std::optional<std::chrono::milliseconds> default_interval() const { return default_interval_; }

  std::optional<std::string> String(std::string_view key);
  std::vector<std::string> StringList(std::string_view key);
  // A duration in Prometheus' grammar, within [min, max] (every duration is bounded).
  std::optional<std::chrono::milliseconds> Duration(std::string_view key, std::chrono::milliseconds min,
                                                    std::chrono::milliseconds max);
  std::optional<int64_t> Integer(std::string_view key, int64_t min, int64_t max);
  std::optional<double> Number(std::string_view key, double min, double max);
  std::optional<bool> Bool(std::string_view key);
  // A finite number (an integer or a float).
  std::optional<double> FiniteNumber(std::string_view key);
  // A finite number, or a duration string taken as seconds ("24h" -> 86400).
  std::optional<double> NumberOrDuration(std::string_view key);
  // A sub-table ([section.key]), read by its own reader; hand it back with Absorb().
  std::optional<SectionReader> Table(std::string_view key);
  // Every key of this table (for tables whose keys are names, like [alerts]).
  std::vector<std::string> Keys() const;
  // `key` (a literal or "${VAR}") or `key`_file (a path whose contents, minus
  // trailing whitespace, are the secret). Both set is an error.
  std::optional<std::string> Secret(std::string_view key);
  // An array of tables ([[section.key]]), each read by its own reader. The
  // caller reads each, then hands it back with Absorb().
  std::vector<SectionReader> Tables(std::string_view key);
  // Takes over a child reader's problems (incl. its unknown keys) and its secrets.
  void Absorb(SectionReader& child);

  // Records a validation error at the key's position (or the table's).
  void Fail(std::string_view key, std::string message);
  bool ok() const { return errors_.empty(); }

  // Every error and unknown key, in file order.
  std::vector<ConfigError> Errors() const;
  // The first of Errors() (carrying the rest in `more`), else success.
  tl::expected<void, ConfigError> Finish();
  const std::vector<std::string>& secrets() const { return secrets_; }

 private:
  const toml::node* Node(std::string_view key);
  void FailAt(const toml::source_region& where, std::string message);
  std::string Where(std::string_view key) const;

  const toml::table& table_;
  std::string section_;
  std::string file_;
  EnvLookup env_;
  std::set<std::string, std::less<>> known_;
  std::vector<ConfigError> errors_;
  std::optional<std::chrono::milliseconds> default_interval_;
  std::vector<std::string> secrets_;
};

}  // namespace kpi
