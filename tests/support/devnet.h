// Devnet: a local L1 and N OP Stack-like L2 chains on real Anvil nodes, with the devnet's
// own OP Stack contracts (tests/devnet/contracts) deployed, for the integration tests, the
// `vigil-devnet` tool and the demo.
//
// Per L2 the L1 holds a DisputeGameFactory and an OptimismPortal2 (funded, so it can pay
// value withdrawals); the L2 holds the L2ToL1MessagePasser at its predeploy address. The
// contracts follow the OP Stack ABI and storage layout with short, real-time delays (see
// the .sol files for the rules). Roles use distinct funded Anvil dev accounts: account 0
// deploys and is the factory owner and the portal guardian; accounts 1..4 are the relayer,
// challenger, proposer and user.
//
// Two layers:
//  - Devnet owns the Anvil processes: start() starts and deploys; the chains stop when it
//    is destroyed (or stop() is called).
//  - DevnetClient drives a running devnet described by a DevnetInfo (ours, or one read
//    from a devnet.json written by `vigil-devnet up`): proposals, withdrawals, proofs,
//    games, time, reorgs. Transactions are signed here (EIP-1559) and sent raw, so they
//    would work against any node; each call waits for its receipt.
//
// Thread-safety: none; one owner thread per object.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chains/eth/abi.h"
#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/opstack.h"
#include "chains/eth/result.h"
#include "chains/eth/secp256k1.h"
#include "chains/eth/u256.h"
#include "chains/rpc/http_client.h"
#include "core/config.h"
#include "tests/support/anvil.h"

namespace vigil::testing {

// ---- Description (devnet.json) ----

struct DevnetChain {
    std::string name;
    uint64_t chain_id = 0;
    std::string rpc;  // http://
    std::string ws;   // ws://
};

struct DevnetL2 : DevnetChain {
    eth::Address message_passer;
    eth::Address dispute_game_factory;  // on L1
    eth::Address optimism_portal;       // on L1
};

// 0x private keys of funded dev accounts, one account per role.
struct DevnetKeys {
    std::string relayer;
    std::string challenger;
    std::string proposer;
    std::string user;
};

struct DevnetInfo {
    DevnetChain l1;  // name "l1"
    std::vector<DevnetL2> l2s;
    DevnetKeys keys;

    // devnet.json: {"l1": {"chain_id", "rpc", "ws"}, "l2s": [{"name", "chain_id", "rpc",
    // "ws", "message_passer", "l1_contracts": {"dispute_game_factory", "optimism_portal"}}],
    // "keys": {"relayer", "challenger", "proposer", "user"}}; addresses lowercase 0x hex.
    std::string to_json() const;
    // Strict inverse of to_json (unknown keys are errors naming the path).
    static Result<DevnetInfo> from_json(std::string_view text);
    static Result<DevnetInfo> load(const std::filesystem::path& devnet_json);

    // A vigil.yaml for core/config.h: the chains (l1 and each L2 with rpc, ws and
    // `confirmations`), the store at `store_path` (relative paths resolve against the
    // yaml's directory), metrics on `metrics_listen`, and one dev signer per role reading
    // its key from VIGIL_<ROLE>_KEY; the verifier watches every L2's factory and
    // challenges invalid games with the challenger key (alarms to `webhook_url` if set);
    // the relayer has a route per L2 (gated by that L2's rollup) sending with the relayer key.
    // Rollups named in `reexecute` get `mode: reexecute` (Ethereum rules, as the devnet's
    // Anvil L2s run) trusting from the given L2 block and hash.
    std::string vigil_yaml(
        const std::string& store_path = "store",
        const std::string& metrics_listen = "127.0.0.1:9100", uint64_t confirmations = 2,
        const std::string& webhook_url = "",
        const std::map<std::string, std::pair<uint64_t, eth::Hash32>>& reexecute = {}) const;

    // The environment the generated vigil.yaml's dev signers read their keys from
    // (VIGIL_RELAYER_KEY, VIGIL_CHALLENGER_KEY, VIGIL_PROPOSER_KEY).
    std::map<std::string, std::string> signer_env() const;

    // The L2 called `name`, or nullptr.
    const DevnetL2* l2(std::string_view name) const;
    // The chain called `name` ("l1" or an L2's name), or nullptr.
    const DevnetChain* chain(std::string_view name) const;
};

// A chain's config for in-process components under test: its RPC (and WebSocket, if
// any), `confirmations` deep, polled every 250 ms, no client-side rate limit to speak of.
core::ChainConfig chain_config(const DevnetChain& chain, uint64_t confirmations = 0);

// The environment variable a role's key is read from in the generated vigil.yaml.
std::string signer_key_env(std::string_view role);

// ---- Contracts ----

// build/devnet/contracts.json (tests/devnet/compile.js): $VIGIL_DEVNET_ARTIFACTS, else
// <source dir>/build/devnet/contracts.json.
std::filesystem::path devnet_artifacts_path();

struct DevnetArtifacts {
    eth::Bytes factory_creation;        // DisputeGameFactory bytecode
    eth::Bytes portal_creation;         // OptimismPortal2 bytecode
    eth::Bytes message_passer_runtime;  // L2ToL1MessagePasser deployedBytecode
    // Custom errors of every contract, by selector, as "Name(types)".
    std::map<uint32_t, std::string> errors;

