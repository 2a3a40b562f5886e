// `vigil eth` commands of the abi group.
#include "cmd/vigil/eth_commands.h"

namespace vigil::cmd {

std::span<const EthCommand> eth_abi_commands() { return {}; }

}  // namespace vigil::cmd
