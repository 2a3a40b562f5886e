// Keystore: Ethereum V3 keystore files ("Web3 Secret Storage Definition", as geth writes
// them), the encrypted form in which operators hand Vigil a signing key.
//
// A V3 file holds one secp256k1 key encrypted with AES-128-CTR under DK[0:16], where DK
// is derived from a password by scrypt or PBKDF2-HMAC-SHA256. MAC = keccak256(DK[16:32] ‖
// ciphertext) detects a wrong password or an altered file before anything is decrypted
// (compared in constant time). Untrusted files cannot make us allocate or compute without
// bound: KDF parameters above KdfLimits are refused before any work.
//
// Secrets: no error message of this module contains the password, the key, the derived
// key or the plaintext; temporary buffers holding them are wiped. Text read from a file
// appears in an error only when it is short and printable (a field name or an
// unsupported algorithm name).
//
// Thread-safety: every function is safe to call concurrently (no shared state besides
// OpenSSL's thread-safe CSPRNG).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/result.h"
#include "chains/eth/secp256k1.h"

namespace vigil::eth {

// Error::code values of this module.
enum KeystoreError : int {
    kKeystoreMalformed = 6001,        // not JSON, a field missing, mistyped or out of range
    kKeystoreUnsupported = 6002,      // a version, cipher, KDF or parameter set we do not read
    kKeystoreTooCostly = 6003,        // KDF parameters above the limits (memory/time bomb)
    kKeystoreWrongPassword = 6004,    // MAC mismatch: wrong password or altered ciphertext/mac
    kKeystoreAddressMismatch = 6005,  // the decrypted key is not the file's "address"
    kKeystoreCryptoFailure = 6006,    // OpenSSL failed (e.g. out of memory, no entropy)
};

// scrypt cost parameters (RFC 7914): n = CPU/memory cost, r = block size, p = parallelism.
struct ScryptParams {
    uint64_t n = 0;
    uint32_t r = 0;
    uint32_t p = 0;
};

// geth's StandardScryptN/P with scryptR = 8 (accounts/keystore/passphrase.go): 256 MiB,
// about 1 s of CPU. What `vigil keys new` writes by default.
inline constexpr ScryptParams kScryptStandard{uint64_t{1} << 18, 8, 1};
// geth's LightScryptN/P: 4 MiB, about 0.1 s. For tests and constrained machines.
inline constexpr ScryptParams kScryptLight{uint64_t{1} << 12, 8, 6};

// The most a keystore may make us spend on its KDF. The defaults admit every parameter set
// geth, ethers and web3.js write (geth's standard is 256 MiB and n·r·p = 2^21) with room
// to spare, and refuse a file that would take gigabytes or minutes.
struct KdfLimits {
    uint64_t max_scrypt_memory = uint64_t{512} << 20;    // bytes of 128·n·r
    uint64_t max_scrypt_work = uint64_t{1} << 24;        // n·r·p (8x geth's standard)
    uint64_t max_pbkdf2_iterations = uint64_t{1} << 22;  // 16x the spec's example c
};

enum class Kdf { kScrypt, kPbkdf2Sha256 };

// A parsed V3 keystore: only public data (parameters, ciphertext, MAC); nothing secret.
struct Keystore {
    std::string id;                  // the "id" UUID, canonical 8-4-4-4-12 form
    std::optional<Address> address;  // the optional "address" field; checked on decryption
    Kdf kdf = Kdf::kScrypt;
    ScryptParams scrypt;             // when kdf == kScrypt
    uint64_t pbkdf2_iterations = 0;  // when kdf == kPbkdf2Sha256
    uint32_t dklen = 32;             // derived key length, 32..64 (only DK[0:32] is used)
    Bytes salt;                      // 1..256 bytes
    std::array<uint8_t, 16> iv{};    // AES-128-CTR initial counter block
    Bytes ciphertext;                // 1..32 bytes (see decrypt_keystore)
    Hash32 mac;
};

// Parses and validates a V3 keystore's JSON text (at most 64 KiB). Accepts the crypto
// object under "crypto" or "Crypto" (geth reads both; older wallets wrote "Crypto"),
// hex with or without 0x, and ignores keys it does not know (geth does too: ethers adds
// "x-ethers"); a key given twice in one object is an error. Errors name the field
// ("keystore: crypto.kdfparams.n: ...") and carry a KeystoreError code.
Result<Keystore> parse_keystore(std::string_view json, const KdfLimits& limits = {});

// Derives the key, checks the MAC (constant time), decrypts, and checks the result is a
// valid secp256k1 key whose address equals the "address" field when there is one.
// A ciphertext shorter than 32 bytes is left-padded with zeros, as geth reads the files its
// early versions wrote with leading zero bytes dropped. The limits are checked again
// (a Keystore may be built by hand).
Result<PrivateKey> decrypt_keystore(const Keystore& keystore, std::string_view password,
                                    const KdfLimits& limits = {});
// parse_keystore + decrypt_keystore.
Result<PrivateKey> decrypt_keystore(std::string_view json, std::string_view password,
                                    const KdfLimits& limits = {});

// Encrypts `key` as geth does: scrypt with `params`, dklen 32, fresh random 32-byte salt
// and 16-byte IV, AES-128-CTR, a random v4 UUID, the address in lowercase hex without 0x.
// Returns compact JSON with geth's key order:
// {"address","crypto":{"cipher","ciphertext","cipherparams":{"iv"},"kdf","kdfparams":
// {"dklen","n","p","r","salt"},"mac"},"id","version":3}.
Result<std::string> encrypt_keystore(const PrivateKey& key, std::string_view password,
                                     const ScryptParams& params = kScryptStandard);

// A new private key from OpenSSL's CSPRNG (RAND_priv_bytes).
Result<PrivateKey> generate_private_key();

// The KDFs themselves, exposed so tests can check them against published intermediates.
// `out` receives out.size() bytes. Parameters are validated (powers of two, RFC 7914's
// n < 2^(16·r)) but not held to KdfLimits: callers check limits first.
Status scrypt_derive(std::string_view password, BytesView salt, const ScryptParams& params,
                     std::span<uint8_t> out);
Status pbkdf2_sha256_derive(std::string_view password, BytesView salt, uint64_t iterations,
                            std::span<uint8_t> out);

}  // namespace vigil::eth
