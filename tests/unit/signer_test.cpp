#include "chains/signer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace vigil::chains {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKeyHex = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
constexpr const char* kPassword = "s3cret-Passw0rd";
// geth's very light parameters (accounts/keystore/passphrase_test.go): tests stay fast.
constexpr eth::ScryptParams kVeryLight{2, 8, 1};

class SignerFiles : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string templ = (fs::temp_directory_path() / "vigil-signer-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        dir = templ;
        auto key = eth::PrivateKey::from_hex(kKeyHex);
        ASSERT_TRUE(key.ok());
        auto json = eth::encrypt_keystore(*key, kPassword, kVeryLight);
        ASSERT_TRUE(json.ok());
        keystore_json = *json;
        write(dir / "key.json", keystore_json);
        write(dir / "pw", std::string(kPassword) + "\n");
    }
    void TearDown() override { fs::remove_all(dir); }

    static void write(const fs::path& path, const std::string& text) {
        std::ofstream(path, std::ios::binary) << text;
    }
    static std::string read(const fs::path& path) {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }
    core::SignerConfig keystore_signer() const {
        core::SignerConfig s;
        s.name = "challenger";
        s.keystore = dir / "key.json";
        s.password_file = dir / "pw";
        return s;
    }
    static void expect_no_secrets(const std::string& message) {
        EXPECT_EQ(message.find(kKeyHex), std::string::npos) << message;
        EXPECT_EQ(message.find(std::string(kKeyHex).substr(0, 12)), std::string::npos) << message;
        EXPECT_EQ(message.find(kPassword), std::string::npos) << message;
    }

    fs::path dir;
    std::string keystore_json;
};

std::string secret_hex(const eth::PrivateKey& key) {
    return eth::to_hex_bare(eth::BytesView(key.secret_data(), 32));
}

TEST_F(SignerFiles, LoadsKeystoreWithPasswordFile) {
    auto key = load_signer_key(keystore_signer());
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_EQ(secret_hex(*key), kKeyHex);
}

TEST_F(SignerFiles, PasswordLineEndingsTrimmedLikeGeth) {
    for (const std::string ending : {"", "\n", "\r\n", "\n\n", "\r\n\r\n", "\r"}) {
        SCOPED_TRACE(testing::PrintToString(ending));
        write(dir / "pw", kPassword + ending);
        auto pw = read_password_file(dir / "pw");
        ASSERT_TRUE(pw.ok()) << pw.error().message;
        EXPECT_EQ(pw->view(), kPassword);
    }
    // Inner and trailing spaces are part of the password, as in geth.
    write(dir / "pw", " a b \n");
    EXPECT_EQ(read_password_file(dir / "pw")->view(), " a b ");
    write(dir / "pw", "");
    auto empty = read_password_file(dir / "pw");
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());
}

TEST_F(SignerFiles, PasswordFileWithTwoLinesRefused) {
    write(dir / "pw", std::string(kPassword) + "\nsecond\n");
    auto pw = read_password_file(dir / "pw");
    ASSERT_FALSE(pw.ok());
    EXPECT_NE(pw.error().message.find("more than one line"), std::string::npos);
    EXPECT_NE(pw.error().message.find((dir / "pw").string()), std::string::npos);
    expect_no_secrets(pw.error().message);
}

TEST_F(SignerFiles, OversizedAndIrregularFilesRefused) {
    write(dir / "pw", std::string(70 * 1024, 'x'));
    auto big = read_password_file(dir / "pw");
    ASSERT_FALSE(big.ok());
    EXPECT_NE(big.error().message.find("larger than 64 KiB"), std::string::npos);
    auto directory = read_password_file(dir);
    ASSERT_FALSE(directory.ok());
    EXPECT_EQ(directory.error().code, kSignerFileError);
}

TEST_F(SignerFiles, WrongPasswordNamesSignerAndFileOnly) {
    write(dir / "pw", "not-the-password\n");
    auto key = load_signer_key(keystore_signer());
    ASSERT_FALSE(key.ok());
    const std::string& m = key.error().message;
    EXPECT_EQ(key.error().code, eth::kKeystoreWrongPassword);
    EXPECT_EQ(m.rfind("signer 'challenger': keystore " + (dir / "key.json").string(), 0), 0u) << m;
    EXPECT_EQ(m.find("not-the-password"), std::string::npos) << m;
    expect_no_secrets(m);
}

