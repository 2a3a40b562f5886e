// Signer keys: the private key behind a config signer. It comes from an encrypted V3
// keystore plus its password file, or, for development only (dev: true), from an
// environment variable. Also the file I/O for keystores and passwords.
//
// Secrets never reach an error message: errors name the signer and the file and say what
// is wrong ("signer 'challenger': keystore /keys/c.json: keystore: wrong password, ...").
// Buffers that held a password are wiped; PrivateKey wipes itself. Every function is
// thread-safe (no shared state).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "chains/eth/keystore.h"
#include "chains/eth/result.h"
#include "chains/eth/secp256k1.h"
#include "core/config.h"

namespace vigil::chains {

// Error::code values of this module (keystore errors keep their eth::KeystoreError code).
enum SignerError : int {
    kSignerFileError = 6101,      // a file is missing, unreadable, too large or not regular
    kSignerNotConfigured = 6102,  // no keystore / key_env, or key_env without dev: true
    kSignerBadEnvKey = 6103,      // the environment variable is unset or not a key
    kSignerFileExists = 6104,     // write_new_keystore_file would replace a file
};

// A password held in memory. It is wiped when destroyed and is never copied; moves
// transfer the buffer.
class Password {
  public:
    explicit Password(std::vector<char> bytes) : bytes_(std::move(bytes)) {}
    Password(Password&& other) noexcept = default;
    Password& operator=(Password&& other) noexcept;
    Password(const Password&) = delete;
    Password& operator=(const Password&) = delete;
    ~Password();

    std::string_view view() const { return {bytes_.data(), bytes_.size()}; }
    bool empty() const { return bytes_.empty(); }

  private:
    void wipe();
    std::vector<char> bytes_;
};

// Reads a password file the way geth's --password reads one: the password is the text up
// to the end of the line, with the line ending ("\n", "\r\n") removed. Trailing line
// breaks are ignored. Text on a second line is an error: geth would silently use only
// the first line, and here one file holds one password. Files over 64 KiB are refused.
Result<Password> read_password_file(const std::filesystem::path& path);

// Reads and parses a keystore file (at most 64 KiB). Errors start with "keystore PATH: ".
Result<eth::Keystore> read_keystore_file(const std::filesystem::path& path,
                                         const eth::KdfLimits& limits = {});

// Creates `path` with mode 0600 and writes `json` to it. Fails with kSignerFileExists,
// never replacing anything, when `path` exists (even as a dangling symlink). Syncs the
// file and its directory before returning, so a key whose address was shown survives a
// crash. On failure nothing is left behind.
Status write_new_keystore_file(const std::filesystem::path& path, std::string_view json);

// Returns the value of an environment variable, or nullptr when it is unset.
using EnvLookup = std::function<const char*(const std::string& name)>;

// The private key of `signer`: its keystore decrypted with its password file, or, only
// when signer.dev is true, the key in the environment variable signer.key_env (64 hex
// digits, optional 0x). `env` defaults to the process environment.
Result<eth::PrivateKey> load_signer_key(const core::SignerConfig& signer,
                                        const EnvLookup& env = nullptr);

}  // namespace vigil::chains
