// verifier/game.h against the devnet's FaultDisputeGame on a real Anvil L1: reads match
// what the devnet proposed, calldata carries op-stack.md's selectors, and a lying or
// broken endpoint (fault proxy) gives errors, never values.
#include "verifier/game.h"

#include <gtest/gtest.h>

#include "chains/eth/abi.h"
#include "tests/support/devnet.h"
#include "tests/support/fault_proxy.h"

namespace vigil {
namespace {

using testing::Fault;
using verifier::kGameBadAnswer;

std::string selector_hex(const eth::Bytes& calldata) {
    return eth::to_hex(eth::BytesView(calldata).first(4));
}

TEST(GameCalldata, SelectorsMatchOpStackFacts) {
    eth::Hash32 a, b;
    a[0] = 0xaa;
    b[31] = 0xbb;
    auto attack3 = verifier::encode_attack(verifier::MoveAbi::disputed, a, 7, b);
    ASSERT_TRUE(attack3.ok());
    EXPECT_EQ(selector_hex(*attack3), "0x472777c6");
    EXPECT_EQ(attack3->size(), 4u + 3 * 32);
    EXPECT_EQ((*attack3)[4], 0xaa);            // disputed first
    EXPECT_EQ((*attack3)[4 + 32 + 31], 7);     // then the parent index
    EXPECT_EQ((*attack3)[4 + 64 + 31], 0xbb);  // then the claim
    auto attack2 = verifier::encode_attack(verifier::MoveAbi::legacy, a, 7, b);
    ASSERT_TRUE(attack2.ok());
    EXPECT_EQ(selector_hex(*attack2), "0xc55cd0c7");
    EXPECT_EQ(attack2->size(), 4u + 2 * 32);
    EXPECT_EQ(selector_hex(verifier::encode_resolve_claim(3, 0)), "0x03c2924d");
    EXPECT_EQ(selector_hex(verifier::encode_resolve()), "0x2810e1d6");
    EXPECT_EQ(verifier::encode_resolve().size(), 4u);
    EXPECT_EQ(selector_hex(verifier::encode_claim_credit(eth::Address())), "0x60e27464");
}

TEST(GameVersion, DecidesTheMoveAbi) {
    auto v = verifier::parse_game_version("1.3.1");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->move_abi, verifier::MoveAbi::disputed);
    EXPECT_EQ(verifier::parse_game_version("1.2.0")->move_abi, verifier::MoveAbi::disputed);
    EXPECT_EQ(verifier::parse_game_version("2.0.0-beta.3")->move_abi, verifier::MoveAbi::disputed);
    EXPECT_EQ(verifier::parse_game_version("1.1.1")->move_abi, verifier::MoveAbi::legacy);
    EXPECT_EQ(verifier::parse_game_version("1.0.0")->move_abi, verifier::MoveAbi::legacy);
    EXPECT_EQ(verifier::parse_game_version("0.18.1")->move_abi, verifier::MoveAbi::legacy);
    for (const char* bad : {"0.8.0", "1.3", "", "v1.3.1", "1..2", "1.3.x", "99999999999.0.0"}) {
        auto r = verifier::parse_game_version(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, verifier::kGameUnsupported) << bad;
    }
}

TEST(GameClock, ChallengerDurationAddsTheParentsClock) {
    verifier::ClaimData root, child;
    root.clock = eth::U256(1000);  // made at t=1000, no time used before
    child.parent_index = 0;
    child.clock = (eth::U256(40) << 64) | eth::U256(1100);  // 40 s on the clock, made at 1100
    EXPECT_EQ(child.clock_duration(), 40u);
    EXPECT_EQ(child.clock_timestamp(), 1100u);
    EXPECT_EQ(verifier::challenger_duration(root, nullptr, 1030, 60), 30u);
    EXPECT_EQ(verifier::challenger_duration(root, nullptr, 5000, 60), 60u);  // capped
    verifier::ClaimData grandchild;
    grandchild.clock = eth::U256(1200);
    EXPECT_EQ(verifier::challenger_duration(grandchild, &child, 1210, 60), 50u);
    EXPECT_EQ(verifier::challenger_duration(grandchild, &child, 1100, 60), 40u);  // clock skew
}

class GameOnDevnet : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        testing::DevnetOptions o;
        o.l2_count = 1;
        auto d = testing::Devnet::start(o);
        ASSERT_TRUE(d.ok()) << d.error().message;
        devnet_ = std::move(d).value().release();
        auto c = testing::DevnetClient::connect(devnet_->info());
        ASSERT_TRUE(c.ok()) << c.error().message;
        client_ = std::move(c).value().release();
    }
    static void TearDownTestSuite() {
        delete client_;
        delete devnet_;
        client_ = nullptr;
        devnet_ = nullptr;
    }
    static rpc::RpcClient& l1() { return *client_->rpc("l1"); }
    static const testing::DevnetL2& l2() { return devnet_->info().l2s[0]; }

    static testing::Devnet* devnet_;
    static testing::DevnetClient* client_;
};
testing::Devnet* GameOnDevnet::devnet_ = nullptr;
testing::DevnetClient* GameOnDevnet::client_ = nullptr;

