// The devnet on real Anvil chains: its shape, the withdrawal lifecycle through the devnet's
// OP Stack contracts (prove with a real eth_getProof, finalize gates), games attacked and
// unchallenged, forged outputs, reorgs; and the contracts' ABI against op-stack.md.
#include "tests/support/devnet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "chains/eth/abi.h"
#include "chains/eth/keccak.h"
#include "chains/eth/opstack.h"
#include "chains/eth/rlp.h"
#include "core/config.h"

namespace vigil::testing {
namespace {

using eth::abi::Value;
using ::testing::HasSubstr;

// ---- The contracts' ABI against op-stack.md ----

struct SpecEntry {
    const char* contract;
    bool event;
    const char* signature;  // canonical
    const char* hex;        // selector or topic0 as op-stack.md gives it
};

// Every selector and topic the devnet contracts implement from op-stack.md sections 1.4,
// 1.5, 1.6 (the guardian functions the portal serves itself), 1.7 and 1.8.
const SpecEntry kSpec[] = {
    {"DisputeGameFactory", true, "DisputeGameCreated(address,uint32,bytes32)",
     "0x5b565efe82411da98814f356d0e7bcb8f0219b8d970307c5afb4a6903a8b2e35"},
    {"DisputeGameFactory", true, "InitBondUpdated(uint32,uint256)",
     "0x74d6665c4b26d5596a5aa13d3014e0c06af4d322075a797f87b03cd4c5bc91ca"},
    {"DisputeGameFactory", false, "create(uint32,bytes32,bytes)", "0x82ecf2f6"},
    {"DisputeGameFactory", false, "gameCount()", "0x4d1975b4"},
    {"DisputeGameFactory", false, "gameAtIndex(uint256)", "0xbb8aa1fc"},
    {"DisputeGameFactory", false, "games(uint32,bytes32,bytes)", "0x5f0150cb"},
    {"DisputeGameFactory", false, "findLatestGames(uint32,uint256,uint256)", "0x254bd683"},
    {"DisputeGameFactory", false, "initBonds(uint32)", "0x6593dc6e"},
    {"DisputeGameFactory", false, "getGameUUID(uint32,bytes32,bytes)", "0x96cd9720"},
    {"FaultDisputeGame", true, "Move(uint256,bytes32,address)",
     "0x9b3245740ec3b155098a55be84957a4da13eaf7f14a8bc6f53126c0b9350f2be"},
    {"FaultDisputeGame", true, "Resolved(uint8)",
     "0x5e186f09b9c93491f14e277eea7faa5de6a2d4bda75a79af7a3684fbfb42da60"},
    {"FaultDisputeGame", false, "attack(bytes32,uint256,bytes32)", "0x472777c6"},
    {"FaultDisputeGame", false, "defend(bytes32,uint256,bytes32)", "0x7b0f0adc"},
    {"FaultDisputeGame", false, "move(bytes32,uint256,bytes32,bool)", "0x6f034409"},
    {"FaultDisputeGame", false, "resolveClaim(uint256,uint256)", "0x03c2924d"},
    {"FaultDisputeGame", false, "resolve()", "0x2810e1d6"},
    {"FaultDisputeGame", false, "claimCredit(address)", "0x60e27464"},
    {"FaultDisputeGame", false, "claimData(uint256)", "0xc6f0308c"},
    {"FaultDisputeGame", false, "claimDataLen()", "0x8980e0cc"},
    {"FaultDisputeGame", false, "rootClaim()", "0xbcef3b55"},
    {"FaultDisputeGame", false, "l1Head()", "0x6361506d"},
    {"FaultDisputeGame", false, "l2BlockNumber()", "0x8b85902b"},
    {"FaultDisputeGame", false, "extraData()", "0x609d3334"},
    {"FaultDisputeGame", false, "gameCreator()", "0x37b1b229"},
    {"FaultDisputeGame", false, "l2SequenceNumber()", "0x99735e32"},
    {"FaultDisputeGame", false, "status()", "0x200d2ed2"},
    {"FaultDisputeGame", false, "createdAt()", "0xcf09e0d0"},
    {"FaultDisputeGame", false, "resolvedAt()", "0x19effeb4"},
    {"FaultDisputeGame", false, "gameType()", "0xbbdc02db"},
    {"FaultDisputeGame", false, "gameData()", "0xfa24f743"},
    {"FaultDisputeGame", false, "maxGameDepth()", "0xfa315aa9"},
    {"FaultDisputeGame", false, "splitDepth()", "0xec5e6308"},
    {"FaultDisputeGame", false, "maxClockDuration()", "0xdabd396d"},
    {"FaultDisputeGame", false, "getRequiredBond(uint128)", "0xc395e1ca"},
    {"FaultDisputeGame", false, "credit(address)", "0xd5d44d80"},
    {"FaultDisputeGame", false, "getChallengerDuration(uint256)", "0xbd8da956"},
    {"OptimismPortal2", false,
     "proveWithdrawalTransaction((uint256,address,address,uint256,uint256,bytes),uint256,(bytes32,"
     "bytes32,bytes32,bytes32),bytes[])",
     "0x4870496f"},
    {"OptimismPortal2", false,
     "finalizeWithdrawalTransaction((uint256,address,address,uint256,uint256,bytes))",
     "0x8c3152e9"},
    {"OptimismPortal2", false,
     "finalizeWithdrawalTransactionExternalProof((uint256,address,address,uint256,uint256,bytes),"
     "address)",
     "0x43ca1c50"},
    {"OptimismPortal2", false, "provenWithdrawals(bytes32,address)", "0xbb2c727e"},
    {"OptimismPortal2", false, "checkWithdrawal(bytes32,address)", "0x71c1566e"},
    {"OptimismPortal2", false, "finalizedWithdrawals(bytes32)", "0xa14238e7"},
    {"OptimismPortal2", false, "respectedGameType()", "0x3c9f397c"},
    {"OptimismPortal2", false, "disputeGameFactory()", "0xf2b4e617"},
    {"OptimismPortal2", false, "proofMaturityDelaySeconds()", "0xbf653a5c"},
    {"OptimismPortal2", false, "disputeGameFinalityDelaySeconds()", "0x952b2797"},
    {"OptimismPortal2", false, "blacklistDisputeGame(address)", "0x7d6be8dc"},
    {"OptimismPortal2", false, "setRespectedGameType(uint32)", "0x7fc48504"},
    {"OptimismPortal2", true, "WithdrawalProven(bytes32,address,address)",
     "0x67a6208cfcc0801d50f6cbe764733f4fddf66ac0b04442061a8a8c0cb6b63f62"},
    {"OptimismPortal2", true, "WithdrawalProvenExtension1(bytes32,address)",
     "0x798f9f13695f8f045aa5f80ed8efebb695f3c7fe65da381969f2f28bf3c60b97"},
    {"OptimismPortal2", true, "WithdrawalFinalized(bytes32,bool)",
     "0xdb5c7652857aa163daadd670e116628fb42e869d8ac4251ef8971d9e5727df1b"},
    {"L2ToL1MessagePasser", true,
     "MessagePassed(uint256,address,address,uint256,uint256,bytes,bytes32)",
     "0x02a52367d10742d8032712c1bb8e0144ff1ec5ffda1ed7d70bb05a2744955054"},
    {"L2ToL1MessagePasser", false, "initiateWithdrawal(address,uint256,bytes)", "0xc2b3e5ac"},
    {"L2ToL1MessagePasser", false, "sentMessages(bytes32)", "0x82e3702d"},
    {"L2ToL1MessagePasser", false, "messageNonce()", "0xecc70428"},
};

// "name(types)" of an ABI JSON entry, types canonical (tuples expanded).
std::string canonical_type(const rpc::Json& param) {
    std::string type = param.at("type").get<std::string>();
    if (type.rfind("tuple", 0) != 0) return type;
    std::string out = "(";
    const auto& comps = param.at("components");
    for (size_t i = 0; i < comps.size(); ++i) {
        if (i) out += ',';
        out += canonical_type(comps[i]);
    }
    return out + ")" + type.substr(5);
}

TEST(DevnetAbi, ContractsImplementOpStackSelectorsAndTopics) {
    const auto path = devnet_artifacts_path();
    std::ifstream in(path);
    ASSERT_TRUE(in) << path << " missing: run `make devnet-contracts`";
    std::stringstream ss;
    ss << in.rdbuf();
    auto artifacts = rpc::parse_json(ss.str());
    ASSERT_TRUE(artifacts.ok()) << artifacts.error().message;

    size_t checked = 0;
    for (const auto& e : kSpec) {
        SCOPED_TRACE(std::string(e.contract) + " " + e.signature);
        // Our codec gives op-stack.md's value for the signature...
        auto sig = eth::abi::parse_signature(e.signature);
        ASSERT_TRUE(sig.ok()) << sig.error().message;
        const std::string computed =
            e.event ? eth::abi::event_topic(*sig).to_hex() : eth::abi::selector(*sig).to_hex();
        EXPECT_EQ(computed, e.hex);
        // ...and the compiled contract has exactly that function or event.
        ASSERT_TRUE(artifacts->contains(e.contract));
        bool found = false;
        for (const auto& entry : (*artifacts)[e.contract]["abi"]) {
            if (entry.value("type", "") != (e.event ? "event" : "function")) continue;
            std::string text = entry.at("name").get<std::string>() + "(";
            const auto& inputs = entry.at("inputs");
            for (size_t i = 0; i < inputs.size(); ++i) {
                if (i) text += ',';
                text += canonical_type(inputs[i]);
            }
            found = found || text + ")" == e.signature;
        }
        EXPECT_TRUE(found) << "not in the compiled ABI";
        ++checked;
    }
    EXPECT_EQ(checked, std::size(kSpec));
    std::printf("[ selectors ] %zu op-stack.md selectors/topics checked\n", checked);
}

// ---- A devnet shared by the tests below (L1 + 2 L2s, a block per transaction) ----

constexpr uint64_t kClock = 60;
constexpr uint64_t kMaturity = 30;
constexpr uint64_t kFinality = 15;
const eth::U256 kEther(1'000'000'000'000'000'000ULL);

class DevnetTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        DevnetOptions o;
        o.max_clock_duration_secs = kClock;
        o.proof_maturity_delay_secs = kMaturity;
        o.dispute_game_finality_delay_secs = kFinality;
        auto net = Devnet::start(o);
        ASSERT_TRUE(net.ok()) << net.error().message;
        net_ = std::move(net).value();
        auto artifacts = DevnetArtifacts::load(devnet_artifacts_path());
        ASSERT_TRUE(artifacts.ok()) << artifacts.error().message;
        auto client = DevnetClient::connect(net_->info(), *artifacts);
        ASSERT_TRUE(client.ok()) << client.error().message;
        client_ = std::move(client).value();
    }
    static void TearDownTestSuite() {
        client_.reset();
        net_.reset();
    }
    void SetUp() override { ASSERT_TRUE(client_) << "the devnet did not start"; }

