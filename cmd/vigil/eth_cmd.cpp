// `vigil eth`: a cast-like toolbox. Dispatches over the command groups.
#include <iostream>
#include <iterator>
#include <sstream>

#include "cmd/vigil/commands.h"
#include "cmd/vigil/eth_commands.h"

namespace vigil::cmd {

int eth_error(const std::string& name, const std::string& message) {
    std::cerr << "vigil eth " << name << ": " << message << "\n";
    return 1;
}

std::string read_stdin() {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
}

namespace {

std::vector<std::span<const EthCommand>> groups() {
    return {eth_hash_commands(), eth_rlp_trie_commands(), eth_abi_commands(), eth_tx_commands(),
            eth_block_commands()};
}

void print_help(std::ostream& out) {
    out << "usage: vigil eth <command> [args]\n\ncommands:\n";
    for (auto group : groups())
        for (const EthCommand& c : group)
            out << "  " << c.name << " " << c.usage << "\n      " << c.help << "\n";
}

}  // namespace

int run_eth(const Args& args) {
    if (args.empty()) {
        print_help(std::cerr);
        return 1;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        print_help(std::cout);
        return 0;
    }
    Args rest(args.begin() + 1, args.end());
    for (auto group : groups()) {
        for (const EthCommand& c : group) {
            if (args[0] != c.name) continue;
            if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
                std::cout << "usage: vigil eth " << c.name << " " << c.usage << "\n"
                          << c.help << "\n";
                return 0;
            }
            try {
                return c.run(rest);
            } catch (const std::exception& e) {
                // Commands return errors as values; this is the last line of defence so
                // that no input can crash the tool.
                return eth_error(c.name, std::string("internal error: ") + e.what());
            }
        }
    }
    return eth_error(args[0], "unknown command (see vigil eth --help)");
}

}  // namespace vigil::cmd
