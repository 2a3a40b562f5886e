// Config: Vigil's one YAML file, parsed and validated in full at start.
//
// Every field is checked: a missing required key, an unknown key (usually a typo), a
// wrong type or an out-of-range value is an error naming the file, line, column and
// the key path ("vigil.yaml:12:5: chains[1].chain_id: expected an unsigned integer").
// Secrets are never inline: signers name a keystore file and a password file, or (only
// with dev: true) an environment variable; the config never holds key material.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/result.h"
#include "chains/eth/u256.h"
#include "core/log.h"

namespace vigil::core {

// How deep a block must be before its events count as confirmed.
struct Finality {
    enum class Kind { confirmations, safe, finalized };
    Kind kind = Kind::confirmations;
    uint64_t confirmations = 0;  // when kind == confirmations
};

struct ChainConfig {
    std::string name;
    uint64_t chain_id = 0;
    std::vector<std::string> rpc;   // HTTP(S) endpoints, in failover order
    std::optional<std::string> ws;  // WebSocket endpoint for newHeads
    Finality finality;
    uint64_t poll_interval_ms = 2000;
    uint64_t start_block = 0;
    uint64_t max_block_range = 2000;
    double requests_per_second = 25;
    uint64_t request_timeout_ms = 10000;
    uint64_t reorg_window = 128;   // headers kept for reorg detection
    uint64_t max_lag_blocks = 64;  // /readyz threshold
};

struct SignerConfig {
    std::string name;
    // Either a V3 keystore with its password file...
    std::optional<std::filesystem::path> keystore;
    std::optional<std::filesystem::path> password_file;
    // ...or, for development only, an environment variable holding a raw key.
    std::optional<std::string> key_env;
    bool dev = false;
    // Below this balance (in wei) on a chain it sends on, the signer is reported low
    // (a warning in the log; the metric vigil_signer_balance_wei carries the value).
    // YAML: low_balance_eth, a decimal amount of ether; default 0.1.
    eth::U256 low_balance_wei = eth::U256(100'000'000'000'000'000ULL);
};

// One OP Stack rollup whose proposals the verifier judges.
// verifier.rollups[].reexecute: how Vigil re-executes the rollup's L2 blocks itself
// (mode: reexecute, and `vigil verify check --reexecute`).
struct ReexecuteConfig {
    std::string rules = "ethereum";  // ethereum (Cancun) | op-stack (forks from rollup_config)
    std::optional<std::filesystem::path> rollup_config;  // op-node's rollup.json (op-stack)
    std::string witness = "auto";                        // auto | execution_witness | prestate
    // The first trusted L2 block: re-execution starts at the next one. Its hash is the only
    // trusted input (e.g. the L2 genesis hash from rollup.json, or a block an operator
    // checked); required for mode: reexecute.
    std::optional<uint64_t> anchor_block;
    std::optional<eth::Hash32> anchor_hash;
    uint64_t retain_blocks = 1'000'000;  // per-block results kept for late proposals
    uint64_t prefetch = 4;               // blocks fetched ahead in parallel
};

struct RollupConfig {
    std::string name;
    std::string l1_chain;  // a chains[].name
    std::string l2_chain;  // a chains[].name
    eth::Address dispute_game_factory;
    std::vector<uint32_t> game_types = {0, 1};     // watched game types
    std::optional<eth::Address> l2_output_oracle;  // legacy proposals (OutputProposed)
    bool challenge = false;                        // attack invalid games on L1
    std::optional<std::string> signer;             // a signers name; required with challenge
    std::optional<std::string> webhook_url;        // POSTed the evidence of invalid proposals
    std::string mode = "recompute";                // recompute | reexecute
    std::optional<ReexecuteConfig> reexecute;      // required with mode: reexecute
};

struct VerifierConfig {
    std::vector<RollupConfig> rollups;
};

// relayer.routes[]: one OP Stack withdrawal route (an L2 to its L1 portal).
struct RoutePolicy {
    std::vector<eth::Address> allow_senders;  // empty: any (deny wins over allow)
    std::vector<eth::Address> deny_senders;
    std::vector<eth::Address> allow_targets;
    std::vector<eth::Address> deny_targets;
    std::optional<uint64_t> max_gas_limit;  // withdrawals asking more gas are not relayed
    bool paused = false;                    // observe, but send nothing
};

struct RouteConfig {
    std::string name;
    std::string protocol = "op-withdrawals";
    std::string l1_chain;
    std::string l2_chain;
    eth::Address optimism_portal;
    // The verifier rollup whose verdicts gate the proofs (same chains, same factory):
    // the relayer never proves against a game this rollup has not judged valid.
    std::string rollup;
    std::string signer;
    RoutePolicy policy;
};

struct RelayerConfig {
    std::vector<RouteConfig> routes;
};

struct Config {
    std::filesystem::path source;  // the file it was read from
    std::filesystem::path store_path;
    std::string metrics_listen = "127.0.0.1:9100";
    std::optional<std::string> admin_listen;
    std::optional<std::filesystem::path> admin_token_file;
    LogLevel log_level = LogLevel::info;
    LogFormat log_format = LogFormat::json;
    std::vector<ChainConfig> chains;
    std::map<std::string, SignerConfig> signers;
    VerifierConfig verifier;
    RelayerConfig relayer;

    const ChainConfig* chain(std::string_view name) const;
    const RollupConfig* rollup(std::string_view name) const;
    const RouteConfig* route(std::string_view name) const;
};

// Parses and validates YAML text; `source_name` prefixes error positions. Relative
// paths in the file are resolved against `base_dir`.
Result<Config> parse_config(std::string_view yaml_text, const std::string& source_name,
                            const std::filesystem::path& base_dir);
// Reads and validates a config file.
Result<Config> load_config(const std::filesystem::path& path);

}  // namespace vigil::core
