#include "verifier/evm/precompiles.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <chrono>
#include <iostream>
#include <random>

#include "chains/eth/u256.h"
#include "tests/unit/vectors.h"
#include "verifier/evm/blake2f.h"
#include "verifier/evm/bn254.h"
#include "verifier/evm/modexp.h"

namespace vigil::evm {
namespace {

using eth::Bytes;
using eth::U256;

constexpr uint64_t kPlenty = 100'000'000;

eth::Address addr(uint16_t n) {
    eth::Address a;
    a.bytes[18] = static_cast<uint8_t>(n >> 8);
    a.bytes[19] = static_cast<uint8_t>(n);
    return a;
}

PrecompileResult run(uint16_t n, const Bytes& input, uint64_t gas = kPlenty,
                     PrecompileSet set = {}) {
    return run_precompile(addr(n), input, gas, set);
}

Bytes hex(const std::string& text) { return *eth::from_hex(text); }
Bytes word(const U256& v) {
    auto w = v.to_be_word();
    return Bytes(w.begin(), w.end());
}
Bytes word(uint64_t v) { return word(U256(v)); }
// `bytes` with `part` written over it from `offset` (which must leave room for it).
Bytes overwrite(Bytes bytes, size_t offset, const Bytes& part) {
    for (size_t i = 0; i < part.size(); ++i) bytes.at(offset + i) = part[i];
    return bytes;
}
U256 dec(const std::string& text) { return *U256::from_string(text); }
Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) eth::append(out, p);
    return out;
}

// Checks that `cost` is the exact price: it succeeds with `cost` gas and fails with less.
void expect_price(uint16_t n, const Bytes& input, uint64_t cost, PrecompileSet set = {}) {
    SCOPED_TRACE("precompile " + std::to_string(n) + ", " + std::to_string(input.size()) +
                 " bytes");
    const PrecompileResult ok = run(n, input, cost, set);
    EXPECT_EQ(ok.status, PrecompileStatus::kSuccess);
    EXPECT_EQ(ok.gas_used, cost);
    const PrecompileResult short_of_gas = run(n, input, cost - 1, set);
    EXPECT_EQ(short_of_gas.status, PrecompileStatus::kFailure);
    EXPECT_EQ(short_of_gas.gas_used, cost - 1);
    EXPECT_TRUE(short_of_gas.output.empty());
}

// ---- the set ----

TEST(Precompiles, AddressesBySet) {
    auto cancun = precompile_addresses({});
    ASSERT_EQ(cancun.size(), 10u);
    for (uint16_t i = 1; i <= 10; ++i) EXPECT_EQ(cancun[i - 1], addr(i));
    EXPECT_FALSE(is_precompile(addr(0x100), {}));
    EXPECT_TRUE(is_precompile(addr(0x100), {.p256verify = true}));
    EXPECT_FALSE(is_precompile(addr(0), {}));
    EXPECT_FALSE(is_precompile(addr(0x0b), {.p256verify = true}));
    EXPECT_EQ(run(0x0b, {}).status, PrecompileStatus::kUnsupported);
    EXPECT_EQ(run(0x100, Bytes(160)).status, PrecompileStatus::kUnsupported);
}

TEST(Precompiles, PointEvaluationIsUnsupported) {
    const PrecompileResult r = run(0x0a, Bytes(192));
    EXPECT_EQ(r.status, PrecompileStatus::kUnsupported);
    EXPECT_EQ(r.reason, "precompile 0x0a (KZG point evaluation) not supported");
}

// ---- 0x01 ecrecover ----

TEST(Ecrecover, GoEthereumVectors) {
    VIGIL_VECTOR_JSON(cases, "secp256k1/go-ethereum/ecRecover.json");
    ASSERT_FALSE(cases.empty());
    for (const auto& c : cases) {
        SCOPED_TRACE(c["Name"].get<std::string>());
        const Bytes input = hex(c["Input"].get<std::string>());
        const PrecompileResult r = run(1, input, c["Gas"].get<uint64_t>());
        ASSERT_EQ(r.status, PrecompileStatus::kSuccess);
        EXPECT_EQ(r.gas_used, 3000u);
        EXPECT_EQ(eth::to_hex_bare(r.output), c["Expected"].get<std::string>());
    }
}

