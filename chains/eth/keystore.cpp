#include "chains/eth/keystore.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <climits>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "chains/eth/keccak.h"

namespace vigil::eth {
namespace {

using nlohmann::json;

// Keystore files are about 500 bytes; anything this large is not one.
constexpr size_t kMaxKeystoreBytes = 64 * 1024;
// Keystores nest three objects deep; deeper input is not a keystore.
constexpr int kMaxJsonDepth = 16;
constexpr uint64_t kVersion = 3;  // Web3 Secret Storage Definition, version 3
// The spec: "dklen: length for the derived key. Must be >= 32." Only DK[0:32] is used.
constexpr uint64_t kMinDklen = 32;
constexpr uint64_t kMaxDklen = 64;
constexpr size_t kMaxSaltBytes = 256;
constexpr size_t kSecretKeyBytes = 32;
constexpr size_t kGeneratedSaltBytes = 32;  // what geth writes
// geth's supported PBKDF2 PRF name.
constexpr std::string_view kPbkdf2Prf = "hmac-sha256";
constexpr std::string_view kCipher = "aes-128-ctr";

// A fixed buffer for secret bytes, wiped when it goes out of scope.
template <size_t N>
class SecretBuffer {
  public:
    SecretBuffer() = default;
    SecretBuffer(const SecretBuffer&) = delete;
    SecretBuffer& operator=(const SecretBuffer&) = delete;
    ~SecretBuffer() { OPENSSL_cleanse(bytes_.data(), N); }
    uint8_t* data() { return bytes_.data(); }
    const uint8_t* data() const { return bytes_.data(); }
    BytesView view(size_t size = N) const { return {bytes_.data(), size}; }

