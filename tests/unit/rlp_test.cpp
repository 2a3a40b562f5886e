// RLP (yellow paper, appendix B): the ethereum/tests RLPTests and ethers.js vectors (INDEX.md
// section 1), worked examples from the Ethereum wiki's RLP page, and the strict decoder's
// rejection of every non-canonical form.
#include "chains/eth/rlp.h"

#include <gtest/gtest.h>

#include "tests/unit/vectors.h"

namespace vigil::eth::rlp {
namespace {

using nlohmann::json;

Bytes hex(std::string_view text) {
    auto b = from_hex(text);
    EXPECT_TRUE(b.ok()) << text;
    return b.ok() ? *b : Bytes{};
}

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

Node leaf(Bytes b) { return Node{false, std::move(b), {}}; }
Node list(std::vector<Node> items) { return Node{true, {}, std::move(items)}; }

bool same_tree(const Node& a, const Node& b) {
    if (a.is_list != b.is_list) return false;
    if (!a.is_list) return a.bytes == b.bytes;
    if (a.items.size() != b.items.size()) return false;
    for (size_t i = 0; i < a.items.size(); ++i)
        if (!same_tree(a.items[i], b.items[i])) return false;
    return true;
}

// rlptest.json `in`: string = its UTF-8 bytes, "#digits" = big integer, number = integer,
// array = list (rlp/SOURCE.md).
Node rlptest_value(const json& in) {
    if (in.is_array()) {
        std::vector<Node> items;
        for (const json& x : in) items.push_back(rlptest_value(x));
        return list(std::move(items));
    }
    if (in.is_number_unsigned()) return leaf(U256(in.get<uint64_t>()).to_be_bytes_trimmed());
    const std::string s = in.get<std::string>();
    if (!s.empty() && s[0] == '#') {
        auto v = U256::from_string(s.substr(1));
        EXPECT_TRUE(v.ok()) << s;
        return leaf(v.ok() ? v->to_be_bytes_trimmed() : Bytes{});
    }
    return leaf(text(s));
}

// ethers rlp.json `decoded`: nested arrays whose leaves are 0x-hex byte strings.
Node ethers_value(const json& in) {
    if (in.is_array()) {
        std::vector<Node> items;
        for (const json& x : in) items.push_back(ethers_value(x));
        return list(std::move(items));
    }
    return leaf(hex(in.get<std::string>()));
}

TEST(RlpVectors, RlpTest) {
    VIGIL_VECTOR_JSON(file, "rlp/ethereum-tests/rlptest.json");
    int cases = 0;
    for (const auto& [name, c] : file.items()) {
        SCOPED_TRACE(name);
        const Node value = rlptest_value(c.at("in"));
        const Bytes expected = hex(c.at("out").get<std::string>());
        EXPECT_EQ(to_hex(encode_tree(value)), to_hex(expected));
        auto decoded = decode_tree(expected);
        ASSERT_TRUE(decoded.ok()) << decoded.error().message;
        EXPECT_TRUE(same_tree(*decoded, value));
        // Integers also decode as canonical integers with the same value.
        if (c.at("in").is_number_unsigned()) {
            auto item = decode_exact(expected);
            ASSERT_TRUE(item.ok());
            auto n = to_uint64(*item);
            ASSERT_TRUE(n.ok()) << n.error().message;
            EXPECT_EQ(*n, c.at("in").get<uint64_t>());
            EXPECT_EQ(encoded_uint(*n), expected);
        }
        ++cases;
    }
    EXPECT_EQ(cases, 21);
}

TEST(RlpVectors, InvalidRlpTest) {
    VIGIL_VECTOR_JSON(file, "rlp/ethereum-tests/invalidRLPTest.json");
    int cases = 0;
    for (const auto& [name, c] : file.items()) {
        SCOPED_TRACE(name);
        ASSERT_EQ(c.at("in"), "INVALID");
        // `out` is hex, sometimes without 0x and in upper case (rlp/SOURCE.md).
        const Bytes bad = hex(c.at("out").get<std::string>());
        auto decoded = decode_tree(bad);
        EXPECT_FALSE(decoded.ok()) << "accepted " << c.at("out");
        if (!decoded.ok()) {
            EXPECT_EQ(decoded.error().message.rfind("rlp: ", 0), 0u);
        }
        ++cases;
    }
    EXPECT_EQ(cases, 21);
}

TEST(RlpVectors, RandomRlpExample) {
    VIGIL_VECTOR_JSON(file, "rlp/ethereum-tests/RandomRLPTests/example.json");
    int cases = 0;
    for (const auto& [name, c] : file.items()) {
        SCOPED_TRACE(name);
        ASSERT_EQ(c.at("in"), "VALID");
        const Bytes blob = hex(c.at("out").get<std::string>());
        auto decoded = decode_tree(blob);
        ASSERT_TRUE(decoded.ok()) << decoded.error().message;
        EXPECT_EQ(encode_tree(*decoded), blob);
        ++cases;
    }
    EXPECT_EQ(cases, 1);
}

TEST(RlpVectors, Ethers) {
    VIGIL_VECTOR_JSON(file, "rlp/ethers/rlp.json");
    int cases = 0;
    for (const json& c : file) {
        SCOPED_TRACE(c.at("name").get<std::string>());
        const Node value = ethers_value(c.at("decoded"));
        const Bytes expected = hex(c.at("encoded").get<std::string>());
        EXPECT_EQ(to_hex(encode_tree(value)), to_hex(expected));
        auto decoded = decode_tree(expected);
        ASSERT_TRUE(decoded.ok()) << decoded.error().message;
        EXPECT_TRUE(same_tree(*decoded, value));
        ++cases;
    }
    EXPECT_EQ(cases, 43);
}

// Worked examples of the Ethereum wiki's RLP page (ethereum.org, "Recursive-length prefix").
TEST(Rlp, WikiExamples) {
    EXPECT_EQ(encoded_bytes(text("dog")), hex("0x83646f67"));
    EXPECT_EQ(encode_tree(list({leaf(text("cat")), leaf(text("dog"))})),
              hex("0xc88363617483646f67"));
    EXPECT_EQ(encoded_bytes({}), hex("0x80"));
    EXPECT_EQ(encode_tree(list({})), hex("0xc0"));
    EXPECT_EQ(encoded_uint(uint64_t{0}), hex("0x80"));
    EXPECT_EQ(encoded_bytes(Bytes{0x00}), hex("0x00"));
    EXPECT_EQ(encoded_bytes(Bytes{0x0f}), hex("0x0f"));
    EXPECT_EQ(encoded_bytes(Bytes{0x04, 0x00}), hex("0x820400"));
    EXPECT_EQ(encoded_uint(uint64_t{15}), hex("0x0f"));
    EXPECT_EQ(encoded_uint(uint64_t{1024}), hex("0x820400"));
    // The set-theoretic representation of three: [ [], [[]], [ [], [[]] ] ].
    EXPECT_EQ(encode_tree(list({list({}), list({list({})}), list({list({}), list({list({})})})})),
              hex("0xc7c0c1c0c3c0c1c0"));
    const Bytes lorem = text("Lorem ipsum dolor sit amet, consectetur adipisicing elit");
    Bytes expected = hex("0xb838");
    append(expected, lorem);
    EXPECT_EQ(encoded_bytes(lorem), expected);
}

TEST(Rlp, U256EncodingMatchesUint64) {
    for (uint64_t v :
         {uint64_t{0}, uint64_t{1}, uint64_t{0x7f}, uint64_t{0x80}, uint64_t{0x1234}, ~uint64_t{0}})
        EXPECT_EQ(encoded_uint(U256(v)), encoded_uint(v)) << v;
    // 2^255: 32 bytes, 0xa0 header.
    Bytes expected = hex("0xa080");
    expected.resize(33, 0);
    EXPECT_EQ(encoded_uint(U256(0, 0, 0, uint64_t{1} << 63)), expected);
}

TEST(Rlp, LongListHeader) {
    // A list whose payload is 56 bytes takes the long form 0xf8 0x38 (appendix B).
    std::vector<Bytes> items(56, Bytes{0x01});
    Bytes out;
    encode_list(out, items);
    ASSERT_EQ(out.size(), 58u);
    EXPECT_EQ(out[0], 0xf8);
    EXPECT_EQ(out[1], 0x38);
    Bytes short_out;
    encode_list(short_out, std::vector<Bytes>(55, Bytes{0x01}));
    EXPECT_EQ(short_out[0], 0xf7);
}

TEST(Rlp, RejectsNonCanonicalForms) {
    for (const char* bad : {
             "0x8100",  // single byte below 0x80 wrapped in a header
             "0xb800",  // long form for a length of 0
             "0xb837"
             "00",            // long form for 55
             "0xb90038",      // length with a leading zero byte
             "0xf90038",      // list length with a leading zero byte
             "0x83646f",      // string overruns the input
             "0xc283616263",  // child overruns its list
             "0xc3836162",    // child overruns its list (list itself fits)
             "0x80"
             "00",                    // trailing byte
             "0xbf",                  // length of length overruns input
             "0xbfffffffffffffffff",  // 2^64-1 length
         }) {
        EXPECT_FALSE(decode_tree(hex(bad)).ok()) << bad;
    }
}

TEST(Rlp, ErrorsNameTheOffset) {
    // [[<string of 255 bytes>]]: the inner string's length overruns its list at offset 2.
    auto r = decode_tree(hex("0xc3c2b8ff"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("at offset 2"), std::string::npos) << r.error().message;
}

TEST(Rlp, TypedReadsAreStrict) {
    // [0x0400, 0x00, "dog", [], 9 bytes of 0xff]
    Bytes payload;
    encode_bytes(payload, Bytes{0x04, 0x00});
    encode_bytes(payload, Bytes{0x00});
    encode_bytes(payload, text("dog"));
    encode_list_header(payload, 0);
    encode_bytes(payload, Bytes(9, 0xff));
    const Bytes encoded = wrap_list(payload);
    auto item = decode_exact(encoded);
    ASSERT_TRUE(item.ok());
    ListReader reader(*item);
    auto count = reader.count();
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(*count, 5u);

    auto a = reader.next_uint64();
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(*a, 1024u);
    EXPECT_FALSE(reader.next_uint64().ok());    // 0x00 is not a canonical integer (0 is 0x80)
    EXPECT_FALSE(reader.next_fixed<4>().ok());  // "dog" has 3 bytes
    EXPECT_FALSE(reader.next_bytes().ok());     // a list where a string is expected
    EXPECT_FALSE(reader.next_uint64().ok());    // 9 bytes do not fit 64 bits
    EXPECT_TRUE(reader.done());
    EXPECT_FALSE(reader.next().ok());  // exhausted

    // Leading zero in an integer: 0x820001.
    const Bytes leading_zero = hex("0x820001");  // items are views: keep the bytes alive
    auto lz = decode_exact(leading_zero);
    ASSERT_TRUE(lz.ok());
    EXPECT_FALSE(to_uint64(*lz).ok());
    EXPECT_FALSE(to_u256(*lz).ok());
    // 33 bytes do not fit 256 bits.
    const Bytes too_big = encoded_bytes(Bytes(33, 0x01));
    auto big = decode_exact(too_big);
    ASSERT_TRUE(big.ok());
    EXPECT_FALSE(to_u256(*big).ok());
}

TEST(Rlp, NestingDepthIsBounded) {
    auto nested = [](size_t depth) {
        Bytes out = hex("0xc0");
        for (size_t i = 1; i < depth; ++i) out = wrap_list(out);
        return out;
    };
    EXPECT_TRUE(decode_tree(nested(1024)).ok());
    EXPECT_FALSE(decode_tree(nested(1025)).ok());
    EXPECT_TRUE(decode_tree(nested(10), 10).ok());
    EXPECT_FALSE(decode_tree(nested(11), 10).ok());
}

}  // namespace
}  // namespace vigil::eth::rlp