TEST(Ecrecover, PriceAndInvalidInputs) {
    expect_price(1, {}, 3000);
    expect_price(1, Bytes(500, 7), 3000);
    // v as a full word: 27 with a stray high byte is invalid, and so is v = 0.
    Bytes input(128, 0);
    input[63] = 27;
    input[95] = 1;
    input[127] = 1;
    input[32] = 1;
    EXPECT_TRUE(run(1, input).output.empty());
    input[32] = 0;
    input[63] = 0;
    EXPECT_TRUE(run(1, input).output.empty());
    EXPECT_EQ(run(1, input).status, PrecompileStatus::kSuccess);
}

// ---- 0x02 sha256, 0x03 ripemd160, 0x04 identity ----

TEST(Hashes, EthersVectors) {
    VIGIL_VECTOR_JSON(cases, "keccak/ethers/hashes.json");
    ASSERT_GT(cases.size(), 100u);
    for (const auto& c : cases) {
        SCOPED_TRACE(c["name"].get<std::string>());
        const Bytes data = hex(c["data"].get<std::string>());
        const uint64_t words = (data.size() + 31) / 32;
        const PrecompileResult sha = run(2, data);
        ASSERT_EQ(sha.status, PrecompileStatus::kSuccess);
        EXPECT_EQ(sha.gas_used, 60 + 12 * words);
        EXPECT_EQ(eth::to_hex(sha.output), c["sha256"].get<std::string>());
        const PrecompileResult ripemd = run(3, data);
        ASSERT_EQ(ripemd.status, PrecompileStatus::kSuccess) << ripemd.reason;
        EXPECT_EQ(ripemd.gas_used, 600 + 120 * words);
        const std::string digest = c["ripemd160"].get<std::string>();
        EXPECT_EQ(eth::to_hex(ripemd.output), "0x" + std::string(24, '0') + digest.substr(2));
        const PrecompileResult identity = run(4, data);
        ASSERT_EQ(identity.status, PrecompileStatus::kSuccess);
        EXPECT_EQ(identity.gas_used, 15 + 3 * words);
        EXPECT_EQ(identity.output, data);
    }
}

TEST(Hashes, PricePerWord) {
    for (size_t len : {0, 1, 31, 32, 33, 64, 65, 1000}) {
        const uint64_t words = (len + 31) / 32;
        expect_price(2, Bytes(len, 0xab), 60 + 12 * words);
        expect_price(3, Bytes(len, 0xab), 600 + 120 * words);
        expect_price(4, Bytes(len, 0xab), 15 + 3 * words);
    }
    EXPECT_EQ(run(4, Bytes(33, 1), 0).status, PrecompileStatus::kFailure);
}

// ---- 0x05 modexp ----

Bytes modexp_input(const Bytes& base, const Bytes& exp, const Bytes& mod) {
    return cat({word(base.size()), word(exp.size()), word(mod.size()), base, exp, mod});
}

// An independent reference for operands up to 32 bytes: square-and-multiply with U256.
U256 reference_powmod(const U256& base, const U256& exp, const U256& mod) {
    if (mod == U256(1)) return U256();
    U256 result(1);
    for (int i = 255; i >= 0; --i) {
        result = eth::mulmod(result, result, mod);
        if (((exp >> static_cast<unsigned>(i)) & U256(1)) == U256(1))
            result = eth::mulmod(result, base, mod);
    }
    return result;
}

