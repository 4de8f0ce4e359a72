#include "common/byte_size.h"

#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

namespace ndflow::detail {
namespace {

std::invalid_argument bad_byte_size(std::string_view text, const char* why) {
  return std::invalid_argument("invalid byte size \"" + std::string(text) + "\": " + why +
                               "; expected a whole number of bytes, optionally followed by K, "
                               "M, G, KiB, MiB or GiB (powers of 1024), e.g. 8GiB");
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// The multiplier a suffix stands for, or 0 for an unknown suffix.
std::size_t suffix_multiplier(std::string_view suffix) {
  std::string lower(suffix);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower.empty()) return 1;
  if (lower == "k" || lower == "kib") return std::size_t{1} << 10;
  if (lower == "m" || lower == "mib") return std::size_t{1} << 20;
  if (lower == "g" || lower == "gib") return std::size_t{1} << 30;
  return 0;
}

}  // namespace

std::size_t parse_byte_size(std::string_view text) {
  const std::string_view s = trim_spaces(text);
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), number);
  if (error == std::errc::result_out_of_range) throw bad_byte_size(text, "too large");
  if (error != std::errc() || end == s.data()) throw bad_byte_size(text, "no number");
  const std::size_t multiplier =
      suffix_multiplier(trim_spaces(s.substr(static_cast<std::size_t>(end - s.data()))));
  if (multiplier == 0) throw bad_byte_size(text, "unknown suffix");
  if (number > std::numeric_limits<std::size_t>::max() / multiplier)
    throw bad_byte_size(text, "too large");
  if (number == 0) throw bad_byte_size(text, "zero bytes leave no room for anything");
  return static_cast<std::size_t>(number) * multiplier;
}

std::optional<std::size_t> byte_size_from_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  try {
    return parse_byte_size(value);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("ndflow: ") + name + ": " + e.what());
  }
}

std::size_t physical_memory_bytes() noexcept {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return std::size_t{8} << 30;
  return static_cast<std::size_t>(pages) * static_cast<std::size_t>(page);
}

}  // namespace ndflow::detail
