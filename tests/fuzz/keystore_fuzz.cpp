// Fuzzes the V3 keystore reader, the decoder of untrusted key files: any input must parse
// to a Keystore that keeps its invariants, or to an error with a keystore code. Under tight
// KDF limits (every scrypt/PBKDF2 run a few microseconds) the parsed files are also
// decrypted, so the MAC, AES and key checks are reached (the seeds are geth's light vectors
// with passwords "" and "foo"). Nothing may crash, hang or leak.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "chains/eth/keystore.h"

using namespace vigil::eth;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

bool keystore_code(int code) {
    return code >= kKeystoreMalformed && code <= kKeystoreCryptoFailure;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    KdfLimits tight;
    tight.max_scrypt_memory = 64 * 1024;  // 128·n·r
    tight.max_scrypt_work = 4096;         // n·r·p
    tight.max_pbkdf2_iterations = 64;

    auto keystore = parse_keystore(text, tight);
    if (!keystore.ok()) {
        check(keystore_code(keystore.error().code));
        check(keystore.error().message.rfind("keystore: ", 0) == 0);
        return 0;
    }
    const Keystore& k = *keystore;
    check(!k.ciphertext.empty() && k.ciphertext.size() <= 32);
    check(!k.salt.empty() && k.salt.size() <= 256);
    check(k.dklen >= 32 && k.dklen <= 64);
    check(k.id.size() == 36);
    // The default limits admit whatever the tight ones do.
    check(parse_keystore(text).ok());

    for (std::string_view password : {"", "foo"}) {
        auto key = decrypt_keystore(k, password, tight);
        if (key.ok()) {
            check(!k.address || key->address() == *k.address);
        } else {
            check(keystore_code(key.error().code));
        }
    }
    return 0;
}