TEST(Modexp, GasFormulaByHand) {
    // EIP-198's first example: 3^(p-1) mod p for p = 2^256 - 2^32 - 977. max length 32 →
    // 4 words → complexity 16; the exponent's bit length 256 → 255 iterations; 16·255/3.
    const U256 secp_p = dec("0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f");
    const Bytes fermat = modexp_input({3}, word(secp_p - U256(1)), word(secp_p));
    EXPECT_EQ(modexp_gas(fermat), 1360u);
    expect_price(5, fermat, 1360);
    EXPECT_EQ(run(5, fermat).output, word(1));

    EXPECT_EQ(modexp_gas({}), 200u);  // all lengths zero: the minimum
    // 64-byte exponent whose first 32 bytes are zero: 8·32 iterations, complexity 1 → 85.
    EXPECT_EQ(modexp_gas(modexp_input({2}, Bytes(64, 0), {5})), 200u);
    // 1024-byte modulus (128 words → 16384), exponent 1 (0 iterations → 1): 16384/3.
    EXPECT_EQ(modexp_gas(modexp_input({2}, {1}, Bytes(1024, 0xff))), 5461u);
    // 40-byte exponent starting 0x80: 8·8 + 255 = 319 iterations; 64-byte modulus → 64.
    Bytes exp40(40, 0);
    exp40[0] = 0x80;
    EXPECT_EQ(modexp_gas(modexp_input({2}, exp40, Bytes(64, 1))), 64u * 319 / 3);
    // The exponent head is read after the base: when the input ends first it is zero.
    const Bytes truncated = cat({word(1), word(32), word(32), Bytes{7}});
    EXPECT_EQ(modexp_gas(truncated), 200u);
    // Lengths that do not fit 64 bits price at the maximum and run out of gas.
    Bytes huge = modexp_input({}, {}, {1});
    huge[0] = 1;  // base length 2^248
    EXPECT_EQ(modexp_gas(huge), UINT64_MAX);
    EXPECT_EQ(run(5, huge, UINT64_MAX - 1).status, PrecompileStatus::kFailure);
    Bytes huge_exp = modexp_input({1}, {}, {1});
    huge_exp[40] = 1;  // exponent length 2^184
    EXPECT_EQ(modexp_gas(huge_exp), UINT64_MAX);
    // ... unless base and modulus are empty: complexity 0, so 200 gas and empty output.
    Bytes empty_mod = modexp_input({}, {}, {});
    empty_mod[32] = 0xff;
    EXPECT_EQ(modexp_gas(empty_mod), 200u);
    const PrecompileResult r = run(5, empty_mod, 200);
    EXPECT_EQ(r.status, PrecompileStatus::kSuccess);
    EXPECT_TRUE(r.output.empty());
}

TEST(Modexp, SpecialModuli) {
    auto out = [](const Bytes& b, const Bytes& e, const Bytes& m) {
        const PrecompileResult r = run(5, modexp_input(b, e, m));
        EXPECT_EQ(r.status, PrecompileStatus::kSuccess);
        return r.output;
    };
    EXPECT_EQ(out({3}, {5}, {0, 0}), (Bytes{0, 0}));    // modulus 0: zeros of its length
    EXPECT_EQ(out({3}, {5}, {0, 1}), (Bytes{0, 0}));    // modulus 1
    EXPECT_EQ(out({3}, {5}, {10}), (Bytes{3}));         // even modulus: 243 mod 10
    EXPECT_EQ(out({0}, {0}, {7}), (Bytes{1}));          // 0^0 = 1
    EXPECT_EQ(out({}, {}, {0, 9}), (Bytes{0, 1}));      // empty base and exponent
    EXPECT_EQ(out({200}, {1}, {7}), (Bytes{200 % 7}));  // base above the modulus
    EXPECT_TRUE(out({3}, {5}, {}).empty());             // modulus length 0
    // Operands missing from the input read as zero bytes on the right: the modulus is
    // 0x0100 here, so 2^3 mod 256.
    Bytes input = modexp_input({2}, {3}, {1, 0});
    input.pop_back();
    EXPECT_EQ(run(5, input).output, (Bytes{0, 8}));
}

TEST(Modexp, MatchesAnIndependentReference) {
    std::mt19937_64 rng(1234);
    for (int i = 0; i < 300; ++i) {
        auto random_bytes = [&](size_t max) {
            Bytes b(rng() % (max + 1));
            for (auto& x : b) x = static_cast<uint8_t>(rng());
            if (!b.empty() && rng() % 4 == 0) b[0] = 0;  // leading zeros too
            return b;
        };
        const Bytes base = random_bytes(40), exp = random_bytes(32), mod = random_bytes(32);
        auto value = [](const Bytes& b) {
            U256 v;
            for (uint8_t x : b) v = (v << 8) | U256(x);
            return v;
        };
        // Bases longer than 32 bytes: reduce by hand before the reference.
        U256 m = value(mod), b;
        for (uint8_t x : base)
            b = m.is_zero() ? U256() : eth::addmod(eth::mulmod(b, U256(256), m), U256(x), m);
        const PrecompileResult r = run(5, modexp_input(base, exp, mod));
        ASSERT_EQ(r.status, PrecompileStatus::kSuccess);
        ASSERT_EQ(r.output.size(), mod.size());
        if (mod.empty()) continue;
        const U256 expected = m.is_zero() ? U256() : reference_powmod(b, value(exp), m);
        EXPECT_EQ(value(r.output), expected) << "case " << i;
    }
}

