#include "chains/eth/secp256k1.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <string.h>  // explicit_bzero

#include <algorithm>
#include <cstring>
#include <random>
#include <string>

#include "chains/eth/keccak.h"

namespace vigil::eth {
namespace {

// The one context: created and randomised (side-channel blinding) on first use, then
// only read. libsecp256k1 documents signing, verification and recovery as safe to call
// concurrently on a context nobody mutates.
const secp256k1_context* context() {
    static const secp256k1_context* const ctx = [] {
        secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        std::random_device rd;
        std::array<uint8_t, 32> seed{};
        for (size_t i = 0; i < seed.size(); i += 4) {
            const uint32_t word = rd();
            std::memcpy(seed.data() + i, &word, 4);
        }
        // Randomisation only adds blinding; a failure leaves a working context.
        if (!secp256k1_context_randomize(c, seed.data())) seed.fill(0);
        explicit_bzero(seed.data(), seed.size());
        return c;
    }();
    return ctx;
}

constexpr std::string_view kPersonalPrefix =
    "\x19"
    "Ethereum Signed Message:\n";

}  // namespace

// --- PrivateKey -----------------------------------------------------------------------

PrivateKey& PrivateKey::operator=(const PrivateKey& other) {
    if (this != &other) secret_ = other.secret_;
    return *this;
}

PrivateKey::~PrivateKey() { wipe(); }

void PrivateKey::wipe() { explicit_bzero(secret_.data(), secret_.size()); }

Result<PrivateKey> PrivateKey::from_bytes(BytesView secret) {
    if (secret.size() != 32)
        return fail("private key: expected 32 bytes, got " + std::to_string(secret.size()));
    PrivateKey key;
    std::memcpy(key.secret_.data(), secret.data(), 32);
    if (!secp256k1_ec_seckey_verify(context(), key.secret_.data()))
        return fail("private key: not in the range [1, n-1] of secp256k1");
    return key;
}

Result<PrivateKey> PrivateKey::from_hex(std::string_view text) {
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        text.remove_prefix(2);
    if (text.size() != 64)
        return fail("private key: expected 64 hex digits, got " + std::to_string(text.size()));
    std::array<uint8_t, 32> raw{};
    for (size_t i = 0; i < 64; ++i) {
        const char c = text[i];
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0) {
            explicit_bzero(raw.data(), raw.size());
            // The position only: the character itself is part of the secret.
            return fail("private key: invalid hex digit at position " + std::to_string(i));
        }
        raw[i / 2] = static_cast<uint8_t>(raw[i / 2] << 4 | v);
    }
    auto key = from_bytes(raw);
    explicit_bzero(raw.data(), raw.size());
    return key;
}

Address PrivateKey::address() const {
    secp256k1_pubkey pub;
    // Cannot fail: the secret was range-checked on construction.
    if (!secp256k1_ec_pubkey_create(context(), &pub, secret_.data())) return Address();
    uint8_t serialized[65];
    size_t len = sizeof serialized;
    secp256k1_ec_pubkey_serialize(context(), serialized, &len, &pub, SECP256K1_EC_UNCOMPRESSED);
    return address_from_public_key(serialized + 1);
}

// --- Signature ------------------------------------------------------------------------

std::array<uint8_t, 65> Signature::to_rsv27() const {
    std::array<uint8_t, 65> out{};
    const auto r_word = r.to_be_word();
    const auto s_word = s.to_be_word();
    std::memcpy(out.data(), r_word.data(), 32);
    std::memcpy(out.data() + 32, s_word.data(), 32);
    out[64] = static_cast<uint8_t>(27 + y_parity);
    return out;
}

Result<Signature> Signature::from_rsv(BytesView rsv) {
    if (rsv.size() != 65)
        return fail("signature: expected 65 bytes r‖s‖v, got " + std::to_string(rsv.size()));
    const uint8_t v = rsv[64];
    if (v != 0 && v != 1 && v != 27 && v != 28)
        return fail("signature: v must be 0, 1, 27 or 28, got " + std::to_string(v));
    Signature sig;
    sig.r = U256::from_be_word(rsv.data());
    sig.s = U256::from_be_word(rsv.data() + 32);
    sig.y_parity = static_cast<uint8_t>(v >= 27 ? v - 27 : v);
    return sig;
}

