// Fuzzes the hex and quantity parsers: any input is an error or round-trips.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "chains/eth/bytes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto bytes = vigil::eth::from_hex(text);
    if (bytes.ok()) {
        auto again = vigil::eth::from_hex(vigil::eth::to_hex(*bytes));
        if (!again.ok() || *again != *bytes) std::abort();
    }
    auto q = vigil::eth::parse_quantity(text);
    if (q.ok()) {
        auto again = vigil::eth::parse_quantity(vigil::eth::to_quantity(*q));
        if (!again.ok() || *again != *q) std::abort();
    }
    return 0;
}
