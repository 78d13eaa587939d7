// Small text helpers the collectors (and the core) share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kpi {

// ASCII lower case (names, hosts, labels, currencies; never locale-dependent).
std::string AsciiLower(std::string_view text);

// True when `text` is non-empty and every character is in `char_class`
// (e.g. ::isalnum, ::isdigit) or in `extra`. For validating configured names.
bool ConsistsOf(std::string_view text, int (*char_class)(int), std::string_view extra = "");

// The parts of `text` between `separator`s: none for an empty text, no empty last part after a trailing separator.
std::vector<std::string> Split(std::string_view text, char separator);

}  // namespace kpi
