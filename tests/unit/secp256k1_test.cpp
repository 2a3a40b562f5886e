#include "chains/eth/secp256k1.h"

#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "chains/eth/keccak.h"
#include "tests/unit/vectors.h"

namespace vigil::eth {
namespace {

// secp256k1's group order n, as printed in SEC 2 v2, section 2.4.1.
constexpr const char* kOrderHex =
    "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

Hash32 hash_of(const std::string& hex) { return *Hash32::from_hex(hex); }
U256 u256(const std::string& text) { return *U256::from_string(text); }

TEST(Secp256k1, CurveOrderConstants) {
    EXPECT_EQ(kSecp256k1N, u256(kOrderHex));
    // n is odd, so floor(n/2) * 2 + 1 == n.
    EXPECT_EQ(kSecp256k1HalfN * U256(2) + U256(1), kSecp256k1N);
}

TEST(PrivateKey, RangeChecked) {
    EXPECT_FALSE(PrivateKey::from_hex(std::string(64, '0')).ok());
    EXPECT_FALSE(PrivateKey::from_hex(kOrderHex).ok());  // k = n
    auto n_minus_1 = (kSecp256k1N - U256(1)).to_be_word();
    EXPECT_TRUE(PrivateKey::from_bytes(n_minus_1).ok());
    EXPECT_TRUE(PrivateKey::from_hex("0x" + std::string(63, '0') + "1").ok());
    EXPECT_FALSE(PrivateKey::from_hex("0x1234").ok());
    EXPECT_FALSE(PrivateKey::from_bytes(Bytes(31, 1)).ok());
}

TEST(PrivateKey, ErrorsNeverRepeatTheInput) {
    // A malformed key must not leak through its error message, even partly.
    const std::string secret = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231z";
    auto bad = PrivateKey::from_hex(secret);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message.find("4c0883a6"), std::string::npos) << bad.error().message;
    EXPECT_EQ(bad.error().message.find('z'), std::string::npos) << bad.error().message;
    auto short_key = PrivateKey::from_hex(secret.substr(0, 20));
    ASSERT_FALSE(short_key.ok());
    EXPECT_EQ(short_key.error().message.find("4c0883a6"), std::string::npos);
}

TEST(Secp256k1Vectors, KeyAddrTest) {
    VIGIL_VECTOR_JSON(cases, "secp256k1/ethereum-tests/keyaddrtest.json");
    size_t count = 0;
    for (const auto& c : cases) {
        auto key = PrivateKey::from_hex(c["key"].get<std::string>());
        ASSERT_TRUE(key.ok()) << key.error().message;
        EXPECT_EQ(to_hex_bare(key->address().view()), c["addr"].get<std::string>());
        ++count;  // sig_of_emptystring is not reproducible (SOURCE.md): not used
    }
    EXPECT_EQ(count, 1u);
}

TEST(Secp256k1Vectors, EthersAccounts) {
    VIGIL_VECTOR_JSON(cases, "secp256k1/ethers/accounts.json");
    size_t count = 0;
    for (const auto& c : cases) {
        const std::string name = c["name"];
        auto key = PrivateKey::from_hex(c["privateKey"].get<std::string>());
        ASSERT_TRUE(key.ok()) << name << ": " << key.error().message;
        const Address address = key->address();
        EXPECT_EQ(address.to_checksum_hex(), c["address"].get<std::string>()) << name;

        // Round trip through a signature over a digest derived from the case name.
        const Hash32 digest = keccak256(name);
        auto sig = sign_hash(digest, *key);
        ASSERT_TRUE(sig.ok()) << name;
        EXPECT_LE(sig->s, kSecp256k1HalfN) << name << ": libsecp256k1 must produce low s";
        auto again = sign_hash(digest, *key);
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(*again, *sig) << name << ": RFC 6979 signing is deterministic";
        auto recovered = recover_address(digest, *sig);
        ASSERT_TRUE(recovered.ok()) << name << ": " << recovered.error().message;
        EXPECT_EQ(*recovered, address) << name;

        // The same signature with s mirrored to n - s (and the parity flipped) is valid
        // ECDSA, so it recovers the same key, but only when high s is allowed.
        Signature mirrored = *sig;
        mirrored.s = kSecp256k1N - sig->s;
        mirrored.y_parity ^= 1;
        EXPECT_FALSE(recover_address(digest, mirrored, SRule::kLowS).ok()) << name;
        auto any = recover_address(digest, mirrored, SRule::kAnyS);
        ASSERT_TRUE(any.ok()) << name;
        EXPECT_EQ(*any, address) << name;

        // A different digest recovers some other address.
        Hash32 other = digest;
        other[0] ^= 1;
        auto wrong = recover_address(other, *sig);
        EXPECT_TRUE(!wrong.ok() || *wrong != address) << name;
        ++count;
    }
    EXPECT_EQ(count, 169u);
}

TEST(Secp256k1Vectors, EcrecoverPrecompile) {
    VIGIL_VECTOR_JSON(cases, "secp256k1/go-ethereum/ecRecover.json");
    size_t count = 0, recovered = 0, empty = 0;
    for (const auto& c : cases) {
        const std::string name = c["Name"];
        auto input = from_hex(c["Input"].get<std::string>());
        ASSERT_TRUE(input.ok()) << name;
        auto expected = from_hex(c["Expected"].get<std::string>());
        ASSERT_TRUE(expected.ok()) << name;
        EXPECT_EQ(to_hex(ecrecover_precompile(*input)), to_hex(*expected)) << name;
        (expected->empty() ? empty : recovered)++;
        ++count;
    }
    std::cout << "ecrecover precompile: " << recovered << " recovered, " << empty
              << " empty output\n";
    EXPECT_EQ(count, 5u);
    EXPECT_EQ(recovered, 1u);
}

TEST(Secp256k1, EcrecoverPrecompileEdges) {
    // Precompile semantics independent of the vectors: short input is zero-padded (so a
    // 0-byte input has v = 0 and yields nothing); r = 0, s = 0, s >= n give nothing.
    EXPECT_TRUE(ecrecover_precompile({}).empty());
    auto key = PrivateKey::from_hex("0x" + std::string(62, '0') + "01");
    ASSERT_TRUE(key.ok());
    const Hash32 digest = keccak256(std::string_view("edge"));
    auto sig = sign_hash(digest, *key);
    ASSERT_TRUE(sig.ok());
    auto make_input = [&](const Signature& s, uint8_t v) {
        Bytes in(digest.view().begin(), digest.view().end());
        Bytes v_word(32, 0);
        v_word[31] = v;
        append(in, v_word);
        const auto r = s.r.to_be_word();
        const auto sv = s.s.to_be_word();
        append(in, r);
        append(in, sv);
        return in;
    };
    Bytes good = make_input(*sig, static_cast<uint8_t>(27 + sig->y_parity));
    Bytes out = ecrecover_precompile(good);
    ASSERT_EQ(out.size(), 32u);
    EXPECT_EQ(Address::from_word(out)->view().size(), 20u);
    EXPECT_EQ(*Address::from_word(out), key->address());
    // Extra input beyond 128 bytes is ignored.
    Bytes longer = good;
    longer.push_back(0xff);
    EXPECT_EQ(ecrecover_precompile(longer), out);
    // High s is accepted by the precompile.
    Signature high = *sig;
    high.s = kSecp256k1N - sig->s;
    high.y_parity ^= 1;
    EXPECT_EQ(ecrecover_precompile(make_input(high, static_cast<uint8_t>(27 + high.y_parity))),
              out);
    EXPECT_TRUE(ecrecover_precompile(make_input(*sig, sig->y_parity)).empty());  // v = 0/1
    Signature zero_r = *sig;
    zero_r.r = U256(0);
    EXPECT_TRUE(ecrecover_precompile(make_input(zero_r, 27)).empty());
    Signature big_s = *sig;
    big_s.s = kSecp256k1N;
    EXPECT_TRUE(ecrecover_precompile(make_input(big_s, 27)).empty());
}

TEST(Secp256k1, RecoverRejectsOutOfRange) {
    const Hash32 digest = keccak256(std::string_view("x"));
    Signature sig{U256(1), U256(1), 0};
    sig.r = U256(0);
    EXPECT_NE(recover_address(digest, sig).error().message.find("r is zero"), std::string::npos);
    sig.r = kSecp256k1N;
    EXPECT_NE(recover_address(digest, sig).error().message.find("r is not below"),
              std::string::npos);
    sig.r = U256(1);
    sig.s = U256(0);
    EXPECT_NE(recover_address(digest, sig).error().message.find("s is zero"), std::string::npos);
    sig.s = kSecp256k1HalfN + U256(1);
    EXPECT_NE(recover_address(digest, sig).error().message.find("high s"), std::string::npos);
    sig.s = U256(1);
    sig.y_parity = 2;
    EXPECT_FALSE(recover_address(digest, sig).ok());
}

TEST(Eip191, PersonalMessageHashKnownAnswers) {
    // viem docs, hashMessage('hello world'); also web3.js's signing guide.
    EXPECT_EQ(personal_message_hash(view(std::string_view("hello world"))).to_hex(),
              "0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68");
    // alloy-rs examples, eip191_hash_message(b"hello_world").
    EXPECT_EQ(personal_message_hash(view(std::string_view("hello_world"))).to_hex(),
              "0xd52de6e039c023a7c77752126e4d9d99e2a7dacea3d19e97e9c2ebcb3ecf1c00");
    // tevm docs, hashMessage('Hello world').
    EXPECT_EQ(personal_message_hash(view(std::string_view("Hello world"))).to_hex(),
              "0x8144a6fa26be252b86456491fbcd43c1de7e022241845ffea1c3df066f7cfede");
}

TEST(Eip191, Web3jsSignKnownAnswer) {
    // web3.js docs, web3.eth.accounts.sign('Some data', '0x4c08...2318').
    auto key =
        PrivateKey::from_hex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
    ASSERT_TRUE(key.ok());
    const Hash32 digest = personal_message_hash(view(std::string_view("Some data")));
    EXPECT_EQ(digest.to_hex(),
              "0x1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655");
    auto sig = sign_hash(digest, *key);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(to_hex(sig->to_rsv27()),
              "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b"
              "800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c");
    auto parsed = Signature::from_rsv(sig->to_rsv27());
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, *sig);
    auto recovered = recover_address(digest, *parsed);
    ASSERT_TRUE(recovered.ok());
    EXPECT_EQ(*recovered, key->address());
}

TEST(Signature, FromRsvChecksV) {
    Bytes rsv(65, 1);
    for (uint8_t v : {0, 1, 27, 28}) {
        rsv[64] = v;
        auto sig = Signature::from_rsv(rsv);
        ASSERT_TRUE(sig.ok());
        EXPECT_EQ(sig->y_parity, v % 27 == 0 ? 0 : 1);
    }
    for (uint8_t v : {2, 26, 29, 35}) {
        rsv[64] = v;
        EXPECT_FALSE(Signature::from_rsv(rsv).ok());
    }
    EXPECT_FALSE(Signature::from_rsv(Bytes(64, 1)).ok());
}

TEST(Secp256k1, ConcurrentSigningAgrees) {
    // The shared context is read-only after creation: threads must get the same results.
    auto key =
        PrivateKey::from_hex("0x4646464646464646464646464646464646464646464646464646464646464646");
    ASSERT_TRUE(key.ok());
    const Hash32 digest =
        hash_of("0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
    const Signature reference = *sign_hash(digest, *key);
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                auto sig = sign_hash(digest, *key);
                auto from = recover_address(digest, *sig);
                if (!sig.ok() || *sig != reference || !from.ok() || *from != key->address())
                    ++mismatches;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace vigil::eth
