// Solidity ABI: types, values, the head/tail codec, function selectors and event logs.
//
// Spec: Solidity docs, "Contract ABI Specification" (docs/abi-spec.rst). Types are parsed
// from signature text ("transfer(address,uint256)", "(uint,bytes)[2]", "tuple(bool)",
// human-readable parameter lists with names and `indexed`); values are a self-describing
// variant; encode() is total on a value that matches its type; decode() is strict and
// safe on untrusted input.
//
// Decoder policy (what decode() accepts), for input that nobody vouches for:
//  - Every offset and length is bounds-checked before it is used; a length is compared
//    with the bytes that remain before anything is reserved, so allocation is bounded by
//    a small multiple of the input size.
//  - Static words must be clean: uintN/intN must fit N bits (intN sign-extended), bool is
//    0 or 1, address has 12 zero high bytes, bytesN has zero low padding, and the padding
//    after the bytes of a `bytes`/`string` tail is zero.
//  - Dynamic tails must lie after the head of their enclosing tuple/array and appear in
//    order without overlapping each other (so no byte of input is decoded twice: no
//    aliasing "zip bomb"). Gaps between tails (offsets larger than needed, even unaligned)
//    are accepted, as Solidity's own decoder does; such an input is not canonical.
//  - Bytes after the encoding are an error unless DecodeOptions::allow_trailing is set
//    (calldata may legitimately carry appended data; log data never does).
// So decode() accepts exactly the canonical encodings plus gaps and (optionally) trailing
// bytes; encode(decode(x)) == x for canonical x, and decode(encode(v)) == v always.
//
// Thread-safety: all functions are pure; Type and Value are plain values.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/result.h"
#include "chains/eth/u256.h"

namespace vigil::eth::abi {

// Nesting limit for types (arrays and tuples), hence for encoder/decoder recursion.
inline constexpr size_t kMaxTypeDepth = 32;
// Largest static (head) size a type may have, in bytes. Keeps size arithmetic far from
// overflow; no real contract comes near it (it is a 4 GiB fixed-size value).
inline constexpr uint64_t kMaxStaticSize = uint64_t{1} << 32;

enum class Kind : uint8_t {
    Uint,  // uintN, N in 8..256 step 8
    Int,   // intN
    Bool,
    Address,
    FixedBytes,  // bytesN, N in 1..32
    Bytes,
    String,
    FixedArray,  // T[k], k >= 1
    Array,       // T[]
    Tuple,       // (T1,...,Tn), n >= 1
};

struct Type {
    Kind kind = Kind::Uint;
    // Uint/Int: bit width; FixedBytes: byte count; otherwise 0.
    uint16_t size = 256;
    // FixedArray: element count.
    uint64_t length = 0;
    // FixedArray/Array: exactly one element type; Tuple: the components.
    std::vector<Type> children;

    static Type uint(unsigned bits = 256) {
        return {Kind::Uint, static_cast<uint16_t>(bits), 0, {}};
    }
    static Type int_(unsigned bits = 256) {
        return {Kind::Int, static_cast<uint16_t>(bits), 0, {}};
    }
    static Type boolean() { return {Kind::Bool, 0, 0, {}}; }
    static Type address() { return {Kind::Address, 0, 0, {}}; }
    static Type fixed_bytes(unsigned n) {
        return {Kind::FixedBytes, static_cast<uint16_t>(n), 0, {}};
    }
    static Type bytes() { return {Kind::Bytes, 0, 0, {}}; }
    static Type string() { return {Kind::String, 0, 0, {}}; }
    static Type array(Type element) { return {Kind::Array, 0, 0, {std::move(element)}}; }
    static Type fixed_array(Type element, uint64_t k) {
        return {Kind::FixedArray, 0, k, {std::move(element)}};
    }
    static Type tuple(std::vector<Type> components) {
        return {Kind::Tuple, 0, 0, std::move(components)};
    }

    // Canonical form used in signatures: "uint256", "bytes32[2]", "(address,bool)[]".
    std::string canonical() const;
    // Dynamic types are encoded out of line (in the tail) behind an offset.
    bool is_dynamic() const;
    // Bytes the type takes in its enclosing head: 32 for a dynamic type, else its full
    // static size (a multiple of 32, at most kMaxStaticSize once validated).
    uint64_t head_size() const;
    // True for the elementary types that fit one word (uint/int/bool/address/bytesN).
    bool is_word() const;

    // Checks the invariants above (widths, counts, depth, static size); parse_type()
    // output always passes. Types built by hand should be checked once.
    Status validate() const;

    friend bool operator==(const Type&, const Type&) = default;
};

// Parses one type. Accepts canonical and convenience spellings: `uint`/`int` (256-bit),
// `tuple(...)` or `(...)`, spaces around tokens, parameter names inside tuples
// ("(address to, uint256 amount)"). Errors name the position.
Result<Type> parse_type(std::string_view text);

// One parameter of a function or event signature.
struct Param {
    Type type;
    std::string name;      // may be empty
    bool indexed = false;  // events only
};

// A parsed function or event signature such as "transfer(address to, uint256 amount)"
// or "event Transfer(address indexed from, address indexed to, uint256 value)".
struct Signature {
    std::string name;
    std::vector<Param> params;
    bool anonymous = false;  // events only: "... ) anonymous"

