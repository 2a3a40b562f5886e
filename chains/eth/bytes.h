// Byte strings and fixed-size byte values (Hash32, Address) with hex at the edges.
//
// Bytes owns, BytesView borrows (like leveldb::Slice). FixedBytes<N> is a value type:
// cheap to copy, ordered, hashable. Hex text is produced and parsed only here, so the
// rest of the code handles bytes, never strings of hex.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chains/eth/result.h"

namespace vigil::eth {

using Bytes = std::vector<uint8_t>;
using BytesView = std::span<const uint8_t>;

// Lowercase hex with a "0x" prefix ("0x" for empty input).
std::string to_hex(BytesView data);
// Lowercase hex without a prefix.
std::string to_hex_bare(BytesView data);

// Parses hex with or without "0x"/"0X"; upper or lower case. An odd number of digits or
// a non-hex character is an error naming its position.
Result<Bytes> from_hex(std::string_view text);

// Parses a JSON-RPC quantity ("0x1a", "0x0"; decimal digits also accepted) into 64 bits.
// Leading zeros are accepted (some nodes send them); overflow is an error.
Result<uint64_t> parse_quantity(std::string_view text);
// "0x" + minimal lowercase hex, "0x0" for zero.
std::string to_quantity(uint64_t value);

inline BytesView view(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline BytesView view(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

template <size_t N>
struct FixedBytes {
    std::array<uint8_t, N> bytes{};

    static constexpr size_t size() { return N; }
    uint8_t* data() { return bytes.data(); }
    const uint8_t* data() const { return bytes.data(); }
    BytesView view() const { return {bytes.data(), N}; }
    uint8_t& operator[](size_t i) { return bytes[i]; }
    uint8_t operator[](size_t i) const { return bytes[i]; }
    bool is_zero() const {
        for (uint8_t b : bytes)
            if (b) return false;
        return true;
    }
    std::string to_hex() const { return eth::to_hex(view()); }

    // Exactly N bytes, else an error.
    static Result<FixedBytes> from_view(BytesView data) {
        if (data.size() != N)
            return fail("expected " + std::to_string(N) + " bytes, got " +
                        std::to_string(data.size()));
        FixedBytes out;
        std::memcpy(out.bytes.data(), data.data(), N);
        return out;
    }
    // Exactly 2N hex digits, with or without 0x.
    static Result<FixedBytes> from_hex(std::string_view text) {
        auto raw = eth::from_hex(text);
        if (!raw) return raw.error();
        return from_view(*raw);
    }

    friend auto operator<=>(const FixedBytes&, const FixedBytes&) = default;
    friend bool operator==(const FixedBytes&, const FixedBytes&) = default;
};

using Hash32 = FixedBytes<32>;

// Appends bytes to a Bytes buffer.
inline void append(Bytes& out, BytesView data) { out.insert(out.end(), data.begin(), data.end()); }

}  // namespace vigil::eth

template <size_t N>
struct std::hash<vigil::eth::FixedBytes<N>> {
    size_t operator()(const vigil::eth::FixedBytes<N>& v) const noexcept {
        size_t h;
        static_assert(N >= sizeof(size_t));
        std::memcpy(&h, v.bytes.data(), sizeof h);
        return h;
    }
};
