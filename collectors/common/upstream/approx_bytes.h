// ApproxBytes: about what a parsed value occupies in memory, for the cache's
// byte limit (ParseOnce). A share of the JSON would be wrong both ways: GitHub's
// pull-request objects are ~100 times their parsed size, a terse API's ~1.
// A type with heap-owning members declares HeapBytes(const T&) beside itself
// (found by argument-dependent lookup); the rest cost their sizeof.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

namespace kpi {

// The heap a value owns beyond its sizeof (allocator overhead not counted).
inline size_t HeapBytes(const std::string& text) {
  return text.capacity() > std::string().capacity() ? text.capacity() + 1 : 0;  // beyond the inline buffer
}

template <class T>
  requires std::is_trivially_copyable_v<T>
size_t HeapBytes(const T&) {
  return 0;
}

template <class T>
size_t HeapBytes(const std::vector<T>& values) {
  size_t bytes = values.capacity() * sizeof(T);
  for (const T& value : values) bytes += HeapBytes(value);
  return bytes;
}

template <class T>
size_t ApproxBytes(const T& value) {
  return sizeof(T) + HeapBytes(value);
}

}  // namespace kpi
