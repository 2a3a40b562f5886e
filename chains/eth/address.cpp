#include "chains/eth/address.h"

#include <cctype>

#include "chains/eth/keccak.h"

namespace vigil::eth {

Result<Address> Address::from_view(BytesView data) {
    auto raw = FixedBytes<20>::from_view(data);
    if (!raw) return fail("address: " + raw.error().message);
    return Address(*raw);
}

Result<Address> Address::from_hex(std::string_view text) {
    std::string_view digits = text;
    if (digits.size() >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
        digits.remove_prefix(2);
    if (digits.size() != 40)
        return fail("address: expected 40 hex digits, got " + std::to_string(digits.size()));
    auto raw = FixedBytes<20>::from_hex(digits);
    if (!raw) return fail("address: " + raw.error().message);
    Address out(*raw);
    bool has_lower = false, has_upper = false;
    for (char c : digits) {
        has_lower |= (c >= 'a' && c <= 'f');
        has_upper |= (c >= 'A' && c <= 'F');
    }
    if (has_lower && has_upper && out.to_checksum_hex().substr(2) != digits)
        return fail("address: bad EIP-55 checksum in " + std::string(text));
    return out;
}

Result<Address> Address::from_word(BytesView word) {
    if (word.size() != 32) return fail("address: word must be 32 bytes");
    for (size_t i = 0; i < 12; ++i)
        if (word[i]) return fail("address: word has non-zero high bytes");
    return from_view(word.subspan(12));
}

std::string Address::to_checksum_hex() const {
    // EIP-55: uppercase a letter when the matching nibble of keccak256(lowercase hex) >= 8.
    std::string lower = to_hex_bare(view());
    Hash32 h = keccak256(lower);
    for (size_t i = 0; i < lower.size(); ++i) {
        uint8_t nibble = (i % 2 == 0) ? h[i / 2] >> 4 : h[i / 2] & 0xf;
        if (nibble >= 8) lower[i] = static_cast<char>(std::toupper(lower[i]));
    }
    return "0x" + lower;
}

}  // namespace vigil::eth
