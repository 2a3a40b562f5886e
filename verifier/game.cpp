#include "verifier/game.h"

#include <charconv>
#include <vector>

#include "chains/eth/abi.h"

namespace vigil::verifier {
namespace {

using eth::abi::Value;
using rpc::Json;

// The eth_call block parameter for a tag: a named tag, a 0x block number, or a 0x block
// hash (EIP-1898, so a reorg cannot move the answer to another block).
Result<Json> block_param(std::string_view tag) {
    if (tag == "latest" || tag == "safe" || tag == "finalized" || tag == "pending" ||
        tag == "earliest")
        return Json(std::string(tag));
    if (tag.size() == 66 && (tag.starts_with("0x") || tag.starts_with("0X"))) {
        auto hash = eth::Hash32::from_hex(tag);
        if (!hash)
            return fail("game: block tag '" + std::string(tag) + "': " + hash.error().message,
                        kGameBadBlockTag);
        return Json{{"blockHash", hash->to_hex()}};
    }
    if (tag.starts_with("0x")) {
        auto n = eth::parse_quantity(tag);
        if (n) return Json(eth::to_quantity(*n));
    }
    return fail("game: block tag '" + std::string(tag) +
                    "' is not latest|safe|finalized|pending|earliest, a 0x number or a 0x hash",
                kGameBadBlockTag);
}

// Calls `signature` on `game` with `args` and decodes the answer as `returns`, strictly.
Result<std::vector<Value>> call(rpc::RpcClient& l1, const eth::Address& game,
                                std::string_view signature, std::vector<Value> args,
                                std::string_view returns, std::string_view block_tag) {
    const std::string what = "game " + game.to_hex() + ": " + std::string(signature);
    VIGIL_TRY(Json block, block_param(block_tag));
    VIGIL_TRY(eth::abi::Signature sig, eth::abi::parse_signature(signature));
    VIGIL_TRY(eth::Bytes data, eth::abi::encode_call(sig, Value::tuple(std::move(args))));
    const Json request = {{"to", game.to_hex()}, {"data", eth::to_hex(data)}};
    auto answer = l1.call("eth_call", Json::array({request, block}));
    if (!answer.ok()) {
        if (answer.error().code == rpc::kRpcError)
            return fail(what + " reverted: " + answer.error().message, kGameCallReverted);
        return Error{what + ": " + answer.error().message, answer.error().code};
    }
    if (!answer->is_string())
        return fail(what + ": eth_call answer is not a string", kGameBadAnswer);
    auto out = eth::from_hex(answer->get<std::string>());
    if (!out) return fail(what + ": eth_call answer: " + out.error().message, kGameBadAnswer);
    if (out->empty())
        return fail(what + ": empty answer (no contract at the address?)", kGameBadAnswer);
    VIGIL_TRY(eth::abi::Type type, eth::abi::parse_type(returns));
    auto decoded = eth::abi::decode_params(type, *out);
    if (!decoded)
        return fail(what + ": answer of " + std::to_string(out->size()) + " bytes is not a valid " +
                        std::string(returns) + ": " + decoded.error().message,
                    kGameBadAnswer);
    return decoded->as<eth::abi::TupleValue>().items;
}

Result<eth::U256> call_uint(rpc::RpcClient& l1, const eth::Address& game,
                            std::string_view signature, std::vector<Value> args,
                            std::string_view returns, std::string_view tag) {
    VIGIL_TRY(auto items, call(l1, game, signature, std::move(args), returns, tag));
    return items.at(0).as<eth::abi::UintValue>().value;
}

Result<uint64_t> call_u64(rpc::RpcClient& l1, const eth::Address& game, std::string_view signature,
                          std::vector<Value> args, std::string_view returns, std::string_view tag) {
    VIGIL_TRY(eth::U256 v, call_uint(l1, game, signature, std::move(args), returns, tag));
    if (!v.fits_u64())
        return fail("game " + game.to_hex() + ": " + std::string(signature) + " answered " +
                        v.to_dec() + ", beyond 64 bits",
                    kGameBadAnswer);
    return v.low64();
}

Result<eth::Hash32> call_bytes32(rpc::RpcClient& l1, const eth::Address& game,
                                 std::string_view signature, std::string_view tag) {
    VIGIL_TRY(auto items, call(l1, game, signature, {}, "(bytes32)", tag));
    return eth::Hash32::from_view(items.at(0).as<eth::abi::FixedBytesValue>().bytes);
}

Value uint_value(uint64_t v) { return Value::uint(eth::U256(v)); }

eth::Bytes must_encode(std::string_view signature, std::vector<Value> args) {
    // The signatures are literals of this file and the values match them, so encoding
    // cannot fail; an empty result would be refused by the node, never sent as garbage.
    auto sig = eth::abi::parse_signature(signature);
    if (!sig) return {};
    auto data = eth::abi::encode_call(*sig, Value::tuple(std::move(args)));
    return data ? std::move(data).value() : eth::Bytes{};
}

Result<uint32_t> parse_number(std::string_view text, std::string_view whole) {
    uint32_t out = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        return fail("game version '" + std::string(whole) + "' is not MAJOR.MINOR.PATCH",
                    kGameUnsupported);
    return out;
}

}  // namespace

const char* game_status_name(uint8_t status) {
    switch (status) {
        case kGameInProgress:
            return "IN_PROGRESS";
        case kGameChallengerWins:
            return "CHALLENGER_WINS";
        case kGameDefenderWins:
            return "DEFENDER_WINS";
        default:
            return "UNKNOWN";
    }
}

Result<uint64_t> read_game_count(rpc::RpcClient& l1, const eth::Address& factory,
                                 std::string_view tag) {
    return call_u64(l1, factory, "gameCount()", {}, "(uint256)", tag);
}

Result<FactoryGame> read_game_at_index(rpc::RpcClient& l1, const eth::Address& factory,
                                       uint64_t index, std::string_view tag) {
    VIGIL_TRY(auto items, call(l1, factory, "gameAtIndex(uint256)", {uint_value(index)},
                               "(uint32,uint64,address)", tag));
    FactoryGame g;
    g.game_type = static_cast<uint32_t>(items.at(0).as<eth::abi::UintValue>().value.low64());
    g.timestamp = items.at(1).as<eth::abi::UintValue>().value.low64();
    g.proxy = items.at(2).as<eth::Address>();
    return g;
}

Result<uint64_t> find_game_index(rpc::RpcClient& l1, const eth::Address& factory,
                                 const eth::Address& game, uint64_t created_at,
                                 std::string_view tag) {
    VIGIL_TRY(uint64_t count, read_game_count(l1, factory, tag));
    uint64_t lo = 0, hi = count;  // first index whose timestamp >= created_at
    while (lo < hi) {
        const uint64_t mid = lo + (hi - lo) / 2;
        VIGIL_TRY(FactoryGame g, read_game_at_index(l1, factory, mid, tag));
        if (g.timestamp < created_at)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (uint64_t i = lo; i < count; ++i) {
        VIGIL_TRY(FactoryGame g, read_game_at_index(l1, factory, i, tag));
        if (g.timestamp != created_at) break;
        if (g.proxy == game) return i;
    }
    return fail("factory " + factory.to_hex() + " does not list game " + game.to_hex() +
                    " among its games created at " + std::to_string(created_at),
                kGameBadAnswer);
}

Result<GameInfo> read_game(rpc::RpcClient& l1, const eth::Address& game,
                           std::string_view block_tag) {
    GameInfo info;
    info.address = game;
    VIGIL_TRY(eth::U256 type, call_uint(l1, game, "gameType()", {}, "(uint32)", block_tag));
    info.game_type = static_cast<uint32_t>(type.low64());
    VIGIL_TRY(info.root_claim, call_bytes32(l1, game, "rootClaim()", block_tag));
    VIGIL_TRY(info.l2_block, call_u64(l1, game, "l2BlockNumber()", {}, "(uint256)", block_tag));
    VIGIL_TRY(info.status, read_game_status(l1, game, block_tag));
    VIGIL_TRY(info.created_at, call_u64(l1, game, "createdAt()", {}, "(uint64)", block_tag));
    VIGIL_TRY(info.version, read_game_version(l1, game, block_tag));
    return info;
}

Result<std::string> read_game_version(rpc::RpcClient& l1, const eth::Address& game,
                                      std::string_view block_tag) {
    VIGIL_TRY(auto items, call(l1, game, "version()", {}, "(string)", block_tag));
    std::string text = items.at(0).as<eth::abi::StringValue>().text;
    // A semver is short printable ASCII; anything else is not a version.
    bool printable = !text.empty() && text.size() <= 64;
    for (char c : text) printable = printable && c > 0x20 && c < 0x7f;
    if (!printable)
        return fail("game " + game.to_hex() + ": version() is not a printable version string",
                    kGameBadAnswer);
    return text;
}

Result<uint8_t> read_game_status(rpc::RpcClient& l1, const eth::Address& game,
                                 std::string_view block_tag) {
    VIGIL_TRY(eth::U256 status, call_uint(l1, game, "status()", {}, "(uint8)", block_tag));
    if (status > eth::U256(kGameDefenderWins))
        return fail("game " + game.to_hex() + ": status() answered " + status.to_dec() +
                        ", not a GameStatus (0..2)",
                    kGameBadAnswer);
    return static_cast<uint8_t>(status.low64());
}

Result<GameVersion> parse_game_version(std::string_view text) {
    std::string_view core = text.substr(0, text.find_first_of("-+"));
    const size_t dot1 = core.find('.');
    const size_t dot2 = dot1 == std::string_view::npos ? dot1 : core.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos)
        return fail("game version '" + std::string(text) + "' is not MAJOR.MINOR.PATCH",
                    kGameUnsupported);
    GameVersion v;
    VIGIL_TRY(v.major, parse_number(core.substr(0, dot1), text));
    VIGIL_TRY(v.minor, parse_number(core.substr(dot1 + 1, dot2 - dot1 - 1), text));
    VIGIL_TRY(v.patch, parse_number(core.substr(dot2 + 1), text));
    if (v.major == 0 && v.minor < 18)
        return fail("game version " + std::string(text) +
                        " predates maxClockDuration and resolveClaim(uint256,uint256)",
                    kGameUnsupported);
    v.move_abi =
        (v.major > 1 || (v.major == 1 && v.minor >= 2)) ? MoveAbi::disputed : MoveAbi::legacy;
    return v;
}

Result<uint64_t> read_claim_count(rpc::RpcClient& l1, const eth::Address& game,
                                  std::string_view block_tag) {
    return call_u64(l1, game, "claimDataLen()", {}, "(uint256)", block_tag);
}

Result<ClaimData> read_claim(rpc::RpcClient& l1, const eth::Address& game, uint64_t index,
                             std::string_view block_tag) {
    VIGIL_TRY(auto items,
              call(l1, game, "claimData(uint256)", {uint_value(index)},
                   "(uint32,address,address,uint128,bytes32,uint128,uint128)", block_tag));
    ClaimData c;
    c.parent_index = static_cast<uint32_t>(items[0].as<eth::abi::UintValue>().value.low64());
    c.countered_by = items[1].as<eth::Address>();
    c.claimant = items[2].as<eth::Address>();
    c.bond = items[3].as<eth::abi::UintValue>().value;
    VIGIL_TRY(c.claim, eth::Hash32::from_view(items[4].as<eth::abi::FixedBytesValue>().bytes));
    c.position = items[5].as<eth::abi::UintValue>().value;
    c.clock = items[6].as<eth::abi::UintValue>().value;
    const std::string where =
        "game " + game.to_hex() + ": claimData(" + std::to_string(index) + ")";
    // Invariants of every FaultDisputeGame: only claim 0 is the root, at position 1, and a
    // parent comes before its children.
    if (index == 0 && (!c.is_root() || c.position != eth::U256(1)))
        return fail(where + " is not a root claim at position 1", kGameBadAnswer);
    if (index != 0 && (c.is_root() || c.parent_index >= index || c.position < eth::U256(2)))
        return fail(where + " has parent " + std::to_string(c.parent_index) + " and position " +
                        c.position.to_dec() + ", impossible for a move",
                    kGameBadAnswer);
    return c;
}

Result<eth::U256> read_required_bond(rpc::RpcClient& l1, const eth::Address& game,
                                     const eth::U256& position, std::string_view block_tag) {
    return call_uint(l1, game, "getRequiredBond(uint128)", {Value::uint(position)}, "(uint256)",
                     block_tag);
}

Result<uint64_t> read_max_clock_duration(rpc::RpcClient& l1, const eth::Address& game,
                                         std::string_view block_tag) {
    VIGIL_TRY(uint64_t secs, call_u64(l1, game, "maxClockDuration()", {}, "(uint64)", block_tag));
    if (secs == 0)
        return fail("game " + game.to_hex() + ": maxClockDuration() answered 0", kGameBadAnswer);
    return secs;
}

Result<eth::U256> read_credit(rpc::RpcClient& l1, const eth::Address& game,
                              const eth::Address& account, std::string_view block_tag) {
    return call_uint(l1, game, "credit(address)", {Value::address(account)}, "(uint256)",
                     block_tag);
}

Result<bool> read_subgame_resolved(rpc::RpcClient& l1, const eth::Address& game, uint64_t index,
                                   std::string_view block_tag) {
    VIGIL_TRY(auto items, call(l1, game, "resolvedSubgames(uint256)", {uint_value(index)}, "(bool)",
                               block_tag));
    return items.at(0).as<bool>();
}

uint64_t challenger_duration(const ClaimData& claim, const ClaimData* parent, uint64_t now,
                             uint64_t max_clock) {
    const uint64_t since = now > claim.clock_timestamp() ? now - claim.clock_timestamp() : 0;
    const uint64_t before = parent ? parent->clock_duration() : 0;
    const uint64_t total = before > UINT64_MAX - since ? UINT64_MAX : before + since;
    return total > max_clock ? max_clock : total;
}

Result<eth::Bytes> encode_attack(MoveAbi abi, const eth::Hash32& disputed, uint64_t parent_index,
                                 const eth::Hash32& claim) {
    const Value parent = uint_value(parent_index);
    const Value value = Value::fixed_bytes(eth::Bytes(claim.bytes.begin(), claim.bytes.end()));
    if (abi == MoveAbi::legacy) {
        eth::Bytes data = must_encode("attack(uint256,bytes32)", {parent, value});
        if (data.empty()) return fail("game: cannot encode attack(uint256,bytes32)");
        return data;
    }
    const Value dispute =
        Value::fixed_bytes(eth::Bytes(disputed.bytes.begin(), disputed.bytes.end()));
    eth::Bytes data = must_encode("attack(bytes32,uint256,bytes32)", {dispute, parent, value});
    if (data.empty()) return fail("game: cannot encode attack(bytes32,uint256,bytes32)");
    return data;
}

eth::Bytes encode_resolve_claim(uint64_t claim_index, uint64_t num_to_resolve) {
    return must_encode("resolveClaim(uint256,uint256)",
                       {uint_value(claim_index), uint_value(num_to_resolve)});
}

eth::Bytes encode_resolve() { return must_encode("resolve()", {}); }

eth::Bytes encode_claim_credit(const eth::Address& recipient) {
    return must_encode("claimCredit(address)", {Value::address(recipient)});
}

}  // namespace vigil::verifier