TEST(Modexp, OperandsBeyondTheBoundAreUnsupportedNotWrong) {
    const Bytes input = cat({word(0), word(kModexpMaxOperandBytes + 1), word(1)});
    const PrecompileResult r = run(5, input, UINT64_MAX);
    EXPECT_EQ(r.status, PrecompileStatus::kUnsupported);
    EXPECT_NE(r.reason.find("modexp"), std::string::npos);
}

// ---- 0x06–0x08 bn254 ----

// G1 generator (1, 2); 2·G computed independently (affine doubling over p).
const Bytes kG1 = cat({word(1), word(2)});
const Bytes kG1Double =
    hex("030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3"
        "15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4");
const U256 kFieldP =
    dec("21888242871839275222246405745257275088696311157297823662689037894645226208583");
const U256 kOrderR =
    dec("21888242871839275222246405745257275088548364400416034343698204186575808495617");
// The G2 generator of EIP-197, imaginary part first.
const Bytes kG2 = cat(
    {word(dec("11559732032986387107991004021392285783925812861821192530917403151452391805634")),
     word(dec("10857046999023057135944570762232829481370756359578518086990519993285655852781")),
     word(dec("4082367875863433681332203403145435568316851327593401208105741076214120093531")),
     word(dec("8495653923123431417604973247489272438418190587263600148770280649306958101930"))});
// A point of the twist curve outside the order-r subgroup: x = 2 + i, y a square root of
// x^3 + 3/(9+i) (computed independently).
const Bytes kG2OutsideSubgroup =
    cat({word(1), word(2), hex("2b76c179599bb92a963dac85546a005a777f7c13f6a7b75d5918b6b5808f5fde"),
         hex("101f7278419308b95099eca02dcee0c5381f4d26d1d62313f057167f064101ce")});
// Two more, checked outside the subgroup by multiplying by r independently: a random twist
// point, and the sum of a random multiple of the generator and another random twist point.
const Bytes kG2OutsideSubgroupRandom =
    hex("1b52e6b6ebcd1f5ec9c18070b6d13089633a50eee0f9e038eb8f624fb804d820"
        "261060457906159644f9794cdd933160d2d5844307f062cec7b317d94d1fe09f"
        "0718b339dccf29d80db8454fb0a09a7856c66f076d09468439098b63eea199f0"
        "0999dc38a02cf5fffd0e3f9082d8118e5cce6346f8325599a067659b0ad31e45");
const Bytes kG2OutsideSubgroupSum =
    hex("207b02412d3927ec3ffe064aa10c3cd7739c88957a4476b1324010038074156f"
        "23deea4e68b306ec8211276a1b4eccfd1223a277edf39adf371b4bed1685bd7c"
        "1582eb8047a6464e33b36ee9b446e44db676512a46878f7084dcdc36f0fb68ff"
        "293aac9a7894002845951d9fbf9598887cf2cbdbdcd984f5681efb29b5c98d10");
const Bytes kInfinity64(64, 0);

Bytes g1_mul(const Bytes& point, const U256& k) {
    const PrecompileResult r = run(7, cat({point, word(k)}));
    EXPECT_EQ(r.status, PrecompileStatus::kSuccess);
    return r.output;
}
Bytes g1_add(const Bytes& a, const Bytes& b) {
    const PrecompileResult r = run(6, cat({a, b}));
    EXPECT_EQ(r.status, PrecompileStatus::kSuccess);
    return r.output;
}
Bytes g1_neg(const Bytes& point) {
    const U256 y = U256::from_be_word(point.data() + 32);
    return cat({Bytes(point.begin(), point.begin() + 32), word(y.is_zero() ? y : kFieldP - y)});
}
Bytes g2_mul(const Bytes& point, const U256& k) {
    auto r = bn254::g2_mul(point, word(k));
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Bytes{};
}
int pairing(const Bytes& input) {
    const PrecompileResult r = run(8, input);
    if (r.status != PrecompileStatus::kSuccess) return -1;
    EXPECT_EQ(r.output.size(), 32u);
    return r.output == word(1) ? 1 : r.output == word(0) ? 0 : -2;
}