TEST_F(GameOnDevnet, ReadsWhatWasProposed) {
    ASSERT_TRUE(client_->mine(l2().name, 3).ok());
    auto p = client_->propose(l2().name, 2, /*invalid=*/true);
    ASSERT_TRUE(p.ok()) << p.error().message;
    auto info = verifier::read_game(l1(), p->game);
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_EQ(info->address, p->game);
    EXPECT_EQ(info->game_type, devnet_->options().game_type);
    EXPECT_EQ(info->root_claim, p->root_claim);
    EXPECT_EQ(info->l2_block, 2u);
    EXPECT_EQ(info->status, verifier::kGameInProgress);
    EXPECT_EQ(info->version, "1.3.1");
    auto head = client_->block_number("l1");
    ASSERT_TRUE(head.ok());
    auto ts = client_->block_timestamp("l1", *head);
    ASSERT_TRUE(ts.ok());
    EXPECT_GT(info->created_at, 0u);
    EXPECT_LE(info->created_at, *ts);

    auto count = verifier::read_claim_count(l1(), p->game);
    ASSERT_TRUE(count.ok()) << count.error().message;
    EXPECT_EQ(*count, 1u);
    auto root = verifier::read_claim(l1(), p->game, 0);
    ASSERT_TRUE(root.ok()) << root.error().message;
    EXPECT_TRUE(root->is_root());
    EXPECT_EQ(root->claim, p->root_claim);
    EXPECT_EQ(root->bond, devnet_->options().init_bond);
    EXPECT_EQ(root->clock_timestamp(), info->created_at);
    EXPECT_FALSE(verifier::read_claim(l1(), p->game, 1).ok());  // reverts: no such claim

    auto bond =
        verifier::read_required_bond(l1(), p->game, verifier::attack_position(root->position));
    ASSERT_TRUE(bond.ok()) << bond.error().message;
    EXPECT_EQ(*bond, devnet_->options().move_bond);
    auto clock = verifier::read_max_clock_duration(l1(), p->game);
    ASSERT_TRUE(clock.ok());
    EXPECT_EQ(*clock, devnet_->options().max_clock_duration_secs);
    auto credit = verifier::read_credit(l1(), p->game, eth::Address());
    ASSERT_TRUE(credit.ok());
    EXPECT_TRUE(credit->is_zero());
    auto resolved = verifier::read_subgame_resolved(l1(), p->game, 0);
    ASSERT_TRUE(resolved.ok());
    EXPECT_FALSE(*resolved);

    // At a past block (by number and by hash): the game did not exist yet.
    ASSERT_GE(*head, 2u);
    auto before = verifier::read_game(l1(), p->game, eth::to_quantity(*head - 1));
    ASSERT_FALSE(before.ok());
    EXPECT_EQ(before.error().code, kGameBadAnswer) << before.error().message;
    auto block =
        l1().call("eth_getBlockByNumber", rpc::Json::array({eth::to_quantity(*head), false}));
    ASSERT_TRUE(block.ok());
    auto at_hash = verifier::read_game(l1(), p->game, (*block)["hash"].get<std::string>());
    ASSERT_TRUE(at_hash.ok()) << at_hash.error().message;
    EXPECT_EQ(at_hash->root_claim, p->root_claim);
    auto bad_tag = verifier::read_game(l1(), p->game, "yesterday");
    ASSERT_FALSE(bad_tag.ok());
    EXPECT_EQ(bad_tag.error().code, verifier::kGameBadBlockTag);
}

