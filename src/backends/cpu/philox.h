// Philox4x32-10: a counter-based random number generator (Salmon, Moraes, Dror and Shaw,
// "Parallel random numbers: as easy as 1, 2, 3", SC 2011). A 128-bit counter and a 64-bit
// key go through ten rounds of a multiply / xor bijection; each distinct counter gives four
// independent 32-bit words. Nothing is carried from one call to the next, so element i of
// a random array can be computed by whichever worker handles i, in any order.
//
// ndflow's mapping: key = the seed, counter = (block index, stream id), where each random
// op takes the next stream id in program order. The element functions below fix which
// words of which block feed element i of a stream, so kernels and tests agree exactly.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace ndflow::detail::philox {

using Counter = std::array<std::uint32_t, 4>;
using Key = std::array<std::uint32_t, 2>;

inline constexpr std::uint32_t kMul0 = 0xD2511F53u;
inline constexpr std::uint32_t kMul1 = 0xCD9E8D57u;
inline constexpr std::uint32_t kWeyl0 = 0x9E3779B9u;  // golden ratio
inline constexpr std::uint32_t kWeyl1 = 0xBB67AE85u;  // sqrt(3) - 1
inline constexpr int kRounds = 10;

// One round: two 32x32 -> 64-bit products; their high halves are mixed with the other
// counter words and the key, and the words are permuted.
constexpr Counter one_round(const Counter& c, const Key& k) noexcept {
  const std::uint64_t p0 = std::uint64_t{kMul0} * c[0];
  const std::uint64_t p1 = std::uint64_t{kMul1} * c[2];
  const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
  const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
  return {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
}

// The full generator: ten rounds, the key bumped by the Weyl constants between rounds.
constexpr Counter philox4x32_10(Counter c, Key k) noexcept {
  for (int r = 0; r < kRounds; ++r) {
    if (r > 0) {
      k[0] += kWeyl0;
      k[1] += kWeyl1;
    }
    c = one_round(c, k);
  }
  return c;
}

// The four words of block `block` of stream `stream` under `seed`.
constexpr Counter block(std::uint64_t seed, std::uint64_t stream, std::uint64_t block) noexcept {
  return philox4x32_10(
      {static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
       static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)},
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
}

// --- From words to values -----------------------------------------------------------------

// [0, 1) from the top 24 bits of a word: every float32 multiple of 2^-24.
constexpr float to_unit_float(std::uint32_t w) noexcept {
  return static_cast<float>(w >> 8) * (1.0f / 16777216.0f);
}
// [0, 1) from 53 bits of two words: every float64 multiple of 2^-53.
constexpr double to_unit_double(std::uint32_t hi, std::uint32_t lo) noexcept {
  const std::uint64_t bits = ((std::uint64_t{hi} << 32) | lo) >> 11;
  return static_cast<double>(bits) * (1.0 / 9007199254740992.0);
}
constexpr std::uint64_t to_u64(std::uint32_t hi, std::uint32_t lo) noexcept {
  return (std::uint64_t{hi} << 32) | lo;
}

// --- Element i of a stream ------------------------------------------------------------------
// float32 uniforms use one word each (four elements per block); float64 uniforms and
// 64-bit integers use two (two per block); normals come in Box-Muller pairs, one block per
// pair (elements 2j and 2j+1 from block j).

inline float uniform_float(std::uint64_t seed, std::uint64_t stream, std::uint64_t i) noexcept {
  return to_unit_float(block(seed, stream, i >> 2)[i & 3]);
}

inline double uniform_double(std::uint64_t seed, std::uint64_t stream, std::uint64_t i) noexcept {
  const Counter w = block(seed, stream, i >> 1);
  const int j = static_cast<int>(i & 1) * 2;
  return to_unit_double(w[j], w[j + 1]);
}

inline std::uint64_t bits64(std::uint64_t seed, std::uint64_t stream, std::uint64_t i) noexcept {
  const Counter w = block(seed, stream, i >> 1);
  const int j = static_cast<int>(i & 1) * 2;
  return to_u64(w[j], w[j + 1]);
}

// Standard normals of elements 2j and 2j+1: Box-Muller on two 53-bit uniforms.
struct NormalPair {
  double z0, z1;
};
inline NormalPair normal_pair_from(const Counter& w) noexcept {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  const double u1 = 1.0 - to_unit_double(w[0], w[1]);  // (0, 1]: log(u1) is finite
  const double u2 = to_unit_double(w[2], w[3]);
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = kTwoPi * u2;
  return {r * std::cos(theta), r * std::sin(theta)};
}
inline NormalPair normal_pair(std::uint64_t seed, std::uint64_t stream, std::uint64_t j) noexcept {
  return normal_pair_from(block(seed, stream, j));
}
inline double standard_normal(std::uint64_t seed, std::uint64_t stream, std::uint64_t i) noexcept {
  const NormalPair p = normal_pair(seed, stream, i >> 1);
  return (i & 1) ? p.z1 : p.z0;
}

// An integer in [0, range) from 64 random bits (range > 0): the high half of bits * range
// (Lemire's multiply-shift). Its bias is below range / 2^64, far under anything measurable.
inline std::uint64_t below(std::uint64_t bits, std::uint64_t range) noexcept {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(bits) * range) >> 64);
}

}  // namespace ndflow::detail::philox
