#include "chains/eth/abi.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "chains/eth/keccak.h"

namespace vigil::eth::abi {
namespace {

constexpr size_t kWord = 32;

// Saturating arithmetic for sizes of types that have not been validated yet.
uint64_t sat_add(uint64_t a, uint64_t b) {
    return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                        : a + b;
}
uint64_t sat_mul(uint64_t a, uint64_t b) {
    if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a)
        return std::numeric_limits<uint64_t>::max();
    return a * b;
}

// The static size of the head of a tuple/fixed array (what comes before its tails).
uint64_t inner_head_size(const Type& t) {
    switch (t.kind) {
        case Kind::FixedArray:
            return sat_mul(t.length, t.children.empty() ? 0 : t.children[0].head_size());
        case Kind::Tuple: {
            uint64_t sum = 0;
            for (const Type& c : t.children) sum = sat_add(sum, c.head_size());
            return sum;
        }
        default:
            return t.head_size();
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Type
// ---------------------------------------------------------------------------------------

std::string Type::canonical() const {
    switch (kind) {
        case Kind::Uint:
            return "uint" + std::to_string(size);
        case Kind::Int:
            return "int" + std::to_string(size);
        case Kind::Bool:
            return "bool";
        case Kind::Address:
            return "address";
        case Kind::FixedBytes:
            return "bytes" + std::to_string(size);
        case Kind::Bytes:
            return "bytes";
        case Kind::String:
            return "string";
        case Kind::FixedArray:
            return (children.empty() ? std::string("?") : children[0].canonical()) + "[" +
                   std::to_string(length) + "]";
        case Kind::Array:
            return (children.empty() ? std::string("?") : children[0].canonical()) + "[]";
        case Kind::Tuple: {
            std::string out = "(";
            for (size_t i = 0; i < children.size(); ++i) {
                if (i) out += ',';
                out += children[i].canonical();
            }
            return out + ")";
        }
    }
    return "?";
}

bool Type::is_dynamic() const {
    switch (kind) {
        case Kind::Bytes:
        case Kind::String:
        case Kind::Array:
            return true;
        case Kind::FixedArray:
            return !children.empty() && children[0].is_dynamic();
        case Kind::Tuple:
            return std::any_of(children.begin(), children.end(),
                               [](const Type& c) { return c.is_dynamic(); });
        default:
            return false;
    }
}

uint64_t Type::head_size() const {
    if (is_dynamic()) return kWord;
    if (kind == Kind::FixedArray || kind == Kind::Tuple) return inner_head_size(*this);
    return kWord;
}

bool Type::is_word() const {
    switch (kind) {
        case Kind::Uint:
        case Kind::Int:
        case Kind::Bool:
        case Kind::Address:
        case Kind::FixedBytes:
            return true;
        default:
            return false;
    }
}

namespace {

Status validate_type(const Type& t, size_t depth) {
    if (depth > kMaxTypeDepth)
        return fail("abi: type nesting exceeds " + std::to_string(kMaxTypeDepth) + " levels");
    switch (t.kind) {
        case Kind::Uint:
        case Kind::Int:
            if (t.size < 8 || t.size > 256 || t.size % 8 != 0)
                return fail("abi: integer width " + std::to_string(t.size) +
                            " is not a multiple of 8 in 8..256");
            break;
        case Kind::FixedBytes:
            if (t.size < 1 || t.size > 32)
                return fail("abi: bytes" + std::to_string(t.size) + " is outside bytes1..bytes32");
            break;
        case Kind::Bool:
        case Kind::Address:
        case Kind::Bytes:
        case Kind::String:
            break;
        case Kind::FixedArray:
        case Kind::Array:
            if (t.children.size() != 1) return fail("abi: array type needs one element type");
            if (t.kind == Kind::FixedArray && t.length == 0)
                return fail("abi: fixed array of length 0 (Solidity rejects T[0])");
            VIGIL_CHECK(validate_type(t.children[0], depth + 1));
            break;
        case Kind::Tuple:
            // An empty tuple is only a parameter list (f()); nested it would be a zero-size
            // array element, which would let a length word claim any number of elements.
            if (t.children.empty() && depth > 0) return fail("abi: empty tuple inside a type");
            for (const Type& c : t.children) VIGIL_CHECK(validate_type(c, depth + 1));
            break;
    }
    if ((t.kind == Kind::FixedArray || t.kind == Kind::Tuple) &&
        inner_head_size(t) > kMaxStaticSize)
        return fail("abi: static size of " + t.canonical() + " exceeds " +
                    std::to_string(kMaxStaticSize) + " bytes");
    return {};
}

// ---------------------------------------------------------------------------------------
// Signature parser
// ---------------------------------------------------------------------------------------

bool is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Parses a decimal without leading zeros ("0" excluded), up to 20 digits.
bool parse_small_decimal(std::string_view digits, uint64_t& out) {
    if (digits.empty() || digits.size() > 19 || digits[0] == '0') return false;
    out = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + static_cast<uint64_t>(c - '0');
    }
    return true;
}

class SignatureParser {
  public:
    explicit SignatureParser(std::string_view text) : s_(text) {}

    Result<Type> whole_type() {
        VIGIL_TRY(Type t, type(0));
        skip_ws();
        if (pos_ != s_.size()) return error("unexpected text after the type");
        return t;
    }

    Result<Signature> whole_signature(bool allow_indexed) {
        skip_ws();
        std::string_view first = peek_word();
        if (first == "function" || (allow_indexed && first == "event")) {
            size_t after = pos_ + first.size();
            // Only a keyword if another identifier follows (a function may be named "event").
            size_t p = after;
            while (p < s_.size() && is_space(s_[p])) ++p;
            if (p > after && p < s_.size() && is_ident_start(s_[p])) pos_ = p;
        }
        Signature sig;
        sig.name = std::string(peek_word());
        if (sig.name.empty() || !is_ident_start(sig.name[0]))
            return error("expected a function or event name");
        pos_ += sig.name.size();
        skip_ws();
        if (!eat('(')) return error("expected '(' after the name");
        VIGIL_TRY(sig.params, param_list(1, allow_indexed));
        skip_ws();
        if (allow_indexed && peek_word() == "anonymous") {
            sig.anonymous = true;
            pos_ += 9;
            skip_ws();
        }
        if (pos_ != s_.size()) return error("unexpected text after the parameter list");
        for (const Param& p : sig.params) VIGIL_CHECK(validate_type(p.type, 1));
        return sig;
    }

  private:
    Error error(const std::string& what) const {
        return fail("abi: " + what + " at offset " + std::to_string(pos_) + " in '" +
                    std::string(s_.substr(0, 200)) + "'");
    }
    void skip_ws() {
        while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
    }
    bool eat(char c) {
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    std::string_view peek_word() const {
        size_t end = pos_;
        while (end < s_.size() && is_ident_char(s_[end])) ++end;
        return s_.substr(pos_, end - pos_);
    }

    // After '(' has been consumed: params separated by ',' up to ')'.
    Result<std::vector<Param>> param_list(size_t depth, bool allow_indexed) {
        std::vector<Param> params;
        skip_ws();
        if (eat(')')) return params;
        for (;;) {
            Param p;
            VIGIL_TRY(p.type, type(depth));
            // Optional words after the type: [indexed] [memory|calldata|storage] [name].
            bool named = false;
            for (;;) {
                size_t before = pos_;
                skip_ws();
                std::string_view w = peek_word();
                if (w.empty() || !is_ident_start(w[0]) || before == pos_) {
                    pos_ = before;
                    break;
                }
                if (named) return error("unexpected word '" + std::string(w) + "'");
                if (w == "indexed") {
                    if (!allow_indexed) return error("'indexed' outside an event parameter list");
                    if (p.indexed) return error("'indexed' twice");
                    p.indexed = true;
                } else if (w == "memory" || w == "calldata" || w == "storage") {
                    // data location of a human-readable declaration: not part of the type
                } else {
                    p.name = std::string(w);
                    named = true;
                }
                pos_ += w.size();
            }
            params.push_back(std::move(p));
            skip_ws();
            if (eat(')')) return params;
            if (!eat(',')) return error("expected ',' or ')' in a parameter list");
        }
    }

    Result<Type> type(size_t depth) {
        if (depth > kMaxTypeDepth)
            return error("type nesting exceeds " + std::to_string(kMaxTypeDepth) + " levels");
        skip_ws();
        Type t;
        std::string_view word = peek_word();
        if (word == "tuple" || (pos_ < s_.size() && s_[pos_] == '(')) {
            pos_ += word.size();
            skip_ws();
            if (!eat('(')) return error("expected '(' after 'tuple'");
            VIGIL_TRY(auto params, param_list(depth + 1, false));
            t.kind = Kind::Tuple;
            t.size = 0;
            for (Param& p : params) t.children.push_back(std::move(p.type));
        } else {
            VIGIL_TRY(t, elementary(word));
            pos_ += word.size();
        }
        // Array suffixes bind left to right: uint8[2][] is a dynamic array of uint8[2].
        for (;;) {
            size_t before = pos_;
            skip_ws();
            if (!eat('[')) {
                pos_ = before;
                break;
            }
            if (++depth > kMaxTypeDepth)
                return error("type nesting exceeds " + std::to_string(kMaxTypeDepth) + " levels");
            skip_ws();
            size_t start = pos_;
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
            std::string_view digits = s_.substr(start, pos_ - start);
            skip_ws();
            if (!eat(']')) return error("expected ']'");
            if (digits.empty()) {
                t = Type::array(std::move(t));
            } else {
                uint64_t k;
                if (!parse_small_decimal(digits, k))
                    return error("bad fixed array length '" + std::string(digits) + "'");
                t = Type::fixed_array(std::move(t), k);
            }
        }
        return t;
    }

    Result<Type> elementary(std::string_view w) {
        auto sized = [&](std::string_view prefix, uint64_t& n) -> int {
            // 0: no match, 1: bare prefix, 2: prefix + valid digits, -1: bad digits
            if (w.substr(0, prefix.size()) != prefix) return 0;
            std::string_view digits = w.substr(prefix.size());
            if (digits.empty()) return 1;
            return parse_small_decimal(digits, n) ? 2 : -1;
        };
        uint64_t n = 0;
        if (w == "bool") return Type::boolean();
        if (w == "address") return Type::address();
        if (w == "string") return Type::string();
        int m;
        if ((m = sized("uint", n)) != 0 || (m = sized("int", n)) != 0) {
            bool is_signed = w[0] == 'i';
            if (m == 1) n = 256;
            if (m < 0 || n < 8 || n > 256 || n % 8 != 0)
                return error("bad integer type '" + std::string(w) + "'");
            return is_signed ? Type::int_(static_cast<unsigned>(n))
                             : Type::uint(static_cast<unsigned>(n));
        }
        if ((m = sized("bytes", n)) != 0) {
            if (m == 1) return Type::bytes();
            if (m < 0 || n < 1 || n > 32) return error("bad type '" + std::string(w) + "'");
            return Type::fixed_bytes(static_cast<unsigned>(n));
        }
        if (w.empty()) return error("expected a type");
        return error("unsupported type '" + std::string(w) + "'");
    }

    std::string_view s_;
    size_t pos_ = 0;
};

}  // namespace

Status Type::validate() const { return validate_type(*this, 0); }

Result<Type> parse_type(std::string_view text) {
    SignatureParser p(text);
    VIGIL_TRY(Type t, p.whole_type());
    VIGIL_CHECK(t.validate());
    return t;
}

std::string Signature::canonical() const {
    std::string out = name + "(";
    for (size_t i = 0; i < params.size(); ++i) {
        if (i) out += ',';
        out += params[i].type.canonical();
    }
    return out + ")";
}

Type Signature::params_tuple() const {
    std::vector<Type> types;
    types.reserve(params.size());
    for (const Param& p : params) types.push_back(p.type);
    return Type::tuple(std::move(types));
}

Result<Signature> parse_signature(std::string_view text, bool allow_indexed) {
    return SignatureParser(text).whole_signature(allow_indexed);
}

Selector selector(const Signature& function) {
    Hash32 h = keccak256(function.canonical());
    Selector s;
    std::memcpy(s.data(), h.data(), 4);
    return s;
}

Hash32 event_topic(const Signature& event) { return keccak256(event.canonical()); }

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

bool operator==(const ArrayValue& a, const ArrayValue& b) { return a.items == b.items; }
bool operator==(const TupleValue& a, const TupleValue& b) { return a.items == b.items; }
bool operator==(const Value& a, const Value& b) { return a.v == b.v; }

namespace {

// True when `w` is the 256-bit sign extension of its low `bits` bits.
bool fits_signed(const U256& w, unsigned bits) {
    if (bits >= 256) return true;
    U256 high = w >> (bits - 1);  // the sign bit and everything above it
    return high.is_zero() || high == (U256::max() >> (bits - 1));
}
bool fits_unsigned(const U256& w, unsigned bits) { return w.bit_length() <= bits; }

const char* value_kind_name(const Value& v) {
    constexpr const char* kNames[] = {"uint",  "int",    "bool",  "address", "bytesN",
                                      "bytes", "string", "array", "tuple"};
    return kNames[v.v.index()];
}

Status check_value_at(const Type& t, const Value& v, const std::string& where) {
    auto mismatch = [&]() {
        return fail("abi: " + where + ": expected " + t.canonical() + ", got a " +
                    value_kind_name(v) + " value");
    };
    switch (t.kind) {
        case Kind::Uint:
            if (!v.is<UintValue>()) return mismatch();
            if (!fits_unsigned(v.as<UintValue>().value, t.size))
                return fail("abi: " + where + ": value does not fit " + t.canonical());
            return {};
        case Kind::Int:
            if (!v.is<IntValue>()) return mismatch();
            if (!fits_signed(v.as<IntValue>().value, t.size))
                return fail("abi: " + where + ": value does not fit " + t.canonical());
            return {};
        case Kind::Bool:
            return v.is<bool>() ? Status{} : mismatch();
        case Kind::Address:
            return v.is<Address>() ? Status{} : mismatch();
        case Kind::FixedBytes:
            if (!v.is<FixedBytesValue>()) return mismatch();
            if (v.as<FixedBytesValue>().bytes.size() != t.size)
                return fail("abi: " + where + ": " + t.canonical() + " needs " +
                            std::to_string(t.size) + " bytes, got " +
                            std::to_string(v.as<FixedBytesValue>().bytes.size()));
            return {};
        case Kind::Bytes:
            return v.is<BytesValue>() ? Status{} : mismatch();
        case Kind::String:
            return v.is<StringValue>() ? Status{} : mismatch();
        case Kind::FixedArray:
        case Kind::Array: {
            if (!v.is<ArrayValue>()) return mismatch();
            const auto& items = v.as<ArrayValue>().items;
            if (t.kind == Kind::FixedArray && items.size() != t.length)
                return fail("abi: " + where + ": " + t.canonical() + " needs " +
                            std::to_string(t.length) + " elements, got " +
                            std::to_string(items.size()));
            for (size_t i = 0; i < items.size(); ++i)
                VIGIL_CHECK(
                    check_value_at(t.children[0], items[i], where + "[" + std::to_string(i) + "]"));
            return {};
        }
        case Kind::Tuple: {
            if (!v.is<TupleValue>()) return mismatch();
            const auto& items = v.as<TupleValue>().items;
            if (items.size() != t.children.size())
                return fail("abi: " + where + ": " + t.canonical() + " has " +
                            std::to_string(t.children.size()) + " components, got " +
                            std::to_string(items.size()));
            for (size_t i = 0; i < items.size(); ++i)
                VIGIL_CHECK(
                    check_value_at(t.children[i], items[i], where + "." + std::to_string(i)));
            return {};
        }
    }
    return mismatch();
}

}  // namespace

Status check_value(const Type& type, const Value& value) {
    VIGIL_CHECK(type.validate());
    return check_value_at(type, value, "value");
}

// ---------------------------------------------------------------------------------------
// Encoder: a size pass, then one write pass into a buffer of exactly that size.
// Both run only on (type, value) pairs that check_value accepted.
// ---------------------------------------------------------------------------------------

namespace {

size_t padded(size_t n) { return (n + kWord - 1) / kWord * kWord; }

const Type& child_type(const Type& t, size_t i) {
    return t.kind == Kind::Tuple ? t.children[i] : t.children[0];
}
const std::vector<Value>& child_items(const Value& v) {
    return v.is<TupleValue>() ? v.as<TupleValue>().items : v.as<ArrayValue>().items;
}

size_t encoded_size(const Type& t, const Value& v) {
    switch (t.kind) {
        case Kind::Bytes:
            return kWord + padded(v.as<BytesValue>().bytes.size());
        case Kind::String:
            return kWord + padded(v.as<StringValue>().text.size());
        case Kind::FixedArray:
        case Kind::Array:
        case Kind::Tuple: {
            size_t total = t.kind == Kind::Array ? kWord : 0;  // the length word
            const auto& items = child_items(v);
            for (size_t i = 0; i < items.size(); ++i) {
                const Type& ct = child_type(t, i);
                total += ct.is_dynamic() ? kWord + encoded_size(ct, items[i])
                                         : encoded_size(ct, items[i]);
            }
            return total;
        }
        default:
            return kWord;
    }
}

void put_word(uint8_t* out, const U256& x) {
    auto w = x.to_be_word();
    std::memcpy(out, w.data(), kWord);
}

// Writes the encoding of `v` at `out` (zero-initialised); returns the bytes written.
size_t write_value(const Type& t, const Value& v, uint8_t* out) {
    switch (t.kind) {
        case Kind::Uint:
            put_word(out, v.as<UintValue>().value);
            return kWord;
        case Kind::Int:
            put_word(out, v.as<IntValue>().value);
            return kWord;
        case Kind::Bool:
            out[31] = v.as<bool>() ? 1 : 0;
            return kWord;
        case Kind::Address:
            std::memcpy(out + 12, v.as<Address>().data(), 20);
            return kWord;
        case Kind::FixedBytes: {
            const Bytes& b = v.as<FixedBytesValue>().bytes;
            std::memcpy(out, b.data(), b.size());
            return kWord;
        }
        case Kind::Bytes:
        case Kind::String: {
            BytesView b = t.kind == Kind::Bytes ? BytesView(v.as<BytesValue>().bytes)
                                                : view(v.as<StringValue>().text);
            put_word(out, U256(static_cast<uint64_t>(b.size())));
            if (!b.empty()) std::memcpy(out + kWord, b.data(), b.size());
            return kWord + padded(b.size());
        }
        case Kind::FixedArray:
        case Kind::Array:
        case Kind::Tuple: {
            const auto& items = child_items(v);
            uint8_t* base = out;
            if (t.kind == Kind::Array) {
                put_word(out, U256(static_cast<uint64_t>(items.size())));
                base += kWord;
            }
            size_t head_total = 0;
            for (size_t i = 0; i < items.size(); ++i) head_total += child_type(t, i).head_size();
            uint8_t* head = base;
            uint8_t* tail = base + head_total;
            for (size_t i = 0; i < items.size(); ++i) {
                const Type& ct = child_type(t, i);
                if (ct.is_dynamic()) {
                    put_word(head, U256(static_cast<uint64_t>(tail - base)));
                    head += kWord;
                    tail += write_value(ct, items[i], tail);
                } else {
                    head += write_value(ct, items[i], head);
                }
            }
            return static_cast<size_t>(tail - out);
        }
    }
    return 0;
}

}  // namespace

Result<Bytes> encode(const Type& type, const Value& value) {
    VIGIL_CHECK(check_value(type, value));
    // The one-element parameter list (value): an offset word first if the value is dynamic.
    const size_t lead = type.is_dynamic() ? kWord : 0;
    Bytes out(lead + encoded_size(type, value), 0);
    if (lead) put_word(out.data(), U256(kWord));
    write_value(type, value, out.data() + lead);
    return out;
}

Result<Bytes> encode_params(const Type& tuple, const Value& values) {
    if (tuple.kind != Kind::Tuple)
        return fail("abi: parameter list must be a tuple type, got " + tuple.canonical());
    VIGIL_CHECK(check_value(tuple, values));
    Bytes out(encoded_size(tuple, values), 0);
    write_value(tuple, values, out.data());
    return out;
}

Result<Bytes> encode_call(const Signature& function, const Value& args) {
    VIGIL_TRY(Bytes body, encode_params(function.params_tuple(), args));
    Selector s = selector(function);
    Bytes out(s.bytes.begin(), s.bytes.end());
    append(out, body);
    return out;
}

// ---------------------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------------------

namespace {

class Decoder {
  public:
    explicit Decoder(BytesView data) : d_(data) {}

    // Decodes a value of type `t` whose encoding starts at `pos` (in a head for a static
    // type, at its tail for a dynamic one). Sets `end` to one past the last byte used.
    Result<Value> value(const Type& t, size_t pos, size_t& end) {
        if (t.is_word()) {
            if (remaining(pos) < kWord) return short_input(t, pos, kWord);
            end = pos + kWord;
            return word(t, d_.data() + pos, pos);
        }
        switch (t.kind) {
            case Kind::Bytes:
            case Kind::String:
                return byte_string(t, pos, end);
            case Kind::Array: {
                if (remaining(pos) < kWord) return short_input(t, pos, kWord);
                VIGIL_TRY(uint64_t n, length_word(pos, t));
                const uint64_t elem = t.children[0].head_size();
                // Every element takes at least `elem` bytes of head after the length word:
                // refuse lengths the data cannot hold before reserving anything.
                if (n > (remaining(pos) - kWord) / elem)
                    return fail("abi: " + t.canonical() + " at offset " + std::to_string(pos) +
                                ": length " + std::to_string(n) + " needs " + std::to_string(elem) +
                                " bytes per element, only " +
                                std::to_string(remaining(pos) - kWord) + " remain");
                return sequence(t, static_cast<size_t>(n), pos + kWord, end);
            }
            case Kind::FixedArray:
                return sequence(t, static_cast<size_t>(t.length), pos, end);
            case Kind::Tuple:
                return sequence(t, t.children.size(), pos, end);
            default:
                return fail("abi: internal: unhandled type " + t.canonical());
        }
    }

    // Decodes a word type from 32 bytes at `w` (`pos` is only for messages).
    static Result<Value> word(const Type& t, const uint8_t* w, size_t pos) {
        auto dirty = [&](const char* what) {
            return fail("abi: " + t.canonical() + " at offset " + std::to_string(pos) + ": " +
                        what);
        };
        switch (t.kind) {
            case Kind::Uint: {
                U256 x = U256::from_be_word(w);
                if (!fits_unsigned(x, t.size)) return dirty("value exceeds the type's width");
                return Value::uint(x);
            }
            case Kind::Int: {
                U256 x = U256::from_be_word(w);
                if (!fits_signed(x, t.size)) return dirty("value is not a sign-extended int");
                return Value::int_(x);
            }
            case Kind::Bool: {
                for (size_t i = 0; i < 31; ++i)
                    if (w[i]) return dirty("bool word is not 0 or 1");
                if (w[31] > 1) return dirty("bool word is not 0 or 1");
                return Value::boolean(w[31] == 1);
            }
            case Kind::Address: {
                for (size_t i = 0; i < 12; ++i)
                    if (w[i]) return dirty("address word has non-zero high bytes");
                Address a;
                std::memcpy(a.data(), w + 12, 20);
                return Value::address(a);
            }
            case Kind::FixedBytes: {
                for (size_t i = t.size; i < kWord; ++i)
                    if (w[i]) return dirty("non-zero padding after the bytes");
                return Value::fixed_bytes(Bytes(w, w + t.size));
            }
            default:
                return dirty("not a word type");
        }
    }

  private:
    size_t remaining(size_t pos) const { return pos <= d_.size() ? d_.size() - pos : 0; }

    Error short_input(const Type& t, size_t pos, uint64_t need) const {
        return fail("abi: " + t.canonical() + " at offset " + std::to_string(pos) + " needs " +
                    std::to_string(need) + " bytes, only " + std::to_string(remaining(pos)) +
                    " remain");
    }

    // A length or offset word: must be a small number (never more than the input size).
    Result<uint64_t> length_word(size_t pos, const Type& t) const {
        U256 x = U256::from_be_word(d_.data() + pos);
        if (!x.fits_u64() || x.low64() > d_.size())
            return fail("abi: " + t.canonical() + " at offset " + std::to_string(pos) +
                        ": length/offset word " + x.to_hex() + " exceeds the input size " +
                        std::to_string(d_.size()));
        return x.low64();
    }

    Result<Value> byte_string(const Type& t, size_t pos, size_t& end) {
        if (remaining(pos) < kWord) return short_input(t, pos, kWord);
        VIGIL_TRY(uint64_t len, length_word(pos, t));
        const size_t body = pos + kWord;
        const size_t need = padded(static_cast<size_t>(len));  // len <= size: no overflow
        if (remaining(body) < need)
            return fail("abi: " + t.canonical() + " at offset " + std::to_string(pos) +
                        ": length " + std::to_string(len) + " (padded " + std::to_string(need) +
                        ") overruns the input by " + std::to_string(need - remaining(body)) +
                        " bytes");
        for (size_t i = body + len; i < body + need; ++i)
            if (d_[i])
                return fail("abi: " + t.canonical() + " at offset " + std::to_string(pos) +
                            ": non-zero padding byte at offset " + std::to_string(i));
        end = body + need;
        const uint8_t* p = d_.data() + body;
        if (t.kind == Kind::Bytes) return Value::bytes(Bytes(p, p + len));
        return Value::string(std::string(reinterpret_cast<const char*>(p), len));
    }

    // The head/tail layout shared by tuples and arrays: `count` items whose heads start
    // at `base`; offsets are relative to `base`.
    Result<Value> sequence(const Type& t, size_t count, size_t base, size_t& end) {
        const bool is_tuple = t.kind == Kind::Tuple;
        uint64_t head_total = 0;
        if (is_tuple) {
            head_total = inner_head_size(t);
        } else {
            head_total = static_cast<uint64_t>(count) * t.children[0].head_size();  // checked
        }
        if (head_total > remaining(base)) return short_input(t, base, head_total);
        std::vector<Value> items;
        items.reserve(count);
        size_t head = base;
        size_t next_tail = base + static_cast<size_t>(head_total);  // tails start after heads
        end = next_tail;
        for (size_t i = 0; i < count; ++i) {
            const Type& ct = child_type(t, i);
            size_t item_end = 0;
            if (ct.is_dynamic()) {
                VIGIL_TRY(uint64_t off, length_word(head, ct));
                const size_t target = base + static_cast<size_t>(off);
                if (target < next_tail)
                    return fail("abi: " + ct.canonical() + " offset " + std::to_string(off) +
                                " at offset " + std::to_string(head) +
                                (target < base + head_total
                                     ? " points into the head of its enclosing " + t.canonical()
                                     : " overlaps the previous tail (tails must be in order)"));
                if (target > d_.size())
                    return fail("abi: " + ct.canonical() + " offset " + std::to_string(off) +
                                " at offset " + std::to_string(head) + " points past the input");
                VIGIL_TRY(Value item, value(ct, target, item_end));
                items.push_back(std::move(item));
                next_tail = item_end;
                end = std::max(end, item_end);
                head += kWord;
            } else {
                VIGIL_TRY(Value item, value(ct, head, item_end));
                items.push_back(std::move(item));
                head += static_cast<size_t>(ct.head_size());
            }
        }
        return is_tuple ? Value::tuple(std::move(items)) : Value::array(std::move(items));
    }

    BytesView d_;
};

Result<Value> decode_list(const Type& list, BytesView data, DecodeOptions options,
                          const char* what) {
    VIGIL_CHECK(list.validate());
    Decoder dec(data);
    size_t end = 0;
    VIGIL_TRY(Value v, dec.value(list, 0, end));
    if (end != data.size() && !options.allow_trailing)
        return fail(std::string("abi: ") + what + " " + list.canonical() + " ends at offset " +
                    std::to_string(end) + " but the input has " + std::to_string(data.size()) +
                    " bytes (trailing data)");
    return v;
}

}  // namespace

Result<Value> decode(const Type& type, BytesView data, DecodeOptions options) {
    VIGIL_TRY(Value list, decode_list(Type::tuple({type}), data, options, "encoding of"));
    return Value(std::move(std::get<TupleValue>(list.v).items[0]));
}

Result<Value> decode_params(const Type& tuple, BytesView data, DecodeOptions options) {
    if (tuple.kind != Kind::Tuple)
        return fail("abi: parameter list must be a tuple type, got " + tuple.canonical());
    return decode_list(tuple, data, options, "parameters");
}

Result<Value> decode_call(const Signature& function, BytesView calldata, DecodeOptions options) {
    Selector want = selector(function);
    if (calldata.size() < 4)
        return fail("abi: calldata of " + std::to_string(calldata.size()) +
                    " bytes has no 4-byte selector");
    if (std::memcmp(calldata.data(), want.data(), 4) != 0)
        return fail("abi: calldata selector " + to_hex(calldata.first(4)) + " is not " +
                    want.to_hex() + " (" + function.canonical() + ")");
    return decode_list(function.params_tuple(), calldata.subspan(4), options, "arguments of");
}

Result<std::vector<LogParam>> decode_log(const Signature& event, std::span<const Hash32> topics,
                                         BytesView data) {
    size_t first = 0;
    if (!event.anonymous) {
        if (topics.empty()) return fail("abi: log of " + event.canonical() + " has no topics");
        Hash32 want = event_topic(event);
        if (topics[0] != want)
            return fail("abi: log topic0 " + topics[0].to_hex() + " is not " + want.to_hex() +
                        " (" + event.canonical() + ")");
        first = 1;
    }
    std::vector<Type> data_types;
    size_t indexed = 0;
    for (const Param& p : event.params) {
        if (p.indexed)
            ++indexed;
        else
            data_types.push_back(p.type);
    }
    if (topics.size() - first != indexed)
        return fail("abi: log of " + event.canonical() + " has " +
                    std::to_string(topics.size() - first) + " indexed topics, the event declares " +
                    std::to_string(indexed));
    VIGIL_TRY(Value body, decode_params(Type::tuple(std::move(data_types)), data));
    auto& body_items = std::get<TupleValue>(body.v).items;

    std::vector<LogParam> out;
    out.reserve(event.params.size());
    size_t next_topic = first, next_data = 0;
    for (const Param& p : event.params) {
        LogParam lp;
        lp.name = p.name;
        lp.indexed = p.indexed;
        if (p.indexed) {
            const Hash32& topic = topics[next_topic++];
            if (p.type.is_word()) {
                VIGIL_TRY(lp.value, Decoder::word(p.type, topic.data(), 0));
            } else {
                lp.hashed = true;
                lp.value = Value::fixed_bytes(Bytes(topic.bytes.begin(), topic.bytes.end()));
            }
        } else {
            lp.value = std::move(body_items[next_data++]);
        }
        out.push_back(std::move(lp));
    }
    return out;
}

}  // namespace vigil::eth::abi
