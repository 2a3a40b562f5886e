// Fuzzes the partial trie and the witness-backed state with untrusted witness nodes.
// Two shapes of input, chosen by the first byte:
//  0: arbitrary node sets (root = keccak of one of them, so decoding is reached) and
//     arbitrary keys: reads, updates and root computation through PartialTrie, and
//     account/storage reads and an apply through WitnessState;
//  1: a full trie built from the input, the proofs of some keys as the node set, the same
//     updates on both: every update on the partial trie either fails on a missing node
//     or leaves it with the full trie's root and values (never another root).
// Nothing may crash, hang or leak.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "chains/eth/keccak.h"
#include "chains/eth/partial_trie.h"
#include "chains/eth/trie.h"
#include "verifier/evm/witness_state.h"

using namespace vigil;
using namespace vigil::eth;

namespace {

// Reads length-prefixed chunks (one length byte) from the input.
struct Reader {
    const uint8_t* p;
    size_t n;
    bool empty() const { return n == 0; }
    uint8_t byte() {
        if (!n) return 0;
        --n;
        return *p++;
    }
    Bytes chunk(size_t max) {
        size_t len = byte();
        if (len > max) len = max;
        if (len > n) len = n;
        Bytes out(p, p + len);
        p += len;
        n -= len;
        return out;
    }
};

void raw_nodes(Reader r) {
    const bool secure = r.byte() & 1;
    std::vector<Bytes> nodes;
    const size_t count = r.byte() % 24;
    for (size_t i = 0; i < count && !r.empty(); ++i) nodes.push_back(r.chunk(255));
    TrieNodeSet set;
    for (const Bytes& n : nodes) set.add(n);
    const Hash32 root = nodes.empty() ? kEmptyTrieRoot : keccak256(nodes[r.byte() % nodes.size()]);
    PartialTrie trie(set, root, secure);
    while (!r.empty()) {
        const uint8_t op = r.byte() % 4;
        const Bytes key = r.chunk(40);
        if (op == 0) {
            (void)trie.get(key);
        } else if (op == 1) {
            (void)trie.put(key, r.chunk(64));
        } else if (op == 2) {
            (void)trie.erase(key);
        } else {
            (void)trie.root_hash();
        }
    }
    (void)trie.root_hash();

    // The same nodes as a block witness.
    evm::Witness witness;
    witness.state_nodes = nodes;
    evm::WitnessState state(witness, root);
    Address address;
    if (!nodes.empty())
        std::copy_n(nodes[0].begin(), std::min<size_t>(nodes[0].size(), 20), address.bytes.begin());
    (void)state.account(address);
    (void)state.storage(address, U256(nodes.size()));
    (void)state.code(root);
    evm::AccountUpdate update;
    update.address = address;
    update.nonce = nodes.size();
    update.storage.emplace_back(U256(1), U256(nodes.size() % 2));
    (void)state.apply(evm::StateDiff{{update}});
    (void)state.storage_root(address);
}

bool is_missing(const Status& s) {
    return s.error().message.find("missing trie node") != std::string::npos;
}

void differential(Reader r) {
    const bool secure = r.byte() & 1;
    Trie full(secure);
    std::vector<Bytes> keys;
    const size_t entries = r.byte() % 64;
    for (size_t i = 0; i < entries && !r.empty(); ++i) {
        Bytes key = r.chunk(6);
        if (!full.put(key, r.chunk(48)).ok()) std::abort();
        keys.push_back(std::move(key));
    }
    TrieNodeSet set;
    const size_t proven = r.byte() % 8;
    for (size_t i = 0; i < proven; ++i) {
        const Bytes key =
            keys.empty() || (r.byte() & 1) ? r.chunk(6) : keys[r.byte() % keys.size()];
        for (const Bytes& n : full.prove(key)) set.add(n);
    }
    PartialTrie partial(set, full.root_hash(), secure);
    while (!r.empty()) {
        const Bytes key =
            keys.empty() || (r.byte() & 1) ? r.chunk(6) : keys[r.byte() % keys.size()];
        const Bytes value = r.chunk(48);
        auto read = partial.get(key);
        if (read.ok() && *read != full.get(key)) std::abort();  // a read never lies
        Status s = partial.put(key, value);
        if (!s.ok()) {
            if (!is_missing(s) || partial.root_hash().ok()) std::abort();
            return;
        }
        if (!full.put(key, value).ok()) std::abort();
        auto root = partial.root_hash();
        if (!root.ok() || *root != full.root_hash()) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader r{data, size};
    if (r.byte() % 2 == 0)
        raw_nodes(r);
    else
        differential(r);
    return 0;
}
