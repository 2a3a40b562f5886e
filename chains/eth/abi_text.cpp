#include "chains/eth/abi_text.h"

namespace vigil::eth::abi {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Parses a number for uintN/intN (see parse_value).
Result<Value> parse_integer(const Type& t, std::string_view token) {
    bool negative = false;
    std::string_view digits = token;
    if (!digits.empty() && digits[0] == '-') {
        if (t.kind != Kind::Int)
            return fail("abi: negative number '" + std::string(token) + "' for " + t.canonical());
        negative = true;
        digits.remove_prefix(1);
    }
    auto magnitude = U256::from_string(digits);
    if (!magnitude)
        return fail("abi: bad number '" + std::string(token) + "' for " + t.canonical() + ": " +
                    magnitude.error().message);
    const U256 m = *magnitude;
    if (t.kind == Kind::Uint) {
        if (m.bit_length() > t.size)
            return fail("abi: " + std::string(token) + " does not fit " + t.canonical());
        return Value::uint(m);
    }
    // intN holds -2^(N-1) .. 2^(N-1)-1.
    const U256 limit = U256(1) << (t.size - 1u);
    if (negative ? m > limit : m >= limit)
        return fail("abi: " + std::string(token) + " does not fit " + t.canonical());
    return Value::int_(negative ? -m : m);
}

class TextParser {
  public:
    explicit TextParser(std::string_view text) : s_(text) {}

    Result<Value> whole(const Type& t) {
        skip_ws();
        VIGIL_TRY(Value v, item(t, 0));
        skip_ws();
        if (pos_ != s_.size())
            return error("unexpected text after the " + t.canonical() + " value");
        return v;
    }

