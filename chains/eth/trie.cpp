#include "chains/eth/trie.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie_path.h"

namespace vigil::eth {

// One trie node. Leaves and extensions carry a nibble path; a branch has 16 children and
// a value (empty when no key ends at the branch).
struct Trie::Node {
    enum class Kind : uint8_t { kLeaf, kExtension, kBranch };

    explicit Node(Kind k) : kind(k) {}

    Kind kind;
    // False when `ref` is current. Every change marks the nodes on its path dirty.
    bool dirty = true;
    uint8_t ref_size = 0;
    // How the parent refers to this node: its RLP when shorter than 32 bytes, else the
    // RLP string of its keccak256 (0xa0 ‖ hash). Yellow paper, appendix D, c(J, i).
    std::array<uint8_t, 33> ref{};
    std::vector<uint8_t> path;                       // nibbles (leaf, extension)
    Bytes value;                                     // leaf value; branch value (empty = none)
    std::unique_ptr<Node> child;                     // extension
    std::array<std::unique_ptr<Node>, 16> children;  // branch
};

namespace {

using Node = Trie::Node;
using NodePtr = std::unique_ptr<Node>;

constexpr size_t kHashRefSize = 33;  // 0xa0 ‖ 32-byte hash
constexpr size_t kEmbedLimit = 32;   // nodes with RLP shorter than this are embedded
constexpr size_t kMaxListHeader = 9;

bool same(BytesView a, BytesView b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

NodePtr make_leaf(Nibbles path, BytesView value) {
    auto leaf = std::make_unique<Node>(Node::Kind::kLeaf);
    leaf->path.assign(path.begin(), path.end());
    leaf->value.assign(value.begin(), value.end());
    return leaf;
}

// Puts `node` under a new extension with `prefix` when the prefix is not empty.
NodePtr wrap_in_extension(Nibbles prefix, NodePtr node) {
    if (prefix.empty()) return node;
    auto ext = std::make_unique<Node>(Node::Kind::kExtension);
    ext->path.assign(prefix.begin(), prefix.end());
    ext->child = std::move(node);
    return ext;
}

// Inserts; returns true when the trie changed. `added` is set when the key is new.
bool insert(NodePtr& slot, Nibbles key, BytesView value, bool& added) {
    if (!slot) {
        slot = make_leaf(key, value);
        added = true;
        return true;
    }
    Node& node = *slot;
    switch (node.kind) {
        case Node::Kind::kBranch: {
            if (key.empty()) {
                if (same(node.value, value)) return false;
                added = node.value.empty();
                node.value.assign(value.begin(), value.end());
            } else if (!insert(node.children[key[0]], key.subspan(1), value, added)) {
                return false;
            }
            node.dirty = true;
            return true;
        }
        case Node::Kind::kExtension: {
            const size_t c = common_prefix(node.path, key);
            if (c == node.path.size()) {
                if (!insert(node.child, key.subspan(c), value, added)) return false;
                node.dirty = true;
                return true;
            }
            // The key leaves the extension at nibble c: a branch takes its place there.
            NodePtr old = std::move(slot);
            auto branch = std::make_unique<Node>(Node::Kind::kBranch);
            const uint8_t old_index = old->path[c];
            if (c + 1 == old->path.size()) {
                branch->children[old_index] = std::move(old->child);
            } else {
                old->path.erase(old->path.begin(), old->path.begin() + c + 1);
                old->dirty = true;
                branch->children[old_index] = std::move(old);
            }
            if (c == key.size())
                branch->value.assign(value.begin(), value.end());
            else
                branch->children[key[c]] = make_leaf(key.subspan(c + 1), value);
            added = true;
            slot = wrap_in_extension(key.first(c), std::move(branch));
            return true;
        }
        case Node::Kind::kLeaf: {
            const size_t c = common_prefix(node.path, key);
            if (c == node.path.size() && c == key.size()) {
                if (same(node.value, value)) return false;
                node.value.assign(value.begin(), value.end());
                node.dirty = true;
                return true;
            }
            NodePtr old = std::move(slot);
            auto branch = std::make_unique<Node>(Node::Kind::kBranch);
            if (c == old->path.size()) {
                branch->value = std::move(old->value);
            } else {
                const uint8_t old_index = old->path[c];
                old->path.erase(old->path.begin(), old->path.begin() + c + 1);
                old->dirty = true;
                branch->children[old_index] = std::move(old);
            }
            if (c == key.size())
                branch->value.assign(value.begin(), value.end());
            else
                branch->children[key[c]] = make_leaf(key.subspan(c + 1), value);
            added = true;
            slot = wrap_in_extension(key.first(c), std::move(branch));
            return true;
        }
    }
    return false;
}

// Restores the canonical shape of a branch that lost an entry: a branch needs at least
// two of (children, value); otherwise it becomes a leaf or merges into its only child.
void collapse_branch(NodePtr& slot) {
    Node& branch = *slot;
    int only = -1, count = branch.value.empty() ? 0 : 1;
    for (int i = 0; i < 16; ++i)
        if (branch.children[i]) {
            ++count;
            only = i;
        }
    if (count >= 2) return;
    if (count == 0) {
        slot.reset();
        return;
    }
    if (only < 0) {  // only the value is left
        auto leaf = std::make_unique<Node>(Node::Kind::kLeaf);
        leaf->value = std::move(branch.value);
        slot = std::move(leaf);
        return;
    }
    NodePtr child = std::move(branch.children[only]);
    if (child->kind == Node::Kind::kBranch) {
        const uint8_t index = static_cast<uint8_t>(only);
        slot = wrap_in_extension(Nibbles(&index, 1), std::move(child));
        return;
    }
    child->path.insert(child->path.begin(), static_cast<uint8_t>(only));
    child->dirty = true;
    slot = std::move(child);
}

// Removes; returns true when the key was present.
bool remove(NodePtr& slot, Nibbles key) {
    if (!slot) return false;
    Node& node = *slot;
    switch (node.kind) {
        case Node::Kind::kLeaf:
            if (!same(node.path, key)) return false;
            slot.reset();
            return true;
        case Node::Kind::kExtension: {
            if (key.size() < node.path.size() || !same(node.path, key.first(node.path.size())))
                return false;
            if (!remove(node.child, key.subspan(node.path.size()))) return false;
            node.dirty = true;
            NodePtr& child = node.child;
            if (!child) {  // cannot happen for a canonical trie; stay consistent anyway
                slot.reset();
            } else if (child->kind != Node::Kind::kBranch) {
                // The child collapsed into a leaf or extension: merge the two paths.
                child->path.insert(child->path.begin(), node.path.begin(), node.path.end());
                child->dirty = true;
                NodePtr merged = std::move(child);
                slot = std::move(merged);
            }
            return true;
        }
        case Node::Kind::kBranch: {
            if (key.empty()) {
                if (node.value.empty()) return false;
                node.value.clear();
            } else if (!remove(node.children[key[0]], key.subspan(1))) {
                return false;
            }
            node.dirty = true;
            collapse_branch(slot);
            return true;
        }
    }
    return false;
}

// Writes the node's RLP into `out` (reused scratch) and returns a view of it. Requires
// every child's ref to be current.
BytesView encode_node(const Node& node, Bytes& out) {
    out.resize(kMaxListHeader);
    switch (node.kind) {
        case Node::Kind::kLeaf:
        case Node::Kind::kExtension:
            append_hex_prefix(out, node.path, node.kind == Node::Kind::kLeaf);
            if (node.kind == Node::Kind::kLeaf)
                rlp::encode_bytes(out, node.value);
            else
                out.insert(out.end(), node.child->ref.begin(),
                           node.child->ref.begin() + node.child->ref_size);
            break;
        case Node::Kind::kBranch:
            for (const NodePtr& child : node.children) {
                if (child)
                    out.insert(out.end(), child->ref.begin(), child->ref.begin() + child->ref_size);
                else
                    out.push_back(0x80);  // empty string: no child
            }
            rlp::encode_bytes(out, node.value);
            break;
    }
    // The payload was written after kMaxListHeader reserved bytes; the list header goes
    // right before it.
    const size_t payload = out.size() - kMaxListHeader;
    size_t start = kMaxListHeader;
    if (payload <= 55) {
        out[--start] = static_cast<uint8_t>(0xc0 + payload);
    } else {
        uint8_t len_of_len = 0;
        for (size_t v = payload; v; v >>= 8) {
            out[--start] = static_cast<uint8_t>(v);
            ++len_of_len;
        }
        out[--start] = static_cast<uint8_t>(0xf7 + len_of_len);
    }
    return BytesView(out).subspan(start);
}

// Brings the node's ref (and its descendants') up to date.
void update_ref(Node& node, Bytes& scratch) {
    if (!node.dirty) return;
    if (node.kind == Node::Kind::kExtension) update_ref(*node.child, scratch);
    if (node.kind == Node::Kind::kBranch)
        for (const NodePtr& child : node.children)
            if (child) update_ref(*child, scratch);
    BytesView rlp_node = encode_node(node, scratch);
    if (rlp_node.size() < kEmbedLimit) {
        std::memcpy(node.ref.data(), rlp_node.data(), rlp_node.size());
        node.ref_size = static_cast<uint8_t>(rlp_node.size());
    } else {
        node.ref[0] = 0xa0;  // RLP string header of 32 bytes
        const Hash32 h = keccak256(rlp_node);
        std::memcpy(node.ref.data() + 1, h.data(), 32);
        node.ref_size = kHashRefSize;
    }
    node.dirty = false;
}

Bytes nibbles_to_bytes(const std::vector<uint8_t>& nibbles) {
    Bytes out(nibbles.size() / 2);
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<uint8_t>(nibbles[2 * i] << 4 | nibbles[2 * i + 1]);
    return out;
}

void visit_node(const Node& node, std::vector<uint8_t>& prefix,
                const std::function<void(BytesView, BytesView)>& visit) {
    const size_t mark = prefix.size();
    switch (node.kind) {
        case Node::Kind::kLeaf:
            prefix.insert(prefix.end(), node.path.begin(), node.path.end());
            visit(nibbles_to_bytes(prefix), node.value);
            break;
        case Node::Kind::kExtension:
            prefix.insert(prefix.end(), node.path.begin(), node.path.end());
            visit_node(*node.child, prefix, visit);
            break;
        case Node::Kind::kBranch:
            // A key ending here is a prefix of every key below, so it sorts first.
            if (!node.value.empty()) visit(nibbles_to_bytes(prefix), node.value);
            for (uint8_t i = 0; i < 16; ++i) {
                if (!node.children[i]) continue;
                prefix.push_back(i);
                visit_node(*node.children[i], prefix, visit);
                prefix.pop_back();
            }
            break;
    }
    prefix.resize(mark);
}

}  // namespace

Trie::Trie(bool secure) : secure_(secure) {}
Trie::~Trie() = default;
Trie::Trie(Trie&&) noexcept = default;
Trie& Trie::operator=(Trie&&) noexcept = default;

Bytes Trie::path_key(BytesView key) const {
    if (!secure_) return Bytes(key.begin(), key.end());
    const Hash32 h = keccak256(key);
    return Bytes(h.bytes.begin(), h.bytes.end());
}

Status Trie::put(BytesView key, BytesView value) {
    if (key.size() > kMaxKeySize)
        return fail("trie: key of " + std::to_string(key.size()) + " bytes exceeds the " +
                    std::to_string(kMaxKeySize) + "-byte limit");
    if (value.empty()) {
        erase(key);
        return {};
    }
    const auto nibbles = to_nibbles(path_key(key));
    bool added = false;
    insert(root_, nibbles, value, added);
    if (added) ++size_;
    return {};
}

bool Trie::erase(BytesView key) {
    if (key.size() > kMaxKeySize) return false;
    const auto nibbles = to_nibbles(path_key(key));
    if (!remove(root_, nibbles)) return false;
    --size_;
    return true;
}

std::optional<Bytes> Trie::get(BytesView key) const {
    if (key.size() > kMaxKeySize) return std::nullopt;
    const auto nibbles = to_nibbles(path_key(key));
    Nibbles rest(nibbles);
    const Node* node = root_.get();
    while (node) {
        switch (node->kind) {
            case Node::Kind::kLeaf:
                if (!same(node->path, rest)) return std::nullopt;
                return node->value;
            case Node::Kind::kExtension:
                if (rest.size() < node->path.size() ||
                    !same(node->path, rest.first(node->path.size())))
                    return std::nullopt;
                rest = rest.subspan(node->path.size());
                node = node->child.get();
                break;
            case Node::Kind::kBranch:
                if (rest.empty()) {
                    if (node->value.empty()) return std::nullopt;
                    return node->value;
                }
                node = node->children[rest[0]].get();
                rest = rest.subspan(1);
                break;
        }
    }
    return std::nullopt;
}

Hash32 Trie::root_hash() {
    if (!root_) return kEmptyTrieRoot;
    Bytes scratch;
    scratch.reserve(600);
    update_ref(*root_, scratch);
    if (root_->ref_size == kHashRefSize)
        return *Hash32::from_view(BytesView(root_->ref).subspan(1));
    // A root shorter than 32 bytes is still committed to by its hash.
    return keccak256(BytesView(root_->ref.data(), root_->ref_size));
}

std::vector<Bytes> Trie::prove(BytesView key) {
    std::vector<Bytes> proof;
    if (!root_ || key.size() > kMaxKeySize) return proof;
    root_hash();  // brings every ref up to date
    const auto nibbles = to_nibbles(path_key(key));
    Nibbles rest(nibbles);
    Bytes scratch;
    const Node* node = root_.get();
    while (node) {
        if (node == root_.get() || node->ref_size == kHashRefSize) {
            BytesView encoded = encode_node(*node, scratch);
            proof.emplace_back(encoded.begin(), encoded.end());
        }
        switch (node->kind) {
            case Node::Kind::kLeaf:
                return proof;
            case Node::Kind::kExtension:
                if (rest.size() < node->path.size() ||
                    !same(node->path, rest.first(node->path.size())))
                    return proof;
                rest = rest.subspan(node->path.size());
                node = node->child.get();
                break;
            case Node::Kind::kBranch:
                if (rest.empty()) return proof;
                node = node->children[rest[0]].get();
                rest = rest.subspan(1);
                break;
        }
    }
    return proof;
}

void Trie::for_each(const std::function<void(BytesView key, BytesView value)>& visit) const {
    if (!root_) return;
    std::vector<uint8_t> prefix;
    visit_node(*root_, prefix, visit);
}

Hash32 ordered_trie_root(std::span<const Bytes> items) {
    Trie trie;
    Bytes key;
    for (size_t i = 0; i < items.size(); ++i) {
        key.clear();
        rlp::encode_uint(key, i);
        // rlp(index) is at most 9 bytes: put cannot fail.
        (void)trie.put(key, items[i]);
    }
    return trie.root_hash();
}

}  // namespace vigil::eth