  private:
    std::array<uint8_t, N> bytes_{};
};

Error error(KeystoreError code, const std::string& what) { return fail("keystore: " + what, code); }
Error malformed(const std::string& field, const std::string& what) {
    return error(kKeystoreMalformed, field + ": " + what);
}

// Text from the file goes into an error only when short and printable; otherwise its size.
std::string describe(const std::string& text) {
    bool printable = text.size() <= 32;
    for (char c : text)
        if (c < 0x20 || c > 0x7e || c == '\'') printable = false;
    if (printable) return "'" + text + "'";
    return "a " + std::to_string(text.size()) + "-byte string";
}

std::string type_of(const json& value) {
    if (value.is_number_unsigned()) return "an unsigned number";
    if (value.is_number_integer()) return "a negative number";
    if (value.is_number_float()) return "a fractional number";
    return std::string("a JSON ") + value.type_name();
}

Result<const json*> member(const json& object, const char* key, const std::string& path) {
    auto it = object.find(key);
    if (it == object.end()) return malformed(path + key, "missing");
    return &*it;
}

Result<const json*> object_member(const json& object, const char* key, const std::string& path) {
    VIGIL_TRY(const json* value, member(object, key, path));
    if (!value->is_object())
        return malformed(path + key, "expected an object, got " + type_of(*value));
    return value;
}

Result<std::string> string_member(const json& object, const char* key, const std::string& path) {
    VIGIL_TRY(const json* value, member(object, key, path));
    if (!value->is_string())
        return malformed(path + key, "expected a string, got " + type_of(*value));
    return value->get<std::string>();
}

Result<uint64_t> uint_member(const json& object, const char* key, const std::string& path) {
    VIGIL_TRY(const json* value, member(object, key, path));
    if (!value->is_number_unsigned())
        return malformed(path + key, "expected an unsigned integer, got " + type_of(*value));
    return value->get<uint64_t>();
}

// Hex with or without 0x, decoding to min_size..max_size bytes.
Result<Bytes> hex_member(const json& object, const char* key, const std::string& path,
                         size_t min_size, size_t max_size) {
    VIGIL_TRY(std::string text, string_member(object, key, path));
    auto bytes = from_hex(text);
    if (!bytes) return malformed(path + key, bytes.error().message);
    if (bytes->size() < min_size || bytes->size() > max_size) {
        const std::string want = min_size == max_size
                                     ? std::to_string(min_size)
                                     : std::to_string(min_size) + ".." + std::to_string(max_size);
        return malformed(path + key,
                         "expected " + want + " bytes, got " + std::to_string(bytes->size()));
    }
    return bytes;
}

bool is_uuid(std::string_view text) {
    if (text.size() != 36) return false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

// The shape scrypt itself demands (RFC 7914 section 2), independent of any limit. `where`
// prefixes the messages ("crypto.kdfparams: " for a file).
Status check_scrypt_shape(const ScryptParams& s, const std::string& where = "") {
    if (s.n < 2 || (s.n & (s.n - 1)) != 0)
        return error(kKeystoreMalformed, where + "scrypt n must be a power of two, at least 2");
    if (s.r == 0) return error(kKeystoreMalformed, where + "scrypt r must be at least 1");
    if (s.p == 0) return error(kKeystoreMalformed, where + "scrypt p must be at least 1");
    if (uint64_t{s.r} * s.p >= (uint64_t{1} << 30))
        return error(kKeystoreMalformed, where + "scrypt r·p must be below 2^30 (RFC 7914)");
    // n < 2^(128·r/8). Go's scrypt (and so geth) skips this check; OpenSSL enforces it.
    if (16 * uint64_t{s.r} < 64 && s.n >= (uint64_t{1} << (16 * s.r)))
        return error(kKeystoreUnsupported,
                     where + "scrypt n=" + std::to_string(s.n) + " with r=" + std::to_string(s.r) +
                         " breaks RFC 7914 (n must be below 2^(16·r)); geth reads such files "
                         "but OpenSSL's scrypt refuses them: re-encrypt the key with standard "
                         "parameters (r=8)");
    return {};
}

Status check_kdf(const Keystore& k, const KdfLimits& limits) {
    if (k.dklen < kMinDklen || k.dklen > kMaxDklen)
        return malformed("crypto.kdfparams.dklen", "must be 32..64");
    if (k.salt.empty() || k.salt.size() > kMaxSaltBytes)
        return malformed("crypto.kdfparams.salt", "expected 1..256 bytes");
    if (k.kdf == Kdf::kPbkdf2Sha256) {
        if (k.pbkdf2_iterations == 0) return malformed("crypto.kdfparams.c", "must be at least 1");
        if (k.pbkdf2_iterations > limits.max_pbkdf2_iterations)
            return error(kKeystoreTooCostly,
                         "crypto.kdfparams.c: " + std::to_string(k.pbkdf2_iterations) +
                             " PBKDF2 iterations exceed the limit of " +
                             std::to_string(limits.max_pbkdf2_iterations) +
                             " (a file may not demand unbounded work)");
        return {};
    }
    VIGIL_CHECK(check_scrypt_shape(k.scrypt, "crypto.kdfparams: "));
    uint64_t memory = 0, work = 0;
    if (__builtin_mul_overflow(k.scrypt.n, uint64_t{128} * k.scrypt.r, &memory) ||
        memory > limits.max_scrypt_memory)
        return error(kKeystoreTooCostly,
                     "crypto.kdfparams: scrypt n=" + std::to_string(k.scrypt.n) +
                         " r=" + std::to_string(k.scrypt.r) + " needs 128·n·r bytes, above the " +
                         std::to_string(limits.max_scrypt_memory >> 20) +
                         " MiB limit (a file may not demand unbounded memory)");
    if (__builtin_mul_overflow(k.scrypt.n, uint64_t{k.scrypt.r} * k.scrypt.p, &work) ||
        work > limits.max_scrypt_work)
        return error(kKeystoreTooCostly,
                     "crypto.kdfparams: scrypt n·r·p = " + std::to_string(k.scrypt.n) + "·" +
                         std::to_string(k.scrypt.r) + "·" + std::to_string(k.scrypt.p) +
                         " exceeds the limit of " + std::to_string(limits.max_scrypt_work) +
                         " (a file may not demand unbounded work)");
    return {};
}

Error crypto_failure(const char* what) {
    ERR_clear_error();  // leave no stale entries for the next OpenSSL user of this thread
    return error(kKeystoreCryptoFailure, std::string(what) + " failed in OpenSSL");
}

// AES-128-CTR with a 128-bit big-endian counter block (as geth's cipher.NewCTR); encryption
// and decryption are the same operation.
Status aes128_ctr(const uint8_t* key16, const std::array<uint8_t, 16>& iv, BytesView in,
                  uint8_t* out) {
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                        &EVP_CIPHER_CTX_free);
    if (!ctx) return crypto_failure("AES-128-CTR setup");
    int len = 0, final_len = 0;
    if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, key16, iv.data()) != 1 ||
        EVP_EncryptUpdate(ctx.get(), out, &len, in.data(), static_cast<int>(in.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), out + len, &final_len) != 1 ||
        static_cast<size_t>(len + final_len) != in.size())
        return crypto_failure("AES-128-CTR");
    return {};  // EVP_CIPHER_CTX_free wipes the key schedule
}

