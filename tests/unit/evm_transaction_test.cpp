// verifier/evm transaction execution beyond the state tests: what the verifier relies on
// when the pre-state comes from a witness (a failed read is an error, never a verdict), the
// kinds of errors, rollback and refunds on small hand-written contracts.
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>

#include "verifier/evm/memory_state.h"
#include "verifier/evm/transaction.h"

namespace vigil::evm {
namespace {

using eth::Address;
using eth::Bytes;
using eth::U256;

Address addr(uint8_t tag) {
    Address a;
    a.bytes[0] = 0xaa;
    a.bytes[19] = tag;
    return a;
}

Bytes hex(const std::string& h) { return eth::from_hex(h).value(); }

// A MemoryState whose reads of one address (account or storage) fail, as a witness that
// lacks a node does.
class HoleySource final : public StateSource {
  public:
    HoleySource(MemoryState& inner, Address hole, int code = 0)
        : inner_(inner), hole_(hole), code_(code) {}
    Result<std::optional<eth::Account>> account(const Address& a) override {
        if (a == hole_) return fail("witness has no node for the account", code_);
        return inner_.account(a);
    }
    Result<U256> storage(const Address& a, const U256& slot) override {
        if (a == hole_) return fail("witness has no node for the slot");
        return inner_.storage(a, slot);
    }
    Result<Bytes> code(const eth::Hash32& h) override { return inner_.code(h); }

  private:
    MemoryState& inner_;
    Address hole_;
    int code_;
};

class EvmTransactionTest : public ::testing::Test {
  protected:
    void SetUp() override {
        MemoryAccount s;
        s.balance = U256(1'000'000'000'000'000'000ULL);
        state.set_account(sender, s);
        env.coinbase = addr(0xcb);
        env.number = 10;
        env.gas_limit = 30'000'000;
        env.base_fee = 10;
    }
    eth::Transaction call(const Address& to, uint64_t gas = 200'000, U256 value = 0) {
        eth::Transaction tx;
        tx.type = eth::TxType::kDynamicFee;
        tx.chain_id = 1;
        tx.nonce = state.find(sender)->nonce;
        tx.max_fee_per_gas = 20;
        tx.max_priority_fee_per_gas = 2;
        tx.gas_limit = gas;
        tx.to = to;
        tx.value = value;
        return tx;
    }
    void deploy(const Address& a, const std::string& code, std::map<U256, U256> storage = {}) {
        MemoryAccount c;
        c.code = hex(code);
        c.storage = std::move(storage);
        state.set_account(a, c);
    }

