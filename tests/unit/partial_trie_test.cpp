// PartialTrie against the full in-memory Trie: reads through proofs, updates on the
// partial structure giving the same roots, and missing or altered nodes as errors.
#include "chains/eth/partial_trie.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "chains/eth/keccak.h"
#include "chains/eth/proof.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie.h"
#include "chains/rpc/header_json.h"
#include "chains/rpc/proof_json.h"
#include "tests/unit/vectors.h"

namespace vigil::eth {
namespace {

Bytes random_bytes(std::mt19937_64& rng, size_t n) {
    Bytes out(n);
    for (auto& b : out) b = static_cast<uint8_t>(rng());
    return out;
}

// The keys and values of a test trie: secure with 32-byte keys (the state and storage
// tries: every node hashed), or plain with 1..3-byte keys and 1..4-byte values (most nodes
// embedded in their parent).
struct Shape {
    bool secure = true;
    size_t min_key = 32, max_key = 32, max_value = 40;
};
constexpr Shape kSecure{};
constexpr Shape kEmbedded{false, 1, 3, 4};

Bytes random_key(std::mt19937_64& rng, const Shape& shape) {
    return random_bytes(rng, shape.min_key + rng() % (shape.max_key - shape.min_key + 1));
}
Bytes random_value(std::mt19937_64& rng, const Shape& shape) {
    return random_bytes(rng, 1 + rng() % shape.max_value);
}

// A full trie with `count` random keys, and its keys.
struct Fixture {
    explicit Fixture(const Shape& s) : shape(s), full(s.secure) {}
    Shape shape;
    Trie full;
    std::vector<Bytes> keys;
};

Fixture make_fixture(std::mt19937_64& rng, size_t count, const Shape& shape = kSecure) {
    Fixture f(shape);
    for (size_t i = 0; i < count; ++i) {
        Bytes key = random_key(rng, shape);
        EXPECT_TRUE(f.full.put(key, random_value(rng, shape)).ok());
        f.keys.push_back(std::move(key));
    }
    return f;
}

void add_proof(TrieNodeSet& set, Trie& full, BytesView key) {
    for (const Bytes& node : full.prove(key)) set.add(node);
}

// The trie path of `key` as a string (ordered like the trie's paths).
std::string path_of(BytesView key, bool secure) {
    if (!secure) return std::string(key.begin(), key.end());
    const Hash32 hashed = keccak256(key);
    return std::string(hashed.bytes.begin(), hashed.bytes.end());
}

// The original keys adjacent to `key` in path order: a deletion that collapses a branch
// merges the subtree holding one of them, so their proofs cover the sibling.
std::vector<Bytes> neighbours(const std::vector<Bytes>& keys, BytesView key, bool secure) {
    std::map<std::string, Bytes> by_path;
    for (const Bytes& k : keys) by_path.emplace(path_of(k, secure), k);
    const std::string path = path_of(key, secure);
    std::vector<Bytes> out;
    auto it = by_path.lower_bound(path);
    if (it != by_path.end() && it->first == path) {
        auto next = std::next(it);
        if (next != by_path.end()) out.push_back(next->second);
    } else if (it != by_path.end()) {
        out.push_back(it->second);
    }
    if (it != by_path.begin()) out.push_back(std::prev(it)->second);
    return out;
}

TEST(PartialTrie, ReadsThroughProofsMatchTheFullTrie) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        std::mt19937_64 rng(seed);
        Fixture f = make_fixture(rng, 1 + rng() % 400);
        TrieNodeSet set;
        std::vector<Bytes> probes;
        for (size_t i = 0; i < 20; ++i) probes.push_back(f.keys[rng() % f.keys.size()]);
        for (size_t i = 0; i < 10; ++i) probes.push_back(random_bytes(rng, 32));  // absent
        for (const Bytes& k : probes) add_proof(set, f.full, k);
        PartialTrie partial(set, f.full.root_hash());
        for (const Bytes& k : probes) {
            auto got = partial.get(k);
            ASSERT_TRUE(got.ok()) << "seed " << seed << ": " << got.error().message;
            EXPECT_EQ(*got, f.full.get(k)) << "seed " << seed;
        }
        auto root = partial.root_hash();
        ASSERT_TRUE(root.ok());
        EXPECT_EQ(*root, f.full.root_hash());
    }
}

