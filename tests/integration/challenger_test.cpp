// The challenger against the devnet's real FaultDisputeGame on Anvil: an invalid proposal
// is attacked once (also across a restart) with the correct root and the exact bond, the
// games resolve when their clocks run out, the bonds come back to the signer; games
// already countered, finished or out of time are not attacked; an attack that reverts on
// inclusion is an alarm, not a retry; a lying L1 endpoint gives errors, not transactions.
#include "verifier/challenger.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include "tests/support/devnet.h"
#include "tests/support/fault_proxy.h"
#include "verifier/output_root.h"

namespace vigil {
namespace {

using chains::TxRecord;
using verifier::Challenger;
using verifier::ChallengerRound;
using verifier::Verdict;
using verifier::VerdictRecord;

class ChallengerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        testing::DevnetOptions o;
        o.l2_count = 1;
        auto d = testing::Devnet::start(o);
        ASSERT_TRUE(d.ok()) << d.error().message;
        devnet_ = std::move(d).value();
        auto c = testing::DevnetClient::connect(devnet_->info());
        ASSERT_TRUE(c.ok()) << c.error().message;
        client_ = std::move(c).value();
        char tmpl[] = "/tmp/vigil-challenger-XXXXXX";
        dir_ = mkdtemp(tmpl);
        auto s = core::Store::open(dir_ / "store");
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(s).value();
        l1_ = make_client(devnet_->info().l1.rpc, devnet_->info().l1.chain_id, "l1");
        l2_ = make_client(l2().rpc, l2().chain_id, l2().name);
        auto key = client_->key("challenger");
        ASSERT_TRUE(key.ok());
        signer_ = key->address();
        rollup_.name = l2().name;
        rollup_.l1_chain = "l1";
        rollup_.l2_chain = l2().name;
        rollup_.dispute_game_factory = l2().dispute_game_factory;
        rollup_.challenge = true;
        rollup_.signer = "challenger";
        // Some L2 blocks to propose.
        ASSERT_TRUE(client_->mine(l2().name, 4).ok());
    }
    void TearDown() override {
        if (HasFailure() || std::getenv("VIGIL_TEST_LOG")) std::cerr << log_.str();
        challenger_.reset();
        sender_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    static std::unique_ptr<rpc::RpcClient> make_client(const std::string& url, uint64_t chain_id,
                                                       const std::string& name) {
        rpc::RpcClientOptions o;
        o.chain = name;
        o.urls = {url};
        o.expected_chain_id = chain_id;
        o.requests_per_second = 0;
        o.max_attempts = 2;
        o.backoff_base = std::chrono::milliseconds(1);
        o.backoff_max = std::chrono::milliseconds(5);
        return std::make_unique<rpc::RpcClient>(o);
    }
    const testing::DevnetL2& l2() const { return devnet_->info().l2s[0]; }

    // A new Sender and Challenger on the same store, as after a restart; `l1` defaults to
    // the direct L1 client.
    void start_challenger(rpc::RpcClient* l1 = nullptr) {
        challenger_.reset();
        sender_.reset();
        chains::SenderOptions so;
        so.chain_id = devnet_->info().l1.chain_id;
        so.confirmations = 1;
        core::Logger log(log_, core::LogFormat::json, core::LogLevel::debug);
        sender_ = std::make_unique<chains::Sender>("l1", *l1_, *store_,
                                                   client_->key("challenger").value(), so, log);
        ASSERT_TRUE(sender_->start().ok());
        challenger_ =
            std::make_unique<Challenger>(rollup_, l1 ? *l1 : *l1_, *sender_, *store_, log);
        Status s = challenger_->start();
        ASSERT_TRUE(s.ok()) << s.error().message;
    }

    // Judges a proposal as the watcher would (the output root recomputed from proved L2
    // data), and stages the verdict and the tracking in one batch.
    VerdictRecord judge(const testing::OutputProposal& p) {
        verifier::OutputRootSource source(*l2_, core::Finality{});
        auto computed = source.compute(p.l2_block);
        EXPECT_TRUE(computed.ok()) << computed.error().message;
        EXPECT_EQ(computed->output_root, p.preimage.root());  // the devnet's own computation
        VerdictRecord r;
        r.proposal.rollup = rollup_.name;
        r.proposal.game = p.game;
        r.proposal.game_type = devnet_->options().game_type;
        r.proposal.game_index = p.game_index;
        r.proposal.root_claim = p.root_claim;
        r.proposal.l2_block = p.l2_block;
        r.verdict = computed->output_root == p.root_claim ? Verdict::valid : Verdict::invalid;
        r.computed = *computed;
        core::WriteBatch batch;
        verifier::VerdictStore(*store_).stage(r, batch);
        challenger_->track(r.proposal, batch);
        EXPECT_TRUE(store_->commit(batch).ok());
        return r;
    }

    uint64_t nonce() {
        auto n =
            l1_->call("eth_getTransactionCount", rpc::Json::array({signer_.to_hex(), "latest"}));
        return *eth::parse_quantity(n->get<std::string>());
    }
    uint64_t claim_count(const eth::Address& game) {
        auto n = verifier::read_claim_count(*l1_, game);
        EXPECT_TRUE(n.ok()) << n.error().message;
        return n.value_or(0);
    }
    eth::U256 balance(const eth::Address& a) { return client_->balance("l1", a).value(); }
    uint8_t status(const eth::Address& game) {
        auto s = verifier::read_game_status(*l1_, game);
        EXPECT_TRUE(s.ok());
        return s.value_or(255);
    }
    ChallengerRound poll() {
        auto r = challenger_->poll();
        EXPECT_TRUE(r.ok()) << r.error().message;
        return r.value_or(ChallengerRound{});
    }
    // Anvil mines a sent transaction asynchronously: rounds until `done` holds (bounded),
    // summed. Each round sends what the chain allows at that moment, so how the work
    // spreads over rounds depends on timing; the sums do not.
    ChallengerRound poll_until(const std::function<bool()>& done) {
        ChallengerRound sum;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) {
                ADD_FAILURE() << "poll_until: condition not reached in 20 s";
                break;
            }
            const ChallengerRound r = poll();
            sum.attacks_confirmed += r.attacks_confirmed;
            sum.attacks_reverted += r.attacks_reverted;
            sum.resolve_txs += r.resolve_txs;
            sum.games_finished += r.games_finished;
            sum.unexpected_outcomes += r.unexpected_outcomes;
            sum.credit_claims += r.credit_claims;
            sum.forgotten += r.forgotten;
            sum.errors += r.errors;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return sum;
    }
    void wait_mined(const TxRecord& r) {
        auto receipt = client_->wait_receipt("l1", r.attempts.back().hash);
        ASSERT_TRUE(receipt.ok()) << receipt.error().message;
    }
    // Wei the signer paid in gas for the transaction with `id`, if it was sent.
    eth::U256 gas_cost(const std::string& id) {
        auto r = sender_->find(id);
        EXPECT_TRUE(r.ok());
        if (!r.ok() || !*r) return eth::U256();
        EXPECT_TRUE((*r)->final()) << id;
        return eth::U256((*r)->gas_used) * (*r)->effective_gas_price;
    }
    eth::U256 gas_costs_of(const eth::Address& game, uint64_t claims) {
        eth::U256 total = gas_cost(challenger_->attack_id(game));
        for (uint64_t i = 0; i < claims; ++i)
            total += gas_cost(challenger_->resolve_claim_id(game, i));
        total += gas_cost(challenger_->resolve_id(game));
        for (uint32_t n = 0; n < verifier::kMaxCreditClaims; ++n)
            total += gas_cost(challenger_->credit_id(game, n));
        return total;
    }
    size_t log_count(const std::string& needle) const {
        const std::string text = log_.str();
        size_t n = 0;
        for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
            ++n;
        return n;
    }

