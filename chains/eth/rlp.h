// RLP (Recursive Length Prefix), Ethereum's serialisation: yellow paper, appendix B.
//
// Encoding appends to a caller's buffer. Decoding is strict: every non-canonical form
// (a single byte below 0x80 wrapped in a string header, a long form for a short length,
// a length with leading zeros, a payload that overruns its parent) is an error that
// names the offset. Decoded items are views into the caller's input, which must outlive
// them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "chains/eth/bytes.h"
#include "chains/eth/u256.h"

namespace vigil::eth::rlp {

// --- Encoding -------------------------------------------------------------------------

// Appends `data` as an RLP string.
void encode_bytes(Bytes& out, BytesView data);
// Appends an integer as the RLP string of its minimal big-endian bytes (0 -> 0x80).
void encode_uint(Bytes& out, uint64_t value);
void encode_uint(Bytes& out, const U256& value);
// Appends the header of a list whose encoded items take `payload_size` bytes.
void encode_list_header(Bytes& out, size_t payload_size);
// Appends a list made of already-encoded items.
void encode_list(Bytes& out, const std::vector<Bytes>& encoded_items);
// Wraps an encoded payload (items concatenated) into a list.
Bytes wrap_list(BytesView payload);

// Convenience: one encoded string / integer.
Bytes encoded_bytes(BytesView data);
Bytes encoded_uint(uint64_t value);
Bytes encoded_uint(const U256& value);

// --- Decoding -------------------------------------------------------------------------

struct Item {
    bool is_list = false;
    BytesView payload;        // string bytes, or the encoded items of a list
    size_t encoded_size = 0;  // header + payload
};

// Decodes the item at the start of `input`; trailing bytes are allowed and left alone.
// `base_offset` is added to offsets in error messages (the item's place in a larger input).
Result<Item> decode_prefix(BytesView input, size_t base_offset = 0);
// Decodes `input` as exactly one item: trailing bytes are an error.
Result<Item> decode_exact(BytesView input);

// Iterates the items of a list payload in order.
class ListReader {
  public:
    explicit ListReader(const Item& list, size_t base_offset = 0)
        : rest_(list.payload), offset_(base_offset) {}
    explicit ListReader(BytesView payload, size_t base_offset = 0)
        : rest_(payload), offset_(base_offset) {}

    bool done() const { return rest_.empty(); }
    // The next item; an error when the list is exhausted or the item is malformed.
    Result<Item> next();
    // Typed reads of the next item. Integers must be canonical (no leading zero bytes)
    // and fit; a list where a string is expected is an error.
    Result<BytesView> next_bytes();
    Result<uint64_t> next_uint64();
    Result<U256> next_u256();
    // A string of exactly N bytes.
    template <size_t N>
    Result<FixedBytes<N>> next_fixed() {
        VIGIL_TRY(BytesView b, next_bytes());
        if (b.size() != N)
            return fail("rlp: expected " + std::to_string(N) + "-byte string at offset " +
                        std::to_string(last_offset_) + ", got " + std::to_string(b.size()));
        return *FixedBytes<N>::from_view(b);
    }
    Result<Item> next_list();
    size_t offset() const { return offset_; }
    // Number of items left; an error if the payload is malformed.
    Result<size_t> count() const;

  private:
    BytesView rest_;
    size_t offset_;
    size_t last_offset_ = 0;
};

// Interprets a string item as a canonical unsigned integer.
Result<uint64_t> to_uint64(const Item& item);
Result<U256> to_u256(const Item& item);

// A fully decoded RLP tree (for tools and tests; the hot paths use ListReader).
struct Node {
    bool is_list = false;
    Bytes bytes;              // when !is_list
    std::vector<Node> items;  // when is_list
};
// Decodes `input` as exactly one item, recursively. Nesting deeper than `max_depth` is
// an error (bounded recursion on untrusted input).
Result<Node> decode_tree(BytesView input, size_t max_depth = 1024);
Bytes encode_tree(const Node& node);

}  // namespace vigil::eth::rlp
