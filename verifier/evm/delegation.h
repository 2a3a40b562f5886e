// EIP-7702 (Prague) delegation designators: the 23 bytes 0xef0100 ‖ address an EOA carries
// as its code once it delegates to `address`. CALL-like instructions run the delegate's
// code in the EOA's context; EXTCODE* instructions see the designator itself.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"

namespace vigil::evm {

// EIP-7702: the designator's prefix and length.
inline constexpr uint8_t kDelegationPrefix[3] = {0xef, 0x01, 0x00};
inline constexpr size_t kDelegationSize = 23;

// The delegate named by `code` when it is exactly a delegation designator.
inline std::optional<eth::Address> delegation_target(eth::BytesView code) {
    if (code.size() != kDelegationSize ||
        std::memcmp(code.data(), kDelegationPrefix, sizeof kDelegationPrefix) != 0)
        return std::nullopt;
    eth::Address a;
    std::memcpy(a.data(), code.data() + sizeof kDelegationPrefix, 20);
    return a;
}

// 0xef0100 ‖ `delegate`.
inline eth::Bytes delegation_designator(const eth::Address& delegate) {
    eth::Bytes code(kDelegationSize, 0);
    std::memcpy(code.data(), kDelegationPrefix, sizeof kDelegationPrefix);
    std::memcpy(code.data() + sizeof kDelegationPrefix, delegate.data(), 20);
    return code;
}

}  // namespace vigil::evm
