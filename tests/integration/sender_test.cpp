// The chains/ sender against a real Anvil node: idempotence, refusal of reverting calls,
// replacement of stuck transactions, restarts, lost transactions and stolen nonces.
#include "chains/sender.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "tests/support/anvil.h"
#include "tests/support/chain_driver.h"

namespace vigil::chains {
namespace {

using testing::AnvilOptions;
using testing::AnvilProcess;
using testing::ChainDriver;

constexpr uint64_t kChainId = 31337;
const eth::Address kPayee = *eth::Address::from_hex("0x00000000000000000000000000000000000000aa");
const eth::Address kReverter =
    *eth::Address::from_hex("0x00000000000000000000000000000000000000bb");

class SenderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        AnvilOptions o;
        o.chain_id = kChainId;
        auto a = AnvilProcess::start(o);
        ASSERT_TRUE(a.ok()) << a.error().message;
        anvil_ = std::move(a).value();
        driver_ = std::make_unique<ChainDriver>(anvil_->rpc_url(), kChainId);
        char tmpl[] = "/tmp/vigil-sender-XXXXXX";
        dir_ = mkdtemp(tmpl);
        open_store();
        rpc::RpcClientOptions ro;
        ro.chain = "l1";
        ro.urls = {anvil_->rpc_url()};
        ro.expected_chain_id = kChainId;
        ro.requests_per_second = 0;
        rpc_ = std::make_unique<rpc::RpcClient>(ro);
        ASSERT_TRUE(rpc_->connect().ok());
    }
    void TearDown() override {
        sender_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void open_store() {
        store_.reset();
        auto s = core::Store::open(dir_ / "store");
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(s).value();
    }
    // A new Sender on the same store, as after a restart.
    void new_sender() {
        sender_.reset();
        SenderOptions so;
        so.chain_id = kChainId;
        so.confirmations = 1;
        so.stuck_after = std::chrono::milliseconds(1000);
        sender_ = std::make_unique<Sender>(
            "l1", *rpc_, *store_, *eth::PrivateKey::from_hex(testing::kAnvilKey0), so,
            core::Logger(log_, core::LogFormat::json, core::LogLevel::debug),
            [this] { return now_ms_; });
        Status s = sender_->start();
        ASSERT_TRUE(s.ok()) << s.error().message;
    }
    Status rpc(const std::string& method, rpc::Json params = rpc::Json::array()) {
        VIGIL_CHECK(driver_->rpc().call(method, std::move(params)));
        return {};
    }
    uint64_t chain_nonce() {
        auto n = driver_->rpc().call("eth_getTransactionCount",
                                     rpc::Json::array({testing::kAnvilAddress0, "latest"}));
        return *eth::parse_quantity(n->get<std::string>());
    }
    // Polls until `id` is final (bounded).
    TxRecord poll_until_final(const std::string& id) {
        for (int i = 0; i < 50; ++i) {
            auto done = sender_->poll();
            EXPECT_TRUE(done.ok()) << done.error().message;
            if (done.ok())
                for (const TxRecord& r : *done)
                    if (r.id == id) return r;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ADD_FAILURE() << id << " never became final";
        return {};
    }

    std::unique_ptr<AnvilProcess> anvil_;
    std::unique_ptr<ChainDriver> driver_;
    std::filesystem::path dir_;
    std::unique_ptr<core::Store> store_;
    std::unique_ptr<rpc::RpcClient> rpc_;
    std::unique_ptr<Sender> sender_;
    std::ostringstream log_;
    int64_t now_ms_ = 1'000'000;
};

TxRequest pay(const std::string& id, uint64_t wei) {
    TxRequest r;
    r.id = id;
    r.to = kPayee;
    r.value = eth::U256(wei);
    return r;
}

TEST_F(SenderTest, SubmitIsIncludedOnceAndIdempotent) {
    new_sender();
    auto r = sender_->submit(pay("pay/1", 7));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->nonce, 0u);
    TxRecord final = poll_until_final("pay/1");
    EXPECT_EQ(final.state, TxRecord::State::succeeded);
    EXPECT_EQ(final.included_hash, r->attempts[0].hash);
    EXPECT_GT(final.gas_used, 0u);
    // Again with the same id: the same record, no second transaction.
    auto again = sender_->submit(pay("pay/1", 7));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->final());
    EXPECT_EQ(chain_nonce(), 1u);
    auto balance =
        driver_->rpc().call("eth_getBalance", rpc::Json::array({kPayee.to_hex(), "latest"}));
    EXPECT_EQ(balance->get<std::string>(), "0x7");
    // The log says what was sent, and never holds the key.
    EXPECT_NE(log_.str().find("pay/1"), std::string::npos);
    EXPECT_EQ(log_.str().find(std::string(testing::kAnvilKey0).substr(2)), std::string::npos);
}

