// Address: a 20-byte Ethereum account address, with EIP-55 checksummed hex.
#pragma once

#include "chains/eth/bytes.h"

namespace vigil::eth {

struct Address : FixedBytes<20> {
    Address() = default;
    explicit Address(const FixedBytes<20>& raw) : FixedBytes<20>(raw) {}

    // Accepts 40 hex digits with or without 0x. All-lowercase and all-uppercase are taken
    // as they are; mixed case must be a valid EIP-55 checksum, else an error (a mistyped
    // address must not silently become another account).
    static Result<Address> from_hex(std::string_view text);
    static Result<Address> from_view(BytesView data);
    // The last 20 bytes of a 32-byte word (ABI, storage); the first 12 must be zero.
    static Result<Address> from_word(BytesView word32);

    // EIP-55 mixed-case checksum form, "0x" prefixed.
    std::string to_checksum_hex() const;
};

}  // namespace vigil::eth

template <>
struct std::hash<vigil::eth::Address> : std::hash<vigil::eth::FixedBytes<20>> {};
