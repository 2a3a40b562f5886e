// The sub-commands of the vigil binary. Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace vigil::cmd {

inline constexpr const char* kVersion = "0.1.0";

// `vigil eth …`: the Ethereum toolbox (see eth_cmd.cpp).
int run_eth(const std::vector<std::string>& args);

}  // namespace vigil::cmd