    // "name(T1,T2)" with canonical types, no names, no `indexed`.
    std::string canonical() const;
    // The parameters as one tuple type.
    Type params_tuple() const;
};

// Parses "name(params)", optionally preceded by `function ` or `event ` and, for events,
// followed by `anonymous`. `indexed` is accepted only when allow_indexed is true.
Result<Signature> parse_signature(std::string_view text, bool allow_indexed = false);
inline Result<Signature> parse_event_signature(std::string_view text) {
    return parse_signature(text, true);
}

using Selector = FixedBytes<4>;

// First 4 bytes of keccak256 of the canonical signature.
Selector selector(const Signature& function);
// keccak256 of the canonical event signature (topic 0 of a non-anonymous event).
Hash32 event_topic(const Signature& event);

// ---- Values ----

struct Value;

struct UintValue {
    U256 value;
    friend bool operator==(const UintValue&, const UintValue&) = default;
};
// Two's complement over 256 bits (sign-extended from the type's width, as in an ABI word).
struct IntValue {
    U256 value;
    friend bool operator==(const IntValue&, const IntValue&) = default;
};
// bytesN: exactly N bytes.
struct FixedBytesValue {
    Bytes bytes;
    friend bool operator==(const FixedBytesValue&, const FixedBytesValue&) = default;
};
struct BytesValue {
    Bytes bytes;
    friend bool operator==(const BytesValue&, const BytesValue&) = default;
};
// The raw bytes of a `string` (Solidity does not enforce UTF-8; neither do we).
struct StringValue {
    std::string text;
    friend bool operator==(const StringValue&, const StringValue&) = default;
};
// T[k] and T[].
struct ArrayValue {
    std::vector<Value> items;
};
struct TupleValue {
    std::vector<Value> items;
};

struct Value {
    std::variant<UintValue, IntValue, bool, Address, FixedBytesValue, BytesValue, StringValue,
                 ArrayValue, TupleValue>
        v;

    static Value uint(const U256& x) { return {UintValue{x}}; }
    static Value int_(const U256& twos_complement) { return {IntValue{twos_complement}}; }
    static Value boolean(bool b) { return {b}; }
    static Value address(const Address& a) { return {a}; }
    static Value fixed_bytes(Bytes b) { return {FixedBytesValue{std::move(b)}}; }
    static Value bytes(Bytes b) { return {BytesValue{std::move(b)}}; }
    static Value string(std::string s) { return {StringValue{std::move(s)}}; }
    static Value array(std::vector<Value> items) { return {ArrayValue{std::move(items)}}; }
    static Value tuple(std::vector<Value> items) { return {TupleValue{std::move(items)}}; }

    template <class T>
    bool is() const {
        return std::holds_alternative<T>(v);
    }
    template <class T>
    const T& as() const {
        return std::get<T>(v);
    }
};

bool operator==(const ArrayValue& a, const ArrayValue& b);
bool operator==(const TupleValue& a, const TupleValue& b);
bool operator==(const Value& a, const Value& b);

// Checks that `value` has the shape of `type`: matching kinds, integer range of the width,
// bytesN length, fixed array length, tuple arity.
Status check_value(const Type& type, const Value& value);

// ---- Codec ----

// Two calling conventions, as in Solidity:
//  - encode(type, value) is abi.encode(value) for ONE value of any type. A dynamic tuple
//    (struct) is then behind an offset, like any dynamic value: abi.encode(s) of a struct.
//  - encode_params(tuple, values) is abi.encode(a, b, ...): the components of `tuple` are
//    the parameters, laid out head/tail with no offset in front (calldata arguments, event
//    data, return data). `tuple` must be a Tuple type and `values` a TupleValue.
// For a static tuple both give the same bytes. Errors only if the value does not match the
// type (check_value).
Result<Bytes> encode(const Type& type, const Value& value);
Result<Bytes> encode_params(const Type& tuple, const Value& values);
// selector ‖ encode_params(parameters, args).
Result<Bytes> encode_call(const Signature& function, const Value& args);

struct DecodeOptions {
    // Accept bytes after the encoding (ignored). Off by default: see the header comment.
    bool allow_trailing = false;
};

// Strict inverses of encode / encode_params (see the policy at the top of this file).
Result<Value> decode(const Type& type, BytesView data, DecodeOptions options = {});
Result<Value> decode_params(const Type& tuple, BytesView data, DecodeOptions options = {});
// Checks the 4-byte selector of `function`, then decode_params of the arguments.
Result<Value> decode_call(const Signature& function, BytesView calldata,
                          DecodeOptions options = {});

// ---- Event logs ----

struct LogParam {
    std::string name;
    bool indexed = false;
    // Indexed parameters of a dynamic or composite type are stored in their topic only as
    // keccak256 of their encoding: then `hashed` is true and `value` is that bytes32.
    bool hashed = false;
    Value value;
};

// Decodes a log emitted for `event` (parsed with parse_event_signature): checks topic 0
// (unless anonymous) and the number of topics, decodes the indexed word types from the
// topics (with the same cleanliness checks as data words) and the other parameters from
// `data` (strictly, no trailing bytes). Parameters come back in declaration order.
Result<std::vector<LogParam>> decode_log(const Signature& event, std::span<const Hash32> topics,
                                         BytesView data);

}  // namespace vigil::eth::abi