// --- Signing and recovery -------------------------------------------------------------

Result<Signature> sign_hash(const Hash32& digest, const PrivateKey& key) {
    secp256k1_ecdsa_recoverable_signature rsig;
    // NULL nonce function = secp256k1_nonce_function_default, i.e. RFC 6979.
    if (!secp256k1_ecdsa_sign_recoverable(context(), &rsig, digest.data(), key.secret_data(),
                                          nullptr, nullptr))
        return fail("sign: libsecp256k1 could not sign");
    uint8_t compact[64];
    int recid = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), compact, &recid, &rsig);
    Signature sig;
    sig.r = U256::from_be_word(compact);
    sig.s = U256::from_be_word(compact + 32);
    sig.y_parity = static_cast<uint8_t>(recid);
    return sig;
}

Result<Address> recover_address(const Hash32& digest, const Signature& sig, SRule rule) {
    if (sig.r.is_zero()) return fail("signature: r is zero");
    if (sig.r >= kSecp256k1N) return fail("signature: r is not below the curve order n");
    if (sig.s.is_zero()) return fail("signature: s is zero");
    if (sig.s >= kSecp256k1N) return fail("signature: s is not below the curve order n");
    if (rule == SRule::kLowS && sig.s > kSecp256k1HalfN)
        return fail("signature: s is above n/2 (high s, rejected since Homestead, EIP-2)");
    if (sig.y_parity > 1)
        return fail("signature: y parity must be 0 or 1, got " + std::to_string(sig.y_parity));
    uint8_t compact[64];
    const auto r_word = sig.r.to_be_word();
    const auto s_word = sig.s.to_be_word();
    std::memcpy(compact, r_word.data(), 32);
    std::memcpy(compact + 32, s_word.data(), 32);
    secp256k1_ecdsa_recoverable_signature rsig;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &rsig, compact,
                                                             sig.y_parity))
        return fail("signature: libsecp256k1 rejected r or s");
    secp256k1_pubkey pub;
    if (!secp256k1_ecdsa_recover(context(), &pub, &rsig, digest.data()))
        return fail("signature: no public key recovers from this r, s and y parity");
    uint8_t serialized[65];
    size_t len = sizeof serialized;
    secp256k1_ec_pubkey_serialize(context(), serialized, &len, &pub, SECP256K1_EC_UNCOMPRESSED);
    return address_from_public_key(serialized + 1);
}

Address address_from_public_key(const uint8_t public_key_xy[64]) {
    const Hash32 h = keccak256(BytesView(public_key_xy, 64));
    Address out;
    std::memcpy(out.data(), h.data() + 12, 20);
    return out;
}

Hash32 personal_message_hash(BytesView message) {
    Keccak256 hasher;
    hasher.update(view(kPersonalPrefix));
    hasher.update(view(std::to_string(message.size())));
    hasher.update(message);
    return hasher.finalize();
}

Bytes ecrecover_precompile(BytesView input) {
    // Yellow paper appendix E / go-ethereum core/vm/contracts.go (ecrecover).
    uint8_t padded[128] = {};
    if (!input.empty())
        std::memcpy(padded, input.data(), std::min<size_t>(input.size(), sizeof padded));
    for (size_t i = 32; i < 63; ++i)
        if (padded[i] != 0) return {};
    const uint8_t v = padded[63];
    if (v != 27 && v != 28) return {};
    Signature sig;
    sig.r = U256::from_be_word(padded + 64);
    sig.s = U256::from_be_word(padded + 96);
    sig.y_parity = static_cast<uint8_t>(v - 27);
    Hash32 digest;
    std::memcpy(digest.data(), padded, 32);
    auto address = recover_address(digest, sig, SRule::kAnyS);
    if (!address) return {};
    Bytes out(32, 0);
    std::memcpy(out.data() + 12, address->data(), 20);
    return out;
}

}  // namespace vigil::eth
