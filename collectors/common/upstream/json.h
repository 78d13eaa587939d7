// JSON helpers over the simdjson DOM parser (which validates the whole document,
// unlike On-Demand). Field accessors throw JsonError with the field name; a
// parse function wraps its body in ParseJson(), which turns any such throw into
// an Error value, so no exception leaves a collector.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "collectors/common/error.h"

namespace kpi::json {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses `body` into `parser` (the returned element lives as long as the parser).
element Parse(simdjson::dom::parser& parser, std::string_view body);

object AsObject(element e, std::string_view what);
array AsArray(element e, std::string_view what);

// Required fields: throw JsonError when missing or of the wrong type.
std::string_view Str(object o, std::string_view key);
int64_t Int(object o, std::string_view key);
double Num(object o, std::string_view key);  // accepts integers too
bool Bool(object o, std::string_view key);
array Arr(object o, std::string_view key);
object Obj(object o, std::string_view key);

// A count (members, issues, downloads): an integer from 0 to 2^53. A negative
// one, or one too large to be exact as a sample value (and to sum safely),
// only comes from a broken or hostile answer.
int64_t Count(object o, std::string_view key);

// Optional fields: nullopt when missing or null; throw when present with a wrong type.
std::optional<std::string_view> OptStr(object o, std::string_view key);
std::optional<int64_t> OptInt(object o, std::string_view key);
std::optional<double> OptNum(object o, std::string_view key);
std::optional<bool> OptBool(object o, std::string_view key);
std::optional<object> OptObj(object o, std::string_view key);
std::optional<array> OptArr(object o, std::string_view key);

// The inside of a JSON string literal for `text` (quotes, backslashes and control characters escaped).
std::string Escape(std::string_view text);

// Runs `parse` and converts a JsonError (or simdjson error) into Error{"parse", ...}.
template <typename F>
auto ParseJson(std::string_view what, F&& parse) -> tl::expected<decltype(parse()), Error> {
  try {
    return parse();
  } catch (const std::exception& e) {
    return tl::unexpected(Error{"parse", std::string(what) + ": " + e.what()});
  }
}

// The number of elements of a body that is a top-level array (a listing page).
tl::expected<int64_t, Error> ParseArrayLength(std::string_view body);

}  // namespace kpi::json