    std::unique_ptr<testing::Devnet> devnet_;
    std::unique_ptr<testing::DevnetClient> client_;
    std::filesystem::path dir_;
    std::unique_ptr<core::Store> store_;
    std::unique_ptr<rpc::RpcClient> l1_, l2_;
    eth::Address signer_;
    core::RollupConfig rollup_;
    std::ostringstream log_;
    std::unique_ptr<chains::Sender> sender_;
    std::unique_ptr<Challenger> challenger_;
};

TEST_F(ChallengerTest, AttacksOnceResolvesAndCollectsTheBonds) {
    start_challenger();
    auto bad = client_->propose(l2().name, 3, /*invalid=*/true);
    ASSERT_TRUE(bad.ok()) << bad.error().message;
    auto good = client_->propose(l2().name, 2, /*invalid=*/false);
    ASSERT_TRUE(good.ok()) << good.error().message;
    const VerdictRecord invalid = judge(*bad);
    const VerdictRecord valid = judge(*good);
    ASSERT_EQ(invalid.verdict, Verdict::invalid);
    ASSERT_EQ(valid.verdict, Verdict::valid);
    const eth::U256 balance_before = balance(signer_);
    const uint64_t nonce_before = nonce();

    // The valid game is refused; the invalid one attacked with the true root and the bond
    // the game asks for.
    auto refused = challenger_->challenge(valid);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, verifier::kNotInvalid);
    auto attack = challenger_->challenge(invalid);
    ASSERT_TRUE(attack.ok()) << attack.error().message;
    EXPECT_EQ(attack->id, "challenge/" + rollup_.name + "/" + bad->game.to_hex());
    EXPECT_EQ(attack->to, bad->game);
    EXPECT_EQ(attack->value, devnet_->options().move_bond);
    wait_mined(*attack);
    EXPECT_EQ(nonce(), nonce_before + 1);
    ASSERT_EQ(claim_count(bad->game), 2u);
    auto claim = verifier::read_claim(*l1_, bad->game, 1);
    ASSERT_TRUE(claim.ok()) << claim.error().message;
    EXPECT_EQ(claim->parent_index, 0u);
    EXPECT_EQ(claim->claim, bad->preimage.root());
    EXPECT_EQ(claim->claimant, signer_);
    EXPECT_EQ(claim->bond, devnet_->options().move_bond);
    EXPECT_EQ(claim->position, eth::U256(2));

    // Again, and after a restart on the same store: the first record, nothing new sent.
    auto again = challenger_->challenge(invalid);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->attempts.front().hash, attack->attempts.front().hash);
    start_challenger();
    auto restarted = challenger_->challenge(invalid);
    ASSERT_TRUE(restarted.ok()) << restarted.error().message;
    EXPECT_EQ(restarted->nonce, attack->nonce);
    EXPECT_EQ(restarted->attempts.front().hash, attack->attempts.front().hash);
    EXPECT_EQ(nonce(), nonce_before + 1);
    EXPECT_EQ(claim_count(bad->game), 2u);

    // Clocks running: the attack is confirmed, nothing is sent.
    ChallengerRound r = poll();
    EXPECT_EQ(r.tracked, 2u);
    EXPECT_EQ(r.attacks_confirmed, 1u);
    EXPECT_EQ(r.waiting, 2u);
    EXPECT_EQ(r.resolve_txs, 0u);
    r = poll();
    EXPECT_EQ(r.attacks_confirmed, 0u);  // counted once
    EXPECT_EQ(r.waiting, 2u);
    EXPECT_EQ(nonce(), nonce_before + 1);

    // Clocks out: both games resolve (children first), as their claims say.
    ASSERT_TRUE(client_->increase_time("l1", devnet_->options().max_clock_duration_secs + 1).ok());
    ChallengerRound sum = poll_until([&] {
        return status(bad->game) != verifier::kGameInProgress &&
               status(good->game) != verifier::kGameInProgress;
    });
    EXPECT_EQ(status(bad->game), verifier::kGameChallengerWins);
    EXPECT_EQ(status(good->game), verifier::kGameDefenderWins);
    const eth::U256 init_bond = devnet_->options().init_bond;
    const eth::U256 move_bond = devnet_->options().move_bond;
    auto owed = verifier::read_credit(*l1_, bad->game, signer_);
    ASSERT_TRUE(owed.ok());
    EXPECT_EQ(*owed, init_bond + move_bond);
    auto proposer = client_->key("proposer");
    ASSERT_TRUE(proposer.ok());
    EXPECT_EQ(verifier::read_credit(*l1_, good->game, proposer->address()).value(), init_bond);

    // The credit is claimed, and the settled games are forgotten.
    r = poll_until([&] {
        return !challenger_->tracking(bad->game).value() &&
               !challenger_->tracking(good->game).value();
    });
    EXPECT_EQ(sum.resolve_txs + r.resolve_txs, 5u);  // resolveClaim 1, 0, resolve; 0, resolve
    EXPECT_EQ(sum.games_finished + r.games_finished, 2u);
    EXPECT_EQ(sum.credit_claims + r.credit_claims, 1u);
    EXPECT_EQ(sum.forgotten + r.forgotten, 2u);
    EXPECT_EQ(sum.unexpected_outcomes + r.unexpected_outcomes, 0u);
    EXPECT_EQ(sum.errors + r.errors, 0u);
    EXPECT_FALSE(challenger_->tracking(bad->game).value());
    EXPECT_FALSE(challenger_->tracking(good->game).value());
    EXPECT_TRUE(verifier::read_credit(*l1_, bad->game, signer_)->is_zero());
    // Every wei accounted for: the init bond won, the move bond back, minus gas.
    for (int i = 0; i < 500 && sender_->in_flight() > 0; ++i) {
        ASSERT_TRUE(sender_->poll().ok());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const eth::U256 gas = gas_costs_of(bad->game, 2) + gas_costs_of(good->game, 1);
    EXPECT_EQ(balance(signer_), balance_before + init_bond - gas);
    const uint64_t nonce_after = nonce();
    EXPECT_EQ(nonce_after, nonce_before + 1 + 5 + 1);

    // Nothing left to do.
    r = poll();
    EXPECT_EQ(r.tracked, 0u);
    EXPECT_EQ(nonce(), nonce_after);
    EXPECT_EQ(log_count("ALARM"), 0u) << log_.str();
}

