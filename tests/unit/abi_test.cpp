// Solidity ABI codec: the public vectors of INDEX.md section 4, then the strict decoder's
// rejections on hand-built malformed inputs (expected outcomes follow from the ABI spec's
// rules, not from our own output).
#include "chains/eth/abi.h"

#include <gtest/gtest.h>

#include <string>

#include "chains/eth/abi_text.h"
#include "chains/eth/keccak.h"
#include "tests/unit/vectors.h"

namespace vigil::eth::abi {
namespace {

using nlohmann::json;

Bytes hex(std::string_view s) {
    auto b = from_hex(s);
    EXPECT_TRUE(b.ok()) << s;
    return b.ok() ? *b : Bytes{};
}

Type type_of(std::string_view text) {
    auto t = parse_type(text);
    EXPECT_TRUE(t.ok()) << text << ": " << (t.ok() ? "" : t.error().message);
    return t.ok() ? *t : Type{};
}

U256 u256_of(const std::string& s) {
    auto x = U256::from_string(s);
    EXPECT_TRUE(x.ok()) << s;
    return x.ok() ? *x : U256();
}

// An integer given as decimal text, possibly negative, as an ABI value of type t.
Value integer_value(const Type& t, const std::string& text) {
    if (!text.empty() && text[0] == '-') return Value::int_(-u256_of(text.substr(1)));
    return t.kind == Kind::Int ? Value::int_(u256_of(text)) : Value::uint(u256_of(text));
}

// ethers' "verbose" tagged value -> our value, guided by the type.
Result<Value> from_verbose(const Type& t, const json& v) {
    const std::string tag = v.at("type");
    const json& x = v.at("value");
    if (tag == "number") return integer_value(t, x.get<std::string>());
    if (tag == "boolean") return Value::boolean(x.get<bool>());
    if (tag == "string") return Value::string(x.get<std::string>());
    if (tag == "address") {
        VIGIL_TRY(Address a, Address::from_hex(x.get<std::string>()));
        return Value::address(a);
    }
    if (tag == "hexstring") {
        VIGIL_TRY(Bytes b, from_hex(x.get<std::string>()));
        return t.kind == Kind::FixedBytes ? Value::fixed_bytes(std::move(b))
                                          : Value::bytes(std::move(b));
    }
    if (tag == "array" || tag == "object") {
        std::vector<Value> items;
        for (size_t i = 0; i < x.size(); ++i) {
            const Type& ct = t.kind == Kind::Tuple ? t.children.at(i) : t.children.at(0);
            VIGIL_TRY(Value item, from_verbose(ct, x[i]));
            items.push_back(std::move(item));
        }
        return tag == "object" ? Value::tuple(std::move(items)) : Value::array(std::move(items));
    }
    return fail("unknown verbose tag " + tag);
}

// The vector's plain value written the way a user types it on the command line.
std::string cli_text(const Type& t, const json& v) {
    switch (t.kind) {
        case Kind::Bool:
            return v.get<bool>() ? "true" : "false";
        case Kind::String: {
            std::string out = "\"";
            for (char c : v.get<std::string>()) {
                if (c == '"' || c == '\\') out += '\\';
                out += c;
            }
            return out + "\"";
        }
        case Kind::FixedArray:
        case Kind::Array:
        case Kind::Tuple: {
            std::string out = t.kind == Kind::Tuple ? "(" : "[";
            for (size_t i = 0; i < v.size(); ++i) {
                if (i) out += ", ";
                out += cli_text(t.kind == Kind::Tuple ? t.children[i] : t.children[0], v[i]);
            }
            return out + (t.kind == Kind::Tuple ? ")" : "]");
        }
        default:
            return v.get<std::string>();
    }
}

// ---- Vectors (INDEX.md section 4) ----

TEST(AbiVectors, EthereumTestsBasic) {
    VIGIL_VECTOR_JSON(cases, "abi/ethereum-tests/basic_abi_tests.json");
    size_t count = 0;
    for (const auto& [name, c] : cases.items()) {
        std::vector<Type> types;
        std::vector<Value> args;
        for (size_t i = 0; i < c.at("types").size(); ++i) {
            Type t = type_of(c["types"][i].get<std::string>());
            const json& a = c["args"][i];
            // Per SOURCE.md: numbers are JSON integers, bytesN/bytes are ASCII strings.
            if (t.kind == Kind::Uint) {
                args.push_back(Value::uint(U256(a.get<uint64_t>())));
            } else if (t.kind == Kind::Array && t.children[0].kind == Kind::Uint) {
                std::vector<Value> items;
                for (const auto& e : a) items.push_back(Value::uint(U256(e.get<uint64_t>())));
                args.push_back(Value::array(std::move(items)));
            } else if (t.kind == Kind::FixedBytes || t.kind == Kind::Bytes) {
                std::string s = a.get<std::string>();
                Bytes b(s.begin(), s.end());
                args.push_back(t.kind == Kind::Bytes ? Value::bytes(b) : Value::fixed_bytes(b));
            } else {
                FAIL() << name << ": argument type " << t.canonical() << " not handled by test";
            }
            types.push_back(std::move(t));
        }
        Type list = Type::tuple(types);
        Value value = Value::tuple(args);
        auto enc = encode_params(list, value);
        ASSERT_TRUE(enc.ok()) << name << ": " << enc.error().message;
        EXPECT_EQ(to_hex_bare(*enc), c.at("result").get<std::string>()) << name;
        auto dec = decode_params(list, *enc);
        ASSERT_TRUE(dec.ok()) << name << ": " << dec.error().message;
        EXPECT_TRUE(*dec == value) << name;
        ++count;
    }
    EXPECT_EQ(count, 1u);
}

TEST(AbiVectors, Ethers) {
    VIGIL_VECTOR_JSON(cases, "abi/ethers/abi.json");
    size_t count = 0, encoded_ok = 0, decoded_ok = 0, json_ok = 0, text_ok = 0;
    for (const json& c : cases) {
        const std::string name =
            c.at("name").get<std::string>() + " " + c.at("type").get<std::string>();
        auto type = parse_type(c.at("type").get<std::string>());
        ++count;
        ASSERT_TRUE(type.ok()) << name << ": " << type.error().message;
        auto value = from_verbose(*type, c.at("verbose"));
        ASSERT_TRUE(value.ok()) << name << ": " << value.error().message;
        const Bytes expected = hex(c.at("encoded").get<std::string>());

        auto enc = encode(*type, *value);
        ASSERT_TRUE(enc.ok()) << name << ": " << enc.error().message;
        EXPECT_EQ(to_hex(*enc), to_hex(expected)) << name;
        encoded_ok += *enc == expected;

        auto dec = decode(*type, expected);
        ASSERT_TRUE(dec.ok()) << name << ": " << dec.error().message;
        EXPECT_TRUE(*dec == *value) << name;
        decoded_ok += *dec == *value;

        // The JSON printer writes ethers' own plain form (decimal strings, checksummed
        // addresses, lowercase hex, UTF-8 strings).
        json printed = json::parse(to_json(*dec));
        EXPECT_EQ(printed, c.at("value")) << name;
        json_ok += printed == c.at("value");

        // The command-line text parser reads the same value back.
        std::string text = cli_text(*type, c.at("value"));
        auto parsed = parse_value(*type, text);
        ASSERT_TRUE(parsed.ok()) << name << ": " << parsed.error().message << "\n" << text;
        EXPECT_TRUE(*parsed == *value) << name;
        text_ok += *parsed == *value;
    }
    EXPECT_EQ(count, 701u);
    EXPECT_EQ(encoded_ok, 701u);
    EXPECT_EQ(decoded_ok, 701u);
    EXPECT_EQ(json_ok, 701u);
    EXPECT_EQ(text_ok, 701u);
}

TEST(AbiVectors, OtterscanEventTopics) {
    VIGIL_VECTOR_JSON(cases, "abi/otterscan-topic0/event-topics.json");
    size_t count = 0, declarations = 0;
    for (const json& c : cases) {
        const std::string sig = c.at("signature");
        const std::string topic = c.at("topic0");
        auto parsed = parse_event_signature(sig);
        ASSERT_TRUE(parsed.ok()) << sig << ": " << parsed.error().message;
        EXPECT_EQ(parsed->canonical(), sig);
        EXPECT_EQ(event_topic(*parsed).to_hex(), topic) << sig;
        // Each human-readable declaration (names, `indexed`) canonicalises to the same event.
        const std::string all = c.at("withParameterNames");
        size_t start = 0;
        while (start <= all.size()) {
            size_t semi = all.find(';', start);
            if (semi == std::string::npos) semi = all.size();
            std::string decl = all.substr(start, semi - start);
            auto named = parse_event_signature(decl);
            ASSERT_TRUE(named.ok()) << decl << ": " << named.error().message;
            EXPECT_EQ(named->canonical(), sig) << decl;
            EXPECT_EQ(event_topic(*named).to_hex(), topic) << decl;
            ++declarations;
            start = semi + 1;
        }
        ++count;
    }
    EXPECT_EQ(count, 6286u);
    EXPECT_GE(declarations, count);
}

TEST(AbiVectors, SolidityDocsExamples) {
    VIGIL_VECTOR_JSON(cases, "abi/solidity-docs/abi-spec-examples.json");
    size_t count = 0;
    for (const json& c : cases) {
        const std::string sig_text = c.at("signature");
        auto sig = parse_signature(sig_text);
        ASSERT_TRUE(sig.ok()) << sig_text << ": " << sig.error().message;
        EXPECT_EQ(sig->canonical(), sig_text);
        EXPECT_EQ(selector(*sig).to_hex(), c.at("selector").get<std::string>()) << sig_text;
        ASSERT_EQ(sig->params.size(), c.at("args").size());
        // Arguments: JSON numbers, booleans, 0x hex for byte strings, arrays of those.
        std::function<Value(const Type&, const json&)> arg = [&](const Type& t,
                                                                 const json& a) -> Value {
            switch (t.kind) {
                case Kind::Uint:
                    return Value::uint(U256(a.get<uint64_t>()));
                case Kind::Bool:
                    return Value::boolean(a.get<bool>());
                case Kind::FixedBytes:
                    return Value::fixed_bytes(hex(a.get<std::string>()));
                case Kind::Bytes:
                    return Value::bytes(hex(a.get<std::string>()));
                case Kind::FixedArray:
                case Kind::Array: {
                    std::vector<Value> items;
                    for (const auto& e : a) items.push_back(arg(t.children[0], e));
                    return Value::array(std::move(items));
                }
                default:
                    ADD_FAILURE() << sig_text << ": type " << t.canonical() << " not handled";
                    return Value{};
            }
        };
        std::vector<Value> args;
        for (size_t i = 0; i < sig->params.size(); ++i)
            args.push_back(arg(sig->params[i].type, c["args"][i]));
        Value value = Value::tuple(std::move(args));
        auto calldata = encode_call(*sig, value);
        ASSERT_TRUE(calldata.ok()) << sig_text << ": " << calldata.error().message;
        EXPECT_EQ(to_hex(*calldata), c.at("calldata").get<std::string>()) << sig_text;
        auto decoded = decode_call(*sig, hex(c.at("calldata").get<std::string>()));
        ASSERT_TRUE(decoded.ok()) << sig_text << ": " << decoded.error().message;
        EXPECT_TRUE(*decoded == value) << sig_text;
        ++count;
    }
    EXPECT_EQ(count, 4u);
}

// ---- Types and signatures ----

TEST(AbiTypes, CanonicalForms) {
    EXPECT_EQ(type_of("uint").canonical(), "uint256");
    EXPECT_EQ(type_of("int").canonical(), "int256");
    EXPECT_EQ(type_of("uint8[2][]").canonical(), "uint8[2][]");
    EXPECT_EQ(type_of("tuple(uint, bytes)[3]").canonical(), "(uint256,bytes)[3]");
    EXPECT_EQ(type_of(" ( address to , (bool,string) x )[] ").canonical(),
              "(address,(bool,string))[]");
    EXPECT_TRUE(type_of("uint8[2][]").is_dynamic());
    EXPECT_FALSE(type_of("(uint8,bytes32)[2]").is_dynamic());
    EXPECT_EQ(type_of("(uint8,bytes32)[2]").head_size(), 128u);
    // uint8[2][] is a dynamic array whose elements are uint8[2] (Solidity's reading order).
    Type t = type_of("uint8[2][]");
    EXPECT_EQ(t.kind, Kind::Array);
    EXPECT_EQ(t.children[0].kind, Kind::FixedArray);
    EXPECT_EQ(t.children[0].length, 2u);
}

TEST(AbiTypes, RejectsBadTypes) {
    for (const char* bad : {"uint7",
                            "uint264",
                            "uint0",
                            "uint08",
                            "int9",
                            "bytes0",
                            "bytes33",
                            "bytes01",
                            "uint256[0]",
                            "uint256[",
                            "uint256[x]",
                            "fixed128x18",
                            "function",
                            "(uint256,)",
                            "(uint256",
                            "((),uint8)",
                            "()[]",
                            "tuple",
                            "uint256 extra",
                            "",
                            "address[18446744073709551615]",
                            "uint256[4294967296][2]"}) {
        EXPECT_FALSE(parse_type(bad).ok()) << bad;
    }
    std::string deep = "uint256";
    for (int i = 0; i < 40; ++i) deep += "[]";
    EXPECT_FALSE(parse_type(deep).ok());
    std::string nested = "uint256";
    for (int i = 0; i < 40; ++i) nested = "(" + nested + ")";
    EXPECT_FALSE(parse_type(nested).ok());
}

TEST(AbiSignatures, SelectorsAndTopics) {
    // EIP-20: transfer(address,uint256) is 0xa9059cbb; Transfer's topic is the one quoted in
    // abi/SOURCE.md.
    auto transfer = parse_signature("function transfer(address to, uint256 amount)");
    ASSERT_TRUE(transfer.ok());
    EXPECT_EQ(transfer->canonical(), "transfer(address,uint256)");
    EXPECT_EQ(selector(*transfer).to_hex(), "0xa9059cbb");
    auto ev = parse_event_signature(
        "event Transfer(address indexed from, address indexed to, uint256 value)");
    ASSERT_TRUE(ev.ok());
    EXPECT_EQ(ev->canonical(), "Transfer(address,address,uint256)");
    EXPECT_TRUE(ev->params[0].indexed);
    EXPECT_FALSE(ev->params[2].indexed);
    EXPECT_EQ(ev->params[2].name, "value");
    EXPECT_EQ(event_topic(*ev).to_hex(),
              "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    // `indexed` belongs to events only.
    EXPECT_FALSE(parse_signature("f(uint256 indexed x)").ok());
    EXPECT_FALSE(parse_event_signature("E(uint256 indexed indexed x)").ok());
    EXPECT_FALSE(parse_event_signature("E(uint256 x y)").ok());
    EXPECT_FALSE(parse_signature("(uint256)").ok());
    EXPECT_FALSE(parse_signature("1f(uint256)").ok());
    EXPECT_FALSE(parse_signature("f(uint256) junk").ok());
    EXPECT_TRUE(parse_signature("f()").ok());
}

// ---- Strict decoder: hand-built malformed inputs ----

// A 32-byte big-endian word holding `x`.
std::string w(uint64_t x) {
    auto word = U256(x).to_be_word();
    return to_hex_bare(BytesView(word.data(), word.size()));
}
std::string right(std::string_view hex_bytes) {  // left-aligned bytes, zero padded
    std::string s(hex_bytes);
    s.resize(64, '0');
    return s;
}

void expect_rejected(const std::string& type_text, const std::string& hex_data,
                     const std::string& why_substring, const char* label) {
    auto dec = decode_params(type_of(type_text), hex(hex_data));
    ASSERT_FALSE(dec.ok()) << label << ": accepted " << to_json(*dec);
    EXPECT_NE(dec.error().message.find(why_substring), std::string::npos)
        << label << ": " << dec.error().message;
}

TEST(AbiDecodeStrict, AcceptsCanonicalBaseline) {
    // (uint256,bytes) = (1, "ab"): the encodings the rejections below are mutations of.
    auto dec = decode_params(type_of("(uint256,bytes)"), hex(w(1) + w(64) + w(2) + right("6162")));
    ASSERT_TRUE(dec.ok()) << dec.error().message;
    EXPECT_EQ(to_json(*dec), R"(["1","0x6162"])");
}

TEST(AbiDecodeStrict, RejectsBadOffsets) {
    expect_rejected("(uint256,bytes)", w(1) + w(4096) + w(2) + right("6162"), "exceeds the input",
                    "offset past the end");
    expect_rejected("(uint256,bytes)", w(1) + w(128) + w(2) + right("6162"), "needs 32 bytes",
                    "offset at the very end");
    expect_rejected("(uint256,bytes)", w(1) + w(0) + w(2) + right("6162"), "into the head",
                    "offset into the head");
    expect_rejected("(uint256,bytes)",
                    w(1) + "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe0" +
                        w(2) + right("6162"),
                    "exceeds the input", "offset of 2^256-32 (wraps if added naively)");
    // Two dynamic components sharing one tail.
    expect_rejected("(bytes,bytes)", w(64) + w(64) + w(2) + right("6162"), "overlaps",
                    "aliased tails");
    // Tails out of order.
    expect_rejected("(bytes,bytes)", w(128) + w(64) + w(1) + right("61") + w(1) + right("62"),
                    "overlaps", "tails in reverse order");
}

TEST(AbiDecodeStrict, RejectsBadLengths) {
    expect_rejected("(bytes)", w(32) + w(33) + right("6162"), "overruns", "length beyond data");
    expect_rejected("(bytes)",
                    w(32) + "8000000000000000000000000000000000000000000000000000000000000000",
                    "exceeds the input", "length 2^255");
    // A 96-byte input claiming 2^40 elements must fail before anything is reserved.
    expect_rejected("(uint256[])", w(32) + w(uint64_t{1} << 40) + w(7), "exceeds the input",
                    "huge array length");
    expect_rejected("(uint256[])", w(32) + w(3) + w(7), "only 32 remain",
                    "array length beyond the remaining data");
    expect_rejected("(bytes[])", w(32) + w(3) + w(96), "remain", "more elements than heads");
    // Padding of the last word of a byte string missing.
    expect_rejected("(bytes)", w(32) + w(2) + "6162", "overruns", "unpadded tail");
    expect_rejected("(uint256,uint256)", w(1), "needs 64 bytes", "truncated head");
}

TEST(AbiDecodeStrict, RejectsDirtyWords) {
    expect_rejected("(address)", "01" + std::string(22, '0') + std::string(40, 'a'), "high bytes",
                    "address with dirty high bytes");
    expect_rejected("(bool)", w(2), "bool", "bool 2");
    expect_rejected("(bool)", "01" + std::string(62, '0'), "bool", "bool with high byte");
    expect_rejected("(uint8)", w(256), "width", "uint8 = 256");
    expect_rejected("(uint32)", w(uint64_t{1} << 32), "width", "uint32 = 2^32");
    // int8: -128 is ff..ff80 (valid); 0x80 without sign extension is not an int8.
    EXPECT_TRUE(decode_params(type_of("(int8)"), hex(std::string(62, 'f') + "80")).ok());
    expect_rejected("(int8)", w(0x80), "sign-extended", "int8 = +128");
    expect_rejected("(int8)", std::string(60, 'f') + "ef7f", "sign-extended", "int8 bad extension");
    expect_rejected("(bytes4)", right("0102030405"), "padding", "bytes4 with a fifth byte");
    expect_rejected("(bytes)", w(32) + w(2) + right("616201"), "padding", "bytes tail padding");
    expect_rejected("(string)", w(32) + w(1) + right("61ff"), "padding", "string tail padding");
}

TEST(AbiDecodeStrict, TrailingDataPolicy) {
    const Bytes data = hex(w(5) + w(0));
    EXPECT_FALSE(decode_params(type_of("(uint256)"), data).ok());
    auto lenient = decode_params(type_of("(uint256)"), data, DecodeOptions{.allow_trailing = true});
    ASSERT_TRUE(lenient.ok());
    EXPECT_EQ(to_json(*lenient), R"(["5"])");
}

TEST(AbiDecodeStrict, AcceptsGapsAsSolidityDoes) {
    // (bytes) with its tail 32 bytes further than needed: not canonical, but unambiguous.
    const Bytes data = hex(w(64) + w(0) + w(2) + right("6162"));
    auto dec = decode_params(type_of("(bytes)"), data);
    ASSERT_TRUE(dec.ok()) << dec.error().message;
    EXPECT_EQ(to_json(*dec), R"(["0x6162"])");
    auto canonical = encode_params(type_of("(bytes)"), *dec);
    ASSERT_TRUE(canonical.ok());
    EXPECT_LT(canonical->size(), data.size());
}

TEST(AbiDecodeStrict, NestedDynamicRoundTrip) {
    Type t = type_of("(uint256,(address,bool)[],bytes[],string)");
    Address a = *Address::from_hex("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    Value v = Value::tuple(
        {Value::uint(U256(7)),
         Value::array({Value::tuple({Value::address(a), Value::boolean(true)}),
                       Value::tuple({Value::address(a), Value::boolean(false)})}),
         Value::array({Value::bytes(hex("0x01")), Value::bytes({}), Value::bytes(Bytes(40, 0xab))}),
         Value::string("h\xc3\xa9llo \"q\"\n")});
    for (bool as_params : {true, false}) {
        auto enc = as_params ? encode_params(t, v) : encode(t, v);
        ASSERT_TRUE(enc.ok());
        auto dec = as_params ? decode_params(t, *enc) : decode(t, *enc);
        ASSERT_TRUE(dec.ok()) << dec.error().message;
        EXPECT_TRUE(*dec == v);
        // Every strict prefix is rejected (no partial decode passes as complete).
        for (size_t n = 0; n < enc->size(); ++n) {
            BytesView prefix(enc->data(), n);
            EXPECT_FALSE((as_params ? decode_params(t, prefix) : decode(t, prefix)).ok())
                << "prefix " << n;
        }
    }
    // A dynamic struct as one value sits behind an offset: 32 bytes longer than as a list.
    EXPECT_EQ(encode(t, v)->size(), encode_params(t, v)->size() + 32);
}

TEST(AbiEncode, RejectsValuesThatDoNotFitTheType) {
    EXPECT_FALSE(encode(type_of("uint8"), Value::uint(U256(256))).ok());
    EXPECT_FALSE(encode(type_of("int8"), Value::int_(U256(128))).ok());
    EXPECT_TRUE(encode(type_of("int8"), Value::int_(-U256(128))).ok());
    EXPECT_FALSE(encode(type_of("int8"), Value::int_(-U256(129))).ok());
    EXPECT_FALSE(encode(type_of("bytes2"), Value::fixed_bytes({1})).ok());
    EXPECT_FALSE(encode(type_of("uint8[2]"), Value::array({Value::uint(U256(1))})).ok());
    EXPECT_FALSE(encode(type_of("(uint8,bool)"), Value::tuple({Value::uint(U256(1))})).ok());
    EXPECT_FALSE(encode(type_of("bool"), Value::uint(U256(1))).ok());
    // A non-tuple type encodes as the one-element argument list: abi.encode(bytes("ab")).
    auto enc = encode(type_of("bytes"), Value::bytes(hex("0x6162")));
    ASSERT_TRUE(enc.ok());
    EXPECT_EQ(to_hex_bare(*enc), w(32) + w(2) + right("6162"));
}

TEST(AbiCalls, SelectorChecked) {
    auto sig = parse_signature("baz(uint32,bool)");
    ASSERT_TRUE(sig.ok());
    // The spec's baz(69, true) calldata with the selector's last byte changed.
    auto bad = decode_call(*sig, hex("0xcdcd77c1" + w(69) + w(1)));
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("selector"), std::string::npos);
    EXPECT_FALSE(decode_call(*sig, hex("0xcdcd77")).ok());
    EXPECT_TRUE(decode_call(*sig, hex("0xcdcd77c0" + w(69) + w(1))).ok());
}

// ---- Logs ----

TEST(AbiLogs, DecodesTopicsAndData) {
    auto ev =
        parse_event_signature("Note(address indexed who, string indexed tag, uint8 n, bytes b)");
    ASSERT_TRUE(ev.ok());
    const Hash32 topic0 = event_topic(*ev);
    EXPECT_EQ(topic0, keccak256(std::string_view("Note(address,string,uint8,bytes)")));
    Hash32 who = *Hash32::from_hex(w(0x1234));
    const Hash32 tag = keccak256(std::string_view("hello"));
    std::vector<Hash32> topics{topic0, who, tag};
    const Bytes data = hex(w(9) + w(64) + w(1) + right("ff"));
    auto log = decode_log(*ev, topics, data);
    ASSERT_TRUE(log.ok()) << log.error().message;
    ASSERT_EQ(log->size(), 4u);
    EXPECT_EQ((*log)[0].name, "who");
    EXPECT_EQ(to_json((*log)[0].value), "\"0x0000000000000000000000000000000000001234\"");
    EXPECT_TRUE((*log)[1].hashed);
    EXPECT_EQ((*log)[1].value.as<FixedBytesValue>().bytes,
              Bytes(tag.bytes.begin(), tag.bytes.end()));
    EXPECT_EQ(to_json((*log)[2].value), "\"9\"");
    EXPECT_EQ(to_json((*log)[3].value), "\"0xff\"");

    // Wrong topic0, wrong topic count, dirty indexed address, trailing data.
    std::vector<Hash32> wrong0{tag, who, tag};
    EXPECT_FALSE(decode_log(*ev, wrong0, data).ok());
    EXPECT_FALSE(decode_log(*ev, std::span(topics).first(2), data).ok());
    Hash32 dirty = who;
    dirty[0] = 1;
    std::vector<Hash32> dirty_topics{topic0, dirty, tag};
    EXPECT_FALSE(decode_log(*ev, dirty_topics, data).ok());
    Bytes longer = data;
    longer.resize(longer.size() + 32);
    EXPECT_FALSE(decode_log(*ev, topics, longer).ok());
}

// ---- Text forms ----

TEST(AbiText, ParsesCastStyleArguments) {
    auto v = parse_value(
        type_of("(int8,uint16,bool,bytes2,string[],(bytes,address))"),
        R"((-128, 0xffff, true, 0xabcd, ["a,b", "q\"x"], (0x, 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed)))");
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(
        to_json(*v),
        R"(["-128","65535",true,"0xabcd",["a,b","q\"x"],["0x","0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"]])");
    // A top-level string is taken verbatim.
    auto s = parse_value(type_of("string"), R"(say "hi", [ok])");
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->as<StringValue>().text, R"(say "hi", [ok])");
}