TEST(Bn254, AddAndMulAgree) {
    EXPECT_EQ(g1_add(kG1, kG1), kG1Double);
    EXPECT_EQ(g1_mul(kG1, U256(2)), kG1Double);
    EXPECT_EQ(g1_add(kG1, kInfinity64), kG1);
    EXPECT_EQ(g1_add(kInfinity64, kInfinity64), kInfinity64);
    EXPECT_EQ(g1_add(kG1, g1_neg(kG1)), kInfinity64);
    EXPECT_EQ(g1_mul(kG1, kOrderR), kInfinity64);  // [r]G = O
    EXPECT_EQ(g1_mul(kG1, kOrderR + U256(1)), kG1);
    EXPECT_EQ(g1_mul(kG1, U256()), kInfinity64);
    EXPECT_EQ(g1_mul(kInfinity64, U256(5)), kInfinity64);
    EXPECT_EQ(g1_mul(kG1, kOrderR - U256(1)), g1_neg(kG1));
    std::mt19937_64 rng(7);
    for (int i = 0; i < 20; ++i) {
        U256 a(rng(), rng(), rng(), rng() >> 2), b(rng(), rng(), rng(), rng() >> 2);
        const Bytes p = g1_mul(kG1, U256(rng() | 1));
        EXPECT_EQ(g1_add(g1_mul(p, a), g1_mul(p, b)), g1_mul(p, a + b));
        EXPECT_EQ(g1_mul(g1_mul(p, a), b), g1_mul(p, eth::mulmod(a, b, kOrderR)));
    }
}

TEST(Bn254, ShortInputsArePaddedLongOnesTruncated) {
    EXPECT_EQ(g1_add({}, {}), kInfinity64);
    EXPECT_EQ(run(6, kG1).output, kG1);          // second point missing → infinity
    EXPECT_EQ(run(7, kG1).output, kInfinity64);  // scalar missing → 0
    EXPECT_EQ(run(6, cat({kG1, kG1, Bytes(40, 0xff)})).output, kG1Double);
    EXPECT_EQ(run(7, cat({kG1, word(2), Bytes(5, 0xff)})).output, kG1Double);
}

TEST(Bn254, InvalidPointsFail) {
    const Bytes off_curve = cat({word(1), word(3)});
    const Bytes x_is_p = cat({word(kFieldP), word(2)});
    // (p+1, 2) reduces to (1, 2) = G, but a coordinate >= p is invalid.
    const Bytes unreduced = cat({word(kFieldP + U256(1)), word(2)});
    for (const Bytes& bad : {off_curve, x_is_p, unreduced}) {
        EXPECT_EQ(run(6, cat({kG1, bad})).status, PrecompileStatus::kFailure);
        EXPECT_EQ(run(6, cat({bad, kG1})).status, PrecompileStatus::kFailure);
        const PrecompileResult mul = run(7, cat({bad, word(1)}), 10000);
        EXPECT_EQ(mul.status, PrecompileStatus::kFailure);
        EXPECT_EQ(mul.gas_used, 10000u);  // all of it
    }
}

TEST(Bn254, Prices) {
    expect_price(6, cat({kG1, kG1}), 150);
    expect_price(7, cat({kG1, word(3)}), 6000);
    expect_price(8, {}, 45000);
    expect_price(8, cat({kG1, kG2}), 45000 + 34000);
    expect_price(8, cat({kG1, kG2, kG1, kG2, kG1, kG2}), 45000 + 3 * 34000);
}