TEST_F(SenderTest, ACallThatWouldRevertIsRefused) {
    ASSERT_TRUE(driver_->set_code(kReverter, "0x60006000fd").ok());  // REVERT(0, 0)
    new_sender();
    TxRequest req = pay("revert/1", 0);
    req.to = kReverter;
    auto r = sender_->submit(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, kWouldRevert);
    EXPECT_EQ(sender_->next_nonce(), 0u);  // no nonce consumed
    EXPECT_EQ(sender_->in_flight(), 0u);
}

TEST_F(SenderTest, StuckTransactionIsReplacedWithTheSameNonce) {
    ASSERT_TRUE(rpc("evm_setAutomine", rpc::Json::array({false})).ok());
    new_sender();
    auto r = sender_->submit(pay("stuck/1", 1));
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto none = sender_->poll();
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    now_ms_ += 1500;  // past stuck_after
    ASSERT_TRUE(sender_->poll().ok());
    auto rec = sender_->find("stuck/1");
    ASSERT_TRUE(rec.ok() && rec->has_value());
    ASSERT_EQ((*rec)->attempts.size(), 2u);
    const TxAttempt& first = (*rec)->attempts[0];
    const TxAttempt& second = (*rec)->attempts[1];
    EXPECT_EQ((*rec)->nonce, 0u);
    EXPECT_GE(second.max_priority_fee_per_gas,
              first.max_priority_fee_per_gas * eth::U256(115) / eth::U256(100));
    EXPECT_GE(second.max_fee_per_gas, first.max_fee_per_gas * eth::U256(115) / eth::U256(100));
    ASSERT_TRUE(rpc("evm_mine").ok());
    TxRecord final = poll_until_final("stuck/1");
    EXPECT_EQ(final.included_hash, second.hash);
    EXPECT_EQ(chain_nonce(), 1u);
}

TEST_F(SenderTest, RestartResolvesInFlightFromReceipts) {
    ASSERT_TRUE(rpc("evm_setAutomine", rpc::Json::array({false})).ok());
    new_sender();
    ASSERT_TRUE(sender_->submit(pay("restart/1", 3)).ok());
    ASSERT_TRUE(sender_->submit(pay("restart/2", 4)).ok());
    sender_.reset();  // the process dies here
    ASSERT_TRUE(rpc("evm_mine").ok());
    open_store();
    new_sender();  // start() resolves both from their receipts
    auto one = sender_->find("restart/1");
    auto two = sender_->find("restart/2");
    ASSERT_TRUE(one.ok() && one->has_value() && two.ok() && two->has_value());
    EXPECT_EQ((*one)->state, TxRecord::State::succeeded);
    EXPECT_EQ((*two)->state, TxRecord::State::succeeded);
    EXPECT_EQ(sender_->in_flight(), 0u);
    EXPECT_EQ(sender_->next_nonce(), 2u);
    auto again = sender_->submit(pay("restart/1", 3));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->final());
    EXPECT_EQ(chain_nonce(), 2u);
}

TEST_F(SenderTest, LostTransactionIsRebroadcastAfterRestart) {
    ASSERT_TRUE(rpc("evm_setAutomine", rpc::Json::array({false})).ok());
    new_sender();
    auto r = sender_->submit(pay("lost/1", 5));
    ASSERT_TRUE(r.ok());
    sender_.reset();
    // The node forgets it (pool eviction, node restart).
    ASSERT_TRUE(
        rpc("anvil_dropTransaction", rpc::Json::array({r->attempts[0].hash.to_hex()})).ok());
    ASSERT_TRUE(rpc("evm_mine").ok());
    EXPECT_EQ(chain_nonce(), 0u);
    open_store();
    new_sender();
    ASSERT_TRUE(rpc("evm_mine").ok());
    TxRecord final = poll_until_final("lost/1");
    EXPECT_EQ(final.state, TxRecord::State::succeeded);
    EXPECT_EQ(final.included_hash, r->attempts[0].hash);  // the same signed bytes, not a new tx
    EXPECT_EQ(chain_nonce(), 1u);
}

TEST_F(SenderTest, NonceTakenByAnotherTransactionMovesTheRequest) {
    ASSERT_TRUE(rpc("evm_setAutomine", rpc::Json::array({false})).ok());
    new_sender();
    auto r = sender_->submit(pay("moved/1", 9));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(
        rpc("anvil_dropTransaction", rpc::Json::array({r->attempts[0].hash.to_hex()})).ok());
    // Someone else with the same key uses nonce 0 for something else.
    ASSERT_TRUE(rpc("eth_sendTransaction", rpc::Json::array({{{"from", testing::kAnvilAddress0},
                                                              {"to", kReverter.to_hex()},
                                                              {"value", "0x1"},
                                                              {"nonce", "0x0"}}}))
                    .ok());
    ASSERT_TRUE(rpc("evm_mine").ok());
    ASSERT_TRUE(sender_->poll().ok());  // first sighting: waits
    ASSERT_TRUE(sender_->poll().ok());  // the same head again: nothing new to see, waits
    auto waiting = sender_->find("moved/1");
    ASSERT_TRUE(waiting.ok() && waiting->has_value());
    EXPECT_EQ((*waiting)->nonce, 0u);
    ASSERT_TRUE(rpc("evm_mine").ok());
    ASSERT_TRUE(sender_->poll().ok());  // second sighting, a block later: moves to nonce 1
    auto moved = sender_->find("moved/1");
    ASSERT_TRUE(moved.ok() && moved->has_value());
    EXPECT_EQ((*moved)->nonce, 1u);
    ASSERT_TRUE(rpc("evm_mine").ok());
    TxRecord final = poll_until_final("moved/1");
    EXPECT_EQ(final.state, TxRecord::State::succeeded);
    auto balance =
        driver_->rpc().call("eth_getBalance", rpc::Json::array({kPayee.to_hex(), "latest"}));
    EXPECT_EQ(balance->get<std::string>(), "0x9");  // paid exactly once
}

