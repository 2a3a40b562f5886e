// The sub-commands of the vigil binary. Each returns the process exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/version.h"

namespace vigil::cmd {

inline constexpr const char* kVersion = core::kVersion;

// `vigil eth …`: the Ethereum toolbox (see eth_cmd.cpp).
int run_eth(const std::vector<std::string>& args);

// `vigil config check`: validates a config file (see config_cmd.cpp).
int run_config(const std::vector<std::string>& args);

// `vigil keys new | address`: V3 keystore files (see keys_cmd.cpp).
int run_keys(const std::vector<std::string>& args);

// `vigil status`: chains, cursors and endpoints (see status_cmd.cpp).
int run_status(const std::vector<std::string>& args);

// `vigil verify check`: a one-shot output-root audit (see verify_cmd.cpp).
int run_verify(const std::vector<std::string>& args);

// `vigil relay`: the relayer daemon (see relay_cmd.cpp).
int run_relay(const std::vector<std::string>& args);

// `vigil run`: verifier and relayer in one daemon (see relay_cmd.cpp).
int run_all(const std::vector<std::string>& args);

// The config path from `--config FILE` in args, else $VIGIL_CONFIG.
std::optional<std::string> config_path_from(const std::vector<std::string>& args);

}  // namespace vigil::cmd