    DevnetClient& c() { return *client_; }
    eth::PrivateKey key(const char* role) { return *client_->key(role); }
    const DevnetL2& l2(const char* name) { return *net_->info().l2(name); }

    Value call1(const eth::Address& to, const std::string& sig, std::vector<Value> args,
                const std::string& returns, const std::string& chain = "l1") {
        auto v = c().view(chain, to, sig, std::move(args), returns);
        EXPECT_TRUE(v.ok()) << sig << ": " << v.error().message;
        if (!v.ok()) return Value::uint(0);
        return v->as<eth::abi::TupleValue>().items.at(0);
    }
    eth::U256 call_uint(const eth::Address& to, const std::string& sig,
                        std::vector<Value> args = {}, const std::string& chain = "l1") {
        Value v = call1(to, sig, std::move(args), "(uint256)", chain);
        return v.is<eth::abi::UintValue>() ? v.as<eth::abi::UintValue>().value : eth::U256();
    }
    eth::U256 balance(const std::string& chain, const eth::Address& a) {
        auto b = c().balance(chain, a);
        EXPECT_TRUE(b.ok());
        return b.value_or(eth::U256());
    }
    void advance(uint64_t seconds) { ASSERT_TRUE(c().increase_time("l1", seconds).ok()); }

    static std::unique_ptr<Devnet> net_;
    static std::unique_ptr<DevnetClient> client_;
};