// Runs random puts and erases on keys of the full trie and new keys, on both tries.
// `cover_siblings`: the node set also holds the proofs of each key's neighbours.
// Returns the number of seeds whose ops failed on a missing node (each such failure is
// checked to name a missing node; every success must give the full trie's root).
int random_ops(bool cover_siblings, bool everything, int seeds, const Shape& shape = kSecure) {
    int missing = 0;
    for (int seed = 1; seed <= seeds; ++seed) {
        std::mt19937_64 rng(static_cast<uint64_t>(seed) * 7919);
        Fixture f = make_fixture(rng, 1 + rng() % 300, shape);
        std::vector<Bytes> op_keys;
        for (size_t i = 0, n = 1 + rng() % 40; i < n; ++i)
            op_keys.push_back(rng() % 3 == 0 ? random_key(rng, shape)
                                             : f.keys[rng() % f.keys.size()]);
        TrieNodeSet set;
        for (const Bytes& k : everything ? f.keys : op_keys) add_proof(set, f.full, k);
        if (cover_siblings)
            for (const Bytes& k : op_keys)
                for (const Bytes& n : neighbours(f.keys, k, shape.secure))
                    add_proof(set, f.full, n);
        PartialTrie partial(set, f.full.root_hash(), shape.secure);
        Status failed;
        for (size_t i = 0; i < 2 * op_keys.size() && failed.ok(); ++i) {
            const Bytes& key = op_keys[rng() % op_keys.size()];
            if (rng() % 2 == 0) {
                f.full.erase(key);
                failed = partial.erase(key);
            } else {
                const Bytes value = random_value(rng, shape);
                EXPECT_TRUE(f.full.put(key, value).ok());
                failed = partial.put(key, value);
            }
        }
        if (!failed.ok()) {
            EXPECT_NE(failed.error().message.find("missing trie node 0x"), std::string::npos)
                << failed.error().message;
            EXPECT_FALSE(partial.root_hash().ok());  // poisoned, never a wrong root
            EXPECT_FALSE(partial.get(op_keys[0]).ok());
            ++missing;
            continue;
        }
        auto root = partial.root_hash();
        EXPECT_TRUE(root.ok());
        EXPECT_EQ(*root, f.full.root_hash()) << "seed " << seed;
        for (const Bytes& k : op_keys) {
            auto got = partial.get(k);
            EXPECT_TRUE(got.ok()) << got.error().message;
            if (got.ok()) {
                EXPECT_EQ(*got, f.full.get(k));
            }
        }
    }
    return missing;
}

TEST(PartialTrie, UpdatesWithEveryNodeGiveTheFullRoot) {
    EXPECT_EQ(random_ops(false, true, 60), 0);
}

TEST(PartialTrie, UpdatesWithNeighbourProofsGiveTheFullRoot) {
    EXPECT_EQ(random_ops(true, false, 200), 0);
}

TEST(PartialTrie, EmbeddedNodesBehaveAlike) {
    EXPECT_EQ(random_ops(false, true, 60, kEmbedded), 0);
    EXPECT_EQ(random_ops(true, false, 200, kEmbedded), 0);
    random_ops(false, false, 200, kEmbedded);  // may fail on missing nodes, never a wrong root
}

TEST(PartialTrie, DeletionWithoutTheSiblingFailsOnTheMissingNode) {
    // Only the op keys' own proofs: deletions that collapse a branch onto a hashed sibling
    // must fail (and some do), the rest must still give the right root.
    EXPECT_GT(random_ops(false, false, 200), 0);
}

TEST(PartialTrie, CollapseNeedsTheSibling) {
    // Two keys under the root branch, both leaves longer than 32 bytes: erasing one merges
    // the other into the root, which needs its node.
    Trie full(true);
    const Bytes a{1}, b{2}, value(40, 0x11);
    ASSERT_TRUE(full.put(a, value).ok());
    ASSERT_TRUE(full.put(b, value).ok());
    const Hash32 before = full.root_hash();
    TrieNodeSet only_a;
    add_proof(only_a, full, a);
    PartialTrie partial(only_a, before);
    Status s = partial.erase(a);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("missing trie node"), std::string::npos);
    EXPECT_NE(s.error().message.find("sibling"), std::string::npos) << s.error().message;

    TrieNodeSet both = only_a;
    add_proof(both, full, b);
    PartialTrie complete(both, before);
    ASSERT_TRUE(complete.erase(a).ok());
    full.erase(a);
    EXPECT_EQ(*complete.root_hash(), full.root_hash());
    // Erasing the last key gives the empty root.
    ASSERT_TRUE(complete.erase(b).ok());
    EXPECT_EQ(*complete.root_hash(), kEmptyTrieRoot);
}

TEST(PartialTrie, StartsEmptyAndGrowsLikeTheFullTrie) {
    std::mt19937_64 rng(99);
    TrieNodeSet none;
    PartialTrie partial(none, kEmptyTrieRoot);
    Trie full(true);
    for (int i = 0; i < 200; ++i) {
        const Bytes key = random_bytes(rng, 1 + rng() % 33), value = random_bytes(rng, rng() % 5);
        ASSERT_TRUE(partial.put(key, value).ok());
        ASSERT_TRUE(full.put(key, value).ok());
        ASSERT_EQ(*partial.root_hash(), full.root_hash()) << i;
    }
}

TEST(PartialTrie, ShortRootNodeIsHashedAndResolves) {
    Trie full(false);  // keys as given: one short key gives a root node under 32 bytes
    ASSERT_TRUE(full.put(Bytes{0x12}, Bytes{0x34}).ok());
    auto proof = full.prove(Bytes{0x12});
    ASSERT_EQ(proof.size(), 1u);
    ASSERT_LT(proof[0].size(), 32u);
    TrieNodeSet set;
    set.add(proof[0]);
    PartialTrie partial(set, full.root_hash(), false);
    auto got = partial.get(Bytes{0x12});
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(*got, Bytes{0x34});
    ASSERT_TRUE(partial.put(Bytes{0x13}, Bytes{0x56}).ok());
    ASSERT_TRUE(full.put(Bytes{0x13}, Bytes{0x56}).ok());
    EXPECT_EQ(*partial.root_hash(), full.root_hash());
}