TEST(Bn254, PairingBilinearity) {
    EXPECT_EQ(pairing({}), 1);  // the empty product
    EXPECT_EQ(pairing(cat({kG1, kG2})), 0);
    EXPECT_EQ(pairing(cat({kG1, kG2, g1_neg(kG1), kG2})), 1);
    EXPECT_EQ(pairing(cat({kG1, kG2, kG1, kG2})), 0);
    // Infinity on either side contributes 1.
    EXPECT_EQ(pairing(cat({kInfinity64, kG2})), 1);
    EXPECT_EQ(pairing(cat({kG1, Bytes(128, 0)})), 1);
    EXPECT_EQ(pairing(cat({kG1, kG2, kInfinity64, kG2, g1_neg(kG1), kG2})), 1);

    std::mt19937_64 rng(99);
    for (int i = 0; i < 3; ++i) {
        const U256 a(rng(), rng(), rng(), rng() >> 4), b(rng(), rng(), rng(), rng() >> 4);
        const U256 ab = eth::mulmod(a, b, kOrderR);
        const Bytes aP = g1_mul(kG1, a), bQ = g2_mul(kG2, b);
        // e([a]P, [b]Q) · e(−[ab]P, Q) = 1
        EXPECT_EQ(pairing(cat({aP, bQ, g1_neg(g1_mul(kG1, ab)), kG2})), 1) << i;
        // ... and not with [ab+1]
        EXPECT_EQ(pairing(cat({aP, bQ, g1_neg(g1_mul(kG1, ab + U256(1))), kG2})), 0) << i;
        // e([a]P, Q) · e(P, −[a]Q) = 1, with [r−a]Q = −[a]Q
        EXPECT_EQ(pairing(cat({aP, kG2, kG1, g2_mul(kG2, kOrderR - a)})), 1) << i;
    }
    // [r]Q = O and [r+1]Q = Q on the twist.
    EXPECT_EQ(g2_mul(kG2, kOrderR), Bytes(128, 0));
    EXPECT_EQ(g2_mul(kG2, kOrderR + U256(1)), kG2);
}

TEST(Bn254, GraniteCapsThePairingInput) {
    // OP Stack Granite: an input over 112,687 bytes fails and takes all the gas; 586 pairs
    // (112,512 bytes) are still allowed, 587 (112,704) are not. Points at infinity keep
    // the check cheap.
    const Bytes allowed(586 * 192, 0), over(587 * 192, 0);
    const PrecompileSet granite{.p256verify = true, .granite_pairing_limit = true};
    const PrecompileResult before = run(8, over);
    ASSERT_EQ(before.status, PrecompileStatus::kSuccess);
    EXPECT_EQ(before.gas_used, 45'000u + 587u * 34'000u);
    const PrecompileResult capped = run(8, over, kPlenty, granite);
    EXPECT_EQ(capped.status, PrecompileStatus::kFailure);
    EXPECT_EQ(capped.gas_used, kPlenty);
    const PrecompileResult under = run(8, allowed, kPlenty, granite);
    ASSERT_EQ(under.status, PrecompileStatus::kSuccess);
    EXPECT_EQ(under.output, word(1));
}

TEST(Bn254, PairingInputRules) {
    EXPECT_EQ(pairing(Bytes(191, 0)), -1);
    EXPECT_EQ(pairing(Bytes(193, 0)), -1);
    EXPECT_EQ(pairing(Bytes(192, 0)), 1);
    // G2 off the twist curve: y + 1.
    Bytes off = kG2;
    off[127] ^= 1;
    EXPECT_EQ(pairing(cat({kG1, off})), -1);
    // On the twist curve but outside the order-r subgroup.
    for (const Bytes& q : {kG2OutsideSubgroup, kG2OutsideSubgroupRandom, kG2OutsideSubgroupSum}) {
        auto outside = bn254::pairing_check(cat({kG1, q}));
        ASSERT_FALSE(outside.ok());
        EXPECT_NE(outside.error().message.find("subgroup"), std::string::npos)
            << outside.error().message;
        EXPECT_FALSE(bn254::g2_mul(q, word(1)).ok());
    }
    EXPECT_EQ(pairing(cat({kG1, kG2OutsideSubgroup})), -1);
    // Even paired with G1 infinity, an invalid G2 point fails the whole call.
    EXPECT_EQ(pairing(cat({kInfinity64, kG2OutsideSubgroup})), -1);
    // A G2 coordinate >= p.
    EXPECT_EQ(pairing(cat({kG1, overwrite(kG2, 0, word(kFieldP))})), -1);
    // A bad G1 point in the second pair.
    EXPECT_EQ(pairing(cat({kG1, kG2, word(1), word(3), kG2})), -1);
    const PrecompileResult r = run(8, Bytes(191, 0), 500000);
    EXPECT_EQ(r.status, PrecompileStatus::kFailure);
    EXPECT_EQ(r.gas_used, 500000u);
}