// keccak256(DK[16:32] ‖ ciphertext), the V3 MAC.
Hash32 keystore_mac(const uint8_t* derived_key, BytesView ciphertext) {
    SecretBuffer<16 + kSecretKeyBytes> body;
    std::memcpy(body.data(), derived_key + 16, 16);
    std::memcpy(body.data() + 16, ciphertext.data(), ciphertext.size());
    return keccak256(body.view(16 + ciphertext.size()));
}

std::string uuid_text(const std::array<uint8_t, 16>& raw) {
    const std::string hex = to_hex_bare(raw);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

// Parses JSON, refusing a key given twice in one object (two parsers could disagree on
// which one counts) and nesting deeper than any keystore.
Result<json> parse_json(std::string_view text) {
    std::vector<std::set<std::string>> keys;  // one set per open object
    std::string duplicate;
    bool too_deep = false;
    auto on_event = [&](int depth, json::parse_event_t event, json& parsed) {
        if (depth > kMaxJsonDepth) too_deep = true;
        switch (event) {
            case json::parse_event_t::object_start:
                keys.emplace_back();
                break;
            case json::parse_event_t::object_end:
                if (!keys.empty()) keys.pop_back();
                break;
            case json::parse_event_t::key:
                if (!keys.empty() && parsed.is_string() &&
                    !keys.back().insert(parsed.get_ref<const std::string&>()).second &&
                    duplicate.empty())
                    duplicate = parsed.get<std::string>();
                break;
            default:
                break;
        }
        return !too_deep;
    };
    json doc;
    try {
        doc = json::parse(text.begin(), text.end(), on_event);
    } catch (const json::parse_error& e) {
        // e.what() quotes the input near the error; give the position only.
        return error(kKeystoreMalformed,
                     "not valid JSON (error at byte " + std::to_string(e.byte) + ")");
    } catch (const std::exception&) {
        return error(kKeystoreMalformed, "not valid JSON");
    }
    if (too_deep) return error(kKeystoreMalformed, "JSON nested too deeply for a keystore");
    if (!duplicate.empty())
        return error(kKeystoreMalformed,
                     "key " + describe(duplicate) + " appears twice in one object");
    return doc;
}

Result<Keystore> parse_document(const json& doc, const KdfLimits& limits) {
    if (!doc.is_object())
        return error(kKeystoreMalformed, "expected a JSON object, got " + type_of(doc));
    Keystore k;

    VIGIL_TRY(const json* version, member(doc, "version", ""));
    if (version->is_string())
        return error(kKeystoreUnsupported,
                     "version: a string version (keystore V1) is not supported; only 3");
    if (!version->is_number_unsigned())
        return malformed("version", "expected the number 3, got " + type_of(*version));
    if (version->get<uint64_t>() != kVersion)
        return error(kKeystoreUnsupported, "version " + std::to_string(version->get<uint64_t>()) +
                                               " is not supported; only 3");

    VIGIL_TRY(k.id, string_member(doc, "id", ""));
    if (!is_uuid(k.id)) return malformed("id", "expected a UUID (8-4-4-4-12 hex digits)");

    if (auto it = doc.find("address"); it != doc.end()) {
        if (!it->is_string()) return malformed("address", "expected a string, got " + type_of(*it));
        auto address = Address::from_hex(it->get<std::string>());
        if (!address) return malformed("address", address.error().message);
        k.address = *address;
    }

    // geth reads JSON keys case-insensitively; wallets have written "crypto" and "Crypto".
    const bool lower = doc.contains("crypto"), upper = doc.contains("Crypto");
    if (lower && upper) return malformed("crypto", "both 'crypto' and 'Crypto' are present");
    const char* crypto_key = upper ? "Crypto" : "crypto";
    VIGIL_TRY(const json* crypto, object_member(doc, crypto_key, ""));
    const std::string c = std::string(crypto_key) + ".";

    VIGIL_TRY(std::string cipher, string_member(*crypto, "cipher", c));
    if (cipher != kCipher)
        return error(kKeystoreUnsupported,
                     c + "cipher: " + describe(cipher) + " is not supported (V3 uses aes-128-ctr)");
    VIGIL_TRY(const json* cipherparams, object_member(*crypto, "cipherparams", c));
    VIGIL_TRY(Bytes iv, hex_member(*cipherparams, "iv", c + "cipherparams.", 16, 16));
    std::memcpy(k.iv.data(), iv.data(), 16);
    VIGIL_TRY(k.ciphertext, hex_member(*crypto, "ciphertext", c, 1, kSecretKeyBytes));
    VIGIL_TRY(Bytes mac, hex_member(*crypto, "mac", c, 32, 32));
    std::memcpy(k.mac.data(), mac.data(), 32);

    VIGIL_TRY(std::string kdf, string_member(*crypto, "kdf", c));
    VIGIL_TRY(const json* params, object_member(*crypto, "kdfparams", c));
    const std::string p = c + "kdfparams.";
    VIGIL_TRY(uint64_t dklen, uint_member(*params, "dklen", p));
    if (dklen < kMinDklen || dklen > kMaxDklen)
        return malformed(p + "dklen", "must be 32..64, got " + std::to_string(dklen));
    k.dklen = static_cast<uint32_t>(dklen);
    VIGIL_TRY(k.salt, hex_member(*params, "salt", p, 1, kMaxSaltBytes));
    if (kdf == "scrypt") {
        k.kdf = Kdf::kScrypt;
        VIGIL_TRY(k.scrypt.n, uint_member(*params, "n", p));
        VIGIL_TRY(uint64_t r, uint_member(*params, "r", p));
        VIGIL_TRY(uint64_t pp, uint_member(*params, "p", p));
        if (r > UINT32_MAX) return malformed(p + "r", "out of range");
        if (pp > UINT32_MAX) return malformed(p + "p", "out of range");
        k.scrypt.r = static_cast<uint32_t>(r);
        k.scrypt.p = static_cast<uint32_t>(pp);
    } else if (kdf == "pbkdf2") {
        k.kdf = Kdf::kPbkdf2Sha256;
        VIGIL_TRY(std::string prf, string_member(*params, "prf", p));
        if (prf != kPbkdf2Prf)
            return error(kKeystoreUnsupported,
                         p + "prf: " + describe(prf) + " is not supported (only hmac-sha256)");
        VIGIL_TRY(k.pbkdf2_iterations, uint_member(*params, "c", p));
    } else {
        return error(kKeystoreUnsupported,
                     c + "kdf: " + describe(kdf) + " is not supported (scrypt or pbkdf2)");
    }
    VIGIL_CHECK(check_kdf(k, limits));
    return k;
}

}  // namespace

