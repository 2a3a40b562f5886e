// keccak256: Ethereum's hash (Keccak-f[1600], rate 136, original 0x01 padding).
//
// Not SHA3-256: FIPS 202 changed the padding byte to 0x06, so OpenSSL's SHA3-256 gives
// different digests. Thread-safe: no shared state.
#pragma once

#include <cstdint>

#include "chains/eth/bytes.h"

namespace vigil::eth {

// Incremental hasher: update() any number of times, then finalize() once.
class Keccak256 {
public:
    static constexpr size_t kRate = 136;  // bytes absorbed per permutation (1600 - 2*256 bits)

    void update(BytesView data);
    Hash32 finalize();

private:
    uint64_t state_[25] = {};
    uint8_t buffer_[kRate] = {};
    size_t buffered_ = 0;
};

Hash32 keccak256(BytesView data);
inline Hash32 keccak256(std::string_view text) { return keccak256(view(text)); }

// The Keccak-f[1600] permutation on 25 little-endian lanes.
void keccak_f1600(uint64_t state[25]);

}  // namespace vigil::eth
