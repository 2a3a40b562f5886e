// Dispute games read over L1 JSON-RPC: the OP Stack FaultDisputeGame surface the verifier
// and the challenger need (op-stack.md 1.5), each answer checked against the ABI.
//
// Every read is one eth_call at a block tag ("latest", "safe", "finalized", a 0x block
// number, or a 0x block hash pinned with EIP-1898). Node answers are untrusted: an answer
// of the wrong length, with dirty padding, out of the type's range or out of the enum is
// an Error with code kGameBadAnswer naming the game and the function, never a default
// value. A call the node says reverts (not a game, a function this version lacks) is
// kGameCallReverted; transport failures keep the RpcClient's codes.
//
// Versions: the move functions changed ABI at FaultDisputeGame 1.2.0 (the `disputed`
// argument was added); op-challenger speaks the 2-argument form to 0.18.x/1.0.x/1.1.x
// games (op-challenger/game/fault/contracts/faultdisputegame111.go). 0.8.x games have
// neither maxClockDuration() nor resolveClaim(uint256,uint256) and are refused as
// kGameUnsupported.
//
// Thread-safety: pure functions over the RpcClient passed in (see its rules).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/result.h"
#include "chains/eth/u256.h"
#include "chains/rpc/http_client.h"

namespace vigil::verifier {

// Error::code values of the game reads.
enum GameError : int {
    kGameBadAnswer = 5001,     // the answer does not decode as the ABI says
    kGameCallReverted = 5002,  // the node says the call reverts
    kGameUnsupported = 5003,   // a game version whose ABI Vigil does not speak
    kGameBadBlockTag = 5004,   // the block tag is not a tag, a number or a hash
};

// GameStatus (src/dispute/lib/Types.sol).
inline constexpr uint8_t kGameInProgress = 0;
inline constexpr uint8_t kGameChallengerWins = 1;
inline constexpr uint8_t kGameDefenderWins = 2;
// "IN_PROGRESS" | "CHALLENGER_WINS" | "DEFENDER_WINS" | "UNKNOWN".
const char* game_status_name(uint8_t status);

struct GameInfo {
    eth::Address address;
    uint32_t game_type = 0;
    eth::Hash32 root_claim;
    uint64_t l2_block = 0;
    uint8_t status = kGameInProgress;  // one of kGame*; anything else is refused
    uint64_t created_at = 0;           // L1 timestamp, seconds
    std::string version;               // semver text, e.g. "1.3.1"
};

// Reads gameType, rootClaim, l2BlockNumber, status, createdAt and version.
Result<GameInfo> read_game(rpc::RpcClient& l1, const eth::Address& game,
                           std::string_view block_tag = "latest");

// ---- The factory ----

// gameAtIndex(i) of a DisputeGameFactory.
struct FactoryGame {
    uint32_t game_type = 0;
    uint64_t timestamp = 0;  // L1 timestamp of the creation
    eth::Address proxy;
};
Result<uint64_t> read_game_count(rpc::RpcClient& l1, const eth::Address& factory,
                                 std::string_view block_tag = "latest");
Result<FactoryGame> read_game_at_index(rpc::RpcClient& l1, const eth::Address& factory,
                                       uint64_t index, std::string_view block_tag = "latest");
// The factory index of `game`, created at L1 time `created_at`: the factory appends games
// in creation order, so its timestamps never decrease and a binary search finds the
// first game of that second; the proxy then picks ours among the games of the same
// second. Reads at `block_tag` only, so it works on nodes without historical state.
// kGameBadAnswer if the factory does not list the game.
Result<uint64_t> find_game_index(rpc::RpcClient& l1, const eth::Address& factory,
                                 const eth::Address& game, uint64_t created_at,
                                 std::string_view block_tag = "latest");

// ---- What a challenger needs ----

// Which ABI the move functions (attack/defend) take.
enum class MoveAbi : uint8_t {
    legacy,    // attack(uint256 parentIndex, bytes32 claim), versions < 1.2
    disputed,  // attack(bytes32 disputed, uint256 parentIndex, bytes32 claim), >= 1.2
};

struct GameVersion {
    uint32_t major = 0, minor = 0, patch = 0;
    MoveAbi move_abi = MoveAbi::disputed;
};
// Parses "MAJOR.MINOR.PATCH" (a "-pre" or "+build" suffix is ignored) and decides the ABI.
// Unparsable text or a version older than 0.18 is kGameUnsupported.
Result<GameVersion> parse_game_version(std::string_view text);

// claimData(i) (upstream's ClaimData; uint128 fields held in U256).
struct ClaimData {
    static constexpr uint32_t kRootParent = 0xffffffffu;  // parentIndex of the root claim