Result<Keystore> parse_keystore(std::string_view text, const KdfLimits& limits) {
    if (text.size() > kMaxKeystoreBytes)
        return error(kKeystoreMalformed, "larger than 64 KiB (" + std::to_string(text.size()) +
                                             " bytes): not a keystore file");
    VIGIL_TRY(json doc, parse_json(text));
    return parse_document(doc, limits);
}

Status scrypt_derive(std::string_view password, BytesView salt, const ScryptParams& params,
                     std::span<uint8_t> out) {
    VIGIL_CHECK(check_scrypt_shape(params));
    if (out.empty()) return error(kKeystoreMalformed, "scrypt: empty output");
    // OpenSSL's own accounting (crypto/evp/pbe_scrypt.c): B = 128·r·p, V = 128·r·(n+2).
    uint64_t v = 0, b = 0, need = 0;
    if (__builtin_mul_overflow(uint64_t{128} * params.r, params.n + 2, &v) ||
        __builtin_mul_overflow(uint64_t{128} * params.r, uint64_t{params.p}, &b) ||
        __builtin_add_overflow(v, b, &need) || need > UINT64_MAX - 65536)
        return error(kKeystoreTooCostly, "scrypt: parameters need more memory than exists");
    const char* pass = password.empty() ? "" : password.data();
    static const uint8_t kNoSalt = 0;
    if (EVP_PBE_scrypt(pass, password.size(), salt.empty() ? &kNoSalt : salt.data(), salt.size(),
                       params.n, params.r, params.p, need + 65536, out.data(), out.size()) != 1)
        return crypto_failure("scrypt (out of memory?)");
    return {};
}

