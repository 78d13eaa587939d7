#include "collectors/common/section_reader.h"

#include <algorithm>
#include <cmath>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <tuple>

#include "collectors/common/time_util.h"

namespace kpi {

std::string ConfigError::ToString() const {
  // line 0: a problem with the file as a whole
  std::string out = line == 0 ? file + ": " + message
                              : file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
  for (const auto& further : more) out += "\n" + further.ToString();
  return out;
}

ConfigError InFileOrder(std::vector<ConfigError> errors) {
  std::vector<ConfigError> flat;
  for (auto& error : errors) {
    std::vector<ConfigError> more = std::move(error.more);
    error.more.clear();
    flat.push_back(std::move(error));
    for (auto& further : more) flat.push_back(std::move(further));
  }
  std::stable_sort(flat.begin(), flat.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  // One problem per place: the first recorded (a validation error is more
  // precise than the "unknown key" the same unaccepted key would also give).
  flat.erase(std::unique(flat.begin(), flat.end(),
                         [](const ConfigError& a, const ConfigError& b) {
                           return a.line == b.line && a.column == b.column;
                         }),
             flat.end());
  ConfigError first = std::move(flat.front());
  first.more.assign(std::make_move_iterator(flat.begin() + 1), std::make_move_iterator(flat.end()));
  return first;
}

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

SectionReader::SectionReader(const toml::table& table, std::string section, std::string file, EnvLookup env)
    : table_(table), section_(std::move(section)), file_(std::move(file)), env_(std::move(env)) {}

std::string SectionReader::Where(std::string_view key) const {
  return "'" + std::string(key) + "' in [" + section_ + "]";
}

void SectionReader::FailAt(const toml::source_region& where, std::string message) {
  errors_.push_back(ConfigError{file_, int(where.begin.line), int(where.begin.column), std::move(message), {}});
}

void SectionReader::Fail(std::string_view key, std::string message) {
  const toml::node* node = table_.get(key);
  FailAt(node ? node->source() : table_.source(), std::move(message));
}

const toml::node* SectionReader::Node(std::string_view key) {
  known_.insert(std::string(key));
  return table_.get(key);
}

std::optional<std::string> SectionReader::String(std::string_view key) {
  const toml::node* node = Node(key);
  if (!node) return std::nullopt;
  if (!node->is_string()) {
    FailAt(node->source(), Where(key) + " must be a string");
    return std::nullopt;
  }
  return node->as_string()->get();
}

std::vector<std::string> SectionReader::StringList(std::string_view key) {
  std::vector<std::string> out;
  const toml::node* node = Node(key);
  if (!node) return out;
  const toml::array* array = node->as_array();
  if (!array) {
    FailAt(node->source(), Where(key) + " must be an array of strings");
    return out;
  }
  for (const toml::node& element : *array) {
    if (!element.is_string()) {
      FailAt(element.source(), Where(key) + " must contain only strings");
      return {};
    }
    out.push_back(element.as_string()->get());
  }
  return out;
}

std::optional<std::chrono::milliseconds> SectionReader::Duration(std::string_view key, std::chrono::milliseconds min,
                                                                 std::chrono::milliseconds max) {
  const toml::node* node = Node(key);
  if (!node) return std::nullopt;
  const auto* text = node->as_string();
  const auto parsed = text ? ParseDuration(text->get()) : std::nullopt;
  if (!parsed) {
    FailAt(node->source(), Where(key) + " must be a duration such as \"30s\", \"5m\" or \"1h\"");
    return std::nullopt;
  }
  if (*parsed < min || *parsed > max) {
    FailAt(node->source(), Where(key) + " must be from " + FormatDuration(min) + " to " + FormatDuration(max));
    return std::nullopt;
  }
  return parsed;
}

std::optional<int64_t> SectionReader::Integer(std::string_view key, int64_t min, int64_t max) {
  const toml::node* node = Node(key);
  if (!node) return std::nullopt;
  const auto* value = node->as_integer();
  if (!value || value->get() < min || value->get() > max) {
    FailAt(node->source(), Where(key) + " must be an integer from " + std::to_string(min) + " to " +
                               std::to_string(max));
    return std::nullopt;
  }
  return value->get();
}

std::optional<double> SectionReader::Number(std::string_view key, double min, double max) {
  const toml::node* node = Node(key);
  if (!node) return std::nullopt;
  std::optional<double> value;
  if (const auto* f = node->as_floating_point()) value = f->get();
  if (const auto* i = node->as_integer()) value = double(i->get());
  if (!value || *value < min || *value > max) {
    std::ostringstream range;
    range << min << " to " << max;
    FailAt(node->source(), Where(key) + " must be a number from " + range.str());
    return std::nullopt;
  }
  return value;
}

std::optional<bool> SectionReader::Bool(std::string_view key) {
  const toml::node* node = Node(key);
  if (!node) return std::nullopt;
  if (!node->is_boolean()) {
    FailAt(node->source(), Where(key) + " must be true or false");
    return std::nullopt;
  }
  return node->as_boolean()->get();
}

std::optional<double> SectionReader::FiniteNumber(std::string_view key) {
  const toml::node* node = Node(key);
  if (!node) return std::nullopt;
  if (const auto* i = node->as_integer()) return double(i->get());
  if (const auto* f = node->as_floating_point(); f && std::isfinite(f->get())) return f->get();
  FailAt(node->source(), Where(key) + " must be a finite number");
  return std::nullopt;
}

std::optional<double> SectionReader::NumberOrDuration(std::string_view key) {
  const toml::node* node = Node(key);
  if (!node) return std::nullopt;
  if (node->is_number()) return FiniteNumber(key);
  const auto* text = node->as_string();
  if (const auto d = text ? ParseDuration(text->get()) : std::nullopt) return std::chrono::duration<double>(*d).count();
  FailAt(node->source(), Where(key) + " must be a number or a duration such as \"24h\"");
  return std::nullopt;
}

std::optional<SectionReader> SectionReader::Table(std::string_view key) {
  const toml::node* node = Node(key);
  if (!node) return std::nullopt;
  if (!node->is_table()) {
    FailAt(node->source(), Where(key) + " must be a table ([" + section_ + "." + std::string(key) + "])");
    return std::nullopt;
  }
  return SectionReader(*node->as_table(), section_ + "." + std::string(key), file_, env_);
}

std::vector<std::string> SectionReader::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [key, node] : table_) keys.emplace_back(key.str());
  return keys;
}

