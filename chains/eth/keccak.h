// keccak256: Ethereum's hash (Keccak-f[1600], rate 136, original 0x01 padding).
//
// Not SHA3-256: FIPS 202 changed the padding byte to 0x06, so OpenSSL's SHA3-256 gives
// different digests. Thread-safe: no shared state, no heap use.
#pragma once

#include <cstdint>

#include "chains/eth/bytes.h"

namespace vigil::eth {

// Incremental hasher: update() any number of times, then finalize() once (the hasher is
// spent afterwards; create a new one for the next message). Gives the same digest as
// keccak256() of the concatenated input, however it is split.
class Keccak256 {
  public:
    static constexpr size_t kRate = 136;  // bytes absorbed per permutation (1600 - 2*256 bits)

    void update(BytesView data);
    void update(std::string_view text) { update(view(text)); }
    Hash32 finalize();

  private:
    // The lanes in keccak.cpp's lane-complementing form: lanes 1, 2, 8, 12, 17 and 20 are
    // kept inverted, so the all-zero initial state has those lanes all ones.
    uint64_t state_[25] = {0, ~0ULL, ~0ULL, 0, 0,     0, 0, 0,     ~0ULL, 0, 0, 0, ~0ULL,
                           0, 0,     0,     0, ~0ULL, 0, 0, ~0ULL, 0,     0, 0, 0};
    uint8_t buffer_[kRate] = {};
    size_t buffered_ = 0;
};

// One-shot digest; no copies of the input (the fast path for the short inputs Ethereum
// hashes most: words, addresses, RLP of small items).
Hash32 keccak256(BytesView data);
inline Hash32 keccak256(std::string_view text) { return keccak256(view(text)); }

// The Keccak-f[1600] permutation on 25 little-endian lanes (lane x + 5y), plain form.
void keccak_f1600(uint64_t state[25]);

}  // namespace vigil::eth
