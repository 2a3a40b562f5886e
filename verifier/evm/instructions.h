// The EVM instructions that only touch the stack: tiny functions over the stack pointer
// `sp` (one past the top item). Each reads its operands from the top and leaves its result
// where the top will be once the interpreter has moved `sp` by the opcode's stack change.
// Also the conversions between stack words and addresses or hashes.
#pragma once

#include <cstring>

#include "chains/eth/address.h"
#include "chains/eth/u256.h"

// Under AddressSanitizer every temporary of an inlined instruction gets its own guarded
// slot in the dispatch loop's frame, which the call recursion multiplies by the depth (1024
// calls overflowed an 8 MB stack): there, instructions are kept out of line.
#if defined(__SANITIZE_ADDRESS__)
#define VIGIL_EVM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VIGIL_EVM_ASAN 1
#endif
#endif
#ifdef VIGIL_EVM_ASAN
#define VIGIL_EVM_OP [[gnu::noinline]] inline
#else
#define VIGIL_EVM_OP inline
#endif

namespace vigil::evm::instr {

using eth::U256;

VIGIL_EVM_OP U256 word_from_address(const eth::Address& a) {
    uint8_t w[32] = {};
    std::memcpy(w + 12, a.data(), 20);
    return U256::from_be_word(w);
}

VIGIL_EVM_OP eth::Address address_from_word(const U256& v) {
    const auto w = v.to_be_word();
    eth::Address a;
    std::memcpy(a.data(), w.data() + 12, 20);
    return a;
}

VIGIL_EVM_OP U256 word_from_hash(const eth::Hash32& h) { return U256::from_be_word(h.data()); }

VIGIL_EVM_OP eth::Hash32 hash_from_word(const U256& v) {
    eth::Hash32 h;
    h.bytes = v.to_be_word();
    return h;
}

// Writes the word of an address or a hash into a free stack slot.
VIGIL_EVM_OP void push_address(U256* slot, const eth::Address& a) { *slot = word_from_address(a); }
VIGIL_EVM_OP void push_hash(U256* slot, const eth::Hash32& h) { *slot = word_from_hash(h); }

// Binary operations: a = sp[-1] (the top), b = sp[-2]; the result replaces b.
VIGIL_EVM_OP void add(U256* sp) { sp[-2] = sp[-1] + sp[-2]; }
VIGIL_EVM_OP void mul(U256* sp) { sp[-2] = sp[-1] * sp[-2]; }
VIGIL_EVM_OP void sub(U256* sp) { sp[-2] = sp[-1] - sp[-2]; }
VIGIL_EVM_OP void div(U256* sp) { sp[-2] = sp[-1] / sp[-2]; }
VIGIL_EVM_OP void sdiv(U256* sp) { sp[-2] = eth::sdiv(sp[-1], sp[-2]); }
VIGIL_EVM_OP void mod(U256* sp) { sp[-2] = sp[-1] % sp[-2]; }
VIGIL_EVM_OP void smod(U256* sp) { sp[-2] = eth::smod(sp[-1], sp[-2]); }
VIGIL_EVM_OP void exp(U256* sp) { sp[-2] = eth::exp(sp[-1], sp[-2]); }
VIGIL_EVM_OP void signextend(U256* sp) { sp[-2] = eth::signextend(sp[-1], sp[-2]); }
VIGIL_EVM_OP void lt(U256* sp) { sp[-2] = U256(sp[-1] < sp[-2] ? 1 : 0); }
VIGIL_EVM_OP void gt(U256* sp) { sp[-2] = U256(sp[-1] > sp[-2] ? 1 : 0); }
VIGIL_EVM_OP void slt(U256* sp) { sp[-2] = U256(eth::slt(sp[-1], sp[-2]) ? 1 : 0); }
VIGIL_EVM_OP void sgt(U256* sp) { sp[-2] = U256(eth::sgt(sp[-1], sp[-2]) ? 1 : 0); }
VIGIL_EVM_OP void eq(U256* sp) { sp[-2] = U256(sp[-1] == sp[-2] ? 1 : 0); }
VIGIL_EVM_OP void bit_and(U256* sp) { sp[-2] = sp[-1] & sp[-2]; }
VIGIL_EVM_OP void bit_or(U256* sp) { sp[-2] = sp[-1] | sp[-2]; }
VIGIL_EVM_OP void bit_xor(U256* sp) { sp[-2] = sp[-1] ^ sp[-2]; }
VIGIL_EVM_OP void byte(U256* sp) { sp[-2] = eth::byte_at(sp[-1], sp[-2]); }
// EIP-145 shifts: the shift amount is on top, the value below it.
VIGIL_EVM_OP void shl(U256* sp) {
    const U256& s = sp[-1];
    sp[-2] =
        (s.fits_u64() && s.low64() < 256) ? sp[-2] << static_cast<unsigned>(s.low64()) : U256();
}
VIGIL_EVM_OP void shr(U256* sp) {
    const U256& s = sp[-1];
    sp[-2] =
        (s.fits_u64() && s.low64() < 256) ? sp[-2] >> static_cast<unsigned>(s.low64()) : U256();
}
VIGIL_EVM_OP void sar(U256* sp) { sp[-2] = eth::sar(sp[-1], sp[-2]); }

// Ternary: a = sp[-1], b = sp[-2], modulus sp[-3]; the result replaces the modulus.
VIGIL_EVM_OP void addmod(U256* sp) { sp[-3] = eth::addmod(sp[-1], sp[-2], sp[-3]); }
VIGIL_EVM_OP void mulmod(U256* sp) { sp[-3] = eth::mulmod(sp[-1], sp[-2], sp[-3]); }

// Unary, in place.
VIGIL_EVM_OP void iszero(U256* sp) { sp[-1] = U256(sp[-1].is_zero() ? 1 : 0); }
VIGIL_EVM_OP void bit_not(U256* sp) { sp[-1] = ~sp[-1]; }

// PUSHn: the n bytes after the opcode, big-endian (the code is padded, so reading past the
// end gives zeros).
VIGIL_EVM_OP void push(U256* sp, const uint8_t* data, size_t n) {
    uint8_t w[32] = {};
    std::memcpy(w + 32 - n, data, n);
    sp[0] = U256::from_be_word(w);
}

}  // namespace vigil::evm::instr
