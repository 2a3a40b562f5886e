#include "verifier/evm/precompiles.h"

#include <array>

namespace vigil::evm {
namespace {

constexpr eth::Address precompile_address(uint16_t n) {
    eth::Address a;
    a.bytes[18] = static_cast<uint8_t>(n >> 8);
    a.bytes[19] = static_cast<uint8_t>(n & 0xff);
    return a;
}

constexpr std::array<eth::Address, 11> kAddresses = {
    precompile_address(0x01), precompile_address(0x02), precompile_address(0x03),
    precompile_address(0x04), precompile_address(0x05), precompile_address(0x06),
    precompile_address(0x07), precompile_address(0x08), precompile_address(0x09),
    precompile_address(0x0a), precompile_address(0x100)};

}  // namespace

std::span<const eth::Address> precompile_addresses(const PrecompileSet& set) {
    return std::span<const eth::Address>(kAddresses).first(set.p256verify ? 11 : 10);
}

bool is_precompile(const eth::Address& address, const PrecompileSet& set) {
    for (const eth::Address& a : precompile_addresses(set))
        if (a == address) return true;
    return false;
}

PrecompileResult run_precompile(const eth::Address& address, eth::BytesView input, uint64_t gas,
                                const PrecompileSet& set) {
    (void)input;
    (void)gas;
    (void)set;
    PrecompileResult r;
    r.status = PrecompileStatus::kUnsupported;
    r.reason = "precompile " + address.to_hex() + " not supported yet";
    return r;
}

}  // namespace vigil::evm
