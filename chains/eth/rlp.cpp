#include "chains/eth/rlp.h"

namespace vigil::eth::rlp {
namespace {

// Prefix bytes: yellow paper, appendix B.
constexpr uint8_t kShortString = 0x80;  // string of 0..55 bytes: 0x80 + len
constexpr uint8_t kLongString = 0xb7;   // longer string: 0xb7 + len(len), then len
constexpr uint8_t kShortList = 0xc0;    // list payload of 0..55 bytes: 0xc0 + len
constexpr uint8_t kLongList = 0xf7;     // longer list: 0xf7 + len(len), then len
constexpr size_t kShortLimit = 55;

void encode_length(Bytes& out, size_t length, uint8_t short_base, uint8_t long_base) {
    if (length <= kShortLimit) {
        out.push_back(static_cast<uint8_t>(short_base + length));
        return;
    }
    uint8_t be[8];
    int n = 0;
    for (size_t v = length; v; v >>= 8) be[n++] = static_cast<uint8_t>(v);
    out.push_back(static_cast<uint8_t>(long_base + n));
    while (n) out.push_back(be[--n]);
}

std::string at(size_t offset) { return " at offset " + std::to_string(offset); }

}  // namespace

void encode_bytes(Bytes& out, BytesView data) {
    if (data.size() == 1 && data[0] < kShortString) {
        out.push_back(data[0]);
        return;
    }
    encode_length(out, data.size(), kShortString, kLongString);
    append(out, data);
}

void encode_uint(Bytes& out, uint64_t value) {
    if (value == 0) {
        out.push_back(kShortString);
        return;
    }
    uint8_t be[8];
    int n = 0;
    for (uint64_t v = value; v; v >>= 8) be[7 - n++] = static_cast<uint8_t>(v);
    encode_bytes(out, BytesView(be + 8 - n, static_cast<size_t>(n)));
}

void encode_uint(Bytes& out, const U256& value) {
    if (value.fits_u64()) return encode_uint(out, value.low64());
    encode_bytes(out, value.to_be_bytes_trimmed());
}

void encode_list_header(Bytes& out, size_t payload_size) {
    encode_length(out, payload_size, kShortList, kLongList);
}

void encode_list(Bytes& out, const std::vector<Bytes>& encoded_items) {
    size_t payload = 0;
    for (const Bytes& item : encoded_items) payload += item.size();
    encode_list_header(out, payload);
    for (const Bytes& item : encoded_items) append(out, item);
}

Bytes wrap_list(BytesView payload) {
    Bytes out;
    out.reserve(payload.size() + 9);
    encode_list_header(out, payload.size());
    append(out, payload);
    return out;
}

Bytes encoded_bytes(BytesView data) {
    Bytes out;
    encode_bytes(out, data);
    return out;
}
Bytes encoded_uint(uint64_t value) {
    Bytes out;
    encode_uint(out, value);
    return out;
}
Bytes encoded_uint(const U256& value) {
    Bytes out;
    encode_uint(out, value);
    return out;
}

Result<Item> decode_prefix(BytesView input, size_t base) {
    if (input.empty()) return fail("rlp: unexpected end of input" + at(base));
    const uint8_t prefix = input[0];
    Item item;
    if (prefix < kShortString) {
        item.payload = input.first(1);
        item.encoded_size = 1;
        return item;
    }
    size_t header = 1, length = 0;
    if (prefix <= kLongString || (prefix >= kShortList && prefix <= kLongList)) {
        length = prefix - (prefix <= kLongString ? kShortString : kShortList);
    } else {
        const size_t len_of_len = prefix - (prefix < kShortList ? kLongString : kLongList);
        if (input.size() < 1 + len_of_len)
            return fail("rlp: length of length overruns input" + at(base));
        if (input[1] == 0) return fail("rlp: length with leading zero byte" + at(base));
        if (len_of_len > sizeof(size_t)) return fail("rlp: length too large" + at(base));
        for (size_t i = 0; i < len_of_len; ++i) length = length << 8 | input[1 + i];
        if (length <= kShortLimit)
            return fail("rlp: long form used for a length of " + std::to_string(length) + at(base));
        header += len_of_len;
    }
    item.is_list = prefix >= kShortList;
    if (length > input.size() - header)
        return fail("rlp: payload of " + std::to_string(length) + " bytes overruns input by " +
                    std::to_string(length - (input.size() - header)) + " bytes" + at(base));
    item.payload = input.subspan(header, length);
    item.encoded_size = header + length;
    if (!item.is_list && length == 1 && item.payload[0] < kShortString)
        return fail("rlp: single byte below 0x80 must encode as itself" + at(base));
    return item;
}

Result<Item> decode_exact(BytesView input) {
    VIGIL_TRY(Item item, decode_prefix(input));
    if (item.encoded_size != input.size())
        return fail("rlp: " + std::to_string(input.size() - item.encoded_size) +
                    " trailing bytes after the item" + at(item.encoded_size));
    return item;
}

Result<Item> ListReader::next() {
    if (rest_.empty()) return fail("rlp: list has too few items" + at(offset_));
    VIGIL_TRY(Item item, decode_prefix(rest_, offset_));
    last_offset_ = offset_;
    rest_ = rest_.subspan(item.encoded_size);
    offset_ += item.encoded_size;
    return item;
}

Result<BytesView> ListReader::next_bytes() {
    VIGIL_TRY(Item item, next());
    if (item.is_list) return fail("rlp: expected a string, found a list" + at(last_offset_));
    return item.payload;
}

Result<Item> ListReader::next_list() {
    VIGIL_TRY(Item item, next());
    if (!item.is_list) return fail("rlp: expected a list, found a string" + at(last_offset_));
    return item;
}

Result<uint64_t> ListReader::next_uint64() {
    VIGIL_TRY(Item item, next());
    auto v = to_uint64(item);
    if (!v) return fail(v.error().message + at(last_offset_));
    return v;
}

Result<U256> ListReader::next_u256() {
    VIGIL_TRY(Item item, next());
    auto v = to_u256(item);
    if (!v) return fail(v.error().message + at(last_offset_));
    return v;
}

Result<size_t> ListReader::count() const {
    ListReader copy = *this;
    size_t n = 0;
    while (!copy.done()) {
        VIGIL_CHECK(copy.next());
        ++n;
    }
    return n;
}

Result<uint64_t> to_uint64(const Item& item) {
    if (item.is_list) return fail("rlp: expected an integer, found a list");
    if (item.payload.size() > 8) return fail("rlp: integer exceeds 64 bits");
    if (!item.payload.empty() && item.payload[0] == 0)
        return fail("rlp: integer with leading zero");
    uint64_t v = 0;
    for (uint8_t b : item.payload) v = v << 8 | b;
    return v;
}

Result<U256> to_u256(const Item& item) {
    if (item.is_list) return fail("rlp: expected an integer, found a list");
    if (item.payload.size() > 32) return fail("rlp: integer exceeds 256 bits");
    if (!item.payload.empty() && item.payload[0] == 0)
        return fail("rlp: integer with leading zero");
    return U256::from_be_bytes(item.payload);
}

namespace {

Result<Node> decode_node(const Item& item, size_t offset, size_t depth_left) {
    Node node;
    node.is_list = item.is_list;
    if (!item.is_list) {
        node.bytes.assign(item.payload.begin(), item.payload.end());
        return node;
    }
    if (depth_left == 0) return fail("rlp: nesting too deep" + at(offset));
    size_t header = item.encoded_size - item.payload.size();
    ListReader reader(item, offset + header);
    while (!reader.done()) {
        size_t child_offset = reader.offset();
        VIGIL_TRY(Item child, reader.next());
        VIGIL_TRY(Node decoded, decode_node(child, child_offset, depth_left - 1));
        node.items.push_back(std::move(decoded));
    }
    return node;
}

void encode_node(Bytes& out, const Node& node) {
    if (!node.is_list) return encode_bytes(out, node.bytes);
    Bytes payload;
    for (const Node& child : node.items) encode_node(payload, child);
    encode_list_header(out, payload.size());
    append(out, payload);
}

}  // namespace

Result<Node> decode_tree(BytesView input, size_t max_depth) {
    VIGIL_TRY(Item item, decode_exact(input));
    return decode_node(item, 0, max_depth);
}

Bytes encode_tree(const Node& node) {
    Bytes out;
    encode_node(out, node);
    return out;
}

}  // namespace vigil::eth::rlp
