#include "chains/eth/partial_trie.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <vector>

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie_path.h"

namespace vigil::eth {

// One node of the partial trie: a reference to a node not looked at yet (kHashRef: only
// its hash is known), or a resolved leaf, extension or branch as in trie.cpp.
struct PartialTrie::Node {
    enum class Kind : uint8_t { kHashRef, kLeaf, kExtension, kBranch };

    explicit Node(Kind k) : kind(k) {}

    Kind kind;
    // False when `ref` is current. A resolved node starts clean with the reference its
    // parent held; every change marks the nodes on its path dirty.
    bool dirty = true;
    uint8_t ref_size = 0;
    // How the parent refers to this node: its RLP when shorter than 32 bytes, else
    // 0xa0 ‖ keccak256(RLP). Yellow paper, appendix D, c(J, i).
    std::array<uint8_t, 33> ref{};
    std::vector<uint8_t> path;                       // nibbles (leaf, extension)
    Bytes value;                                     // leaf value; branch value (empty = none)
    std::unique_ptr<Node> child;                     // extension
    std::array<std::unique_ptr<Node>, 16> children;  // branch
};

namespace {

using Node = PartialTrie::Node;
using NodePtr = std::unique_ptr<Node>;

constexpr size_t kHashRefSize = 33;  // 0xa0 ‖ 32-byte hash
constexpr size_t kEmbedLimit = 32;   // nodes with RLP shorter than this are embedded
constexpr size_t kBranchItems = 17;  // 16 children and a value
constexpr size_t kShortItems = 2;    // hex-prefixed path and a value or child

// Where a node hangs: a hashed root may be shorter than 32 bytes (the root is always
// hashed); an extension's child must be a branch (two paths would have been merged).
enum class Parent : uint8_t { kRoot, kBranch, kExtension };

bool same(Nibbles a, Nibbles b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

std::string nibble_path(Nibbles path) {
    if (path.empty()) return "(root)";
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out = "0x";
    for (uint8_t n : path) out.push_back(kDigits[n & 0x0f]);
    return out;
}

Hash32 ref_hash(const Node& node) {
    Hash32 h;
    std::memcpy(h.data(), node.ref.data() + 1, 32);
    return h;
}

NodePtr make_hash_ref(BytesView hash) {
    auto node = std::make_unique<Node>(Node::Kind::kHashRef);
    node->ref[0] = 0xa0;
    std::memcpy(node->ref.data() + 1, hash.data(), 32);
    node->ref_size = kHashRefSize;
    node->dirty = false;
    return node;
}

NodePtr make_leaf(Nibbles path, BytesView value) {
    auto leaf = std::make_unique<Node>(Node::Kind::kLeaf);
    leaf->path.assign(path.begin(), path.end());
    leaf->value.assign(value.begin(), value.end());
    return leaf;
}

NodePtr wrap_in_extension(Nibbles prefix, NodePtr node) {
    if (prefix.empty()) return node;
    auto ext = std::make_unique<Node>(Node::Kind::kExtension);
    ext->path.assign(prefix.begin(), prefix.end());
    ext->child = std::move(node);
    return ext;
}

// --- Decoding untrusted nodes -----------------------------------------------------------

Result<NodePtr> decode_node(BytesView rlp_node);

// A child reference inside a node: empty (no child), a 32-byte hash, or an embedded node
// (a list shorter than 32 bytes).
Result<NodePtr> decode_ref(const rlp::Item& item) {
    if (!item.is_list) {
        if (item.payload.empty()) return NodePtr();
        if (item.payload.size() == 32) return make_hash_ref(item.payload);
        return fail("a child reference of " + std::to_string(item.payload.size()) +
                    " bytes (neither empty nor a 32-byte hash)");
    }
    if (item.encoded_size >= kEmbedLimit)
        return fail("an embedded node of " + std::to_string(item.encoded_size) +
                    " bytes (nodes of 32 bytes or more are referenced by hash)");
    const size_t header = item.encoded_size - item.payload.size();
    BytesView encoded(item.payload.data() - header, item.encoded_size);
    VIGIL_TRY(NodePtr node, decode_node(encoded));
    std::memcpy(node->ref.data(), encoded.data(), encoded.size());
    node->ref_size = static_cast<uint8_t>(encoded.size());
    node->dirty = false;
    return node;
}

// A leaf, extension or branch, strictly canonical: hex-prefix flags in range, no empty
// extension, no embedded extension child that is not a branch, no leaf without a value,
// no branch with fewer than two entries. The caller sets ref and dirty.
Result<NodePtr> decode_node(BytesView rlp_node) {
    VIGIL_TRY(rlp::Item item, rlp::decode_exact(rlp_node));
    if (!item.is_list) return fail("not an RLP list");
    rlp::ListReader reader(item);
    VIGIL_TRY(size_t count, reader.count());
    if (count == kShortItems) {
        VIGIL_TRY(BytesView encoded_path, reader.next_bytes());
        if (encoded_path.empty()) return fail("an empty hex-prefix path");
        const uint8_t flag = encoded_path[0] >> 4;
        if (flag > 3) return fail("hex-prefix flag " + std::to_string(flag));
        const bool leaf = flag >= 2, odd = flag % 2 == 1;
        if (!odd && (encoded_path[0] & 0x0f) != 0)
            return fail("an even hex-prefix path with a non-zero padding nibble");
        auto node = std::make_unique<Node>(leaf ? Node::Kind::kLeaf : Node::Kind::kExtension);
        if (odd) node->path.push_back(encoded_path[0] & 0x0f);
        for (size_t i = 1; i < encoded_path.size(); ++i) {
            node->path.push_back(encoded_path[i] >> 4);
            node->path.push_back(encoded_path[i] & 0x0f);
        }
        if (leaf) {
            VIGIL_TRY(BytesView value, reader.next_bytes());
            if (value.empty()) return fail("a leaf without a value");
            node->value.assign(value.begin(), value.end());
            return node;
        }
        if (node->path.empty()) return fail("an extension with an empty path");
        VIGIL_TRY(rlp::Item child_item, reader.next());
        VIGIL_TRY(NodePtr child, decode_ref(child_item));
        if (!child) return fail("an extension without a child");
        if (child->kind != Node::Kind::kBranch && child->kind != Node::Kind::kHashRef)
            return fail("an extension whose child is not a branch");
        node->child = std::move(child);
        return node;
    }
    if (count != kBranchItems)
        return fail("a list of " + std::to_string(count) + " items (a node has 2 or 17)");
    auto node = std::make_unique<Node>(Node::Kind::kBranch);
    int entries = 0;
    for (auto& slot : node->children) {
        VIGIL_TRY(rlp::Item child_item, reader.next());
        VIGIL_TRY(slot, decode_ref(child_item));
        if (slot) ++entries;
    }
    VIGIL_TRY(BytesView value, reader.next_bytes());
    node->value.assign(value.begin(), value.end());
    if (!value.empty()) ++entries;
    if (entries < 2) return fail("a branch with fewer than two entries");
    return node;
}

// --- Encoding (as trie.cpp) -------------------------------------------------------------

void append_ref(Bytes& out, const Node& node) {
    out.insert(out.end(), node.ref.begin(), node.ref.begin() + node.ref_size);
}

// The node's RLP. Requires every child's ref to be current; never called on a kHashRef.
Bytes encode_node(const Node& node) {
    Bytes payload;
    switch (node.kind) {
        case Node::Kind::kHashRef:
            break;
        case Node::Kind::kLeaf:
            append_hex_prefix(payload, node.path, true);
            rlp::encode_bytes(payload, node.value);
            break;
        case Node::Kind::kExtension:
            append_hex_prefix(payload, node.path, false);
            append_ref(payload, *node.child);
            break;
        case Node::Kind::kBranch:
            for (const NodePtr& child : node.children) {
                if (child)
                    append_ref(payload, *child);
                else
                    payload.push_back(0x80);  // empty string: no child
            }
            rlp::encode_bytes(payload, node.value);
            break;
    }
    return rlp::wrap_list(payload);
}

void update_ref(Node& node) {
    if (!node.dirty) return;
    if (node.kind == Node::Kind::kExtension) update_ref(*node.child);
    if (node.kind == Node::Kind::kBranch)
        for (const NodePtr& child : node.children)
            if (child) update_ref(*child);
    const Bytes encoded = encode_node(node);
    if (encoded.size() < kEmbedLimit) {
        std::memcpy(node.ref.data(), encoded.data(), encoded.size());
        node.ref_size = static_cast<uint8_t>(encoded.size());
    } else {
        node.ref[0] = 0xa0;  // RLP string header of 32 bytes
        const Hash32 h = keccak256(encoded);
        std::memcpy(node.ref.data() + 1, h.data(), 32);
        node.ref_size = kHashRefSize;
    }
    node.dirty = false;
}

// --- Walking and updating ---------------------------------------------------------------

// What one operation walks with: the node set and the full key (for error paths).
struct Walk {
    const TrieNodeSet& nodes;
    Nibbles full_key;

    Nibbles consumed(Nibbles rest) const { return full_key.first(full_key.size() - rest.size()); }

    // Replaces a hash reference in `slot` by the node it names. `at` is the nibble path of
    // the slot; `why` completes a missing-node message.
    Status resolve(NodePtr& slot, Nibbles at, Parent parent, const char* why = "") const {
        if (!slot || slot->kind != Node::Kind::kHashRef) return {};
        const Hash32 hash = ref_hash(*slot);
        const Bytes* encoded = nodes.find(hash);
        if (!encoded)
            return fail("missing trie node " + hash.to_hex() + " under path " + nibble_path(at) +
                        why);
        auto bad = [&](const std::string& what) {
            return fail("malformed trie node " + hash.to_hex() + " under path " + nibble_path(at) +
                        ": " + what);
        };
        if (parent != Parent::kRoot && encoded->size() < kEmbedLimit)
            return bad("a node of " + std::to_string(encoded->size()) +
                       " bytes referenced by hash (it must be embedded)");
        auto decoded = decode_node(*encoded);
        if (!decoded) return bad(decoded.error().message);
        NodePtr node = std::move(decoded).value();
        if (parent == Parent::kExtension && node->kind != Node::Kind::kBranch)
            return bad("an extension's child that is not a branch");
        node->ref = slot->ref;
        node->ref_size = kHashRefSize;
        node->dirty = false;
        slot = std::move(node);
        return {};
    }
};

Status insert(const Walk& walk, NodePtr& slot, Nibbles key, BytesView value, Parent parent) {
    if (!slot) {
        slot = make_leaf(key, value);
        return {};
    }
    VIGIL_CHECK(walk.resolve(slot, walk.consumed(key), parent));
    Node& node = *slot;
    switch (node.kind) {
        case Node::Kind::kHashRef:
            break;  // resolved above
        case Node::Kind::kBranch:
            if (key.empty())
                node.value.assign(value.begin(), value.end());
            else
                VIGIL_CHECK(
                    insert(walk, node.children[key[0]], key.subspan(1), value, Parent::kBranch));
            node.dirty = true;
            return {};
        case Node::Kind::kExtension: {
            const size_t c = common_prefix(node.path, key);
            if (c == node.path.size()) {
                VIGIL_CHECK(insert(walk, node.child, key.subspan(c), value, Parent::kExtension));
                node.dirty = true;
                return {};
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
            slot = wrap_in_extension(key.first(c), std::move(branch));
            return {};
        }
        case Node::Kind::kLeaf: {
            const size_t c = common_prefix(node.path, key);
            if (c == node.path.size() && c == key.size()) {
                node.value.assign(value.begin(), value.end());
                node.dirty = true;
                return {};
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
            slot = wrap_in_extension(key.first(c), std::move(branch));
            return {};
        }
    }
    return {};
}

// Restores the canonical shape of a branch at `at` that lost an entry. Merging its only
// remaining child needs that child's node: stateless clients fail here when the witness
// lacks it, and so does this.
Status collapse_branch(const Walk& walk, NodePtr& slot, Nibbles at) {
    Node& branch = *slot;
    int only = -1, count = branch.value.empty() ? 0 : 1;
    for (int i = 0; i < 16; ++i)
        if (branch.children[i]) {
            ++count;
            only = i;
        }
    if (count >= 2) return {};
    if (count == 0) {
        slot.reset();
        return {};
    }
    if (only < 0) {  // only the value is left
        auto leaf = std::make_unique<Node>(Node::Kind::kLeaf);
        leaf->value = std::move(branch.value);
        slot = std::move(leaf);
        return {};
    }
    std::vector<uint8_t> child_at(at.begin(), at.end());
    child_at.push_back(static_cast<uint8_t>(only));
    VIGIL_CHECK(walk.resolve(branch.children[only], child_at, Parent::kBranch,
                             " (the sibling a deletion merges into its parent)"));
    NodePtr child = std::move(branch.children[only]);
    if (child->kind == Node::Kind::kBranch) {
        const uint8_t index = static_cast<uint8_t>(only);
        slot = wrap_in_extension(Nibbles(&index, 1), std::move(child));
        return {};
    }
    child->path.insert(child->path.begin(), static_cast<uint8_t>(only));
    child->dirty = true;
    slot = std::move(child);
    return {};
}

// Removes `key`; false when the known nodes prove it absent.
Result<bool> remove(const Walk& walk, NodePtr& slot, Nibbles key, Parent parent) {
    if (!slot) return false;
    const Nibbles at = walk.consumed(key);
    VIGIL_CHECK(walk.resolve(slot, at, parent));
    Node& node = *slot;
    switch (node.kind) {
        case Node::Kind::kHashRef:
            break;  // resolved above
        case Node::Kind::kLeaf:
            if (!same(node.path, key)) return false;
            slot.reset();
            return true;
        case Node::Kind::kExtension: {
            if (key.size() < node.path.size() || !same(node.path, key.first(node.path.size())))
                return false;
            VIGIL_TRY(bool removed,
                      remove(walk, node.child, key.subspan(node.path.size()), Parent::kExtension));
            if (!removed) return false;
            node.dirty = true;
            NodePtr& child = node.child;
            if (!child) {  // only for a non-canonical trie; stay consistent anyway
                slot.reset();
            } else if (child->kind == Node::Kind::kLeaf || child->kind == Node::Kind::kExtension) {
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
            } else {
                VIGIL_TRY(bool removed,
                          remove(walk, node.children[key[0]], key.subspan(1), Parent::kBranch));
                if (!removed) return false;
            }
            node.dirty = true;
            VIGIL_CHECK(collapse_branch(walk, slot, at));
            return true;
        }
    }
    return false;
}

}  // namespace

void TrieNodeSet::add(BytesView rlp) { nodes_.try_emplace(keccak256(rlp), rlp.begin(), rlp.end()); }

const Bytes* TrieNodeSet::find(const Hash32& hash) const {
    auto it = nodes_.find(hash);
    return it == nodes_.end() ? nullptr : &it->second;
}

PartialTrie::PartialTrie(const TrieNodeSet& nodes, const Hash32& root, bool secure)
    : nodes_(&nodes), secure_(secure) {
    if (root != kEmptyTrieRoot) root_ = make_hash_ref(root.view());
}
PartialTrie::~PartialTrie() = default;
PartialTrie::PartialTrie(PartialTrie&&) noexcept = default;
PartialTrie& PartialTrie::operator=(PartialTrie&&) noexcept = default;

Bytes PartialTrie::path_key(BytesView key) const {
    if (!secure_) return Bytes(key.begin(), key.end());
    const Hash32 h = keccak256(key);
    return Bytes(h.bytes.begin(), h.bytes.end());
}

Result<std::optional<Bytes>> PartialTrie::get(BytesView key) {
    if (poisoned_) return *poisoned_;
    if (key.size() > kMaxKeySize) return std::optional<Bytes>();
    const auto nibbles = to_nibbles(path_key(key));
    const Walk walk{*nodes_, nibbles};
    Nibbles rest(nibbles);
    NodePtr* slot = &root_;
    Parent parent = Parent::kRoot;
    while (*slot) {
        VIGIL_CHECK(walk.resolve(*slot, walk.consumed(rest), parent));
        const Node& node = **slot;
        switch (node.kind) {
            case Node::Kind::kHashRef:
                return fail("trie: unresolved node");  // resolve() never leaves one
            case Node::Kind::kLeaf:
                if (!same(node.path, rest)) return std::optional<Bytes>();
                return std::optional<Bytes>(node.value);
            case Node::Kind::kExtension:
                if (rest.size() < node.path.size() ||
                    !same(node.path, rest.first(node.path.size())))
                    return std::optional<Bytes>();
                rest = rest.subspan(node.path.size());
                slot = &(*slot)->child;
                parent = Parent::kExtension;
                break;
            case Node::Kind::kBranch:
                if (rest.empty()) {
                    if (node.value.empty()) return std::optional<Bytes>();
                    return std::optional<Bytes>(node.value);
                }
                slot = &(*slot)->children[rest[0]];
                rest = rest.subspan(1);
                parent = Parent::kBranch;
                break;
        }
    }
    return std::optional<Bytes>();
}

Status PartialTrie::update(BytesView key, BytesView value) {
    if (poisoned_) return *poisoned_;
    if (key.size() > kMaxKeySize)
        return fail("trie: key of " + std::to_string(key.size()) + " bytes exceeds the " +
                    std::to_string(kMaxKeySize) + "-byte limit");
    const auto nibbles = to_nibbles(path_key(key));
    const Walk walk{*nodes_, nibbles};
    Status status;
    if (value.empty()) {
        auto removed = remove(walk, root_, nibbles, Parent::kRoot);
        if (!removed) status = removed.error();
    } else {
        status = insert(walk, root_, nibbles, value, Parent::kRoot);
    }
    if (!status) poisoned_ = status.error();
    return status;
}

Status PartialTrie::put(BytesView key, BytesView value) { return update(key, value); }

Status PartialTrie::erase(BytesView key) { return update(key, {}); }

Result<Hash32> PartialTrie::root_hash() {
    if (poisoned_) return fail("trie: no root after a failed update (" + poisoned_->message + ")");
    if (!root_) return kEmptyTrieRoot;
    update_ref(*root_);
    if (root_->ref_size == kHashRefSize) return ref_hash(*root_);
    // A root shorter than 32 bytes is still hashed.
    return keccak256(BytesView(root_->ref.data(), root_->ref_size));
}

}  // namespace vigil::eth
