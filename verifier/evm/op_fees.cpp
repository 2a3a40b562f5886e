#include "verifier/evm/op_fees.h"

#include <array>
#include <vector>

namespace vigil::evm::op {

using eth::U256;

namespace {

// Fjord (fjord/exec-engine.md): the linear regression from FastLZ size to estimated
// compressed size, scaled by 1e6, and its floor.
constexpr int64_t kL1CostIntercept = -42'585'600;
constexpr uint64_t kL1CostFastlzCoef = 836'500;
constexpr uint64_t kSizeScale = 1'000'000;
constexpr uint64_t kMinTransactionSizeScaled = kMinTransactionSize * kSizeScale;
const U256 kFjordDivisor(1'000'000'000'000ULL);
const U256 kEcotoneDivisor(16'000'000ULL);
const U256 kBedrockDivisor(1'000'000ULL);
constexpr uint64_t kZeroByteGas = 4;  // EIP-2028 calldata costs, reused for L1 data
constexpr uint64_t kNonZeroByteGas = 16;

// Products saturate at 2^256 - 1 instead of wrapping: op-geth computes the fee with big
// integers, so an absurd L1Block value gives a fee above any balance (the transaction is
// then invalid), never a small wrapped one. Every fee that fits is exact.
U256 sat_mul(const U256& a, const U256& b) {
    const auto w = eth::mul_wide(a, b);
    if (w[4] | w[5] | w[6] | w[7]) return U256::max();
    return U256(w[0], w[1], w[2], w[3]);
}
U256 sat_add(const U256& a, const U256& b) {
    const U256 s = a + b;
    return s < a ? U256::max() : s;
}

uint64_t calldata_gas(eth::BytesView data) {
    uint64_t gas = 0;
    for (uint8_t b : data) gas += b == 0 ? kZeroByteGas : kNonZeroByteGas;
    return gas;
}

uint32_t be_u32(const std::array<uint8_t, 32>& word, size_t offset) {
    return (uint32_t{word[offset]} << 24) | (uint32_t{word[offset + 1]} << 16) |
           (uint32_t{word[offset + 2]} << 8) | uint32_t{word[offset + 3]};
}

Result<U256> l1block_slot(StateSource& state, uint64_t slot) {
    auto v = state.storage(kL1BlockAddress, U256(slot));
    if (!v)
        return fail("op fees: L1Block slot " + std::to_string(slot) + ": " + v.error().message,
                    v.error().code);
    return *v;
}

}  // namespace

Result<L1FeeParams> read_l1_fee_params(StateSource& state) {
    L1FeeParams p;
    VIGIL_TRY(p.l1_base_fee, l1block_slot(state, kL1BaseFeeSlot));
    VIGIL_TRY(p.blob_base_fee, l1block_slot(state, kL1BlobBaseFeeSlot));
    VIGIL_TRY(const U256 scalars, l1block_slot(state, kL1FeeScalarsSlot));
    const auto word = scalars.to_be_word();
    p.base_fee_scalar = be_u32(word, kBaseFeeScalarOffset);
    p.blob_base_fee_scalar = be_u32(word, kBlobBaseFeeScalarOffset);
    VIGIL_TRY(p.overhead, l1block_slot(state, kL1OverheadSlot));
    VIGIL_TRY(p.scalar, l1block_slot(state, kL1ScalarSlot));
    return p;
}

Result<OperatorFeeParams> read_operator_fee_params(StateSource& state) {
    VIGIL_TRY(const U256 packed, l1block_slot(state, kOperatorFeeSlot));
    const auto word = packed.to_be_word();
    OperatorFeeParams p;
    p.scalar = be_u32(word, kOperatorFeeScalarOffset);
    p.constant = (uint64_t{be_u32(word, kOperatorFeeConstantOffset)} << 32) |
                 be_u32(word, kOperatorFeeConstantOffset + 4);
    p.da_footprint_gas_scalar = static_cast<uint16_t>(
        (uint32_t{word[kDaFootprintGasScalarOffset]} << 8) | word[kDaFootprintGasScalarOffset + 1]);
    return p;
}

U256 operator_fee(const OperatorFeeParams& p, uint64_t gas, bool jovian) {
    const U256 scaled = U256(gas) * U256(uint64_t{p.scalar});
    if (jovian) return scaled * U256(kJovianOperatorFeeMultiplier) + U256(p.constant);
    return scaled / U256(kOperatorFeeScalarDecimals) + U256(p.constant);
}

uint32_t flz_compress_len(eth::BytesView ib) {
    // A transcription of the length-only FastLZ pass (Solady LibZip.flzCompress, as
    // op-geth's FlzCompressLen runs it), including its quirks: the match-length loop
    // counts one past the first mismatch, and the hash multiplies in 32 bits.
    constexpr uint32_t kHashSize = 8192;
    constexpr uint32_t kMaxDistance = 0x1fff;
    const uint32_t len = static_cast<uint32_t>(ib.size());
    uint32_t n = 0;
    std::vector<uint32_t> ht(kHashSize, 0);
    auto u24 = [&](uint32_t i) {
        return uint32_t{ib[i]} | (uint32_t{ib[i + 1]} << 8) | (uint32_t{ib[i + 2]} << 16);
    };
    auto cmp = [&](uint32_t p, uint32_t q, uint32_t e) {
        uint32_t l = 0;
        for (e -= q; l < e; l++)
            if (ib[p + l] != ib[q + l]) e = 0;
        return l;
    };
    auto literals = [&](uint32_t r) {
        n += 0x21 * (r / 0x20);
        r %= 0x20;
        if (r != 0) n += r + 1;
    };
    auto match = [&](uint32_t l) {
        l--;
        n += 3 * (l / 262);
        n += l % 262 >= 6 ? 3 : 2;
    };
    auto hash = [](uint32_t v) { return ((2654435769u * v) >> 19) & (kHashSize - 1); };
    auto set_next_hash = [&](uint32_t ip) {
        ht[hash(u24(ip))] = ip;
        return ip + 1;
    };
    uint32_t a = 0;
    const uint32_t ip_limit = len < 13 ? 0 : len - 13;
    for (uint32_t ip = a + 2; ip < ip_limit;) {
        uint32_t r = 0;
        uint32_t d = 0;
        for (;;) {
            const uint32_t s = u24(ip);
            const uint32_t h = hash(s);
            r = ht[h];
            ht[h] = ip;
            d = ip - r;
            if (ip >= ip_limit) break;
            ip++;
            if (d <= kMaxDistance && s == u24(r)) break;
        }
        if (ip >= ip_limit) break;
        ip--;
        if (ip > a) literals(ip - a);
        const uint32_t l = cmp(r + 3, ip + 3, ip_limit + 9);
        match(l);
        ip = set_next_hash(set_next_hash(ip + l));
        a = ip;
    }
    literals(len - a);
    return n;
}

namespace {

// Fjord: the estimated compressed size scaled by 1e6, at least 100 bytes' worth.
uint64_t estimated_size_scaled(eth::BytesView raw_tx) {
    const int64_t flz = flz_compress_len(raw_tx);
    // Below 2^63: flz < 2^32.
    const int64_t estimate = kL1CostIntercept + static_cast<int64_t>(kL1CostFastlzCoef) * flz;
    return estimate < static_cast<int64_t>(kMinTransactionSizeScaled)
               ? kMinTransactionSizeScaled
               : static_cast<uint64_t>(estimate);
}

}  // namespace

uint64_t estimated_da_size(eth::BytesView raw_tx) {
    return estimated_size_scaled(raw_tx) / kSizeScale;
}

uint64_t da_footprint(eth::BytesView raw_tx, uint16_t da_footprint_gas_scalar) {
    // Below 2^64: the size is below 2^32 * 836500 / 1e6 and the scalar below 2^16.
    return estimated_da_size(raw_tx) * da_footprint_gas_scalar;
}

U256 l1_data_fee(const L1FeeParams& p, eth::BytesView raw_tx, bool ecotone, bool fjord) {
    if (!ecotone || p.ecotone_values_unset()) {
        const U256 gas = sat_add(U256(calldata_gas(raw_tx)), p.overhead);
        return sat_mul(sat_mul(gas, p.l1_base_fee), p.scalar) / kBedrockDivisor;
    }
    const U256 fee_scaled = sat_add(sat_mul(U256(16 * uint64_t{p.base_fee_scalar}), p.l1_base_fee),
                                    sat_mul(p.blob_base_fee, U256(p.blob_base_fee_scalar)));
    if (!fjord) return sat_mul(U256(calldata_gas(raw_tx)), fee_scaled) / kEcotoneDivisor;
    return sat_mul(U256(estimated_size_scaled(raw_tx)), fee_scaled) / kFjordDivisor;
}

}  // namespace vigil::evm::op
