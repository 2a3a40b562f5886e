// `vigil eth` commands of the tx group.
#include "cmd/vigil/eth_commands.h"

namespace vigil::cmd {

std::span<const EthCommand> eth_tx_commands() { return {}; }

}  // namespace vigil::cmd
