// Fuzzes proof verification. Three shapes of input, chosen by the first byte:
//  0: raw node lists and roots (root = keccak of the first node, so parsing is reached);
//  1: a trie built from the input, a proof our trie generates for an input key (it must
//     verify to exactly what the trie holds), then one byte of the proof changed (it
//     must then fail: every listed node is checked by hash);
//  2: the input as eth_getProof JSON, verified against a root from the input.
// Nothing may crash, hang or leak.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "chains/eth/keccak.h"
#include "chains/eth/proof.h"
#include "chains/eth/trie.h"
#include "chains/rpc/proof_json.h"

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
    Bytes key = r.chunk(40);
    std::vector<Bytes> nodes;
    while (!r.empty() && nodes.size() < 16) nodes.push_back(r.chunk(255));
    Hash32 root = nodes.empty() ? kEmptyTrieRoot : keccak256(nodes[0]);
    (void)verify_trie_proof(root, key, nodes);
    Address address;
    std::copy_n(key.begin(), std::min<size_t>(key.size(), 20), address.bytes.begin());
    (void)verify_account(root, address, nodes);
    Hash32 slot;
    std::copy_n(key.begin(), std::min<size_t>(key.size(), 32), slot.bytes.begin());
    (void)verify_storage(root, slot, nodes);
}

void generated_proofs(Reader r) {
    Trie trie(r.byte() & 1);
    const size_t entries = r.byte() % 64;
    for (size_t i = 0; i < entries && !r.empty(); ++i) {
        Bytes key = r.chunk(6);
        Bytes value = r.chunk(48);
        if (!trie.put(key, value).ok()) std::abort();
    }
    const Bytes probe = r.chunk(6);
    const Hash32 root = trie.root_hash();
    std::vector<Bytes> proof = trie.prove(probe);
    const Hash32 hashed = keccak256(probe);
    const Bytes path = trie.secure() ? Bytes(hashed.bytes.begin(), hashed.bytes.end()) : probe;
    auto got = verify_trie_proof(root, path, proof);
    if (!got.ok() || *got != trie.get(probe)) std::abort();
    if (proof.empty()) return;
    const size_t which = r.byte() % proof.size();
    const size_t at = (size_t{r.byte()} << 8 | r.byte()) % proof[which].size();
    const uint8_t flip = r.byte();
    if (flip == 0) return;
    proof[which][at] ^= flip;
    if (verify_trie_proof(root, path, proof).ok()) std::abort();
}

void json_proof(Reader r) {
    Hash32 root;
    for (auto& b : root.bytes) b = r.byte();
    std::string_view text(reinterpret_cast<const char*>(r.p), r.n);
    auto json = rpc::parse_json(text);
    if (!json.ok()) return;
    auto proof = rpc::parse_account_proof(*json);
    if (!proof.ok()) return;
    (void)verify_account_proof(root, *proof);
    if (!proof->account_proof.empty())
        (void)verify_account_proof(keccak256(proof->account_proof[0]), *proof);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader r{data, size};
    switch (r.byte() % 3) {
        case 0:
            raw_nodes(r);
            break;
        case 1:
            generated_proofs(r);
            break;
        default:
            json_proof(r);
            break;
    }
    return 0;
}
