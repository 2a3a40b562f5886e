// `vigil eth` commands of the rlp/trie group.
#include "cmd/vigil/eth_commands.h"

namespace vigil::cmd {

std::span<const EthCommand> eth_rlp_trie_commands() { return {}; }

}  // namespace vigil::cmd
