#include "verifier/evm/precompiles.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "chains/eth/secp256k1.h"
#include "verifier/evm/blake2f.h"
#include "verifier/evm/bn254.h"
#include "verifier/evm/modexp.h"

namespace vigil::evm {
namespace {

constexpr eth::Address precompile_address(uint16_t n) {
    eth::Address a;
    a.bytes[18] = static_cast<uint8_t>(n >> 8);
    a.bytes[19] = static_cast<uint8_t>(n & 0xff);
    return a;
}

// Each set's addresses, ascending: Cancun, Cancun + P256VERIFY, Prague, Prague + P256VERIFY.
template <size_t N>
constexpr std::array<eth::Address, N> address_range(uint16_t last, bool p256) {
    std::array<eth::Address, N> out{};
    size_t i = 0;
    for (uint16_t n = 1; n <= last; ++n) out[i++] = precompile_address(n);
    if (p256) out[i++] = precompile_address(0x100);
    return out;
}
constexpr auto kCancunAddresses = address_range<10>(0x0a, false);
constexpr auto kCancunP256Addresses = address_range<11>(0x0a, true);
constexpr auto kPragueAddresses = address_range<17>(0x11, false);
constexpr auto kPragueP256Addresses = address_range<18>(0x11, true);

// EIP-2537's names, for the reason a call is unsupported.
constexpr const char* kBlsNames[] = {"G1ADD",         "G1MSM",        "G2ADD",        "G2MSM",
                                     "PAIRING_CHECK", "MAP_FP_TO_G1", "MAP_FP2_TO_G2"};

// Gas prices: the yellow paper (appendix E) for 0x01–0x04, EIP-1108 (Istanbul) for the
// bn254 precompiles, RIP-7212 for P256VERIFY.
constexpr uint64_t kEcrecoverGas = 3000;
constexpr uint64_t kSha256BaseGas = 60, kSha256WordGas = 12;
constexpr uint64_t kRipemd160BaseGas = 600, kRipemd160WordGas = 120;
constexpr uint64_t kIdentityBaseGas = 15, kIdentityWordGas = 3;
constexpr uint64_t kBn254AddGas = 150;
constexpr uint64_t kBn254MulGas = 6000;
constexpr uint64_t kBn254PairingBaseGas = 45000, kBn254PairingPerPairGas = 34000;
constexpr uint64_t kP256VerifyGas = 3450;

// EIP-197: one pairing input is a G1 point (64 bytes) and a G2 point (128 bytes).
constexpr size_t kBn254PairBytes = 192;
// EIP-152: rounds (4) ‖ h (64) ‖ m (128) ‖ t (16) ‖ f (1).
constexpr size_t kBlake2fInputBytes = 213;
// RIP-7212: hash ‖ r ‖ s ‖ x ‖ y, 32 bytes each.
constexpr size_t kP256VerifyInputBytes = 160;

constexpr uint64_t kSaturated = ~uint64_t{0};

uint64_t linear_gas(uint64_t base, uint64_t per_word, size_t length) {
    const unsigned __int128 words = (static_cast<unsigned __int128>(length) + 31) / 32;
    const unsigned __int128 gas = base + words * per_word;
    return gas > kSaturated ? kSaturated : static_cast<uint64_t>(gas);
}

PrecompileResult failure(uint64_t gas) {
    PrecompileResult r;
    r.status = PrecompileStatus::kFailure;
    r.gas_used = gas;  // a failed call consumes everything it was given
    return r;
}

PrecompileResult success(uint64_t gas_used, eth::Bytes output) {
    PrecompileResult r;
    r.status = PrecompileStatus::kSuccess;
    r.gas_used = gas_used;
    r.output = std::move(output);
    return r;
}

PrecompileResult unsupported(std::string reason) {
    PrecompileResult r;
    r.status = PrecompileStatus::kUnsupported;
    r.reason = std::move(reason);
    return r;
}

// Runs `body` (which returns the output or an error) when `cost` fits in `gas`.
template <class Body>
PrecompileResult priced(uint64_t cost, uint64_t gas, Body body) {
    if (cost > gas) return failure(gas);
    Result<eth::Bytes> out = body();
    if (!out) return failure(gas);
    return success(cost, std::move(*out));
}

// A one-shot OpenSSL digest; false only if OpenSSL lacks the algorithm.
bool digest(const EVP_MD* md, eth::BytesView input, uint8_t* out) {
    unsigned int len = 0;
    return md != nullptr && EVP_Digest(input.data(), input.size(), out, &len, md, nullptr) == 1;
}

PrecompileResult run_sha256(eth::BytesView input, uint64_t gas) {
    const uint64_t cost = linear_gas(kSha256BaseGas, kSha256WordGas, input.size());
    if (cost > gas) return failure(gas);
    eth::Bytes out(32);
    if (!digest(EVP_sha256(), input, out.data()))
        return unsupported("precompile 0x02 (sha256): OpenSSL digest failed");
    return success(cost, std::move(out));
}

PrecompileResult run_ripemd160(eth::BytesView input, uint64_t gas) {
    const uint64_t cost = linear_gas(kRipemd160BaseGas, kRipemd160WordGas, input.size());
    if (cost > gas) return failure(gas);
    eth::Bytes out(32, 0);  // the 20-byte digest, left-padded to a word
    if (!digest(EVP_ripemd160(), input, out.data() + 12))
        return unsupported("precompile 0x03 (ripemd160): OpenSSL has no RIPEMD-160");
    return success(cost, std::move(out));
}

PrecompileResult run_blake2f(eth::BytesView input, uint64_t gas) {
    if (input.size() != kBlake2fInputBytes) return failure(gas);
    const uint8_t final_flag = input[212];
    if (final_flag > 1) return failure(gas);
    const uint32_t rounds = (uint32_t{input[0]} << 24) | (uint32_t{input[1]} << 16) |
                            (uint32_t{input[2]} << 8) | uint32_t{input[3]};
    if (rounds > gas) return failure(gas);  // EIP-152: one gas per round
    auto le64 = [&](size_t offset) {
        uint64_t v = 0;
        for (int i = 7; i >= 0; --i) v = (v << 8) | input[offset + i];
        return v;
    };
    std::array<uint64_t, 8> h;
    std::array<uint64_t, 16> m;
    std::array<uint64_t, 2> t;
    for (size_t i = 0; i < 8; ++i) h[i] = le64(4 + 8 * i);
    for (size_t i = 0; i < 16; ++i) m[i] = le64(68 + 8 * i);
    for (size_t i = 0; i < 2; ++i) t[i] = le64(196 + 8 * i);
    blake2b_compress(h, m, t, final_flag == 1, rounds);
    eth::Bytes out(64);
    for (size_t i = 0; i < 8; ++i)
        for (size_t j = 0; j < 8; ++j) out[8 * i + j] = static_cast<uint8_t>(h[i] >> (8 * j));
    return success(rounds, std::move(out));
}

struct OsslFree {
    void operator()(BIGNUM* p) const { BN_free(p); }
    void operator()(BN_CTX* p) const { BN_CTX_free(p); }
    void operator()(EC_GROUP* p) const { EC_GROUP_free(p); }
    void operator()(EC_POINT* p) const { EC_POINT_free(p); }
    void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
    void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
    void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
    void operator()(unsigned char* p) const { OPENSSL_free(p); }
};
template <class T>
using Ossl = std::unique_ptr<T, OsslFree>;

// RIP-7212 verification of a 160-byte input: r and s in [1, n−1], (x, y) a point of P-256
// with coordinates below p, then ECDSA over the raw 32-byte hash. Any failure is false.
bool p256_verify(eth::BytesView in) {
    Ossl<BN_CTX> ctx(BN_CTX_new());
    Ossl<EC_GROUP> group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
    Ossl<BIGNUM> p(BN_new()), a(BN_new()), b(BN_new());
    if (!ctx || !group || !p || !a || !b) return false;
    if (EC_GROUP_get_curve(group.get(), p.get(), a.get(), b.get(), ctx.get()) != 1) return false;
    const BIGNUM* n = EC_GROUP_get0_order(group.get());

    Ossl<BIGNUM> r(BN_bin2bn(in.data() + 32, 32, nullptr));
    Ossl<BIGNUM> s(BN_bin2bn(in.data() + 64, 32, nullptr));
    Ossl<BIGNUM> x(BN_bin2bn(in.data() + 96, 32, nullptr));
    Ossl<BIGNUM> y(BN_bin2bn(in.data() + 128, 32, nullptr));
    if (!r || !s || !x || !y || n == nullptr) return false;
    for (const BIGNUM* v : {r.get(), s.get()})
        if (BN_is_zero(v) || BN_cmp(v, n) >= 0) return false;
    if (BN_cmp(x.get(), p.get()) >= 0 || BN_cmp(y.get(), p.get()) >= 0) return false;
    Ossl<EC_POINT> point(EC_POINT_new(group.get()));
    if (!point ||
        EC_POINT_set_affine_coordinates(group.get(), point.get(), x.get(), y.get(), ctx.get()) !=
            1 ||
        EC_POINT_is_on_curve(group.get(), point.get(), ctx.get()) != 1)
        return false;

    // The public key as an uncompressed SEC 1 point, the signature as DER.
    uint8_t pub[65];
    pub[0] = 0x04;
    std::memcpy(pub + 1, in.data() + 96, 64);
    Ossl<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
            1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub) != 1)
        return false;
    Ossl<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
    Ossl<EVP_PKEY_CTX> from(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* raw_key = nullptr;
    if (!params || !from || EVP_PKEY_fromdata_init(from.get()) != 1 ||
        EVP_PKEY_fromdata(from.get(), &raw_key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
        return false;
    Ossl<EVP_PKEY> key(raw_key);

    Ossl<ECDSA_SIG> sig(ECDSA_SIG_new());
    if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return false;
    (void)r.release();  // owned by sig now
    (void)s.release();
    unsigned char* der_raw = nullptr;
    const int der_len = i2d_ECDSA_SIG(sig.get(), &der_raw);
    if (der_len <= 0) return false;
    Ossl<unsigned char> der(der_raw);

    Ossl<EVP_PKEY_CTX> verify(EVP_PKEY_CTX_new(key.get(), nullptr));
    if (!verify || EVP_PKEY_verify_init(verify.get()) != 1) return false;
    return EVP_PKEY_verify(verify.get(), der.get(), static_cast<size_t>(der_len), in.data(), 32) ==
           1;
}

PrecompileResult run_p256verify(eth::BytesView input, uint64_t gas) {
    if (kP256VerifyGas > gas) return failure(gas);
    eth::Bytes out;
    if (input.size() == kP256VerifyInputBytes && p256_verify(input)) {
        out.assign(32, 0);
        out[31] = 1;
    }
    return success(kP256VerifyGas, std::move(out));
}

}  // namespace

std::span<const eth::Address> precompile_addresses(const PrecompileSet& set) {
    if (set.bls12_381)
        return set.p256verify ? std::span<const eth::Address>(kPragueP256Addresses)
                              : std::span<const eth::Address>(kPragueAddresses);
    return set.p256verify ? std::span<const eth::Address>(kCancunP256Addresses)
                          : std::span<const eth::Address>(kCancunAddresses);
}

bool is_precompile(const eth::Address& address, const PrecompileSet& set) {
    for (const eth::Address& a : precompile_addresses(set))
        if (a == address) return true;
    return false;
}

PrecompileResult run_precompile(const eth::Address& address, eth::BytesView input, uint64_t gas,
                                const PrecompileSet& set) {
    if (!is_precompile(address, set))
        return unsupported("address " + address.to_hex() + " is not a precompile of this chain");
    const unsigned id = (unsigned{address.bytes[18]} << 8) | address.bytes[19];
    switch (id) {
        case 0x01:
            return priced(kEcrecoverGas, gas,
                          [&]() -> Result<eth::Bytes> { return eth::ecrecover_precompile(input); });
        case 0x02:
            return run_sha256(input, gas);
        case 0x03:
            return run_ripemd160(input, gas);
        case 0x04:
            return priced(
                linear_gas(kIdentityBaseGas, kIdentityWordGas, input.size()), gas,
                [&]() -> Result<eth::Bytes> { return eth::Bytes(input.begin(), input.end()); });
        case 0x05: {
            const uint64_t cost = modexp_gas(input);
            if (cost > gas) return failure(gas);
            auto out = modexp(input);
            if (!out) return unsupported("precompile 0x05 (modexp): " + out.error().message);
            return success(cost, std::move(*out));
        }
        case 0x06:
            return priced(kBn254AddGas, gas, [&] { return bn254::g1_add(input); });
        case 0x07:
            return priced(kBn254MulGas, gas, [&] { return bn254::g1_mul(input); });
        case 0x08: {
            if (set.jovian_input_limits && input.size() > kJovianMaxPairingInput)
                return failure(gas);
            if (set.granite_pairing_limit && input.size() > kGraniteMaxPairingInput)
                return failure(gas);
            const uint64_t pairs = input.size() / kBn254PairBytes;
            const uint64_t cost =
                pairs > (kSaturated - kBn254PairingBaseGas) / kBn254PairingPerPairGas
                    ? kSaturated
                    : kBn254PairingBaseGas + pairs * kBn254PairingPerPairGas;
            return priced(cost, gas, [&]() -> Result<eth::Bytes> {
                auto ok = bn254::pairing_check(input);
                if (!ok) return ok.error();
                eth::Bytes out(32, 0);
                out[31] = *ok ? 1 : 0;
                return out;
            });
        }
        case 0x09:
            return run_blake2f(input, gas);
        case 0x0a:
            return unsupported("precompile 0x0a (KZG point evaluation) not supported");
        case 0x0b:
        case 0x0c:
        case 0x0d:
        case 0x0e:
        case 0x0f:
        case 0x10:
        case 0x11:
            return unsupported("precompile " + address.to_hex() + " (BLS12-381 " +
                               kBlsNames[id - 0x0b] + ", EIP-2537) not supported");
        case 0x100:
            return run_p256verify(input, gas);
        default:
            return unsupported("precompile " + address.to_hex() + " not supported");
    }
}

}  // namespace vigil::evm
