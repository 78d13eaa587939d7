#include "collectors/common/upstream/json.h"

#include <cstdio>

namespace kpi::json {
namespace {

[[noreturn]] void Fail(std::string_view key, std::string_view problem) {
  throw JsonError("field '" + std::string(key) + "' " + std::string(problem));
}

std::optional<element> Field(object o, std::string_view key) {
  element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
  return e;
}

element Required(object o, std::string_view key) {
  auto e = Field(o, key);
  if (!e) Fail(key, "is missing");
  return *e;
}

template <typename T>
T As(element e, std::string_view key, std::string_view type) {
  T value;
  if (e.get(value) != simdjson::SUCCESS) Fail(key, std::string("is not ") + std::string(type));
  return value;
}

double AsNumber(element e, std::string_view key) {
  if (e.is_int64()) return double(int64_t(e));
  if (e.is_uint64()) return double(uint64_t(e));
  return As<double>(e, key, "a number");
}

}  // namespace

std::string Escape(std::string_view value) {
  std::string out;
  for (const unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  return out;
}

element Parse(simdjson::dom::parser& parser, std::string_view body) {
  element root;
  const auto error = parser.parse(body.data(), body.size()).get(root);
  if (error != simdjson::SUCCESS) {
    throw JsonError(std::string("malformed JSON: ") + simdjson::error_message(error));
  }
  return root;
}

object AsObject(element e, std::string_view what) {
  object o;
  if (e.get(o) != simdjson::SUCCESS) throw JsonError(std::string(what) + " is not an object");
  return o;
}

array AsArray(element e, std::string_view what) {
  array a;
  if (e.get(a) != simdjson::SUCCESS) throw JsonError(std::string(what) + " is not an array");
  return a;
}

std::string_view Str(object o, std::string_view key) { return As<std::string_view>(Required(o, key), key, "a string"); }
int64_t Int(object o, std::string_view key) { return As<int64_t>(Required(o, key), key, "an integer"); }
double Num(object o, std::string_view key) { return AsNumber(Required(o, key), key); }

int64_t Count(object o, std::string_view key) {
  const int64_t n = Int(o, key);
  if (n < 0 || n > (int64_t(1) << 53)) throw JsonError("field '" + std::string(key) + "' is not a count");
  return n;
}

bool Bool(object o, std::string_view key) { return As<bool>(Required(o, key), key, "a boolean"); }
array Arr(object o, std::string_view key) { return As<array>(Required(o, key), key, "an array"); }
object Obj(object o, std::string_view key) { return As<object>(Required(o, key), key, "an object"); }

std::optional<std::string_view> OptStr(object o, std::string_view key) {
  auto e = Field(o, key);
  if (!e) return std::nullopt;
  return As<std::string_view>(*e, key, "a string");
}
std::optional<int64_t> OptInt(object o, std::string_view key) {
  auto e = Field(o, key);
  if (!e) return std::nullopt;
  return As<int64_t>(*e, key, "an integer");
}
std::optional<double> OptNum(object o, std::string_view key) {
  auto e = Field(o, key);
  if (!e) return std::nullopt;
  return AsNumber(*e, key);
}
std::optional<bool> OptBool(object o, std::string_view key) {
  auto e = Field(o, key);
  if (!e) return std::nullopt;
  return As<bool>(*e, key, "a boolean");
}
std::optional<object> OptObj(object o, std::string_view key) {
  auto e = Field(o, key);
  if (!e) return std::nullopt;
  return As<object>(*e, key, "an object");
}
std::optional<array> OptArr(object o, std::string_view key) {
  auto e = Field(o, key);
  if (!e) return std::nullopt;
  return As<array>(*e, key, "an array");
}

tl::expected<int64_t, Error> ParseArrayLength(std::string_view body) {
  return ParseJson("list", [&] {
    simdjson::dom::parser parser;
    return int64_t(AsArray(Parse(parser, body), "list").size());
  });
}

}  // namespace kpi::json
