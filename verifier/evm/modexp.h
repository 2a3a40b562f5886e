// The EVM's modular exponentiation precompile (address 0x05): EIP-198 input layout,
// EIP-2565 pricing.
//
// Input: three 32-byte big-endian lengths (base, exponent, modulus), then the three
// operands back to back; whatever the input lacks reads as zero bytes, whatever it has
// beyond them is ignored. The price depends on the lengths and on the first 32 bytes of
// the exponent only, so it is computed before anything is allocated.
#pragma once

#include <cstdint>

#include "chains/eth/bytes.h"
#include "chains/eth/result.h"

namespace vigil::evm {

// The largest operand, in bytes, modexp() handles. Far beyond what any block's gas can
// buy (a 64 MiB exponent alone costs more than 178M gas under EIP-2565), so a call that
// passes the gas check with a longer operand cannot occur on a real chain.
inline constexpr uint64_t kModexpMaxOperandBytes = uint64_t{1} << 26;

// EIP-2565 gas: max(200, floor(mult_complexity * max(iteration_count, 1) / 3)), saturating
// at UINT64_MAX (lengths beyond 64 bits included). Never fails, never allocates.
uint64_t modexp_gas(eth::BytesView input);

// base^exponent mod modulus as mod_len big-endian bytes (empty when mod_len is 0; all
// zeros when the modulus is 0). Fails only for an operand longer than
// kModexpMaxOperandBytes (or if OpenSSL cannot allocate). Charge modexp_gas() first.
Result<eth::Bytes> modexp(eth::BytesView input);

}  // namespace vigil::evm