  private:
    Error error(const std::string& what) const {
        return fail("abi: " + what + " at offset " + std::to_string(pos_) + " of '" +
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
    // A bare scalar: up to a delimiter of the enclosing list or a space.
    std::string_view token() {
        size_t start = pos_;
        while (pos_ < s_.size() && !is_space(s_[pos_]) && s_[pos_] != ',' && s_[pos_] != ']' &&
               s_[pos_] != ')' && s_[pos_] != '[' && s_[pos_] != '(' && s_[pos_] != '"')
            ++pos_;
        return s_.substr(start, pos_ - start);
    }

    Result<std::string> quoted() {
        if (!eat('"')) return error("expected a double-quoted string");
        std::string out;
        for (;;) {
            if (pos_ >= s_.size()) return error("unterminated string");
            char c = s_[pos_++];
            if (c == '"') return out;
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (pos_ >= s_.size()) return error("unterminated escape");
            char e = s_[pos_++];
            switch (e) {
                case '"':
                    out.push_back('"');
                    break;
                case '\\':
                    out.push_back('\\');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                default:
                    return error(std::string("unknown escape \\") + e);
            }
        }
    }

    Result<Value> item(const Type& t, size_t depth) {
        if (depth > kMaxTypeDepth) return error("value nesting too deep");
        const size_t at = pos_;
        auto wrap = [&](const Error& e) {
            return fail(e.message + " (item at offset " + std::to_string(at) + ")");
        };
        switch (t.kind) {
            case Kind::Uint:
            case Kind::Int: {
                auto v = parse_integer(t, token());
                if (!v) return wrap(v.error());
                return v;
            }
            case Kind::Bool: {
                std::string_view tok = token();
                if (tok == "true") return Value::boolean(true);
                if (tok == "false") return Value::boolean(false);
                return wrap(fail("abi: expected true or false, got '" + std::string(tok) + "'"));
            }
            case Kind::Address: {
                auto a = Address::from_hex(token());
                if (!a) return wrap(a.error());
                return Value::address(*a);
            }
            case Kind::FixedBytes:
            case Kind::Bytes: {
                std::string_view tok = token();
                auto b = from_hex(tok);
                if (!b)
                    return wrap(
                        fail("abi: bad hex for " + t.canonical() + ": " + b.error().message));
                if (t.kind == Kind::Bytes) return Value::bytes(std::move(*b));
                if (b->size() != t.size)
                    return wrap(fail("abi: " + t.canonical() + " needs exactly " +
                                     std::to_string(t.size) + " bytes, got " +
                                     std::to_string(b->size())));
                return Value::fixed_bytes(std::move(*b));
            }
            case Kind::String: {
                VIGIL_TRY(std::string s, quoted());
                return Value::string(std::move(s));
            }
            case Kind::FixedArray:
            case Kind::Array: {
                if (!eat('[')) return error("expected '[' for " + t.canonical());
                VIGIL_TRY(auto items, list(t, ']', depth));
                if (t.kind == Kind::FixedArray && items.size() != t.length)
                    return wrap(fail("abi: " + t.canonical() + " needs " +
                                     std::to_string(t.length) + " elements, got " +
                                     std::to_string(items.size())));
                return Value::array(std::move(items));
            }
            case Kind::Tuple: {
                if (!eat('(')) return error("expected '(' for " + t.canonical());
                VIGIL_TRY(auto items, list(t, ')', depth));
                if (items.size() != t.children.size())
                    return wrap(fail("abi: " + t.canonical() + " needs " +
                                     std::to_string(t.children.size()) + " components, got " +
                                     std::to_string(items.size())));
                return Value::tuple(std::move(items));
            }
        }
        return error("unsupported type");
    }

    // Items after the opening bracket, up to `close`.
    Result<std::vector<Value>> list(const Type& t, char close, size_t depth) {
        std::vector<Value> items;
        skip_ws();
        if (eat(close)) return items;
        for (;;) {
            if (t.kind == Kind::Tuple && items.size() >= t.children.size())
                return error("too many components for " + t.canonical());
            const Type& ct = t.kind == Kind::Tuple ? t.children[items.size()] : t.children[0];
            skip_ws();
            VIGIL_TRY(Value v, item(ct, depth + 1));
            items.push_back(std::move(v));
            skip_ws();
            if (eat(close)) return items;
            if (!eat(',')) return error(std::string("expected ',' or '") + close + "'");
        }
    }

    std::string_view s_;
    size_t pos_ = 0;
};

// Length of the valid UTF-8 sequence at p (0 if invalid), per RFC 3629.
size_t utf8_sequence(const unsigned char* p, size_t n) {
    const unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;  // no UTF-16 surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;  // nothing above U+10FFFF
    } else {
        return 0;
    }
    if (n < len) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; ++i)
        if (p[i] < 0x80 || p[i] > 0xbf) return 0;
    return len;
}

// Appends "text" (text needs no escaping: digits, hex).
void quote(std::string& out, const std::string& text) {
    out += '"';
    out += text;
    out += '"';
}

void append_json(std::string& out, const Value& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, UintValue>) {
                quote(out, x.value.to_dec());
            } else if constexpr (std::is_same_v<T, IntValue>) {
                quote(out, signed_to_dec(x.value));
            } else if constexpr (std::is_same_v<T, bool>) {
                out += x ? "true" : "false";
            } else if constexpr (std::is_same_v<T, Address>) {
                quote(out, x.to_checksum_hex());
            } else if constexpr (std::is_same_v<T, FixedBytesValue> ||
                                 std::is_same_v<T, BytesValue>) {
                quote(out, to_hex(x.bytes));
            } else if constexpr (std::is_same_v<T, StringValue>) {
                out += json_string(x.text);
            } else {  // ArrayValue, TupleValue
                out += '[';
                for (size_t i = 0; i < x.items.size(); ++i) {
                    if (i) out += ',';
                    append_json(out, x.items[i]);
                }
                out += ']';
            }
        },
        v.v);
}

}  // namespace

Result<Value> parse_value(const Type& type, std::string_view text) {
    VIGIL_CHECK(type.validate());
    if (type.kind == Kind::String) return Value::string(std::string(text));
    return TextParser(text).whole(type);
}

std::string signed_to_dec(const U256& x) {
    if (!x.is_negative()) return x.to_dec();
    std::string out = "-";
    out += (-x).to_dec();
    return out;
}

std::string json_string(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() + 2);
    out += '"';
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    size_t i = 0;
    while (i < bytes.size()) {
        const unsigned char c = p[i];
        if (c >= 0x80) {
            size_t len = utf8_sequence(p + i, bytes.size() - i);
            if (len == 0) {
                out += "\\ufffd";
                ++i;
            } else {
                out.append(bytes.substr(i, len));
                i += len;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xf];
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
    return out;
}

std::string to_json(const Value& value) {
    std::string out;
    append_json(out, value);
    return out;
}

}  // namespace vigil::eth::abi
