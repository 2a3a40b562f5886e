// secp256k1 keys, recoverable ECDSA signatures and Ethereum address recovery, on top of
// libsecp256k1 (0.2, with the recovery module).
//
// Signing uses libsecp256k1's default nonce (RFC 6979, deterministic) and always yields
// a low-s signature. Recovery can demand low s (transactions since Homestead, EIP-2) or
// accept any s in range (the ecrecover precompile). Every function here is thread-safe:
// they share one libsecp256k1 context that is created and randomised once, then only read.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/result.h"
#include "chains/eth/u256.h"

namespace vigil::eth {

// The order n of the secp256k1 group (SEC 2, section 2.4.1).
inline constexpr U256 kSecp256k1N(0xbfd25e8cd0364141ULL, 0xbaaedce6af48a03bULL,
                                  0xfffffffffffffffeULL, 0xffffffffffffffffULL);
// floor(n / 2): the largest s a Homestead transaction may carry (EIP-2).
inline constexpr U256 kSecp256k1HalfN(0xdfe92f46681b20a0ULL, 0x5d576e7357a4501dULL,
                                      0xffffffffffffffffULL, 0x7fffffffffffffffULL);

// A secp256k1 secret key: 32 bytes, 1 <= k < n. It has no hex or text form on purpose,
// and its bytes are wiped when the object is destroyed or overwritten. Error messages of
// its parsers never repeat the input.
class PrivateKey {
  public:
    PrivateKey(const PrivateKey& other) = default;
    PrivateKey& operator=(const PrivateKey& other);
    ~PrivateKey();

    // Exactly 32 big-endian bytes in [1, n-1].
    static Result<PrivateKey> from_bytes(BytesView secret);
    // 64 hex digits, with or without 0x.
    static Result<PrivateKey> from_hex(std::string_view text);

    // The account address of this key's public key.
    Address address() const;

    // The raw secret, for the signing code in this library only.
    const uint8_t* secret_data() const { return secret_.data(); }

  private:
    PrivateKey() = default;
    void wipe();

    std::array<uint8_t, 32> secret_{};
};

// A recoverable ECDSA signature. y_parity is the parity of the y coordinate of the
// nonce point R (the recovery id, 0 or 1); Ethereum encodes it as v in several ways.
struct Signature {
    U256 r;
    U256 s;
    uint8_t y_parity = 0;

    // 65 bytes r ‖ s ‖ v with v = 27 + y_parity (what personal_sign and ecrecover use).
    std::array<uint8_t, 65> to_rsv27() const;
    // Parses 65 bytes r ‖ s ‖ v with v in {0, 1, 27, 28}; r and s are not range-checked
    // here (recover_address does that).
    static Result<Signature> from_rsv(BytesView rsv);

    friend bool operator==(const Signature&, const Signature&) = default;
};

// Whether recovery accepts s above n/2.
enum class SRule {
    kLowS,  // s <= n/2, as transactions since Homestead require (EIP-2)
    kAnyS,  // any s in [1, n-1], as the ecrecover precompile accepts
};

// Signs a 32-byte digest. Fails only if libsecp256k1 does (it does not for valid keys).
Result<Signature> sign_hash(const Hash32& digest, const PrivateKey& key);

// The address whose key produced `sig` over `digest`. Errors name the failing part:
// r or s zero or >= n, s above n/2 under kLowS, y_parity > 1, or no curve point for r.
Result<Address> recover_address(const Hash32& digest, const Signature& sig,
                                SRule rule = SRule::kLowS);

// keccak256 of the 64-byte uncompressed public key (x ‖ y), last 20 bytes.
Address address_from_public_key(const uint8_t public_key_xy[64]);

// EIP-191 version 0x45 ("personal_sign"): keccak256("\x19Ethereum Signed Message:\n" +
// decimal length + message).
Hash32 personal_message_hash(BytesView message);

// The ecrecover precompile (address 0x01) with its exact semantics: the input is
// right-padded with zeros (or truncated) to 128 bytes hash ‖ v ‖ r ‖ s; v must be the
// 256-bit word 27 or 28, r and s in [1, n-1] (high s allowed). Returns the signer's
// address left-padded to 32 bytes, or empty output on any failure (never an error).
Bytes ecrecover_precompile(BytesView input);

}  // namespace vigil::eth
