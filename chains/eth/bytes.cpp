#include "chains/eth/bytes.h"

namespace vigil::eth {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string_view strip_prefix(std::string_view text) {
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        text.remove_prefix(2);
    return text;
}

}  // namespace

namespace {

void write_hex(char* out, BytesView data) {
    for (size_t i = 0; i < data.size(); ++i) {
        out[2 * i] = kHexDigits[data[i] >> 4];
        out[2 * i + 1] = kHexDigits[data[i] & 0xf];
    }
}

}  // namespace

std::string to_hex_bare(BytesView data) {
    std::string out(data.size() * 2, '0');
    write_hex(out.data(), data);
    return out;
}

std::string to_hex(BytesView data) {
    std::string out(2 + data.size() * 2, '0');
    out[1] = 'x';
    write_hex(out.data() + 2, data);
    return out;
}

Result<Bytes> from_hex(std::string_view text) {
    std::string_view digits = strip_prefix(text);
    if (digits.size() % 2 != 0)
        return fail("hex: odd number of digits (" + std::to_string(digits.size()) + ")");
    Bytes out(digits.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
        int hi = hex_value(digits[2 * i]);
        int lo = hex_value(digits[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            size_t pos = (hi < 0 ? 2 * i : 2 * i + 1) + (text.size() - digits.size());
            return fail("hex: invalid character at position " + std::to_string(pos));
        }
        out[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return out;
}

Result<uint64_t> parse_quantity(std::string_view text) {
    if (text.empty()) return fail("quantity: empty");
    bool hex = text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    std::string_view digits = hex ? text.substr(2) : text;
    if (digits.empty()) return fail("quantity: no digits in '" + std::string(text) + "'");
    uint64_t value = 0;
    const uint64_t base = hex ? 16 : 10;
    for (char c : digits) {
        int d = hex_value(c);
        if (d < 0 || static_cast<uint64_t>(d) >= base)
            return fail("quantity: invalid digit in '" + std::string(text.substr(0, 80)) + "'");
        if (value > (UINT64_MAX - static_cast<uint64_t>(d)) / base)
            return fail("quantity: '" + std::string(text.substr(0, 80)) + "' exceeds 64 bits");
        value = value * base + static_cast<uint64_t>(d);
    }
    return value;
}

std::string to_quantity(uint64_t value) {
    if (value == 0) return "0x0";
    std::string out;
    while (value) {
        out.push_back(kHexDigits[value & 0xf]);
        value >>= 4;
    }
    return "0x" + std::string(out.rbegin(), out.rend());
}

}  // namespace vigil::eth
