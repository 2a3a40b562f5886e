#include "chains/eth/keccak.h"

#include <cstring>

namespace vigil::eth {
namespace {

// Round constants and rotation offsets: FIPS 202, section 3.2.
constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};
constexpr int kRotations[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int kPiLanes[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                              15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

inline uint64_t rotl(uint64_t x, int n) { return (x << n) | (x >> (64 - n)); }

inline uint64_t load_le64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);  // x86-64 and aarch64 Linux are little-endian
    return v;
}

inline void absorb_block(uint64_t state[25], const uint8_t* block) {
    for (size_t i = 0; i < Keccak256::kRate / 8; ++i) state[i] ^= load_le64(block + 8 * i);
    keccak_f1600(state);
}

}  // namespace

void keccak_f1600(uint64_t st[25]) {
    uint64_t bc[5];
    for (int round = 0; round < 24; ++round) {
        for (int i = 0; i < 5; ++i) bc[i] = st[i] ^ st[i + 5] ^ st[i + 10] ^ st[i + 15] ^ st[i + 20];
        for (int i = 0; i < 5; ++i) {
            uint64_t t = bc[(i + 4) % 5] ^ rotl(bc[(i + 1) % 5], 1);
            for (int j = 0; j < 25; j += 5) st[j + i] ^= t;
        }
        uint64_t t = st[1];
        for (int i = 0; i < 24; ++i) {
            int j = kPiLanes[i];
            uint64_t tmp = st[j];
            st[j] = rotl(t, kRotations[i]);
            t = tmp;
        }
        for (int j = 0; j < 25; j += 5) {
            for (int i = 0; i < 5; ++i) bc[i] = st[j + i];
            for (int i = 0; i < 5; ++i) st[j + i] ^= (~bc[(i + 1) % 5]) & bc[(i + 2) % 5];
        }
        st[0] ^= kRoundConstants[round];
    }
}

void Keccak256::update(BytesView data) {
    const uint8_t* p = data.data();
    size_t n = data.size();
    if (buffered_) {
        size_t take = std::min(n, kRate - buffered_);
        std::memcpy(buffer_ + buffered_, p, take);
        buffered_ += take;
        p += take;
        n -= take;
        if (buffered_ < kRate) return;
        absorb_block(state_, buffer_);
        buffered_ = 0;
    }
    for (; n >= kRate; p += kRate, n -= kRate) absorb_block(state_, p);
    if (n) {
        std::memcpy(buffer_, p, n);
        buffered_ = n;
    }
}

Hash32 Keccak256::finalize() {
    std::memset(buffer_ + buffered_, 0, kRate - buffered_);
    buffer_[buffered_] ^= 0x01;  // Keccak's original multi-rate padding, not SHA-3's 0x06
    buffer_[kRate - 1] ^= 0x80;
    absorb_block(state_, buffer_);
    Hash32 out;
    std::memcpy(out.bytes.data(), state_, 32);
    return out;
}

Hash32 keccak256(BytesView data) {
    Keccak256 h;
    h.update(data);
    return h.finalize();
}

}  // namespace vigil::eth
