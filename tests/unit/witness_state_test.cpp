// WitnessState against a full state model: reads through a witness made of proofs, the
// post-state root of a diff equal to the model's rebuilt root, and missing parts of the
// witness as errors. Also block_hashes over a chain of ancestor headers, and the
// witness fetcher's pure parts (collapse candidates, debug_executionWitness answers).
#include "verifier/evm/witness_state.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "chains/eth/header.h"
#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie.h"
#include "verifier/witness_fetch.h"

namespace vigil::evm {
namespace {

using eth::Address;
using eth::Bytes;
using eth::Hash32;
using eth::U256;

struct ModelAccount {
    uint64_t nonce = 0;
    U256 balance;
    Bytes code;
    std::map<U256, U256> storage;  // non-zero values only
};

// A full state, rebuilt from scratch for every root: the reference the partial tries are
// held to.
struct Model {
    std::map<Address, ModelAccount> accounts;

    eth::Trie storage_trie(const ModelAccount& a) const {
        eth::Trie trie(true);
        for (const auto& [slot, value] : a.storage) {
            const auto word = slot.to_be_word();
            EXPECT_TRUE(
                trie.put(eth::BytesView(word.data(), 32), eth::rlp::encoded_uint(value)).ok());
        }
        return trie;
    }
    eth::Account account(const ModelAccount& a) const {
        return eth::Account{a.nonce, a.balance, storage_trie(a).root_hash(),
                            a.code.empty() ? eth::kEmptyCodeHash : eth::keccak256(a.code)};
    }
    eth::Trie state_trie() const {
        eth::Trie trie(true);
        for (const auto& [address, a] : accounts)
            EXPECT_TRUE(trie.put(address.view(), account(a).encode()).ok());
        return trie;
    }
    // Proofs of every account and slot (all = true), or of the listed ones only.
    Witness witness(const std::map<Address, std::vector<U256>>& touched, bool all) const {
        Witness w;
        eth::Trie state = state_trie();
        auto add = [&](const std::vector<Bytes>& proof) {
            w.state_nodes.insert(w.state_nodes.end(), proof.begin(), proof.end());
        };
        for (const auto& [address, a] : accounts) {
            if (!all && !touched.count(address)) continue;
            add(state.prove(address.view()));
            eth::Trie st = storage_trie(a);
            for (const auto& [slot, value] : a.storage) {
                const auto word = slot.to_be_word();
                if (all) add(st.prove(eth::BytesView(word.data(), 32)));
            }
            if (!all)
                for (const U256& slot : touched.at(address)) {
                    const auto word = slot.to_be_word();
                    add(st.prove(eth::BytesView(word.data(), 32)));
                }
            if (!a.code.empty()) w.codes.push_back(a.code);
        }
        for (const auto& [address, slots] : touched)
            if (!accounts.count(address)) add(state.prove(address.view()));  // absence
        return w;
    }
};

Address address_of(std::mt19937_64& rng) {
    Address a;
    for (auto& b : a.bytes) b = static_cast<uint8_t>(rng());
    return a;
}

Model random_model(std::mt19937_64& rng, size_t accounts) {
    Model m;
    for (size_t i = 0; i < accounts; ++i) {
        ModelAccount a;
        a.nonce = rng() % 5;
        a.balance = U256(rng());
        if (rng() % 3 == 0) {
            a.code = Bytes(1 + rng() % 50, static_cast<uint8_t>(i));
            for (size_t s = 0, n = rng() % 30; s < n; ++s)
                a.storage[U256(rng() % 64)] = U256(1 + rng());
        }
        m.accounts[address_of(rng)] = a;
    }
    return m;
}

TEST(WitnessState, ReadsMatchTheModel) {
    std::mt19937_64 rng(3);
    const Model m = random_model(rng, 80);
    const Witness w = m.witness({}, true);
    WitnessState state(w, m.state_trie().root_hash());
    for (const auto& [address, a] : m.accounts) {
        auto acct = state.account(address);
        ASSERT_TRUE(acct.ok()) << acct.error().message;
        ASSERT_TRUE(acct->has_value());
        EXPECT_EQ(**acct, m.account(a));
        auto code = state.code((*acct)->code_hash);
        ASSERT_TRUE(code.ok()) << code.error().message;
        EXPECT_EQ(*code, a.code);
        for (uint64_t s = 0; s < 64; ++s) {
            auto value = state.storage(address, U256(s));
            ASSERT_TRUE(value.ok()) << value.error().message;
            auto it = a.storage.find(U256(s));
            EXPECT_EQ(*value, it == a.storage.end() ? U256() : it->second);
        }
    }
    auto absent = state.account(address_of(rng));
    ASSERT_TRUE(absent.ok()) << absent.error().message;
    EXPECT_FALSE(absent->has_value());
    auto missing_code = state.code(eth::keccak256(Bytes{0xfe}));
    ASSERT_FALSE(missing_code.ok());
    EXPECT_NE(missing_code.error().message.find("is not in it"), std::string::npos);
}

// Random diffs (balance and nonce changes, slot writes and clears, creations with code,
// deletions, storage clearing) applied to both; the roots must agree after each diff.
TEST(WitnessState, ApplyGivesTheModelsRoot) {
    for (uint64_t seed = 1; seed <= 30; ++seed) {
        std::mt19937_64 rng(seed);
        Model m = random_model(rng, 1 + rng() % 60);
        WitnessState state(m.witness({}, true), m.state_trie().root_hash());
        for (int round = 0; round < 3; ++round) {
            std::map<Address, AccountUpdate> updates;
            std::vector<Address> existing;
            for (const auto& [address, a] : m.accounts) existing.push_back(address);
            for (size_t i = 0, n = 1 + rng() % 8; i < n; ++i) {
                const bool create = existing.empty() || rng() % 4 == 0;
                const Address address =
                    create ? address_of(rng) : existing[rng() % existing.size()];
                if (updates.count(address)) continue;
                ModelAccount& a = m.accounts[address];
                AccountUpdate u;
                u.address = address;
                const int kind = static_cast<int>(rng() % 6);
                if (!create && kind == 0) {
                    u.deleted = true;
                    m.accounts.erase(address);
                    updates[address] = u;
                    continue;
                }
                if (kind == 1) {
                    u.storage_cleared = true;
                    a.storage.clear();
                }
                if (create || kind == 2) {
                    a.code = Bytes(1 + rng() % 40, static_cast<uint8_t>(rng()));
                    u.code = a.code;
                }
                a.nonce += 1;
                a.balance = U256(rng());
                for (size_t s = 0, k = rng() % 10; s < k; ++s) {
                    const U256 slot(rng() % 64);
                    const U256 value = rng() % 3 == 0 ? U256() : U256(rng());
                    if (value.is_zero())
                        a.storage.erase(slot);
                    else
                        a.storage[slot] = value;
                    u.storage.emplace_back(slot, value);
                }
                u.nonce = a.nonce;
                u.balance = a.balance;
                u.code_hash = a.code.empty() ? eth::kEmptyCodeHash : eth::keccak256(a.code);
                updates[address] = u;
            }
            StateDiff diff;
            for (auto& [address, u] : updates) diff.accounts.push_back(u);
            auto root = state.apply(diff);
            ASSERT_TRUE(root.ok()) << "seed " << seed << ": " << root.error().message;
            ASSERT_EQ(*root, m.state_trie().root_hash()) << "seed " << seed << " round " << round;
            for (const auto& [address, u] : updates) {
                auto sr = state.storage_root(address);
                ASSERT_TRUE(sr.ok());
                auto it = m.accounts.find(address);
                EXPECT_EQ(*sr, it == m.accounts.end() ? eth::kEmptyTrieRoot
                                                      : m.storage_trie(it->second).root_hash());
            }
        }
    }
}

TEST(WitnessState, ProofsOfTouchedKeysOnlyReadAndFailWhereTheyMust) {
    std::mt19937_64 rng(11);
    Model m = random_model(rng, 200);
    Address target;
    for (const auto& [address, a] : m.accounts)
        if (a.storage.size() >= 2) target = address;
    ASSERT_FALSE(target.is_zero());
    const U256 slot = m.accounts[target].storage.begin()->first;
    const Witness w = m.witness({{target, {slot}}}, false);
    WitnessState state(w, m.state_trie().root_hash());
    auto value = state.storage(target, slot);
    ASSERT_TRUE(value.ok()) << value.error().message;
    EXPECT_EQ(*value, m.accounts[target].storage.begin()->second);
    // An account the witness does not reach.
    Address other;  // under another child of the root branch than the target
    for (const auto& [address, a] : m.accounts)
        if ((eth::keccak256(address.view())[0] >> 4) != (eth::keccak256(target.view())[0] >> 4))
            other = address;
    ASSERT_FALSE(other.is_zero());
    auto unreachable = state.account(other);
    ASSERT_FALSE(unreachable.ok());
    EXPECT_NE(unreachable.error().message.find("missing trie node"), std::string::npos);
    EXPECT_NE(unreachable.error().message.find(other.to_hex()), std::string::npos);
    // Updating it is an error too, and the state refuses to go on.
    AccountUpdate u;
    u.address = other;
    u.nonce = 1;
    auto root = state.apply(StateDiff{{u}});
    ASSERT_FALSE(root.ok());
    EXPECT_NE(root.error().message.find("missing trie node"), std::string::npos);
    EXPECT_FALSE(state.account(target).ok());
}

TEST(WitnessState, CreatedCodeMustMatchItsHash) {
    Model m;
    WitnessState state(m.witness({}, true), eth::kEmptyTrieRoot);
    AccountUpdate u;
    u.address = Address(eth::FixedBytes<20>{{1}});
    u.code = Bytes{0x60, 0x00};
    u.code_hash = eth::keccak256(Bytes{0x60, 0x01});
    auto root = state.apply(StateDiff{{u}});
    ASSERT_FALSE(root.ok());
    EXPECT_NE(root.error().message.find("does not hash"), std::string::npos);
}

TEST(WitnessState, BlockHashesFollowTheParentChain) {
    std::vector<eth::BlockHeader> chain;
    eth::Hash32 parent;
    for (uint64_t n = 0; n < 5; ++n) {
        eth::BlockHeader h;
        h.number = n;
        h.parent_hash = parent;
        h.gas_limit = 30'000'000;
        parent = h.hash();
        chain.push_back(h);
    }
    Witness w;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) w.headers.push_back(it->encode());
    eth::BlockHeader stray;  // off the chain: ignored
    stray.number = 2;
    stray.extra_data = {1};
    w.headers.push_back(stray.encode());
    auto hashes = block_hashes(w, chain[3].hash());
    ASSERT_TRUE(hashes.ok()) << hashes.error().message;
    ASSERT_EQ(hashes->size(), 4u);
    for (uint64_t n = 0; n <= 3; ++n) EXPECT_EQ(hashes->at(n), chain[n].hash());
    auto none = block_hashes(w, eth::keccak256(Bytes{1}));
    ASSERT_FALSE(none.ok());
}

}  // namespace
}  // namespace vigil::evm