    uint32_t parent_index = kRootParent;
    eth::Address countered_by;
    eth::Address claimant;
    eth::U256 bond;  // CLAIMED_BOND_FLAG (2^128-1) once paid out
    eth::Hash32 claim;
    eth::U256 position;  // generalized index: 1 for the root
    eth::U256 clock;     // LibClock: (duration << 64) | timestamp

    // Seconds on the claim's chess clock when it was made (LibClock.duration).
    uint64_t clock_duration() const { return (clock >> 64).low64(); }
    // L1 timestamp of the move (LibClock.timestamp).
    uint64_t clock_timestamp() const { return clock.low64(); }
    bool is_root() const { return parent_index == kRootParent; }
};

Result<std::string> read_game_version(rpc::RpcClient& l1, const eth::Address& game,
                                      std::string_view block_tag = "latest");
Result<uint8_t> read_game_status(rpc::RpcClient& l1, const eth::Address& game,
                                 std::string_view block_tag = "latest");
Result<uint64_t> read_claim_count(rpc::RpcClient& l1, const eth::Address& game,
                                  std::string_view block_tag = "latest");
Result<ClaimData> read_claim(rpc::RpcClient& l1, const eth::Address& game, uint64_t index,
                             std::string_view block_tag = "latest");
// getRequiredBond(position): the exact msg.value a move to `position` must carry.
Result<eth::U256> read_required_bond(rpc::RpcClient& l1, const eth::Address& game,
                                     const eth::U256& position,
                                     std::string_view block_tag = "latest");
// maxClockDuration(), seconds.
Result<uint64_t> read_max_clock_duration(rpc::RpcClient& l1, const eth::Address& game,
                                         std::string_view block_tag = "latest");
// credit(account): wei the game owes `account` (claimable with claimCredit).
Result<eth::U256> read_credit(rpc::RpcClient& l1, const eth::Address& game,
                              const eth::Address& account, std::string_view block_tag = "latest");
// resolvedSubgames(index): whether resolveClaim(index) has completed.
Result<bool> read_subgame_resolved(rpc::RpcClient& l1, const eth::Address& game, uint64_t index,
                                   std::string_view block_tag = "latest");

// LibPosition.move: the position of an attack on (left child of) `parent`.
inline eth::U256 attack_position(const eth::U256& parent) { return parent << 1; }

// Seconds claim `index` of `claims` has been open to counters at L1 time `now`, capped at
// `max_clock` (the contract's getChallengerDuration: the parent's accumulated duration plus
// the time since the move). The claim can be resolved once this reaches `max_clock`.
uint64_t challenger_duration(const ClaimData& claim, const ClaimData* parent, uint64_t now,
                             uint64_t max_clock);

// ---- Calldata ----

// attack on claim `parent_index` whose value is `disputed`, proposing `claim`.
Result<eth::Bytes> encode_attack(MoveAbi abi, const eth::Hash32& disputed, uint64_t parent_index,
                                 const eth::Hash32& claim);
// resolveClaim(uint256 claimIndex, uint256 numToResolve).
eth::Bytes encode_resolve_claim(uint64_t claim_index, uint64_t num_to_resolve);
// resolve().
eth::Bytes encode_resolve();
// claimCredit(address recipient).
eth::Bytes encode_claim_credit(const eth::Address& recipient);

}  // namespace vigil::verifier