TEST(Bn254, Timings) {
    const Bytes two_pairs = cat({kG1, kG2, g1_neg(kG1), kG2});
    const Bytes mul_input = cat({kG1, word(kOrderR - U256(1))});
    auto time_us = [](auto&& f, int n) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < n; ++i) f();
        return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                   .count() /
               n;
    };
    const double pairing_us = time_us([&] { EXPECT_EQ(pairing(two_pairs), 1); }, 5);
    const double mul_us = time_us([&] { run(7, mul_input); }, 20);
    std::cout << "bn254: 2-pair check " << pairing_us << " us, G1 mul " << mul_us << " us\n";
    RecordProperty("pairing_2_us", static_cast<int>(pairing_us));
    RecordProperty("g1_mul_us", static_cast<int>(mul_us));
}

// ---- 0x09 blake2f ----

Bytes blake2f_input(uint32_t rounds, const std::array<uint64_t, 8>& h,
                    const std::array<uint64_t, 16>& m, const std::array<uint64_t, 2>& t,
                    uint8_t final_flag) {
    Bytes in = {static_cast<uint8_t>(rounds >> 24), static_cast<uint8_t>(rounds >> 16),
                static_cast<uint8_t>(rounds >> 8), static_cast<uint8_t>(rounds)};
    auto le = [&](uint64_t v) {
        for (int i = 0; i < 8; ++i) in.push_back(static_cast<uint8_t>(v >> (8 * i)));
    };
    for (uint64_t v : h) le(v);
    for (uint64_t v : m) le(v);
    for (uint64_t v : t) le(v);
    in.push_back(final_flag);
    return in;
}