    MemoryState state;
    BlockEnv env;
    Address sender = addr(0x01);
};

TEST_F(EvmTransactionTest, TransferPaysGasAndTip) {
    const Address to = addr(0x02);
    auto out = execute_transaction(state, env, call(to, 21'000, 5), sender);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->status, ExitStatus::kSuccess);
    EXPECT_EQ(out->gas_used, 21'000u);
    state.apply(out->diff);
    EXPECT_EQ(state.find(to)->balance, U256(5));
    // Effective price min(20, 10 + 2) = 12: the coinbase gets the tip of 2 per gas.
    EXPECT_EQ(state.find(env.coinbase)->balance, U256(42'000));
    EXPECT_EQ(state.find(sender)->balance,
              U256(1'000'000'000'000'000'000ULL) - U256(21'000 * 12) - U256(5));
    EXPECT_EQ(state.find(sender)->nonce, 1u);
}

TEST_F(EvmTransactionTest, UnknownAncestorHashIsAnErrorNotAZeroHash) {
    // PUSH1 9 BLOCKHASH PUSH1 0 SSTORE: the parent's hash, stored.
    deploy(addr(0x02), "600940600055");
    auto unknown = execute_transaction(state, env, call(addr(0x02)), sender);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, kErrorStateUnavailable);
    EXPECT_NE(unknown.error().message.find("BLOCKHASH of block 9"), std::string::npos)
        << unknown.error().message;
    env.block_hash = [](uint64_t) -> std::optional<eth::Hash32> { return std::nullopt; };
    EXPECT_FALSE(execute_transaction(state, env, call(addr(0x02)), sender));
    // Given, it is read; out of the 256-block window it is zero without asking.
    eth::Hash32 nine;
    nine.bytes[31] = 9;
    env.block_hash = [&](uint64_t n) -> std::optional<eth::Hash32> {
        if (n == 9) return nine;
        return std::nullopt;
    };
    auto known = execute_transaction(state, env, call(addr(0x02)), sender);
    ASSERT_TRUE(known) << known.error().message;
    ASSERT_EQ(known->diff.accounts.size(), 3u);  // sender, contract, coinbase
    bool stored = false;
    for (const auto& a : known->diff.accounts)
        if (a.address == addr(0x02))
            stored = a.storage.size() == 1 && a.storage[0].second == U256(9);
    EXPECT_TRUE(stored);
    deploy(addr(0x03), "600a40600055");  // BLOCKHASH(10): the current block, zero
    auto current = execute_transaction(state, env, call(addr(0x03)), sender);
    ASSERT_TRUE(current) << current.error().message;
}

TEST_F(EvmTransactionTest, FailedStateReadIsAnErrorNotAnOutcome) {
    // PUSH20 hole BALANCE: reads an account the source cannot give.
    const Address hole = addr(0x66);
    deploy(addr(0x02), "73" + hole.to_hex().substr(2) + "31");
    HoleySource source(state, hole);
    auto out = execute_transaction(source, env, call(addr(0x02)), sender);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, kErrorStateUnavailable);
    EXPECT_NE(out.error().message.find(hole.to_hex()), std::string::npos) << out.error().message;

    // Calling the unreadable account fails on its account read, before any code runs.
    auto direct = execute_transaction(source, env, call(hole), sender);
    ASSERT_FALSE(direct);
    EXPECT_EQ(direct.error().code, kErrorStateUnavailable);

    // A source's own error code reaches the caller unchanged.
    HoleySource coded(state, hole, 77);
    auto kept = execute_transaction(coded, env, call(addr(0x02)), sender);
    ASSERT_FALSE(kept);
    EXPECT_EQ(kept.error().code, 77);
}

TEST_F(EvmTransactionTest, InvalidTransactionsAreTheirOwnError) {
    auto expect_invalid = [&](const eth::Transaction& tx, const char* why) {
        auto out = execute_transaction(state, env, tx, sender);
        ASSERT_FALSE(out) << why;
        EXPECT_EQ(out.error().code, kErrorInvalidTransaction) << why << ": " << out.error().message;
    };
    eth::Transaction tx = call(addr(2));
    tx.nonce = 7;
    expect_invalid(tx, "nonce");
    tx = call(addr(2), 21'000, U256(1) << 200);
    expect_invalid(tx, "funds");
    tx = call(addr(2), 40'000'000);
    expect_invalid(tx, "block gas limit");
    tx = call(addr(2), 20'000);
    expect_invalid(tx, "intrinsic gas");
    tx = call(addr(2));
    tx.max_fee_per_gas = 5;
    tx.max_priority_fee_per_gas = 1;
    expect_invalid(tx, "fee cap below base fee");
    deploy(addr(0x05), "00");
    const Address code_sender = addr(0x05);
    auto out = execute_transaction(state, env, call(addr(2)), code_sender);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, kErrorInvalidTransaction) << "EIP-3607";
}

TEST_F(EvmTransactionTest, RevertUndoesStorageAndKeepsUnusedGas) {
    // SSTORE(0, 1); REVERT(0, 0)
    deploy(addr(0x02), "600160005560006000fd");
    auto out = execute_transaction(state, env, call(addr(0x02)), sender);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->status, ExitStatus::kRevert);
    EXPECT_LT(out->gas_used, 200'000u);
    EXPECT_GT(out->gas_used, 21'000u + 20'000u);
    for (const AccountUpdate& u : out->diff.accounts) EXPECT_TRUE(u.storage.empty());
}

TEST_F(EvmTransactionTest, ExceptionalHaltConsumesAllGas) {
    deploy(addr(0x02), "6001600055fe");  // SSTORE then INVALID
    auto out = execute_transaction(state, env, call(addr(0x02)), sender);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->status, ExitStatus::kFailure);
    EXPECT_EQ(out->gas_used, 200'000u);
}

TEST_F(EvmTransactionTest, ClearingRefundIsCappedAtAFifth) {
    // SSTORE(slot, 0) on a slot holding 1 costs 2100 (cold) + 2900 and refunds 4800
    // (EIP-3529). One clear: the refund is under gas_used / 5 and paid in full.
    deploy(addr(0x02), "6000600055", {{U256(0), U256(1)}});
    auto one = execute_transaction(state, env, call(addr(0x02)), sender);
    ASSERT_TRUE(one) << one.error().message;
    EXPECT_EQ(one->gas_used, 21'000u + 3 + 3 + 2'100 + 2'900 - 4'800);
    state.apply(one->diff);
    EXPECT_TRUE(state.find(addr(0x02))->storage.empty());

    // Two clears: 9600 refunded would exceed a fifth of the gas used, so the cap applies.
    deploy(addr(0x03), "60006000556000600155", {{U256(0), U256(1)}, {U256(1), U256(1)}});
    auto two = execute_transaction(state, env, call(addr(0x03)), sender);
    ASSERT_TRUE(two) << two.error().message;
    const uint64_t before_refund = 21'000 + 2 * (3 + 3 + 2'100 + 2'900);
    EXPECT_EQ(two->gas_used, before_refund - before_refund / 5);
}

TEST_F(EvmTransactionTest, UnsupportedPrecompileStopsTheExecution) {
    std::optional<Address> missing;
    std::string reason;
    for (const Address& p : precompile_addresses(PrecompileSet{})) {
        PrecompileResult r = run_precompile(p, {}, 10'000'000, PrecompileSet{});
        if (r.status == PrecompileStatus::kUnsupported) {
            missing = p;
            reason = r.reason;
            break;
        }
    }
    if (!missing) GTEST_SKIP() << "every precompile is implemented";
    auto out = execute_transaction(state, env, call(*missing, 1'000'000), sender);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, kErrorUnsupportedPrecompile);
    // The error carries the precompile's own account of what is missing.
    EXPECT_NE(out.error().message.find(reason), std::string::npos) << out.error().message;
}

TEST_F(EvmTransactionTest, DepositsAreNotExecutedHere) {
    eth::Transaction tx = call(addr(2));
    tx.type = eth::TxType::kDeposit;
    auto out = execute_transaction(state, env, tx, sender);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, kErrorUnsupportedTransaction);
}

// --- OP Stack (config.op_stack) -----------------------------------------------------------

ExecutionConfig op_config() {
    ExecutionConfig c;
    c.op_stack = OpStackTxRules{};
    return c;
}

eth::Transaction deposit_tx(const Address& from, std::optional<Address> to, U256 mint, U256 value,
                            uint64_t gas) {
    eth::Transaction tx;
    tx.type = eth::TxType::kDeposit;
    tx.from = from;
    tx.to = to;
    tx.mint = mint;
    tx.value = value;
    tx.gas_limit = gas;
    return tx;
}

TEST_F(EvmTransactionTest, RevertingDepositKeepsMintAndReportsItsGas) {
    // PUSH1 0 PUSH1 0 REVERT: 21000 + 3 + 3, the rest of the gas is not consumed (Regolith).
    deploy(addr(0x02), "60006000fd");
    const Address from = addr(0xd0);
    auto out = execute_transaction(state, env, deposit_tx(from, addr(0x02), 100, 40, 90'000), from,
                                   op_config());
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->status, ExitStatus::kRevert);
    EXPECT_EQ(out->gas_used, 21'006u);
    EXPECT_EQ(out->deposit_nonce, std::optional<uint64_t>(0));
    state.apply(out->diff);
    EXPECT_EQ(state.find(from)->balance, U256(100));  // mint kept, value not moved
    EXPECT_EQ(state.find(from)->nonce, 1u);
    EXPECT_EQ(state.find(addr(0x02))->balance, U256(0));
    EXPECT_EQ(state.find(env.coinbase), nullptr);  // no fee, no tip
}

TEST_F(EvmTransactionTest, DepositCreationUsesTheSendersNonce) {
    const Address from = addr(0xd0);
    MemoryAccount f;
    f.nonce = 7;
    state.set_account(from, f);
    // Initcode returning one byte of code (0x00): PUSH1 1 PUSH1 0 RETURN.
    eth::Transaction tx = deposit_tx(from, std::nullopt, 0, 0, 100'000);
    tx.data = hex("60016000f3");
    auto out = execute_transaction(state, env, tx, from, op_config());
    ASSERT_TRUE(out) << out.error().message;
    ASSERT_TRUE(out->created.has_value());
    EXPECT_EQ(*out->created, create_address(from, 7));
    EXPECT_EQ(out->deposit_nonce, std::optional<uint64_t>(7));
    state.apply(out->diff);
    EXPECT_EQ(state.find(from)->nonce, 8u);
    EXPECT_EQ(state.find(*out->created)->code, hex("00"));
}

TEST_F(EvmTransactionTest, L1FeeCountsInTheBalanceCheck) {
    // L1Block: l1BaseFee 1e9 with baseFeeScalar 1e6 makes the L1 fee of any transaction
    // (calldata gas * 16 * 1e9 * 1e6 / 16e6 = calldata gas * 1e9) far above 1e6 wei.
    MemoryAccount l1block;
    l1block.code = hex("00");
    l1block.storage[U256(1)] = U256(1'000'000'000);
    std::array<uint8_t, 32> scalars{};
    scalars[16] = 0x00;
    scalars[17] = 0x0f;
    scalars[18] = 0x42;
    scalars[19] = 0x40;  // 1e6 = 0x0f4240
    l1block.storage[U256(3)] = U256::from_be_word(scalars.data());
    Address l1block_address;
    l1block_address.bytes[0] = 0x42;
    l1block_address.bytes[19] = 0x15;
    state.set_account(l1block_address, l1block);
    MemoryAccount poor;
    poor.balance = U256(21'000 * 20 + 1'000'000);
    state.set_account(sender, poor);
    eth::Transaction tx = call(addr(0x02), 21'000);
    const eth::PrivateKey key =
        eth::PrivateKey::from_hex(
            "0x4646464646464646464646464646464646464646464646464646464646464646")
            .value();
    tx = eth::sign_transaction(tx, key).value();
    // Without OP rules the transaction is affordable; with them it is not.
    EXPECT_TRUE(execute_transaction(state, env, tx, sender));
    auto out = execute_transaction(state, env, tx, sender, op_config());
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, kErrorInvalidTransaction) << out.error().message;
}

TEST(EvmCreateAddress, MatchesKnownAddresses) {
    // Yellow paper / EIP-1014 example 0: deployer 0x00…00, salt 0, initcode 0x00.
    EXPECT_EQ(create2_address(Address(), U256(0), hex("00")).to_hex(),
              "0x4d1a2e2bb4f88f0250f26ffff098b0b30b26bf38");
    // CREATE from 0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0 with nonce 0 (a well-known
    // example).
    EXPECT_EQ(
        create_address(Address::from_hex("0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0").value(), 0)
            .to_hex(),
        "0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d");
}

}  // namespace
}  // namespace vigil::evm
