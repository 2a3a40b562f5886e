#include "chains/signer.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace vigil::chains {
namespace {

// A password or keystore file is a few hundred bytes; a larger file is the wrong file.
constexpr size_t kMaxSmallFileBytes = 64 * 1024;

std::string errno_text(int err) { return std::strerror(err); }

// Closes a file descriptor on scope exit.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    // Closes now and reports the result (close can report a failed write-back).
    bool close() {
        const int fd = fd_;
        fd_ = -1;
        return ::close(fd) == 0;
    }

  private:
    int fd_;
};

// Reads a regular file of at most kMaxSmallFileBytes into `out`, which is sized once up
// front so that secret contents are never copied by a reallocation. `what` names the file
// in errors ("password file /x").
Status read_small_file(const std::filesystem::path& path, const std::string& what,
                       std::vector<char>& out) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return fail(what + ": cannot open: " + errno_text(errno), kSignerFileError);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return fail(what + ": cannot stat: " + errno_text(errno), kSignerFileError);
    if (!S_ISREG(st.st_mode)) return fail(what + ": not a regular file", kSignerFileError);
    out.assign(kMaxSmallFileBytes + 1, '\0');
    size_t got = 0;
    while (got < out.size()) {
        const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            OPENSSL_cleanse(out.data(), got);
            out.clear();
            return fail(what + ": cannot read: " + errno_text(err), kSignerFileError);
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    if (got > kMaxSmallFileBytes) {
        OPENSSL_cleanse(out.data(), got);
        out.clear();
        return fail(what + ": larger than 64 KiB: is it the right file?", kSignerFileError);
    }
    out.resize(got);  // shrinking never reallocates
    return {};
}

Error named(const std::string& prefix, const Error& e) { return fail(prefix + e.message, e.code); }

Status sync_directory(const std::filesystem::path& dir) {
    Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0 || ::fsync(fd.get()) != 0)
        return fail("directory " + dir.string() + ": cannot sync: " + errno_text(errno),
                    kSignerFileError);
    return {};
}

}  // namespace

Password& Password::operator=(Password&& other) noexcept {
    if (this != &other) {
        wipe();
        bytes_ = std::move(other.bytes_);
    }
    return *this;
}

Password::~Password() { wipe(); }

void Password::wipe() {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

Result<Password> read_password_file(const std::filesystem::path& path) {
    const std::string what = "password file " + path.string();
    std::vector<char> bytes;
    VIGIL_CHECK(read_small_file(path, what, bytes));
    Password password(std::move(bytes));  // wiped from here on, whatever happens
    std::string_view text = password.view();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (text.find('\n') != std::string_view::npos)
        return fail(what + ": holds more than one line; give one password per file",
                    kSignerFileError);
    std::vector<char> trimmed(text.begin(), text.end());
    return Password(std::move(trimmed));
}

Result<eth::Keystore> read_keystore_file(const std::filesystem::path& path,
                                         const eth::KdfLimits& limits) {
    const std::string what = "keystore " + path.string();
    std::vector<char> bytes;
    VIGIL_CHECK(read_small_file(path, what, bytes));
    auto keystore = eth::parse_keystore(std::string_view(bytes.data(), bytes.size()), limits);
    if (!keystore) return named(what + ": ", keystore.error());
    return keystore;
}

Status write_new_keystore_file(const std::filesystem::path& path, std::string_view json) {
    const std::string what = "keystore " + path.string();
    // O_EXCL: never replace a file, and never follow a symlink planted at `path`.
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) {
        if (errno == EEXIST)
            return fail(what + ": already exists; refusing to overwrite a keystore",
                        kSignerFileExists);
        return fail(what + ": cannot create: " + errno_text(errno), kSignerFileError);
    }
    auto give_up = [&](const std::string& why) {
        const int err = errno;
        ::unlink(path.c_str());
        return fail(what + ": " + why + ": " + errno_text(err), kSignerFileError);
    };
    // The umask can only clear bits of 0600; fchmod states the intent all the same.
    if (::fchmod(fd.get(), 0600) != 0) return give_up("cannot set mode 0600");
    size_t done = 0;
    while (done < json.size()) {
        const ssize_t n = ::write(fd.get(), json.data() + done, json.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return give_up("cannot write");
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return give_up("cannot sync");
    if (!fd.close()) return give_up("cannot close");
    // The new directory entry must be durable too, or a crash could lose the file.
    Status dir = sync_directory(path.parent_path());
    if (!dir.ok()) return named(what + ": ", dir.error());
    return {};
}

Result<eth::PrivateKey> load_signer_key(const core::SignerConfig& signer, const EnvLookup& env) {
    const std::string who = "signer '" + signer.name + "': ";
    if (signer.keystore) {
        if (!signer.password_file)
            return fail(who + "a keystore needs a password_file", kSignerNotConfigured);
        auto keystore = read_keystore_file(*signer.keystore);
        if (!keystore) return named(who, keystore.error());
        auto password = read_password_file(*signer.password_file);
        if (!password) return named(who, password.error());
        auto key = eth::decrypt_keystore(*keystore, password->view());
        if (!key) return named(who + "keystore " + signer.keystore->string() + ": ", key.error());
        return key;
    }
    if (signer.key_env) {
        if (!signer.dev)
            return fail(who +
                            "a raw key from the environment (key_env) is for development "
                            "only: add dev: true",
                        kSignerNotConfigured);
        const char* value = env ? env(*signer.key_env) : std::getenv(signer.key_env->c_str());
        if (!value || !*value)
            return fail(who + "environment variable " + *signer.key_env + " is not set",
                        kSignerBadEnvKey);
        auto key = eth::PrivateKey::from_hex(value);  // its errors never repeat the input
        if (!key)
            return fail(
                who + "environment variable " + *signer.key_env + ": " + key.error().message,
                kSignerBadEnvKey);
        return key;
    }
    return fail(who + "needs a keystore and password_file (or key_env with dev: true)",
                kSignerNotConfigured);
}

}  // namespace vigil::chains