// BLAKE2b-512 (RFC 7693) driven entirely through the precompile's F with 12 rounds.
Bytes blake2b512_via_precompile(const Bytes& message) {
    std::array<uint64_t, 8> h = {
        0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
        0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
    h[0] ^= 0x01010000ULL ^ 64;  // parameter block: digest length 64, no key, fanout/depth 1
    size_t offset = 0;
    do {
        const size_t take = std::min<size_t>(128, message.size() - offset);
        const bool last = offset + take == message.size();
        std::array<uint64_t, 16> m{};
        for (size_t i = 0; i < take; ++i)
            m[i / 8] |= uint64_t{message[offset + i]} << (8 * (i % 8));
        offset += take;
        const PrecompileResult r = run(9, blake2f_input(12, h, m, {offset, 0}, last ? 1 : 0), 12);
        EXPECT_EQ(r.status, PrecompileStatus::kSuccess);
        EXPECT_EQ(r.gas_used, 12u);
        if (r.output.size() != 64) return {};
        for (size_t i = 0; i < 8; ++i) {
            h[i] = 0;
            for (int j = 7; j >= 0; --j) h[i] = (h[i] << 8) | r.output[8 * i + j];
        }
        if (last) break;
    } while (true);
    Bytes out(64);
    for (size_t i = 0; i < 64; ++i) out[i] = static_cast<uint8_t>(h[i / 8] >> (8 * (i % 8)));
    return out;
}

TEST(Blake2f, CompressionMatchesOpenSslBlake2b512) {
    std::mt19937_64 rng(5);
    for (size_t len : {0, 1, 3, 127, 128, 129, 255, 256, 257, 1000}) {
        Bytes message(len);
        for (auto& b : message) b = static_cast<uint8_t>(rng());
        Bytes expected(64);
        unsigned int n = 0;
        ASSERT_EQ(EVP_Digest(message.data(), message.size(), expected.data(), &n, EVP_blake2b512(),
                             nullptr),
                  1);
        EXPECT_EQ(blake2b512_via_precompile(message), expected) << len << " bytes";
    }
}

TEST(Blake2f, InputRulesAndGas) {
    const std::array<uint64_t, 8> h{1, 2, 3, 4, 5, 6, 7, 8};
    const std::array<uint64_t, 16> m{};
    const Bytes good = blake2f_input(12, h, m, {0, 0}, 1);
    ASSERT_EQ(good.size(), 213u);
    expect_price(9, good, 12);
    expect_price(9, blake2f_input(1000, h, m, {0, 0}, 0), 1000);
    const PrecompileResult zero = run(9, blake2f_input(0, h, m, {0, 0}, 0), 0);
    EXPECT_EQ(zero.status, PrecompileStatus::kSuccess);
    EXPECT_EQ(zero.gas_used, 0u);
    // Zero rounds still applies the feed-forward: h ^ v_low ^ v_high with v = h ‖ IV.
    EXPECT_NE(Bytes(zero.output.begin(), zero.output.begin() + 8), Bytes(8, 0));
    Bytes bad_flag = good;
    bad_flag[212] = 2;
    EXPECT_EQ(run(9, bad_flag).status, PrecompileStatus::kFailure);
    EXPECT_EQ(run(9, Bytes(good.begin(), good.end() - 1)).status, PrecompileStatus::kFailure);
    Bytes longer = good;
    longer.push_back(0);
    EXPECT_EQ(run(9, longer).status, PrecompileStatus::kFailure);
    EXPECT_EQ(run(9, {}).status, PrecompileStatus::kFailure);
    // 2^32 − 1 rounds with too little gas fails at once instead of running.
    const PrecompileResult huge = run(9, blake2f_input(0xffffffff, h, m, {0, 0}, 0), 1'000'000);
    EXPECT_EQ(huge.status, PrecompileStatus::kFailure);
    EXPECT_EQ(huge.gas_used, 1'000'000u);
}

// ---- 0x100 P256VERIFY ----

struct P256Case {
    Bytes input;  // hash ‖ r ‖ s ‖ x ‖ y
};

Bytes bn_word(const BIGNUM* v) {
    Bytes out(32);
    EXPECT_EQ(BN_bn2binpad(v, out.data(), 32), 32);
    return out;
}

P256Case sign_p256(const Bytes& hash) {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    EXPECT_NE(key, nullptr);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
    EXPECT_EQ(EVP_PKEY_sign_init(ctx), 1);
    size_t sig_len = 0;
    EXPECT_EQ(EVP_PKEY_sign(ctx, nullptr, &sig_len, hash.data(), hash.size()), 1);
    Bytes der(sig_len);
    EXPECT_EQ(EVP_PKEY_sign(ctx, der.data(), &sig_len, hash.data(), hash.size()), 1);
    const unsigned char* p = der.data();
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig_len));
    EXPECT_NE(sig, nullptr);
    BIGNUM *x = nullptr, *y = nullptr;
    EXPECT_EQ(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
    EXPECT_EQ(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
    P256Case c{cat({hash, bn_word(ECDSA_SIG_get0_r(sig)), bn_word(ECDSA_SIG_get0_s(sig)),
                    bn_word(x), bn_word(y)})};
    BN_free(x);
    BN_free(y);
    ECDSA_SIG_free(sig);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    return c;
}

TEST(P256Verify, SignedByOpenSsl) {
    const PrecompileSet fjord{.p256verify = true};
    const Bytes hash = hex("4cee90eb86eaa050036147a12d49004b6b9c72bd725d39d4785011fe190f0b4d");
    for (int i = 0; i < 4; ++i) {
        const P256Case c = sign_p256(hash);
        ASSERT_EQ(c.input.size(), 160u);
        const PrecompileResult ok = run(0x100, c.input, 3450, fjord);
        EXPECT_EQ(ok.status, PrecompileStatus::kSuccess);
        EXPECT_EQ(ok.gas_used, 3450u);
        EXPECT_EQ(ok.output, word(1));
        expect_price(0x100, c.input, 3450, fjord);

        auto rejected = [&](Bytes input, const char* why) {
            const PrecompileResult r = run(0x100, input, 5000, fjord);
            EXPECT_EQ(r.status, PrecompileStatus::kSuccess) << why;
            EXPECT_EQ(r.gas_used, 3450u) << why;
            EXPECT_TRUE(r.output.empty()) << why;
        };
        for (size_t byte : {0, 31, 32, 63, 64, 95, 96, 159}) {
            Bytes flipped = c.input;
            flipped[byte] ^= 0x01;
            rejected(flipped, "one bit flipped");
        }
        rejected(Bytes(c.input.begin(), c.input.end() - 1), "159 bytes");
        Bytes longer = c.input;
        longer.push_back(0);
        rejected(longer, "161 bytes");
        rejected(overwrite(c.input, 32, Bytes(32, 0)), "r = 0");
        const Bytes n = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
        rejected(overwrite(c.input, 64, n), "s = n");
        rejected(overwrite(c.input, 96, Bytes(64, 0)), "public key (0, 0)");
    }
    EXPECT_EQ(run(0x100, {}, 3449, fjord).status, PrecompileStatus::kFailure);
}

}  // namespace
}  // namespace vigil::evm
