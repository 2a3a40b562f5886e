// The alt_bn128 (bn254) curve operations behind the EVM's precompiles 0x06 (ECADD),
// 0x07 (ECMUL) and 0x08 (the pairing check), per EIP-196 and EIP-197.
//
// Encoding (both EIPs): a field element is a 32-byte big-endian integer below p; a G1 point
// is x ‖ y, a G2 point is x ‖ y with each Fp2 coordinate a·i + b written a ‖ b (the
// imaginary part first); the all-zero encoding is the point at infinity. A coordinate
// >= p, a point off its curve or (for G2) outside the order-r subgroup is invalid.
//
// Variable-time arithmetic (the inputs are public). Every function is a pure function of
// its arguments and thread-safe; the derived constants are computed once, on first use.
#pragma once

#include "chains/eth/bytes.h"
#include "chains/eth/result.h"

namespace vigil::evm::bn254 {

// ECADD: the first 128 bytes of `input` (zero-padded when shorter) are two G1 points;
// returns their sum, 64 bytes. Errors name the invalid point.
Result<eth::Bytes> g1_add(eth::BytesView input);

// ECMUL: the first 96 bytes of `input` (zero-padded) are a G1 point and a 256-bit scalar
// (not reduced); returns scalar·point, 64 bytes.
Result<eth::Bytes> g1_mul(eth::BytesView input);

// The pairing check: `input` is k pairs (G1 point, G2 point), 192 bytes each (k may be 0);
// true iff the product of e(P_i, Q_i) is 1 in GT. A length that is not a multiple of 192
// or an invalid point is an error.
Result<bool> pairing_check(eth::BytesView input);

// scalar·Q for a G2 point Q (128 bytes, validated like pairing_check's) and a 32-byte
// big-endian scalar; returns the 128-byte encoding. The precompiles do not need it; tests
// and tools build G2 inputs with it.
Result<eth::Bytes> g2_mul(eth::BytesView point, eth::BytesView scalar);

}  // namespace vigil::evm::bn254