Status pbkdf2_sha256_derive(std::string_view password, BytesView salt, uint64_t iterations,
                            std::span<uint8_t> out) {
    if (iterations == 0 || iterations > INT_MAX)
        return error(kKeystoreMalformed, "pbkdf2: iterations must be 1..2^31-1");
    if (out.empty() || out.size() > INT_MAX || password.size() > INT_MAX || salt.size() > INT_MAX)
        return error(kKeystoreMalformed, "pbkdf2: input or output size out of range");
    const char* pass = password.empty() ? "" : password.data();
    static const uint8_t kNoSalt = 0;
    if (PKCS5_PBKDF2_HMAC(pass, static_cast<int>(password.size()),
                          salt.empty() ? &kNoSalt : salt.data(), static_cast<int>(salt.size()),
                          static_cast<int>(iterations), EVP_sha256(), static_cast<int>(out.size()),
                          out.data()) != 1)
        return crypto_failure("PBKDF2-HMAC-SHA256");
    return {};
}

Result<PrivateKey> decrypt_keystore(const Keystore& k, std::string_view password,
                                    const KdfLimits& limits) {
    VIGIL_CHECK(check_kdf(k, limits));
    if (k.ciphertext.empty() || k.ciphertext.size() > kSecretKeyBytes)
        return malformed("crypto.ciphertext", "expected 1..32 bytes");

    SecretBuffer<kMaxDklen> derived;
    const std::span<uint8_t> dk(derived.data(), k.dklen);
    if (k.kdf == Kdf::kScrypt) {
        VIGIL_CHECK(scrypt_derive(password, k.salt, k.scrypt, dk));
    } else {
        VIGIL_CHECK(pbkdf2_sha256_derive(password, k.salt, k.pbkdf2_iterations, dk));
    }
    const Hash32 mac = keystore_mac(derived.data(), k.ciphertext);
    if (CRYPTO_memcmp(mac.data(), k.mac.data(), mac.size()) != 0)
        return error(kKeystoreWrongPassword,
                     "wrong password, or the file's ciphertext or mac was altered (MAC mismatch)");

    // Early geth wrote big.Int bytes, dropping leading zero bytes; geth still reads those
    // files as the key left-padded to 32 bytes (its 30- and 31-byte test vectors).
    SecretBuffer<kSecretKeyBytes> plain;
    VIGIL_CHECK(aes128_ctr(derived.data(), k.iv, k.ciphertext,
                           plain.data() + kSecretKeyBytes - k.ciphertext.size()));
    auto key = PrivateKey::from_bytes(plain.view());
    if (!key)
        return error(kKeystoreMalformed,
                     "the decrypted key is not a valid secp256k1 private key (zero or >= n)");
    if (k.address) {
        const Address actual = key->address();
        if (actual != *k.address)
            return error(kKeystoreAddressMismatch,
                         "the key decrypts to address " + actual.to_checksum_hex() +
                             " but the file's address field says " + k.address->to_checksum_hex());
    }
    return key;
}