TEST_F(ChallengerTest, DoesNotAttackWhatIsAlreadyDecided) {
    start_challenger();
    // 1. Someone else already made the same attack: ours would revert.
    auto countered = client_->propose(l2().name, 1, /*invalid=*/true);
    ASSERT_TRUE(countered.ok()) << countered.error().message;
    const VerdictRecord r1 = judge(*countered);
    auto other = client_->key("user");
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE(client_->attack(countered->game, *other, 0, countered->preimage.root()).ok());
    // 2. A game already resolved (its clock ran out unchallenged).
    auto resolved = client_->propose(l2().name, 2, /*invalid=*/true);
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
    const VerdictRecord r2 = judge(*resolved);
    // 3. A game whose clock has run out but nobody resolved it.
    auto expired = client_->propose(l2().name, 3, /*invalid=*/true);
    ASSERT_TRUE(expired.ok()) << expired.error().message;
    const VerdictRecord r3 = judge(*expired);
    ASSERT_TRUE(client_->increase_time("l1", devnet_->options().max_clock_duration_secs + 1).ok());
    ASSERT_EQ(client_->resolve_game(resolved->game, *other).value(),
              testing::GameStatus::defender_wins);
    const uint64_t nonce_before = nonce();

    auto a1 = challenger_->challenge(r1);
    ASSERT_FALSE(a1.ok());
    EXPECT_EQ(a1.error().code, verifier::kAlreadyChallenged) << a1.error().message;
    auto a2 = challenger_->challenge(r2);
    ASSERT_FALSE(a2.ok());
    EXPECT_EQ(a2.error().code, verifier::kGameOver) << a2.error().message;
    auto a3 = challenger_->challenge(r3);
    ASSERT_FALSE(a3.ok());
    EXPECT_EQ(a3.error().code, verifier::kTooLate) << a3.error().message;
    EXPECT_EQ(claim_count(countered->game), 2u);
    EXPECT_EQ(nonce(), nonce_before);
    // Logged once; later calls give the same final answer from the store.
    EXPECT_EQ(log_count("invalid game not attacked"), 3u);
    start_challenger();
    EXPECT_EQ(challenger_->challenge(r1).error().code, verifier::kAlreadyChallenged);
    EXPECT_EQ(challenger_->challenge(r2).error().code, verifier::kGameOver);
    EXPECT_EQ(challenger_->challenge(r3).error().code, verifier::kTooLate);
    EXPECT_EQ(log_count("invalid game not attacked"), 3u);
    EXPECT_EQ(nonce(), nonce_before);

    // The resolved invalid game is an alarm once seen by poll(); the other two resolve.
    ChallengerRound sum = poll_until([&] {
        return !challenger_->tracking(countered->game).value() &&
               !challenger_->tracking(resolved->game).value() &&
               !challenger_->tracking(expired->game).value();
    });
    EXPECT_EQ(status(countered->game), verifier::kGameChallengerWins);
    EXPECT_EQ(status(expired->game), verifier::kGameDefenderWins);
    EXPECT_EQ(sum.unexpected_outcomes, 2u);  // invalid roots that won: `resolved`, `expired`
    EXPECT_EQ(sum.credit_claims, 0u);
    EXPECT_EQ(sum.errors, 0u);
    EXPECT_EQ(log_count("ALARM: game resolved against our verdict"), 2u);
    // The other challenger's win pays them, not us: nothing to claim, all forgotten.
    EXPECT_FALSE(challenger_->tracking(countered->game).value());
    EXPECT_TRUE(verifier::read_credit(*l1_, countered->game, signer_)->is_zero());
}