TEST_F(GameOnDevnet, NotAGameIsAnError) {
    // An account without code answers "0x": an error, not a zero root claim.
    auto none =
        verifier::read_game(l1(), eth::Address::from_hex("0x" + std::string(40, '1')).value());
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().code, kGameBadAnswer);
    // The factory is a contract without rootClaim(): the call reverts.
    auto factory = verifier::read_game(l1(), l2().dispute_game_factory);
    ASSERT_FALSE(factory.ok());
    EXPECT_EQ(factory.error().code, verifier::kGameCallReverted) << factory.error().message;
}

// Every kind of wrong answer for one function is an error naming it.
TEST_F(GameOnDevnet, WrongAnswersAreErrors) {
    ASSERT_TRUE(client_->mine(l2().name, 2).ok());
    auto p = client_->propose(l2().name, 1, /*invalid=*/false);
    ASSERT_TRUE(p.ok()) << p.error().message;
    auto proxy = testing::FaultProxy::start(devnet_->info().l1.rpc);
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    rpc::RpcClientOptions o;
    o.chain = "l1";
    o.urls = {(*proxy)->url()};
    o.max_attempts = 2;
    o.backoff_base = std::chrono::milliseconds(1);
    o.backoff_max = std::chrono::milliseconds(5);
    rpc::RpcClient lying(o);

    struct Case {
        std::string selector;  // of the call to rewrite
        std::string answer;
        const char* what;
    };
    const std::string word = std::string(64, '0');
    const std::vector<Case> cases = {
        {"0xbcef3b55", "0x1234", "short rootClaim"},
        {"0xbcef3b55", "0x" + word + "00", "rootClaim with a trailing byte"},
        {"0xbcef3b55", "0x", "empty rootClaim"},
        {"0xbcef3b55", "0xzz", "rootClaim not hex"},
        {"0x200d2ed2", "0x" + std::string(63, '0') + "3", "status 3"},
        {"0x200d2ed2", "0x" + std::string(60, '0') + "0100", "status beyond uint8"},
        {"0x8b85902b", "0x" + std::string(47, '0') + "1" + std::string(16, '0'),
         "l2BlockNumber beyond 64 bits"},
        {"0xbbdc02db", "0x" + std::string(55, '0') + "100000000", "gameType beyond uint32"},
    };
    for (const Case& c : cases) {
        (*proxy)->set_policy([&](const nlohmann::json& request) {
            if (request.value("method", "") != "eth_call") return Fault::pass_through();
            const std::string data = request["params"][0].value("data", "");
            if (data.rfind(c.selector, 0) != 0) return Fault::pass_through();
            Fault f = Fault::of(Fault::Kind::rewrite);
            f.rewrite = [&](nlohmann::json& answer) { answer["result"] = c.answer; };
            return f;
        });
        auto info = verifier::read_game(lying, p->game);
        ASSERT_FALSE(info.ok()) << c.what;
        EXPECT_EQ(info.error().code, kGameBadAnswer) << c.what << ": " << info.error().message;
        EXPECT_NE(info.error().message.find(p->game.to_hex()), std::string::npos)
            << info.error().message;
    }
    EXPECT_GE((*proxy)->faults(), cases.size());
    // A non-string result and a garbled body.
    (*proxy)->set_policy([&](const nlohmann::json& request) {
        if (request.value("method", "") != "eth_call") return Fault::pass_through();
        Fault f = Fault::of(Fault::Kind::rewrite);
        f.rewrite = [](nlohmann::json& answer) { answer["result"] = 42; };
        return f;
    });
    auto number = verifier::read_game(lying, p->game);
    ASSERT_FALSE(number.ok());
    EXPECT_EQ(number.error().code, kGameBadAnswer);
    (*proxy)->set_policy([&](const nlohmann::json& request) {
        if (request.value("method", "") != "eth_call") return Fault::pass_through();
        return Fault::of(Fault::Kind::garbage);
    });
    EXPECT_FALSE(verifier::read_game(lying, p->game).ok());
    // And the honest answer through the same proxy.
    (*proxy)->set_policy([](const nlohmann::json&) { return Fault::pass_through(); });
    auto honest = verifier::read_game(lying, p->game);
    ASSERT_TRUE(honest.ok()) << honest.error().message;
    EXPECT_EQ(honest->root_claim, p->root_claim);
    EXPECT_EQ(honest->status, verifier::kGameInProgress);
}

}  // namespace
}  // namespace vigil