namespace vigil::verifier {
namespace {

using eth::Bytes;

// A deletion that merges a hashed leaf or extension into its parent: the node the
// post-state proof of the deleted key ends in gives back the pre-state sibling.
TEST(CollapseCandidates, RecoverTheSiblingsADeletionMerged) {
    int recovered = 0;
    for (uint64_t seed = 1; seed <= 60; ++seed) {
        std::mt19937_64 rng(seed);
        eth::Trie full(true);
        std::vector<Bytes> keys;
        for (size_t i = 0, n = 2 + rng() % 60; i < n; ++i) {
            Bytes key(32), value(20 + rng() % 30);
            for (auto& b : key) b = static_cast<uint8_t>(rng());
            for (auto& b : value) b = static_cast<uint8_t>(rng());
            ASSERT_TRUE(full.put(key, value).ok());
            keys.push_back(key);
        }
        const Bytes& deleted = keys[rng() % keys.size()];
        const eth::Hash32 before = full.root_hash();
        eth::TrieNodeSet nodes;
        for (const Bytes& n : full.prove(deleted)) nodes.add(n);
        full.erase(deleted);
        const eth::Hash32 after = full.root_hash();
        {
            eth::PartialTrie alone(nodes, before);
            if (alone.erase(deleted).ok()) continue;  // no hashed sibling needed
        }
        for (const Bytes& n : full.prove(deleted))
            for (const Bytes& c : collapse_candidates(n)) nodes.add(c);
        eth::PartialTrie partial(nodes, before);
        Status s = partial.erase(deleted);
        if (!s.ok()) {  // a branch sibling: not derivable, and said so
            EXPECT_NE(s.error().message.find("missing trie node"), std::string::npos);
            continue;
        }
        EXPECT_EQ(*partial.root_hash(), after) << "seed " << seed;
        ++recovered;
    }
    EXPECT_GT(recovered, 5);
}

TEST(CollapseCandidates, NothingFromBranchesOrGarbage) {
    EXPECT_TRUE(collapse_candidates(Bytes{}).empty());
    EXPECT_TRUE(collapse_candidates(Bytes{0xc2, 0x80, 0x80}).empty());
    EXPECT_TRUE(collapse_candidates(Bytes{0xc2, 0x00, 0x80}).empty());  // extension, no path
    EXPECT_TRUE(collapse_candidates(Bytes(17, 0x80)).empty());
}

TEST(ExecutionWitnessJson, BothShapesParse) {
    const Bytes node(40, 0xab), code{0x60, 0x00};
    eth::BlockHeader h;
    h.number = 7;
    h.gas_limit = 30'000'000;
    const rpc::Json lists = {{"state", {eth::to_hex(node)}},
                             {"codes", {eth::to_hex(code)}},
                             {"keys", rpc::Json::array()},
                             {"headers", {eth::to_hex(h.encode())}}};
    auto w = parse_execution_witness(lists);
    ASSERT_TRUE(w.ok()) << w.error().message;
    EXPECT_EQ(w->state_nodes, std::vector<Bytes>{node});
    EXPECT_EQ(w->codes, std::vector<Bytes>{code});
    ASSERT_EQ(w->headers.size(), 1u);
    EXPECT_EQ(*eth::BlockHeader::decode(w->headers[0]), h);

    const rpc::Json maps = {{"state", {{eth::keccak256(node).to_hex(), eth::to_hex(node)}}},
                            {"codes", {{eth::keccak256(code).to_hex(), eth::to_hex(code)}}}};
    auto m = parse_execution_witness(maps);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->state_nodes, std::vector<Bytes>{node});
    EXPECT_TRUE(m->headers.empty());

    EXPECT_FALSE(parse_execution_witness(rpc::Json::array()).ok());
    EXPECT_FALSE(
        parse_execution_witness(rpc::Json{{"state", {"0xzz"}}, {"codes", rpc::Json::array()}})
            .ok());
    EXPECT_FALSE(parse_execution_witness(rpc::Json{{"codes", rpc::Json::array()}}).ok());
}

}  // namespace
}  // namespace vigil::verifier