TEST_F(ChallengerTest, AnAttackRevertedOnInclusionIsAnAlarmNotARetry) {
    start_challenger();
    auto bad = client_->propose(l2().name, 2, /*invalid=*/true);
    ASSERT_TRUE(bad.ok()) << bad.error().message;
    const VerdictRecord invalid = judge(*bad);
    // The attack passes its estimate, then lands in a block after the root's clock ran
    // out (ClockTimeExceeded).
    ASSERT_TRUE(l1_->call("evm_setAutomine", rpc::Json::array({false})).ok());
    auto attack = challenger_->challenge(invalid);
    ASSERT_TRUE(attack.ok()) << attack.error().message;
    ASSERT_TRUE(client_->increase_time("l1", devnet_->options().max_clock_duration_secs + 1).ok());
    ASSERT_TRUE(l1_->call("evm_setAutomine", rpc::Json::array({true})).ok());
    const uint64_t nonce_after_attack = nonce();

    ChallengerRound r = poll();
    EXPECT_EQ(r.attacks_reverted, 1u);
    auto record = sender_->find(challenger_->attack_id(bad->game));
    ASSERT_TRUE(record.ok() && *record);
    EXPECT_EQ((*record)->state, TxRecord::State::reverted);
    EXPECT_EQ(log_count("ALARM: attack on invalid game reverted"), 1u);
    // Not retried: challenge() answers the reverted record, and the rounds that resolve
    // the game (DEFENDER_WINS: an alarm of its own) send no second attack.
    auto again = challenger_->challenge(invalid);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->state, TxRecord::State::reverted);
    const ChallengerRound sum =
        poll_until([&] { return !challenger_->tracking(bad->game).value(); });
    EXPECT_EQ(sum.attacks_reverted, 0u);
    EXPECT_EQ(sum.unexpected_outcomes, 1u);
    EXPECT_EQ(status(bad->game), verifier::kGameDefenderWins);
    EXPECT_EQ(claim_count(bad->game), 1u);
    EXPECT_EQ(nonce(), nonce_after_attack + 2);  // resolveClaim(0), resolve(); no attack
    EXPECT_EQ(log_count("ALARM: attack on invalid game reverted"), 1u);
}