std::unique_ptr<Devnet> DevnetTest::net_;
std::unique_ptr<DevnetClient> DevnetTest::client_;

Value hash_value(const eth::Hash32& h) {
    return Value::fixed_bytes(eth::Bytes(h.bytes.begin(), h.bytes.end()));
}

// Expects `r` to have failed naming `what` (a custom error or revert string).
template <class T>
void expect_refused(const Result<T>& r, const std::string& what) {
    ASSERT_FALSE(r.ok()) << "expected a refusal with " << what;
    EXPECT_THAT(r.error().message, HasSubstr(what));
}

// A log of `emitter` with topic0 = keccak256(signature), or nullptr.
const TxLog* find_log(const TxReceipt& r, const eth::Address& emitter, const char* signature) {
    const eth::Hash32 topic = eth::keccak256(std::string_view(signature));
    for (const auto& l : r.logs)
        if (l.address == emitter && !l.topics.empty() && l.topics[0] == topic) return &l;
    return nullptr;
}

eth::Hash32 address_topic(const eth::Address& a) {
    eth::Hash32 t;
    std::copy(a.bytes.begin(), a.bytes.end(), t.bytes.begin() + 12);
    return t;
}

TEST_F(DevnetTest, StartsChainsDeploysContractsAndDescribesItself) {
    const DevnetInfo& info = net_->info();
    ASSERT_EQ(info.l2s.size(), 2u);
    std::set<uint64_t> ids{info.l1.chain_id};
    for (const auto& x : info.l2s) ids.insert(x.chain_id);
    EXPECT_EQ(ids.size(), 3u) << "chain ids must be distinct";

    // devnet.json has exactly the documented shape.
    auto j = rpc::parse_json(info.to_json());
    ASSERT_TRUE(j.ok());
    std::set<std::string> top;
    for (const auto& [k, v] : j->items()) top.insert(k);
    EXPECT_EQ(top, (std::set<std::string>{"l1", "l2s", "keys"}));
    EXPECT_EQ((*j)["l1"].size(), 3u);
    for (const char* k : {"chain_id", "rpc", "ws"}) EXPECT_TRUE((*j)["l1"].contains(k)) << k;
    ASSERT_EQ((*j)["l2s"].size(), 2u);
    for (const auto& e : (*j)["l2s"]) {
        EXPECT_EQ(e.size(), 6u);
        for (const char* k : {"name", "chain_id", "rpc", "ws", "message_passer"})
            EXPECT_TRUE(e.contains(k)) << k;
        EXPECT_EQ(e["message_passer"], "0x4200000000000000000000000000000000000016");
        EXPECT_EQ(e["l1_contracts"].size(), 2u);
        EXPECT_TRUE(e["l1_contracts"].contains("dispute_game_factory"));
        EXPECT_TRUE(e["l1_contracts"].contains("optimism_portal"));
    }
    EXPECT_EQ((*j)["keys"].size(), 4u);
    auto round = DevnetInfo::from_json(info.to_json());
    ASSERT_TRUE(round.ok()) << round.error().message;
    EXPECT_EQ(round->to_json(), info.to_json());
    EXPECT_FALSE(DevnetInfo::from_json(R"({"l1": {}, "l2s": [], "keys": {}, "extra": 1})").ok());

    // Distinct, funded role accounts on every chain.
    std::set<eth::Address> roles;
    for (const char* role : {"relayer", "challenger", "proposer", "user", "deployer"}) {
        const eth::Address a = key(role).address();
        roles.insert(a);
        for (const char* chain : {"l1", "op-a", "op-b"})
            EXPECT_GT(balance(chain, a), kEther) << role << " on " << chain;
    }
    EXPECT_EQ(roles.size(), 5u);

    // Each chain is who it says it is; contracts are in place and configured.
    auto artifacts = DevnetArtifacts::load(devnet_artifacts_path());
    ASSERT_TRUE(artifacts.ok());
    for (const auto& x : info.l2s) {
        auto id = c().rpc(x.name)->call("eth_chainId");
        ASSERT_TRUE(id.ok());
        EXPECT_EQ(*eth::parse_quantity(id->get<std::string>()), x.chain_id);
        auto code = c().rpc(x.name)->call("eth_getCode",
                                          rpc::Json::array({x.message_passer.to_hex(), "latest"}));
        ASSERT_TRUE(code.ok());
        EXPECT_EQ(code->get<std::string>(), eth::to_hex(artifacts->message_passer_runtime));
        EXPECT_EQ(call_uint(x.message_passer, "MESSAGE_VERSION()", {}, x.name), eth::U256(1));
        EXPECT_EQ(call_uint(x.message_passer, "messageNonce()", {}, x.name) >> 240, eth::U256(1));
        EXPECT_EQ(call_uint(x.optimism_portal, "proofMaturityDelaySeconds()"),
                  eth::U256(kMaturity));
        EXPECT_EQ(call_uint(x.optimism_portal, "disputeGameFinalityDelaySeconds()"),
                  eth::U256(kFinality));
        EXPECT_EQ(call_uint(x.optimism_portal, "respectedGameType()"), eth::U256(0));
        EXPECT_EQ(call_uint(x.dispute_game_factory, "initBonds(uint32)", {Value::uint(0)}),
                  net_->options().init_bond);
        EXPECT_GE(balance("l1", x.optimism_portal), kEther * eth::U256(100));
    }
    EXPECT_NE(info.l2s[0].dispute_game_factory, info.l2s[1].dispute_game_factory);

    // vigil.yaml is a valid config for core/config.h.
    auto cfg =
        core::parse_config(info.vigil_yaml("store", "127.0.0.1:9101", 3), "vigil.yaml", "/tmp");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    ASSERT_EQ(cfg->chains.size(), 3u);
    EXPECT_EQ(cfg->chains[0].name, "l1");
    EXPECT_EQ(cfg->chains[1].name, "op-a");
    EXPECT_EQ(cfg->chains[2].rpc.at(0), info.l2s[1].rpc);
    EXPECT_EQ(cfg->chains[2].ws, info.l2s[1].ws);
    EXPECT_EQ(cfg->chains[1].finality.confirmations, 3u);
    EXPECT_EQ(cfg->store_path, std::filesystem::path("/tmp/store"));
    ASSERT_EQ(cfg->signers.count("relayer"), 1u);
    EXPECT_TRUE(cfg->signers.at("relayer").dev);
    EXPECT_EQ(cfg->signers.at("relayer").key_env, signer_key_env("relayer"));
}