TEST_F(SignerFiles, MissingFilesNamed) {
    auto s = keystore_signer();
    s.keystore = dir / "absent.json";
    auto key = load_signer_key(s);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().code, kSignerFileError);
    EXPECT_NE(key.error().message.find("signer 'challenger': keystore " + s.keystore->string() +
                                       ": cannot open"),
              std::string::npos)
        << key.error().message;

    s = keystore_signer();
    s.password_file = dir / "absent-pw";
    key = load_signer_key(s);
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find("password file " + s.password_file->string()),
              std::string::npos);
}

TEST_F(SignerFiles, MalformedKeystoreNamed) {
    write(dir / "key.json", "{\"version\": 3}");
    auto key = load_signer_key(keystore_signer());
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().code, eth::kKeystoreMalformed);
    EXPECT_NE(
        key.error().message.find("keystore " + (dir / "key.json").string() + ": keystore: id"),
        std::string::npos)
        << key.error().message;
}

TEST_F(SignerFiles, GethVectorWithEmptyPasswordFile) {
    // go-ethereum's very-light-scrypt.json is encrypted with the empty password.
    auto s = keystore_signer();
    s.keystore = fs::path(VIGIL_SOURCE_DIR) / "tests/vectors/keystore/geth-very-light-scrypt.json";
    write(dir / "pw", "\n");
    auto key = load_signer_key(s);
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_EQ(eth::to_hex_bare(key->address().view()), "45dea0fb0bba44f4fcf290bba71fd57d7117cbb8");
}

TEST(SignerEnv, DevKeyFromEnvironment) {
    std::map<std::string, std::string> env = {{"DEV_KEY", std::string("0x") + kKeyHex},
                                              {"BAD_KEY", std::string(kKeyHex) + "zz"}};
    const EnvLookup lookup = [&](const std::string& name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
    };
    core::SignerConfig s;
    s.name = "dev";
    s.key_env = "DEV_KEY";
    s.dev = true;
    auto key = load_signer_key(s, lookup);
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_EQ(secret_hex(*key), kKeyHex);

    s.key_env = "BAD_KEY";
    key = load_signer_key(s, lookup);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().code, kSignerBadEnvKey);
    EXPECT_NE(key.error().message.find("signer 'dev': environment variable BAD_KEY"),
              std::string::npos);
    EXPECT_EQ(key.error().message.find(std::string(kKeyHex).substr(0, 12)), std::string::npos)
        << key.error().message;

    s.key_env = "UNSET_KEY";
    key = load_signer_key(s, lookup);
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find("UNSET_KEY is not set"), std::string::npos);
}

TEST(SignerEnv, RawKeyNeedsDevTrue) {
    bool looked = false;
    const EnvLookup lookup = [&](const std::string&) -> const char* {
        looked = true;
        return kKeyHex;
    };
    core::SignerConfig s;
    s.name = "prod";
    s.key_env = "DEV_KEY";
    auto key = load_signer_key(s, lookup);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().code, kSignerNotConfigured);
    EXPECT_NE(key.error().message.find("dev: true"), std::string::npos);
    EXPECT_FALSE(looked) << "the environment must not even be read without dev: true";

    core::SignerConfig none;
    none.name = "empty";
    EXPECT_EQ(load_signer_key(none).error().code, kSignerNotConfigured);
}

TEST_F(SignerFiles, NewKeystoreFileIsPrivateAndNeverReplaced) {
    const mode_t old_umask = ::umask(0);  // the file must be 0600 even with a permissive umask
    const fs::path out = dir / "new.json";
    Status written = write_new_keystore_file(out, keystore_json);
    ::umask(old_umask);
    ASSERT_TRUE(written.ok()) << written.error().message;
    EXPECT_EQ(read(out), keystore_json);
    struct stat st {};
    ASSERT_EQ(::stat(out.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    Status again = write_new_keystore_file(out, "{}");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, kSignerFileExists);
    EXPECT_EQ(read(out), keystore_json);

    // A symlink planted at the path (even dangling) is not followed.
    fs::create_symlink(dir / "elsewhere.json", dir / "link.json");
    Status link = write_new_keystore_file(dir / "link.json", keystore_json);
    ASSERT_FALSE(link.ok());
    EXPECT_EQ(link.error().code, kSignerFileExists);
    EXPECT_FALSE(fs::exists(dir / "elsewhere.json"));

    Status no_dir = write_new_keystore_file(dir / "missing" / "k.json", keystore_json);
    ASSERT_FALSE(no_dir.ok());
    EXPECT_EQ(no_dir.error().code, kSignerFileError);
}

}  // namespace
}  // namespace vigil::chains