TEST(TxRecordCodec, RoundTripsAndRejectsJunk) {
    TxRecord r;
    r.id = "prove/0xabc";
    r.nonce = 42;
    r.gas_limit = 100000;
    r.to = kPayee;
    r.value = eth::U256(5);
    r.data = {1, 2, 3};
    TxAttempt a;
    a.hash.bytes[0] = 9;
    a.max_fee_per_gas = eth::U256(100);
    a.max_priority_fee_per_gas = eth::U256(2);
    a.sent_at_ms = 77;
    a.raw = {0x02, 0xc0};
    r.attempts.push_back(a);
    TxAttempt b = a;
    b.hash.bytes[0] = 10;
    b.max_fee_per_gas = eth::U256(130);
    b.sent_at_ms = 30'077;
    r.attempts.push_back(b);
    r.state = TxRecord::State::reverted;
    r.included_hash = b.hash;
    r.block = 12;
    r.gas_used = 21'000;
    r.effective_gas_price = eth::U256(99);
    auto same = [&](const TxRecord& back) {
        EXPECT_EQ(back.id, r.id);
        EXPECT_EQ(back.state, r.state);
        EXPECT_EQ(back.nonce, 42u);
        EXPECT_EQ(back.gas_limit, r.gas_limit);
        EXPECT_EQ(back.to, r.to);
        EXPECT_EQ(back.value, r.value);
        EXPECT_EQ(back.data, r.data);
        ASSERT_EQ(back.attempts.size(), 2u);
        for (size_t i = 0; i < 2; ++i) {
            EXPECT_EQ(back.attempts[i].raw, r.attempts[i].raw);
            EXPECT_EQ(back.attempts[i].hash, r.attempts[i].hash);
            EXPECT_EQ(back.attempts[i].max_fee_per_gas, r.attempts[i].max_fee_per_gas);
            EXPECT_EQ(back.attempts[i].max_priority_fee_per_gas,
                      r.attempts[i].max_priority_fee_per_gas);
            EXPECT_EQ(back.attempts[i].sent_at_ms, r.attempts[i].sent_at_ms);
        }
        EXPECT_EQ(back.included_hash, r.included_hash);
        EXPECT_EQ(back.block, 12u);
        EXPECT_EQ(back.gas_used, 21'000u);
        EXPECT_EQ(back.effective_gas_price, eth::U256(99));
    };
    const std::string stored = encode_record(r);
    auto back = decode_record(stored);
    ASSERT_TRUE(back.ok()) << back.error().message;
    same(*back);
    // A record stored as JSON by an earlier version is still read.
    const std::string legacy =
        R"({"id":"prove/0xabc","state":"reverted","nonce":42,"gasLimit":100000,)"
        R"("to":")" +
        kPayee.to_hex() +
        R"(","value":"0x5","data":"0x010203","attempts":[)"
        R"({"hash":"0x09)" +
        std::string(62, '0') +
        R"(","maxFeePerGas":"0x64",)"
        R"("maxPriorityFeePerGas":"0x2","sentAt":77,"raw":"0x02c0"},)"
        R"({"hash":"0x0a)" +
        std::string(62, '0') +
        R"(","maxFeePerGas":"0x82",)"
        R"("maxPriorityFeePerGas":"0x2","sentAt":30077,"raw":"0x02c0"}],)"
        R"("includedHash":"0x0a)" +
        std::string(62, '0') +
        R"(","block":12,"gasUsed":21000,)"
        R"("effectiveGasPrice":"0x63"})";
    auto old = decode_record(legacy);
    ASSERT_TRUE(old.ok()) << old.error().message;
    same(*old);
    // Truncated or padded records are errors.
    for (size_t cut : {size_t(1), size_t(3), stored.size() / 2, stored.size() - 1})
        EXPECT_FALSE(decode_record(stored.substr(0, cut)).ok()) << cut;
    EXPECT_FALSE(decode_record(stored + "\x80").ok());
    EXPECT_FALSE(decode_record("").ok());
    EXPECT_FALSE(decode_record("{").ok());
    EXPECT_FALSE(decode_record("{\"id\":\"x\",\"state\":\"lost\"}").ok());
}

}  // namespace
}  // namespace vigil::chains