TEST_F(DevnetTest, WithdrawalIsProvenWithRealProofsAndFinalizedOnceAfterTheGates) {
    const DevnetL2& a = l2("op-a");
    const eth::Address target =
        *eth::Address::from_hex("0x00000000000000000000000000000000000beef1");
    const eth::U256 value = kEther * eth::U256(2);
    auto sent = c().withdraw("op-a", target, value, 100'000, eth::Bytes{0xde, 0xad});
    ASSERT_TRUE(sent.ok()) << sent.error().message;
    const SentWithdrawal w = *sent;
    EXPECT_EQ(eth::opstack::nonce_version(w.tx.nonce), 1);
    EXPECT_EQ(eth::opstack::withdrawal_hash(w.tx), w.hash);
    EXPECT_EQ(
        call1(a.message_passer, "sentMessages(bytes32)", {hash_value(w.hash)}, "(bool)", "op-a"),
        Value::boolean(true));

    // A valid proposal of the L2 block that holds the withdrawal.
    auto proposal = c().propose("op-a", w.l2_block);
    ASSERT_TRUE(proposal.ok()) << proposal.error().message;
    const OutputProposal p = *proposal;
    EXPECT_TRUE(p.valid);
    EXPECT_EQ(p.root_claim, eth::opstack::output_root_v0(p.preimage.state_root,
                                                         p.preimage.message_passer_storage_root,
                                                         p.preimage.latest_block_hash));
    EXPECT_EQ(call1(p.game, "rootClaim()", {}, "(bytes32)"), hash_value(p.root_claim));
    EXPECT_EQ(call_uint(p.game, "l2BlockNumber()"), eth::U256(w.l2_block));
    EXPECT_EQ(call1(p.game, "gameCreator()", {}, "(address)"),
              Value::address(key("proposer").address()));
    EXPECT_EQ(call1(p.game, "status()", {}, "(uint8)"), Value::uint(0));
    auto listed = c().view("l1", a.dispute_game_factory, "gameAtIndex(uint256)",
                           {Value::uint(p.game_index)}, "(uint32,uint64,address)");
    ASSERT_TRUE(listed.ok()) << listed.error().message;
    EXPECT_EQ(listed->as<eth::abi::TupleValue>().items[0], Value::uint(0));
    EXPECT_EQ(listed->as<eth::abi::TupleValue>().items[2], Value::address(p.game));
    advance(2);  // proofs must be later than the game's creation

    auto proof = c().withdrawal_proof("op-a", w.hash, w.l2_block);
    ASSERT_TRUE(proof.ok()) << proof.error().message;
    EXPECT_EQ(proof->storage_root, p.preimage.message_passer_storage_root);
    ASSERT_FALSE(proof->nodes.empty());
    const eth::PrivateKey relayer = key("relayer");

    // Refusals: not proven yet; a tampered proof node; a wrong output-root preimage; a
    // withdrawal that is not the one in the trie; a target that is the portal itself.
    expect_refused(c().finalize_withdrawal("op-a", relayer, w.tx), "Unproven()");
    auto bad_nodes = proof->nodes;
    bad_nodes.back()[bad_nodes.back().size() / 2] ^= 0x01;
    expect_refused(c().prove_withdrawal("op-a", relayer, w.tx, p.game_index, p.preimage, bad_nodes),
                   "MerkleTrie: node hash does not match its reference");
    auto truncated = proof->nodes;
    truncated.pop_back();
    expect_refused(c().prove_withdrawal("op-a", relayer, w.tx, p.game_index, p.preimage, truncated),
                   "MerkleTrie: proof ends before the key does");
    auto extra = proof->nodes;
    extra.push_back(proof->nodes.front());
    expect_refused(c().prove_withdrawal("op-a", relayer, w.tx, p.game_index, p.preimage, extra),
                   "MerkleTrie: proof has unused elements");
    OutputRootPreimage wrong = p.preimage;
    wrong.state_root[0] ^= 0x80;
    expect_refused(c().prove_withdrawal("op-a", relayer, w.tx, p.game_index, wrong, proof->nodes),
                   "InvalidProof()");
    auto other = w.tx;
    other.value = other.value + eth::U256(1);
    {
        auto r =
            c().prove_withdrawal("op-a", relayer, other, p.game_index, p.preimage, proof->nodes);
        ASSERT_FALSE(r.ok());
        EXPECT_TRUE(r.error().message.find("InvalidMerkleProof()") != std::string::npos ||
                    r.error().message.find("MerkleTrie:") != std::string::npos)
            << r.error().message;
    }
    auto self = w.tx;
    self.target = a.optimism_portal;
    expect_refused(
        c().prove_withdrawal("op-a", relayer, self, p.game_index, p.preimage, proof->nodes),
        "BadTarget()");

    // The real proof is recorded.
    auto proven =
        c().prove_withdrawal("op-a", relayer, w.tx, p.game_index, p.preimage, proof->nodes);
    ASSERT_TRUE(proven.ok()) << proven.error().message;
    const TxLog* ev =
        find_log(*proven, a.optimism_portal, "WithdrawalProven(bytes32,address,address)");
    ASSERT_NE(ev, nullptr);
    ASSERT_EQ(ev->topics.size(), 4u);
    EXPECT_EQ(ev->topics[1], w.hash);
    EXPECT_EQ(ev->topics[2], address_topic(w.tx.sender));
    EXPECT_EQ(ev->topics[3], address_topic(target));
    ev = find_log(*proven, a.optimism_portal, "WithdrawalProvenExtension1(bytes32,address)");
    ASSERT_NE(ev, nullptr);
    EXPECT_EQ(ev->topics.at(2), address_topic(relayer.address()));
    auto record =
        c().view("l1", a.optimism_portal, "provenWithdrawals(bytes32,address)",
                 {hash_value(w.hash), Value::address(relayer.address())}, "(address,uint64)");
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->as<eth::abi::TupleValue>().items[0], Value::address(p.game));
    EXPECT_EQ(record->as<eth::abi::TupleValue>().items[1],
              Value::uint(*c().block_timestamp("l1", proven->block)));

    // Gates: maturity, then the game's resolution, then the finality air-gap.
    expect_refused(c().finalize_withdrawal("op-a", relayer, w.tx),
                   "proven withdrawal has not matured yet");
    advance(kMaturity + 1);
    expect_refused(c().finalize_withdrawal("op-a", relayer, w.tx), "ProposalNotValidated()");
    expect_refused(c().transact("l1", relayer, p.game, "resolveClaim(uint256,uint256)",
                                {Value::uint(0), Value::uint(0)}),
                   "ClockNotExpired()");
    advance(kClock);
    auto status = c().resolve_game(p.game, relayer);
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(*status, GameStatus::defender_wins);
    expect_refused(c().finalize_withdrawal("op-a", relayer, w.tx), "output proposal in air-gap");

    // A second submitter may prove too; its own proof then has to mature on its own.
    const eth::PrivateKey challenger = key("challenger");
    ASSERT_TRUE(
        c().prove_withdrawal("op-a", challenger, w.tx, p.game_index, p.preimage, proof->nodes)
            .ok());
    EXPECT_EQ(call_uint(a.optimism_portal, "numProofSubmitters(bytes32)", {hash_value(w.hash)}),
              eth::U256(2));
    advance(kFinality + 1);
    expect_refused(c().finalize_withdrawal("op-a", challenger, w.tx),
                   "proven withdrawal has not matured yet");

    const eth::U256 portal_before = balance("l1", a.optimism_portal);
    const eth::U256 target_before = balance("l1", target);
    auto done = c().finalize_withdrawal("op-a", relayer, w.tx);
    ASSERT_TRUE(done.ok()) << done.error().message;
    ev = find_log(*done, a.optimism_portal, "WithdrawalFinalized(bytes32,bool)");
    ASSERT_NE(ev, nullptr);
    EXPECT_EQ(ev->topics.at(1), w.hash);
    ASSERT_EQ(ev->data.size(), 32u);
    EXPECT_EQ(ev->data[31], 1) << "the call to the target must succeed";
    EXPECT_EQ(balance("l1", target), target_before + value);
    EXPECT_EQ(balance("l1", a.optimism_portal), portal_before - value);
    EXPECT_EQ(
        call1(a.optimism_portal, "finalizedWithdrawals(bytes32)", {hash_value(w.hash)}, "(bool)"),
        Value::boolean(true));
    expect_refused(c().finalize_withdrawal("op-a", relayer, w.tx), "AlreadyFinalized()");
    EXPECT_EQ(balance("l1", target), target_before + value);
}

