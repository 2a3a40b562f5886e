// `vigil eth keccak`.
#include <iostream>

#include "chains/eth/bytes.h"
#include "chains/eth/keccak.h"
#include "cmd/vigil/eth_commands.h"

namespace vigil::cmd {
namespace {

int cmd_keccak(const Args& args) {
    if (args.size() == 2 && args[0] == "--text") {
        std::cout << eth::keccak256(args[1]).to_hex() << "\n";
        return 0;
    }
    if (args.size() != 1 || args[0] == "--text")
        return eth_error("keccak", "expected HEX or --text STRING");
    auto data = eth::from_hex(args[0]);
    if (!data) return eth_error("keccak", data.error().message);
    std::cout << eth::keccak256(*data).to_hex() << "\n";
    return 0;
}

constexpr EthCommand kCommands[] = {
    {"keccak", "HEX | --text STRING", "keccak256 of bytes (hex) or of a UTF-8 string", cmd_keccak},
};

}  // namespace

std::span<const EthCommand> eth_hash_commands() { return kCommands; }

}  // namespace vigil::cmd