std::optional<std::string> SectionReader::Secret(std::string_view key) {
  const std::string file_key = std::string(key) + "_file";
  const toml::node* inline_node = Node(key);
  const toml::node* file_node = Node(file_key);
  if (inline_node && file_node) {
    FailAt(file_node->source(), "set either " + Where(key) + " or '" + file_key + "', not both");
    return std::nullopt;
  }
  std::optional<std::string> secret;
  if (inline_node) {
    const auto raw = String(key);
    if (!raw) return std::nullopt;
    if (raw->starts_with("${") && raw->ends_with("}")) {
      const std::string variable = raw->substr(2, raw->size() - 3);
      secret = env_(variable);
      if (!secret || secret->empty()) {
        FailAt(inline_node->source(), Where(key) + " refers to environment variable " + variable +
                                          ", which is not set or empty");
        return std::nullopt;
      }
    } else {
      secret = *raw;
    }
  } else if (file_node) {
    const auto path = String(file_key);
    if (!path) return std::nullopt;
    std::ifstream in(*path, std::ios::binary);
    std::stringstream contents;
    contents << in.rdbuf();
    if (!in) {
      FailAt(file_node->source(), "cannot read " + Where(file_key) + " at " + *path);
      return std::nullopt;
    }
    secret = contents.str();
    while (!secret->empty() && std::isspace(static_cast<unsigned char>(secret->back()))) secret->pop_back();
    if (secret->empty()) {
      FailAt(file_node->source(), Where(file_key) + " points at an empty file: " + *path);
      return std::nullopt;
    }
  }
  if (secret) secrets_.push_back(*secret);
  return secret;
}

std::vector<SectionReader> SectionReader::Tables(std::string_view key) {
  std::vector<SectionReader> out;
  const toml::node* node = Node(key);
  if (!node) return out;
  const toml::array* array = node->as_array();
  if (!array || !array->is_array_of_tables()) {
    FailAt(node->source(), Where(key) + " must be an array of tables ([[" + section_ + "." + std::string(key) + "]])");
    return out;
  }
  for (const toml::node& element : *array) {
    out.emplace_back(*element.as_table(), section_ + "." + std::string(key), file_, env_);
  }
  return out;
}

void SectionReader::Absorb(SectionReader& child) {
  for (auto& error : child.Errors()) errors_.push_back(std::move(error));
  secrets_.insert(secrets_.end(), child.secrets_.begin(), child.secrets_.end());
}

std::vector<ConfigError> SectionReader::Errors() const {
  std::vector<ConfigError> out = errors_;
  for (const auto& [key, node] : table_) {
    if (!known_.contains(key.str())) {
      out.push_back(ConfigError{file_, int(key.source().begin.line), int(key.source().begin.column),
                                "unknown key '" + std::string(key.str()) + "' in [" + section_ + "]", {}});
    }
  }
  return out;
}

tl::expected<void, ConfigError> SectionReader::Finish() {
  auto errors = Errors();
  if (errors.empty()) return {};
  return tl::unexpected(InFileOrder(std::move(errors)));
}

}  // namespace kpi