TEST(PartialTrie, MissingOrAlteredNodesAreErrorsNeverAnswers) {
    std::mt19937_64 rng(5);
    Fixture f = make_fixture(rng, 500);
    const Bytes& key = f.keys[17];
    const auto proof = f.full.prove(key);
    ASSERT_GE(proof.size(), 3u);
    for (size_t drop = 0; drop < proof.size(); ++drop) {
        for (bool alter : {false, true}) {
            TrieNodeSet set;
            for (size_t i = 0; i < proof.size(); ++i) {
                if (i != drop) {
                    set.add(proof[i]);
                } else if (alter) {
                    Bytes changed = proof[i];
                    changed.back() ^= 0x01;  // stored under its own (different) hash
                    set.add(changed);
                }
            }
            const std::string missing = "missing trie node " + keccak256(proof[drop]).to_hex();
            PartialTrie partial(set, f.full.root_hash());
            auto got = partial.get(key);
            ASSERT_FALSE(got.ok()) << "node " << drop << " alter " << alter;
            EXPECT_NE(got.error().message.find(missing), std::string::npos) << got.error().message;
            EXPECT_NE(got.error().message.find("under path"), std::string::npos);
            Status put = partial.put(key, Bytes{1, 2, 3});
            ASSERT_FALSE(put.ok());
            EXPECT_NE(put.error().message.find(missing), std::string::npos);
            EXPECT_FALSE(partial.root_hash().ok());
        }
    }
}

TEST(PartialTrie, MalformedNodeUnderItsHashIsAnError) {
    TrieNodeSet set;
    const std::vector<Bytes> bad = {
        {0x82, 0x01, 0x02},        // not a list
        {0xc3, 0x80, 0x80, 0x80},  // three items
        {0xc2, 0x80, 0x80},        // an empty hex-prefix path
        {0xc3, 0x81, 0x50, 0x80},  // flag 5
        {0xc3, 0x81, 0x00, 0x80},  // an extension without a child
        {0xc2, 0x20, 0x80},        // a leaf without a value
    };
    for (const Bytes& node : bad) {
        set.add(node);
        PartialTrie partial(set, keccak256(node));
        auto got = partial.get(Bytes(32, 0));
        ASSERT_FALSE(got.ok()) << to_hex(node);
        EXPECT_NE(got.error().message.find("malformed trie node"), std::string::npos)
            << got.error().message;
    }
    // A branch with a single child is not canonical.
    Bytes branch_payload;
    branch_payload.push_back(0xa0);
    branch_payload.insert(branch_payload.end(), 32, 0x11);
    for (int i = 0; i < 16; ++i) branch_payload.push_back(0x80);
    const Bytes branch = rlp::wrap_list(branch_payload);
    set.add(branch);
    PartialTrie partial(set, keccak256(branch));
    auto got = partial.get(Bytes(32, 0));
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().message.find("fewer than two entries"), std::string::npos)
        << got.error().message;
}

TEST(PartialTrie, HeliosMainnetProofReadsTheAccountAndSlot) {
    VIGIL_VECTOR_JSON(block, "proofs/helios-mainnet-21925176/block.json");
    VIGIL_VECTOR_JSON(proof_json, "proofs/helios-mainnet-21925176/proof.json");
    auto header = rpc::parse_verified_header(block);
    ASSERT_TRUE(header.ok()) << header.error().message;
    auto proof = rpc::parse_account_proof(proof_json);
    ASSERT_TRUE(proof.ok()) << proof.error().message;
    TrieNodeSet set;
    for (const Bytes& node : proof->account_proof) set.add(node);
    for (const auto& slot : proof->storage)
        for (const Bytes& node : slot.proof) set.add(node);

    PartialTrie state(set, header->state_root);
    auto encoded = state.get(proof->address.view());
    ASSERT_TRUE(encoded.ok()) << encoded.error().message;
    ASSERT_TRUE(encoded->has_value());
    auto account = Account::decode(**encoded);
    ASSERT_TRUE(account.ok());
    EXPECT_EQ(*account, proof->claimed);

    PartialTrie storage(set, account->storage_root);
    ASSERT_EQ(proof->storage.size(), 1u);
    auto value = storage.get(proof->storage[0].slot.view());
    ASSERT_TRUE(value.ok()) << value.error().message;
    ASSERT_TRUE(value->has_value());
    auto item = rlp::decode_exact(**value);
    ASSERT_TRUE(item.ok());
    EXPECT_EQ(*rlp::to_u256(*item), proof->storage[0].value);

    // Another account: the proof does not reach it.
    auto other = state.get(Bytes(20, 0x42));
    ASSERT_FALSE(other.ok());
    EXPECT_NE(other.error().message.find("missing trie node"), std::string::npos);
}

}  // namespace
}  // namespace vigil::eth