Result<PrivateKey> decrypt_keystore(std::string_view json_text, std::string_view password,
                                    const KdfLimits& limits) {
    VIGIL_TRY(Keystore k, parse_keystore(json_text, limits));
    return decrypt_keystore(k, password, limits);
}

Result<std::string> encrypt_keystore(const PrivateKey& key, std::string_view password,
                                     const ScryptParams& params) {
    VIGIL_CHECK(check_scrypt_shape(params));
    std::array<uint8_t, kGeneratedSaltBytes> salt{};
    std::array<uint8_t, 16> iv{};
    std::array<uint8_t, 16> uuid{};
    if (RAND_bytes(salt.data(), salt.size()) != 1 || RAND_bytes(iv.data(), iv.size()) != 1 ||
        RAND_bytes(uuid.data(), uuid.size()) != 1)
        return crypto_failure("the random generator");
    // RFC 4122 section 4.4: version 4 (random) in the high nibble of byte 6, variant 10xx.
    uuid[6] = static_cast<uint8_t>((uuid[6] & 0x0f) | 0x40);
    uuid[8] = static_cast<uint8_t>((uuid[8] & 0x3f) | 0x80);

    SecretBuffer<32> derived;
    VIGIL_CHECK(scrypt_derive(password, salt, params, {derived.data(), 32}));
    std::array<uint8_t, kSecretKeyBytes> ciphertext{};
    VIGIL_CHECK(aes128_ctr(derived.data(), iv, BytesView(key.secret_data(), kSecretKeyBytes),
                           ciphertext.data()));
    const Hash32 mac = keystore_mac(derived.data(), ciphertext);

    // geth's order: Go writes struct fields in declaration order (encryptedKeyJSONV3,
    // CryptoJSON) and map keys (kdfparams) sorted.
    nlohmann::ordered_json doc = {
        {"address", to_hex_bare(key.address().view())},
        {"crypto",
         {{"cipher", std::string(kCipher)},
          {"ciphertext", to_hex_bare(ciphertext)},
          {"cipherparams", {{"iv", to_hex_bare(iv)}}},
          {"kdf", "scrypt"},
          {"kdfparams",
           {{"dklen", 32},
            {"n", params.n},
            {"p", params.p},
            {"r", params.r},
            {"salt", to_hex_bare(salt)}}},
          {"mac", to_hex_bare(mac.view())}}},
        {"id", uuid_text(uuid)},
        {"version", kVersion},
    };
    return doc.dump();
}

Result<PrivateKey> generate_private_key() {
    // A uniformly random 32-byte string is outside [1, n-1] with probability about 2^-128;
    // retrying keeps the distribution uniform over valid keys.
    for (int attempt = 0; attempt < 8; ++attempt) {
        SecretBuffer<kSecretKeyBytes> secret;
        if (RAND_priv_bytes(secret.data(), kSecretKeyBytes) != 1)
            return crypto_failure("the random generator");
        auto key = PrivateKey::from_bytes(secret.view());
        if (key) return key;
    }
    return error(kKeystoreCryptoFailure, "the random generator keeps giving invalid keys");
}

}  // namespace vigil::eth