// A single-leaf storage trie holding slot -> 1 (yellow paper, appendix D): the root and the
// proof (its one node) of a forged message passer state.
std::pair<eth::Hash32, eth::Bytes> forged_storage(const eth::Hash32& withdrawal_hash) {
    const eth::Hash32 path =
        eth::keccak256(eth::opstack::sent_messages_slot(withdrawal_hash).view());
    eth::Bytes hex_prefix{0x20};  // leaf, even number of nibbles
    eth::append(hex_prefix, path.view());
    eth::Bytes payload;
    eth::rlp::encode_bytes(payload, hex_prefix);
    eth::rlp::encode_bytes(payload, eth::rlp::encoded_uint(1));  // the slot value, RLP(0x01)
    const eth::Bytes node = eth::rlp::wrap_list(payload);
    return {eth::keccak256(node), node};
}

TEST_F(DevnetTest, ForgedOutputIsProvableUntilAttackedThenChallengerWinsAndProofsAreRefused) {
    const DevnetL2& b = l2("op-b");
    // A withdrawal nobody made on L2, in a forged message passer storage root.
    eth::opstack::WithdrawalTransaction fake;
    fake.nonce = *eth::opstack::versioned_nonce(1, eth::U256(777));
    fake.sender = key("user").address();
    fake.target = key("proposer").address();
    fake.value = kEther * eth::U256(50);
    fake.gas_limit = 100'000;
    const eth::Hash32 fake_hash = eth::opstack::withdrawal_hash(fake);
    auto [forged_root, forged_node] = forged_storage(fake_hash);

    auto head = c().block_number("op-b");
    ASSERT_TRUE(head.ok());
    auto truth = c().output_at("op-b", *head);
    ASSERT_TRUE(truth.ok()) << truth.error().message;
    OutputRootPreimage forged = *truth;
    forged.message_passer_storage_root = forged_root;
    auto proposal = c().propose_root("op-b", *head, forged.root());
    ASSERT_TRUE(proposal.ok()) << proposal.error().message;
    const OutputProposal p = *proposal;
    EXPECT_FALSE(p.valid);
    advance(2);

    // While the game is in progress the forged withdrawal can be proven (what a watcher
    // must catch); the true preimage does not match the claim.
    const eth::PrivateKey user = key("user");
    ASSERT_TRUE(c().prove_withdrawal("op-b", user, fake, p.game_index, forged, {forged_node}).ok());
    expect_refused(c().prove_withdrawal("op-b", user, fake, p.game_index, *truth, {forged_node}),
                   "InvalidProof()");

    // The challenger attacks the root with the true output root.
    const eth::PrivateKey challenger = key("challenger");
    const eth::U256 move_bond = net_->options().move_bond;
    expect_refused(
        c().transact("l1", challenger, p.game, "attack(bytes32,uint256,bytes32)",
                     {hash_value(truth->root()), Value::uint(0), hash_value(truth->root())},
                     move_bond),
        "InvalidDisputedClaimIndex()");
    expect_refused(
        c().transact("l1", challenger, p.game, "attack(bytes32,uint256,bytes32)",
                     {hash_value(p.root_claim), Value::uint(0), hash_value(truth->root())},
                     move_bond + eth::U256(1)),
        "IncorrectBondAmount()");
    expect_refused(
        c().transact("l1", challenger, p.game, "defend(bytes32,uint256,bytes32)",
                     {hash_value(p.root_claim), Value::uint(0), hash_value(truth->root())},
                     move_bond),
        "CannotDefendRootClaim()");
    auto attacked = c().attack(p.game, challenger, 0, truth->root());
    ASSERT_TRUE(attacked.ok()) << attacked.error().message;
    const TxLog* move = find_log(*attacked, p.game, "Move(uint256,bytes32,address)");
    ASSERT_NE(move, nullptr);
    EXPECT_EQ(move->topics.at(1), eth::Hash32());
    EXPECT_EQ(move->topics.at(2), truth->root());
    EXPECT_EQ(move->topics.at(3), address_topic(challenger.address()));
    EXPECT_EQ(call_uint(p.game, "claimDataLen()"), eth::U256(2));
    auto claim = c().view("l1", p.game, "claimData(uint256)", {Value::uint(1)},
                          "(uint32,address,address,uint128,bytes32,uint128,uint128)");
    ASSERT_TRUE(claim.ok());
    const auto& items = claim->as<eth::abi::TupleValue>().items;
    EXPECT_EQ(items[0], Value::uint(0));                        // parentIndex
    EXPECT_EQ(items[1], Value::address(eth::Address()));        // counteredBy
    EXPECT_EQ(items[2], Value::address(challenger.address()));  // claimant
    EXPECT_EQ(items[3], Value::uint(move_bond));                // bond
    EXPECT_EQ(items[4], hash_value(truth->root()));             // claim
    EXPECT_EQ(items[5], Value::uint(2));                        // position: root's left child
    expect_refused(c().attack(p.game, challenger, 0, truth->root()), "ClaimAlreadyExists()");

    // Nothing resolves before the clock runs out; nothing moves after.
    expect_refused(c().resolve_game(p.game, challenger), "ClockNotExpired()");
    advance(kClock);
    expect_refused(c().attack(p.game, key("proposer"), 1, p.root_claim), "ClockTimeExceeded()");
    const eth::U256 before = balance("l1", challenger.address());
    auto status = c().resolve_game(p.game, challenger);
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(*status, GameStatus::challenger_wins);
    EXPECT_GT(call_uint(p.game, "resolvedAt()"), eth::U256(0));
    expect_refused(c().transact("l1", challenger, p.game, "resolve()", {}), "GameNotInProgress()");

    // Bonds: the challenger wins the proposer's init bond and gets its own back.
    const eth::U256 credit =
        call_uint(p.game, "credit(address)", {Value::address(challenger.address())});
    EXPECT_EQ(credit, net_->options().init_bond + move_bond);
    EXPECT_EQ(call_uint(p.game, "credit(address)", {Value::address(key("proposer").address())}),
              eth::U256(0));
    ASSERT_TRUE(c().transact("l1", challenger, p.game, "claimCredit(address)",
                             {Value::address(challenger.address())})
                    .ok());
    EXPECT_GT(balance("l1", challenger.address()), before);
    expect_refused(c().transact("l1", challenger, p.game, "claimCredit(address)",
                                {Value::address(challenger.address())}),
                   "NoCreditToClaim()");

    // Proving against the lost game is refused; the earlier proof never finalizes.
    expect_refused(c().prove_withdrawal("op-b", user, fake, p.game_index, forged, {forged_node}),
                   "InvalidDisputeGame()");
    advance(kMaturity + kFinality + 2);
    expect_refused(c().finalize_withdrawal("op-b", user, fake), "ProposalNotValidated()");
    EXPECT_EQ(call1(b.optimism_portal, "finalizedWithdrawals(bytes32)", {hash_value(fake_hash)},
                    "(bool)"),
              Value::boolean(false));
}

