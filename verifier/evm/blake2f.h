// The BLAKE2b compression function F (RFC 7693, section 3.2) with a caller-chosen number
// of rounds, as the EVM's blake2f precompile (address 0x09, EIP-152) exposes it.
#pragma once

#include <array>
#include <cstdint>

namespace vigil::evm {

// Compresses one 128-byte message block `m` into the state `h` (in place). `t` is the
// 128-bit byte counter (t[0] low), `final_block` the last-block flag. `rounds` may be any
// value; BLAKE2b itself uses 12. The caller bounds `rounds` (the precompile charges one
// gas per round before calling). Thread-safe, no allocation.
void blake2b_compress(std::array<uint64_t, 8>& h, const std::array<uint64_t, 16>& m,
                      const std::array<uint64_t, 2>& t, bool final_block, uint32_t rounds);

}  // namespace vigil::evm
