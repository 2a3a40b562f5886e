// `vigil keys new | address`: create V3 keystore files and show their addresses.
//
// Contract: the result (an EIP-55 address) on stdout and exit 0, or one error line on
// stderr and exit 1. Neither a password nor a key is ever printed.
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "chains/eth/keystore.h"
#include "chains/signer.h"
#include "cmd/vigil/commands.h"

namespace vigil::cmd {
namespace {

namespace fs = std::filesystem;

// A typed password longer than this is a paste gone wrong.
constexpr size_t kMaxTypedPassword = 1024;

constexpr const char* kNewUsage =
    "usage: vigil keys new --out FILE [--password-file F] [--light]\n"
    "  Generates a key and writes it to FILE as a V3 keystore, as geth does (scrypt n=262144\n"
    "  r=8 p=1; --light: n=4096 p=6, for tests only), with mode 0600. Refuses to replace an\n"
    "  existing file. The password comes from F (one line; the line ending is trimmed, as\n"
    "  geth's --password does) or, without --password-file, is asked twice on the terminal.\n"
    "  Prints the address.\n";
constexpr const char* kAddressUsage =
    "usage: vigil keys address FILE [--password-file F]\n"
    "  Prints the EIP-55 address of the keystore FILE from its address field. With\n"
    "  --password-file, decrypts the key as well, prints the address of the key, and fails\n"
    "  when it differs from the address field or the password is wrong.\n";

int usage(std::ostream& out, int code) {
    out << "usage: vigil keys <command>\n\ncommands:\n"
           "  new --out FILE [--password-file F] [--light]\n"
           "      create a key in a new V3 keystore file (vigil keys new --help)\n"
           "  address FILE [--password-file F]\n"
           "      print a keystore's address; with a password, verify it by decrypting\n";
    return code;
}

int keys_error(const char* command, const std::string& message) {
    std::cerr << "vigil keys " << command << ": " << message << "\n";
    return 1;
}

// Reads one line from the terminal with echo off. The buffer is reserved once so the
// password is never copied by a reallocation.
Result<chains::Password> read_hidden_line(int tty, const char* prompt) {
    termios saved{};
    if (::tcgetattr(tty, &saved) != 0) return fail("cannot configure the terminal");
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    if (::tcsetattr(tty, TCSAFLUSH, &quiet) != 0) return fail("cannot turn off echo");
    (void)!::write(tty, prompt, std::strlen(prompt));
    std::vector<char> line;
    line.reserve(kMaxTypedPassword);
    bool too_long = false, ended = false;
    char c = 0;
    while (::read(tty, &c, 1) == 1) {
        if (c == '\n') {
            ended = true;
            break;
        }
        if (line.size() == kMaxTypedPassword) too_long = true;
        if (!too_long) line.push_back(c);
    }
    c = 0;
    ::tcsetattr(tty, TCSAFLUSH, &saved);
    (void)!::write(tty, "\n", 1);
    chains::Password password(std::move(line));  // wiped whatever happens next
    if (!ended) return fail("no password entered");
    if (too_long) return fail("password longer than 1024 bytes");
    return password;
}

Result<chains::Password> ask_new_password() {
    const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0) return fail("no --password-file given and no terminal to ask for a password");
    auto first = read_hidden_line(tty, "Password for the new key: ");
    if (!first) {
        ::close(tty);
        return first.error();
    }
    auto second = read_hidden_line(tty, "Repeat the password: ");
    ::close(tty);
    if (!second) return second.error();
    if (first->view() != second->view()) return fail("the passwords do not match");
    return std::move(first).value();
}

int run_new(const std::vector<std::string>& args) {
    std::optional<fs::path> out, password_file;
    bool light = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            std::cout << kNewUsage;
            return 0;
        }
        if (a == "--light") {
            light = true;
        } else if ((a == "--out" || a == "--password-file") && i + 1 < args.size()) {
            (a == "--out" ? out : password_file) = args[++i];
        } else {
            std::cerr << "vigil keys new: unexpected argument '" << a << "'\n" << kNewUsage;
            return 1;
        }
    }
    if (!out) {
        std::cerr << kNewUsage;
        return 1;
    }
    // Fail before asking for a password or spending a second on scrypt; the write itself
    // re-checks atomically (O_EXCL).
    std::error_code ec;
    if (fs::exists(fs::symlink_status(*out, ec)))
        return keys_error("new", "keystore " + out->string() +
                                     ": already exists; refusing to overwrite a keystore");

    auto password = password_file ? chains::read_password_file(*password_file) : ask_new_password();
    if (!password) return keys_error("new", password.error().message);
    if (password->empty())
        return keys_error("new",
                          "refusing an empty password: anyone who gets the file would "
                          "get the key");

    auto key = eth::generate_private_key();
    if (!key) return keys_error("new", key.error().message);
    const eth::ScryptParams params = light ? eth::kScryptLight : eth::kScryptStandard;
    auto json = eth::encrypt_keystore(*key, password->view(), params);
    if (!json) return keys_error("new", json.error().message);
    // As geth does before it stores a key: prove the file decrypts to this key.
    auto check = eth::decrypt_keystore(*json, password->view());
    if (!check || check->address() != key->address())
        return keys_error("new", "internal error: the new keystore does not decrypt to its key");
    if (Status s = chains::write_new_keystore_file(*out, *json); !s.ok())
        return keys_error("new", s.error().message);
    std::cout << key->address().to_checksum_hex() << "\n";
    return 0;
}

int run_address(const std::vector<std::string>& args) {
    std::optional<fs::path> file, password_file;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            std::cout << kAddressUsage;
            return 0;
        }
        if (a == "--password-file" && i + 1 < args.size()) {
            password_file = args[++i];
        } else if (!file && !a.empty() && a[0] != '-') {
            file = a;
        } else {
            std::cerr << "vigil keys address: unexpected argument '" << a << "'\n" << kAddressUsage;
            return 1;
        }
    }
    if (!file) {
        std::cerr << kAddressUsage;
        return 1;
    }
    auto keystore = chains::read_keystore_file(*file);
    if (!keystore) return keys_error("address", keystore.error().message);
    if (!password_file) {
        if (!keystore->address)
            return keys_error("address", "keystore " + file->string() +
                                             " has no address field; give --password-file to "
                                             "derive the address by decrypting");
        std::cout << keystore->address->to_checksum_hex() << "\n";
        return 0;
    }
    auto password = chains::read_password_file(*password_file);
    if (!password) return keys_error("address", password.error().message);
    // Also fails when the key does not match the file's address field.
    auto key = eth::decrypt_keystore(*keystore, password->view());
    if (!key)
        return keys_error("address", "keystore " + file->string() + ": " + key.error().message);
    std::cout << key->address().to_checksum_hex() << "\n";
    return 0;
}

}  // namespace

int run_keys(const std::vector<std::string>& args) {
    if (args.empty()) return usage(std::cerr, 1);
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") return usage(std::cout, 0);
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        if (args[0] == "new") return run_new(rest);
        if (args[0] == "address") return run_address(rest);
    } catch (const std::exception& e) {
        // Errors are values; this only keeps an unexpected exception from crashing the tool.
        return keys_error(args[0].c_str(), std::string("internal error: ") + e.what());
    }
    std::cerr << "vigil keys: unknown command '" << args[0] << "' (see vigil keys --help)\n";
    return 1;
}

}  // namespace vigil::cmd
