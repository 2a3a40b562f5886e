// The `vigil eth` command table. Each group of commands lives in its own eth_*_cmd.cpp
// and exports its table here; eth_cmd.cpp dispatches over all of them.
//
// Contract for every command: print the result on stdout and return 0, or print one
// error line on stderr (through eth_error) and return 1. Hex output is 0x-prefixed
// lowercase. Standard input is read only by commands that say so.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace vigil::cmd {

using Args = std::vector<std::string>;

struct EthCommand {
    const char* name;   // e.g. "rlp-encode"
    const char* usage;  // argument synopsis, e.g. "JSON"
    const char* help;   // one line
    int (*run)(const Args& args);
};

// Prints "vigil eth NAME: MESSAGE" on stderr and returns 1.
int eth_error(const std::string& name, const std::string& message);
// Reads all of standard input.
std::string read_stdin();

std::span<const EthCommand> eth_hash_commands();  // keccak
std::span<const EthCommand>
eth_rlp_trie_commands();  // rlp-encode, rlp-decode, trie-root, verify-proof
std::span<const EthCommand>
eth_abi_commands();  // selector, topic, abi-encode, abi-decode, output-root, withdrawal-hash
std::span<const EthCommand> eth_tx_commands();     // decode-tx, sign-tx, recover
std::span<const EthCommand> eth_block_commands();  // run-block

}  // namespace vigil::cmd
