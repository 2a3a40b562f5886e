// Merkle-Patricia trie: the ethereum/tests TrieTests vectors (INDEX.md section 2a), plus
// the cache (incremental root == rebuilt root) and deletion shape invariants.
#include "chains/eth/trie.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "tests/unit/vectors.h"

namespace vigil::eth {
namespace {

using nlohmann::json;

// TrieTests strings: "0x…" is hex, anything else stands for its raw bytes (trie/SOURCE.md).
Bytes trie_bytes(const json& s) {
    const std::string text = s.get<std::string>();
    if (text.rfind("0x", 0) == 0) {
        auto b = from_hex(text);
        EXPECT_TRUE(b.ok()) << text;
        return b.ok() ? *b : Bytes{};
    }
    return Bytes(text.begin(), text.end());
}

// Raw bytes of a string (bytes.h's view() is ambiguous for string literals).
Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Map keys as std::string: GCC 12 warns falsely (-Wstringop-overread) on ordering
// std::vector<uint8_t> keys.
std::string as_key(BytesView b) { return std::string(b.begin(), b.end()); }
Bytes as_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

Hash32 expected_root(const json& c) { return *Hash32::from_hex(c.at("root").get<std::string>()); }

// Ordered puts/deletes (null value = delete); counts the cases run into `cases`.
void run_ordered_file(const json& file, bool secure, int& cases) {
    for (const auto& [name, c] : file.items()) {
        SCOPED_TRACE(name);
        Trie trie(secure);
        std::map<std::string, Bytes> model;
        for (const json& op : c.at("in")) {
            const Bytes key = trie_bytes(op.at(0));
            if (op.at(1).is_null()) {
                trie.erase(key);
                model.erase(as_key(key));
            } else {
                const Bytes value = trie_bytes(op.at(1));
                ASSERT_TRUE(trie.put(key, value).ok());
                if (value.empty())
                    model.erase(as_key(key));
                else
                    model[as_key(key)] = value;
            }
        }
        EXPECT_EQ(trie.root_hash(), expected_root(c));
        EXPECT_EQ(trie.size(), model.size());
        for (const auto& [k, v] : model) EXPECT_EQ(trie.get(as_bytes(k)), v);
        ++cases;
    }
}

// Key -> value maps: the root must not depend on insertion order, nor on keys that were
// added and removed again.
void run_any_order_file(const json& file, bool secure, int& cases) {
    for (const auto& [name, c] : file.items()) {
        SCOPED_TRACE(name);
        std::vector<std::pair<Bytes, Bytes>> pairs;
        for (const auto& [k, v] : c.at("in").items())
            pairs.emplace_back(trie_bytes(k), trie_bytes(v));

        Trie forward(secure), backward(secure), churned(secure);
        for (const auto& [k, v] : pairs) ASSERT_TRUE(forward.put(k, v).ok());
        for (auto it = pairs.rbegin(); it != pairs.rend(); ++it)
            ASSERT_TRUE(backward.put(it->first, it->second).ok());
        for (const auto& [k, v] : pairs) {
            Bytes extra = k;
            extra.push_back(0x42);
            ASSERT_TRUE(churned.put(extra, text("transient")).ok());
            ASSERT_TRUE(churned.put(k, v).ok());
            churned.root_hash();  // cache a shape that the erase below must invalidate
            EXPECT_TRUE(churned.erase(extra));
        }
        const Hash32 root = expected_root(c);
        EXPECT_EQ(forward.root_hash(), root);
        EXPECT_EQ(backward.root_hash(), root);
        EXPECT_EQ(churned.root_hash(), root);
        for (const auto& [k, v] : pairs) EXPECT_EQ(forward.get(k), v);
        ++cases;
    }
}

TEST(TrieVectors, TrieTest) {
    VIGIL_VECTOR_JSON(file, "trie/ethereum-tests/trietest.json");
    int cases = 0;
    run_ordered_file(file, false, cases);
    EXPECT_EQ(cases, 5);
}

TEST(TrieVectors, TrieTestSecure) {
    VIGIL_VECTOR_JSON(file, "trie/ethereum-tests/trietest_secureTrie.json");
    int cases = 0;
    run_ordered_file(file, true, cases);
    EXPECT_EQ(cases, 2);
}

TEST(TrieVectors, AnyOrder) {
    VIGIL_VECTOR_JSON(file, "trie/ethereum-tests/trieanyorder.json");
    int cases = 0;
    run_any_order_file(file, false, cases);
    EXPECT_EQ(cases, 3);
}

TEST(TrieVectors, AnyOrderSecure) {
    VIGIL_VECTOR_JSON(file, "trie/ethereum-tests/trieanyorder_secureTrie.json");
    int cases = 0;
    run_any_order_file(file, true, cases);
    EXPECT_EQ(cases, 7);
}

TEST(TrieVectors, HexEncodedSecure) {
    VIGIL_VECTOR_JSON(file, "trie/ethereum-tests/hex_encoded_securetrie_test.json");
    int cases = 0;
    run_any_order_file(file, true, cases);
    EXPECT_EQ(cases, 3);
}

// Iteration order: for each probe, the nearest keys strictly before and after it.
TEST(TrieVectors, NextPrev) {
    VIGIL_VECTOR_JSON(file, "trie/ethereum-tests/trietestnextprev.json");
    int cases = 0, probes = 0;
    for (const auto& [name, c] : file.items()) {
        SCOPED_TRACE(name);
        Trie trie;
        for (const json& k : c.at("in")) ASSERT_TRUE(trie.put(trie_bytes(k), text("x")).ok());
        std::vector<std::string> keys;
        trie.for_each([&](BytesView k, BytesView) { keys.push_back(as_key(k)); });
        ASSERT_EQ(keys.size(), c.at("in").size());
        for (const json& t : c.at("tests")) {
            const std::string probe = as_key(trie_bytes(t.at(0)));
            // `keys` comes from the trie walk; the search relies on it being ascending,
            // which is exactly what the expected answers check.
            std::string prev, next;
            for (const std::string& k : keys) {
                if (k < probe) prev = k;
                if (k > probe && next.empty()) next = k;
            }
            EXPECT_EQ(prev, t.at(1).get<std::string>()) << t.at(0);
            EXPECT_EQ(next, t.at(2).get<std::string>()) << t.at(0);
            ++probes;
        }
        ++cases;
    }
    EXPECT_EQ(cases, 1);
    EXPECT_EQ(probes, 12);
}

TEST(Trie, EmptyRootIsKeccakOfEmptyString) {
    // Yellow paper, appendix D: the empty trie commits to keccak256(rlp("")).
    EXPECT_EQ(kEmptyTrieRoot, keccak256(Bytes{0x80}));
    EXPECT_EQ(kEmptyTrieRoot.to_hex(),
              "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
    Trie trie;
    EXPECT_EQ(trie.root_hash(), kEmptyTrieRoot);
    ASSERT_TRUE(trie.put(text("dog"), text("puppy")).ok());
    EXPECT_NE(trie.root_hash(), kEmptyTrieRoot);
    EXPECT_TRUE(trie.erase(text("dog")));
    EXPECT_FALSE(trie.erase(text("dog")));
    EXPECT_EQ(trie.root_hash(), kEmptyTrieRoot);
    EXPECT_TRUE(trie.empty());
}

TEST(Trie, EmptyValueDeletes) {
    Trie trie;
    ASSERT_TRUE(trie.put(text("a"), text("1")).ok());
    ASSERT_TRUE(trie.put(text("a"), {}).ok());
    EXPECT_EQ(trie.get(text("a")), std::nullopt);
    EXPECT_EQ(trie.root_hash(), kEmptyTrieRoot);
}

TEST(Trie, OversizedKeyIsRefused) {
    Trie trie;
    Bytes key(Trie::kMaxKeySize + 1, 0x11);
    EXPECT_FALSE(trie.put(key, text("v")).ok());
    EXPECT_TRUE(trie.put(Bytes(Trie::kMaxKeySize, 0x11), text("v")).ok());
}

// The single-leaf root is computable by hand from appendix D: a leaf with the whole key
// as an even path (hex-prefix 0x20 ‖ key) and its value.
TEST(Trie, SingleLeafRootMatchesHandEncoding) {
    Trie trie;
    ASSERT_TRUE(trie.put(text("doe"), text("reindeer")).ok());
    Bytes path{0x20, 'd', 'o', 'e'};
    Bytes payload = rlp::encoded_bytes(path);
    append(payload, rlp::encoded_bytes(text("reindeer")));
    EXPECT_EQ(trie.root_hash(), keccak256(rlp::wrap_list(payload)));
}

// Cached node references must give the same root as building the same map afresh, after
// any sequence of puts, overwrites and deletes.
TEST(Trie, IncrementalRootEqualsRebuiltRoot) {
    std::mt19937_64 rng(7);
    Trie live;
    std::map<std::string, Bytes> model;
    for (int round = 0; round < 60; ++round) {
        for (int op = 0; op < 25; ++op) {
            Bytes key(1 + rng() % 4);
            for (auto& b : key) b = static_cast<uint8_t>(rng() % 6);  // many shared prefixes
            if (rng() % 3 == 0) {
                live.erase(key);
                model.erase(as_key(key));
            } else {
                Bytes value(1 + rng() % 40, static_cast<uint8_t>(rng()));
                ASSERT_TRUE(live.put(key, value).ok());
                model[as_key(key)] = value;
            }
        }
        Trie fresh;
        for (const auto& [k, v] : model) ASSERT_TRUE(fresh.put(as_bytes(k), v).ok());
        ASSERT_EQ(live.root_hash(), fresh.root_hash()) << "round " << round;
        ASSERT_EQ(live.size(), model.size());
        std::vector<std::string> walked;
        live.for_each([&](BytesView k, BytesView) { walked.push_back(as_key(k)); });
        ASSERT_EQ(walked.size(), model.size());
        size_t i = 0;
        for (const auto& entry : model) ASSERT_EQ(walked[i++], entry.first);
    }
}

TEST(Trie, OrderedRootMatchesManualTrie) {
    std::vector<Bytes> items = {Bytes{0x01}, Bytes(40, 0x02), Bytes{0xc0}};
    for (int i = 0; i < 200; ++i) items.push_back(Bytes(static_cast<size_t>(i % 50 + 1), 0x33));
    Trie trie;
    for (size_t i = 0; i < items.size(); ++i)
        ASSERT_TRUE(trie.put(rlp::encoded_uint(i), items[i]).ok());
    EXPECT_EQ(ordered_trie_root(items), trie.root_hash());
    EXPECT_EQ(ordered_trie_root({}), kEmptyTrieRoot);
}

}  // namespace
}  // namespace vigil::eth
