// vigil: the command-line entry point. Wiring only: each sub-command lives in its own
// file and calls into the libraries.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cmd/vigil/commands.h"

namespace {

void print_usage(std::ostream& out) {
    out << "usage: vigil <command> [args]\n"
           "\n"
           "commands:\n"
           "  config    check a config file (vigil config check --config FILE)\n"
           "  eth       Ethereum toolbox: keccak, selector, topic, rlp, abi, trie, proofs,\n"
           "            transactions, signatures, OP Stack hashes (vigil eth --help)\n"
           "  keys      V3 keystores: vigil keys new --out FILE | vigil keys address FILE\n"
           "  relay     run the relayer: prove and finalize every route's withdrawals on L1\n"
           "            against games judged valid (vigil relay --config FILE)\n"
           "  run       run the verifier and the relayer in one process (vigil run --config FILE)\n"
           "  status    chains, cursors and endpoint health (vigil status --config FILE [--json])\n"
           "  verify    run the verifier: judge every output-root proposal, alarm and challenge\n"
           "            (vigil verify --config FILE); one-shot audit: vigil verify check --help\n"
           "  version   print the version\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        print_usage(args.empty() ? std::cerr : std::cout);
        return args.empty() ? 1 : 0;
    }
    const std::string command = args[0];
    args.erase(args.begin());
    if (command == "eth") return vigil::cmd::run_eth(args);
    if (command == "config") return vigil::cmd::run_config(args);
    if (command == "keys") return vigil::cmd::run_keys(args);
    if (command == "relay") return vigil::cmd::run_relay(args);
    if (command == "run") return vigil::cmd::run_all(args);
    if (command == "status") return vigil::cmd::run_status(args);
    if (command == "verify") return vigil::cmd::run_verify(args);
    if (command == "version") {
        std::cout << "vigil " << vigil::cmd::kVersion << "\n";
        return 0;
    }
    std::cerr << "vigil: unknown command '" << command << "' (see vigil --help)\n";
    return 1;
}