TEST(AbiText, RejectsBadArguments) {
    for (auto [type, text] : std::vector<std::pair<const char*, const char*>>{
             {"int8", "-129"},
             {"int8", "128"},
             {"int8", "0xff"},
             {"uint8", "256"},
             {"uint8", "-1"},
             {"uint256", "1e18"},
             {"bool", "1"},
             {"address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"},  // bad EIP-55
             {"bytes2", "0xab"},
             {"bytes", "0xabc"},
             {"uint8[2]", "[1]"},
             {"uint8[]", "[1,]"},
             {"uint8[]", "[1 2]"},
             {"(uint8,bool)", "(1)"},
             {"(uint8,bool)", "(1,true,3)"},
             {"string[]", "[abc]"},
             {"string[]", "[\"abc]"},
             {"uint8", "1 2"},
         }) {
        EXPECT_FALSE(parse_value(type_of(type), text).ok()) << type << " " << text;
    }
}

TEST(AbiText, JsonEscapesAndUtf8) {
    EXPECT_EQ(json_string("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
    // Invalid UTF-8 (a lone continuation byte, an overlong form, a surrogate) becomes U+FFFD.
    EXPECT_EQ(json_string("x\x80y"), R"("x\ufffdy")");
    EXPECT_EQ(json_string("\xc0\xaf"), R"("\ufffd\ufffd")");
    EXPECT_EQ(json_string("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");
    EXPECT_EQ(json_string("\xf0\x9f\x9a\x80"), "\"\xf0\x9f\x9a\x80\"");
    EXPECT_EQ(signed_to_dec(-U256(5)), "-5");
    EXPECT_EQ(signed_to_dec(U256(1) << 255),
              "-57896044618658097711785492504343953926634992332820282019728792003956564819968");
}

}  // namespace
}  // namespace vigil::eth::abi