    // An error naming the path and `make devnet-contracts` if the file is missing.
    static Result<DevnetArtifacts> load(const std::filesystem::path& path);
};

// ---- Starting a devnet ----

struct DevnetOptions {
    size_t l2_count = 2;
    // Interval mining on every chain; none = a block per transaction (fastest for tests).
    std::optional<uint64_t> block_time_secs;
    uint64_t l1_chain_id = 900;  // L2 i (0-based) gets l1_chain_id + 1 + i
    // Games and portal (short, real-time delays).
    uint32_t game_type = 0;
    uint64_t max_clock_duration_secs = 60;
    uint64_t max_game_depth = 8;
    eth::U256 init_bond = eth::U256(80'000'000'000'000'000ULL);  // 0.08 ETH
    eth::U256 move_bond = eth::U256(10'000'000'000'000'000ULL);  // 0.01 ETH per move
    uint64_t proof_maturity_delay_secs = 30;
    uint64_t dispute_game_finality_delay_secs = 15;
    eth::U256 portal_funding =
        eth::U256(1'000'000'000'000'000'000ULL) * eth::U256(1000);  // 1000 ETH
    std::filesystem::path artifacts;  // empty: devnet_artifacts_path()
};

// L2 names: "op-a", "op-b", ...
std::string devnet_l2_name(size_t index);

class Devnet {
  public:
    // Starts 1 + l2_count Anvil nodes, deploys and configures the contracts, checks that
    // every role's account is funded on every chain.
    static Result<std::unique_ptr<Devnet>> start(const DevnetOptions& options);
    ~Devnet();
    Devnet(const Devnet&) = delete;
    Devnet& operator=(const Devnet&) = delete;

    const DevnetInfo& info() const { return info_; }
    const DevnetOptions& options() const { return options_; }
    // Stops every chain. Idempotent.
    void stop();

  private:
    Devnet() = default;
    DevnetOptions options_;
    DevnetInfo info_;
    std::vector<std::unique_ptr<AnvilProcess>> nodes_;  // l1 first
};

// ---- Driving a devnet ----

struct TxLog {
    eth::Address address;
    std::vector<eth::Hash32> topics;
    eth::Bytes data;
};

struct TxReceipt {
    eth::Hash32 hash;
    uint64_t block = 0;
    bool success = false;
    uint64_t gas_used = 0;
    std::optional<eth::Address> contract_address;
    std::vector<TxLog> logs;
};

// Error::code of a call or transaction the node says would revert (the message names
// the custom error or the revert string).
inline constexpr int kDevnetReverted = 4001;

// Types.OutputRootProof: the preimage of an output root (op-stack.md 1.1).
struct OutputRootPreimage {
    eth::Hash32 version;  // zero: output root version 0
    eth::Hash32 state_root;
    eth::Hash32 message_passer_storage_root;
    eth::Hash32 latest_block_hash;

    eth::Hash32 root() const;
};

struct OutputProposal {
    std::string l2;
    uint64_t l2_block = 0;
    eth::Hash32 root_claim;
    // The true output at l2_block (for an invalid proposal too).
    OutputRootPreimage preimage;
    bool valid = true;
    uint64_t game_index = 0;
    eth::Address game;
};

struct SentWithdrawal {
    eth::opstack::WithdrawalTransaction tx;
    eth::Hash32 hash;
    uint64_t l2_block = 0;
    eth::Hash32 tx_hash;
};

// eth_getProof of sentMessages[hash] in the message passer at one L2 block.
struct WithdrawalProof {
    uint64_t l2_block = 0;
    eth::Hash32 storage_root;  // the account's storageHash (not checked against stateRoot)
    std::vector<eth::Bytes> nodes;
};

enum class GameStatus : uint8_t { in_progress = 0, challenger_wins = 1, defender_wins = 2 };
const char* game_status_name(GameStatus status);

struct ReorgOutcome {
    uint64_t head = 0;
    eth::Hash32 old_hash;  // of the first replaced block, before and after
    eth::Hash32 new_hash;
};

class DevnetClient {
  public:
    // Connects to every chain of `info` (checking chain ids). `artifacts` is only used to
    // name custom errors in revert messages.
    static Result<std::unique_ptr<DevnetClient>> connect(
        DevnetInfo info, std::optional<DevnetArtifacts> artifacts = {});

    const DevnetInfo& info() const { return info_; }
    Result<eth::PrivateKey> key(
        std::string_view role) const;             // relayer|challenger|proposer|user|deployer
    rpc::RpcClient* rpc(std::string_view chain);  // nullptr for an unknown chain

    // ---- Chain basics ----
    Result<uint64_t> block_number(std::string_view chain);
    Result<uint64_t> block_timestamp(std::string_view chain, uint64_t block);
    Result<eth::U256> balance(std::string_view chain, const eth::Address& account);
    // Signs and sends a transaction (to = none: a creation), waits for its receipt. A
    // transaction the node says would revert is not sent: the error has code
    // kDevnetReverted. A receipt with status 0 is an error too.
    Result<TxReceipt> send(std::string_view chain, const eth::PrivateKey& key,
                           std::optional<eth::Address> to, const eth::Bytes& data,
                           const eth::U256& value = eth::U256(), std::optional<uint64_t> gas = {});
    // Signs and broadcasts without waiting: explicit nonce and gas, no revert check.
    Result<eth::Hash32> submit(std::string_view chain, const eth::PrivateKey& key,
                               std::optional<eth::Address> to, const eth::Bytes& data,
                               const eth::U256& value, uint64_t nonce, uint64_t gas);
    // Waits (up to 60 s) for the receipt of a transaction.
    Result<TxReceipt> wait_receipt(std::string_view chain, const eth::Hash32& tx_hash);
    // Calls `signature` (e.g. "gameCount()") with `args` and decodes the answer as the
    // tuple type `returns` (e.g. "(uint256)").
    Result<eth::abi::Value> view(std::string_view chain, const eth::Address& to,
                                 std::string_view signature, std::vector<eth::abi::Value> args,
                                 std::string_view returns);
    // Sends a call of `signature` with `args`.
    Result<TxReceipt> transact(std::string_view chain, const eth::PrivateKey& key,
                               const eth::Address& to, std::string_view signature,
                               std::vector<eth::abi::Value> args,
                               const eth::U256& value = eth::U256(),
                               std::optional<uint64_t> gas = {});
    // Moves the chain's clock forward and mines one block with the new time.
    Status increase_time(std::string_view chain, uint64_t seconds);
    Status mine(std::string_view chain, uint64_t blocks);
    // Replaces the last `depth` blocks with new empty ones (anvil_reorg).
    Result<ReorgOutcome> reorg(std::string_view chain, uint64_t depth);

    // ---- OP Stack ----
    // The output at an L2 block: header state root and hash, message passer storageHash
    // from eth_getProof.
    Result<OutputRootPreimage> output_at(std::string_view l2, uint64_t block);
    // Creates a game on the L2's factory from the proposer key for `block` (default: the
    // L2 head): the true output root, or with `invalid` a different root.
    Result<OutputProposal> propose(std::string_view l2, std::optional<uint64_t> block = {},
                                   bool invalid = false);
    // Creates a game claiming `root_claim` for `block` (e.g. the root of a forged preimage).
    Result<OutputProposal> propose_root(std::string_view l2, uint64_t block,
                                        const eth::Hash32& root_claim);
    // initiateWithdrawal from the user key.
    Result<SentWithdrawal> withdraw(std::string_view l2, const eth::Address& target,
                                    const eth::U256& value, uint64_t gas_limit,
                                    const eth::Bytes& data);
    // `count` withdrawals to the user's own address, each with `data_size` bytes of data.
    Result<std::vector<SentWithdrawal>> withdraw_many(std::string_view l2, size_t count,
                                                      size_t data_size);
    Result<WithdrawalProof> withdrawal_proof(std::string_view l2,
                                             const eth::Hash32& withdrawal_hash, uint64_t block);
    Result<TxReceipt> prove_withdrawal(std::string_view l2, const eth::PrivateKey& key,
                                       const eth::opstack::WithdrawalTransaction& withdrawal,
                                       uint64_t game_index, const OutputRootPreimage& preimage,
                                       const std::vector<eth::Bytes>& proof);
    Result<TxReceipt> finalize_withdrawal(std::string_view l2, const eth::PrivateKey& key,
                                          const eth::opstack::WithdrawalTransaction& withdrawal);
    // Attacks claim `parent_index` of a game on L1 with `claim`, paying the required bond.
    Result<TxReceipt> attack(const eth::Address& game, const eth::PrivateKey& key,
                             uint64_t parent_index, const eth::Hash32& claim);
    // resolveClaim for every claim, deepest (last) first, then resolve().
    Result<GameStatus> resolve_game(const eth::Address& game, const eth::PrivateKey& key);
    Result<GameStatus> game_status(const eth::Address& game);
    Result<uint64_t> game_count(std::string_view l2);

  private:
    DevnetClient() = default;
    Result<const DevnetL2*> find_l2(std::string_view name) const;
    // Names the reason a call reverted: a custom error of the devnet contracts, a revert
    // string or a panic; `message` (the node's) if the call does not revert on replay.
    std::string describe_revert(std::string_view chain, const rpc::Json& call,
                                const std::string& message);

    DevnetInfo info_;
    std::map<uint32_t, std::string> errors_;
    std::map<std::string, std::unique_ptr<rpc::RpcClient>, std::less<>> rpcs_;
};

}  // namespace vigil::testing