TEST_F(ChallengerTest, ALyingL1EndpointGetsErrorsNotTransactions) {
    auto proxy = testing::FaultProxy::start(devnet_->info().l1.rpc);
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    auto lying = make_client((*proxy)->url(), devnet_->info().l1.chain_id, "l1");
    start_challenger(lying.get());
    auto bad = client_->propose(l2().name, 2, /*invalid=*/true);
    ASSERT_TRUE(bad.ok()) << bad.error().message;
    const VerdictRecord invalid = judge(*bad);
    const uint64_t nonce_before = nonce();
    auto rewrite_call = [&](const std::string& selector, std::string answer) {
        (*proxy)->set_policy([selector, answer](const nlohmann::json& request) {
            if (request.value("method", "") != "eth_call") return testing::Fault::pass_through();
            const std::string data = request["params"][0].value("data", "");
            if (data.rfind(selector, 0) != 0) return testing::Fault::pass_through();
            testing::Fault f = testing::Fault::of(testing::Fault::Kind::rewrite);
            f.rewrite = [answer](nlohmann::json& a) { a["result"] = answer; };
            return f;
        });
    };

    // rootClaim() short, then garbage: errors, no attack.
    rewrite_call("0xbcef3b55", "0x1234");
    auto short_answer = challenger_->challenge(invalid);
    ASSERT_FALSE(short_answer.ok());
    EXPECT_EQ(short_answer.error().code, verifier::kGameBadAnswer) << short_answer.error().message;
    rewrite_call("0xbcef3b55", "0x" + std::string(64, 'f'));  // well-formed, but another root
    auto other_root = challenger_->challenge(invalid);
    ASSERT_FALSE(other_root.ok());
    EXPECT_EQ(other_root.error().code, verifier::kWrongGame) << other_root.error().message;
    (*proxy)->set_policy([](const nlohmann::json& request) {
        if (request.value("method", "") == "eth_call")
            return testing::Fault::of(testing::Fault::Kind::garbage);
        return testing::Fault::pass_through();
    });
    EXPECT_FALSE(challenger_->challenge(invalid).ok());
    // A round with a lying status() is an error for that game, not a transaction.
    ASSERT_TRUE(client_->increase_time("l1", devnet_->options().max_clock_duration_secs + 1).ok());
    rewrite_call("0x200d2ed2", "0x" + std::string(63, '0') + "7");
    ChallengerRound r = poll();
    EXPECT_EQ(r.errors, 1u);
    EXPECT_EQ(r.resolve_txs, 0u);
    EXPECT_EQ(nonce(), nonce_before);
    EXPECT_TRUE(challenger_->tracking(bad->game).value());

    // A corrupt persisted state stops the start, naming the entry.
    ASSERT_TRUE(store_->put("challenger", rollup_.name + "/game/" + bad->game.to_hex(), "{").ok());
    challenger_.reset();
    core::Logger log(log_, core::LogFormat::json, core::LogLevel::debug);
    Challenger broken(rollup_, *l1_, *sender_, *store_, log);
    Status s = broken.start();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find(bad->game.to_hex()), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace vigil