TEST_F(DevnetTest, UnchallengedGameResolvesDefenderWinsAndGuardianCanBlacklist) {
    const DevnetL2& b = l2("op-b");
    auto sent = c().withdraw("op-b", key("user").address(), eth::U256(), 100'000, {});
    ASSERT_TRUE(sent.ok()) << sent.error().message;
    auto proposal = c().propose("op-b", sent->l2_block);
    ASSERT_TRUE(proposal.ok()) << proposal.error().message;
    const OutputProposal p = *proposal;

    // The factory: lookups, duplicates and the bond are enforced.
    auto game = c().view("l1", b.dispute_game_factory, "games(uint32,bytes32,bytes)",
                         {Value::uint(0), hash_value(p.root_claim), Value::bytes([&] {
                              auto w = eth::U256(p.l2_block).to_be_word();
                              return eth::Bytes(w.begin(), w.end());
                          }())},
                         "(address,uint64)");
    ASSERT_TRUE(game.ok()) << game.error().message;
    EXPECT_EQ(game->as<eth::abi::TupleValue>().items[0], Value::address(p.game));
    expect_refused(c().propose("op-b", p.l2_block), "GameAlreadyExists(bytes32)");
    const auto word = eth::U256(p.l2_block + 1000).to_be_word();
    expect_refused(
        c().transact("l1", key("proposer"), b.dispute_game_factory, "create(uint32,bytes32,bytes)",
                     {Value::uint(0), hash_value(p.root_claim),
                      Value::bytes(eth::Bytes(word.begin(), word.end()))},
                     eth::U256(1)),
        "IncorrectBondAmount()");
    expect_refused(
        c().transact("l1", key("proposer"), b.dispute_game_factory, "create(uint32,bytes32,bytes)",
                     {Value::uint(7), hash_value(p.root_claim),
                      Value::bytes(eth::Bytes(word.begin(), word.end()))}),
        "NoImplementation(uint32)");

    advance(2);
    auto proof = c().withdrawal_proof("op-b", sent->hash, sent->l2_block);
    ASSERT_TRUE(proof.ok()) << proof.error().message;
    const eth::PrivateKey relayer = key("relayer");
    ASSERT_TRUE(
        c().prove_withdrawal("op-b", relayer, sent->tx, p.game_index, p.preimage, proof->nodes)
            .ok());

    expect_refused(c().resolve_game(p.game, relayer), "ClockNotExpired()");
    advance(kClock);
    auto status = c().resolve_game(p.game, relayer);
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(*status, GameStatus::defender_wins);
    EXPECT_EQ(call_uint(p.game, "credit(address)", {Value::address(key("proposer").address())}),
              net_->options().init_bond);

    // Only the guardian blacklists; a blacklisted game finalizes nothing.
    expect_refused(c().transact("l1", relayer, b.optimism_portal, "blacklistDisputeGame(address)",
                                {Value::address(p.game)}),
                   "Unauthorized()");
    ASSERT_TRUE(c().transact("l1", key("deployer"), b.optimism_portal,
                             "blacklistDisputeGame(address)", {Value::address(p.game)})
                    .ok());
    advance(kMaturity + kFinality + 2);
    expect_refused(c().finalize_withdrawal("op-b", relayer, sent->tx), "Blacklisted()");
}

TEST_F(DevnetTest, ReorgDropsTheLastBlocks) {
    auto sent = c().withdraw("op-a", key("user").address(), eth::U256(), 100'000, {});
    ASSERT_TRUE(sent.ok()) << sent.error().message;
    const DevnetL2& a = l2("op-a");
    EXPECT_EQ(call1(a.message_passer, "sentMessages(bytes32)", {hash_value(sent->hash)}, "(bool)",
                    "op-a"),
              Value::boolean(true));
    auto head = c().block_number("op-a");
    ASSERT_TRUE(head.ok());
    ASSERT_EQ(*head, sent->l2_block);
    auto r = c().reorg("op-a", 1);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->head, *head);
    EXPECT_NE(r->old_hash, r->new_hash);
    EXPECT_EQ(call1(a.message_passer, "sentMessages(bytes32)", {hash_value(sent->hash)}, "(bool)",
                    "op-a"),
              Value::boolean(false));
    expect_refused(c().reorg("op-a", *head + 1), "reorg depth");
}

}  // namespace
}  // namespace vigil::testing
