// verifier/evm block execution: the overlay between transactions, blocks of several
// transactions on a MemoryState (each seeing the ones before it), receipts and bloom, the
// block gas limit, and the OP Stack rules (deposits, the L1 data fee and the fee vaults,
// FastLZ, the forks Vigil refuses). Gas and fee expectations are worked out by hand from
// the yellow paper and the OP specs, never read back from the code under test.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "chains/eth/keccak.h"
#include "chains/eth/trie.h"
#include "tests/unit/vectors.h"
#include "verifier/evm/block.h"
#include "verifier/evm/memory_state.h"
#include "verifier/evm/op_fees.h"
#include "verifier/evm/overlay_state.h"

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

const U256 kEther(1'000'000'000'000'000'000ULL);

// --- OverlayState ------------------------------------------------------------------------

TEST(OverlayStateTest, ReadsThroughLaterDiffsAndMergesOnePerAddress) {
    MemoryState base;
    const Address x = addr(0x10), y = addr(0x05);
    MemoryAccount ax;
    ax.nonce = 1;
    ax.balance = 50;
    ax.code = hex("600000");
    ax.storage = {{U256(1), U256(5)}, {U256(2), U256(6)}};
    base.set_account(x, ax);
    MemoryState sequential = base;

    OverlayState overlay(base);
    StateDiff d1;
    {
        AccountUpdate u;
        u.address = x;
        u.nonce = 1;
        u.balance = 40;
        u.code_hash = eth::keccak256(ax.code);
        u.storage = {{U256(1), U256(0)}, {U256(3), U256(9)}};
        d1.accounts.push_back(u);
        AccountUpdate v;
        v.address = y;
        v.balance = 10;
        d1.accounts.insert(d1.accounts.begin(), v);
    }
    overlay.apply(d1);
    sequential.apply(d1);
    EXPECT_EQ(*overlay.storage(x, U256(1)), U256(0));
    EXPECT_EQ(*overlay.storage(x, U256(2)), U256(6));  // from the base
    EXPECT_EQ(*overlay.storage(x, U256(3)), U256(9));
    EXPECT_EQ((*overlay.account(x))->balance, U256(40));
    EXPECT_NE((*overlay.account(x))->storage_root, eth::kEmptyTrieRoot);

    // Deleted: absent, with empty storage.
    StateDiff d2;
    AccountUpdate gone;
    gone.address = x;
    gone.deleted = true;
    d2.accounts.push_back(gone);
    overlay.apply(d2);
    sequential.apply(d2);
    EXPECT_FALSE(overlay.account(x)->has_value());
    EXPECT_EQ(*overlay.storage(x, U256(2)), U256(0));

    // Recreated without code: the base's slots stay gone.
    StateDiff d3;
    {
        AccountUpdate u;
        u.address = x;
        u.nonce = 1;
        u.storage = {{U256(4), U256(1)}};
        d3.accounts.push_back(u);
    }
    overlay.apply(d3);
    sequential.apply(d3);
    EXPECT_EQ(*overlay.storage(x, U256(2)), U256(0));
    EXPECT_EQ(*overlay.storage(x, U256(4)), U256(1));
    EXPECT_EQ((*overlay.account(x))->code_hash, eth::kEmptyCodeHash);

    const StateDiff merged = overlay.merged();
    ASSERT_EQ(merged.accounts.size(), 2u);
    EXPECT_EQ(merged.accounts[0].address, y);  // ascending
    EXPECT_EQ(merged.accounts[1].address, x);
    EXPECT_TRUE(merged.accounts[1].storage_cleared);
    ASSERT_TRUE(merged.accounts[1].code.has_value());
    EXPECT_TRUE(merged.accounts[1].code->empty());

    MemoryState once = base;
    once.apply(merged);
    EXPECT_EQ(once.state_root(), sequential.state_root());
    EXPECT_TRUE(once.find(x)->code.empty());
}

TEST(OverlayStateTest, StorageClearedDropsTheBaseSlots) {
    MemoryState base;
    const Address x = addr(0x11);
    MemoryAccount ax;
    ax.storage = {{U256(1), U256(5)}};
    base.set_account(x, ax);
    OverlayState overlay(base);
    StateDiff d;
    AccountUpdate u;
    u.address = x;
    u.nonce = 1;
    u.storage_cleared = true;
    d.accounts.push_back(u);
    overlay.apply(d);
    EXPECT_EQ(*overlay.storage(x, U256(1)), U256(0));
    EXPECT_EQ((*overlay.account(x))->storage_root, eth::kEmptyTrieRoot);
}

// --- Blocks on Ethereum rules ------------------------------------------------------------

// PUSH1 0 SLOAD PUSH1 1 ADD PUSH1 0 SSTORE; LOG1(0, 0, topic 0x1234); STOP.
const char* kCounterCode = "60005460010160005561123460006000a100";

class EvmBlockTest : public ::testing::Test {
  protected:
    void SetUp() override {
        key = eth::PrivateKey::from_hex(
                  "0x4646464646464646464646464646464646464646464646464646464646464646")
                  .value();
        sender = key.address();
        MemoryAccount s;
        s.balance = kEther;
        state.set_account(sender, s);
        MemoryAccount counter;
        counter.code = hex(kCounterCode);
        state.set_account(counter_address, counter);
        block.number = 100;
        block.timestamp = 1'700'000'000;
        block.parent_timestamp = block.timestamp - 2;
        block.coinbase = addr(0xcb);
        block.gas_limit = 30'000'000;
        block.base_fee = 10;
        block.parent_beacon_block_root = eth::Hash32{};
        block.parent_beacon_block_root->bytes[31] = 0x77;
    }

    eth::Transaction signed_call(const Address& to, uint64_t nonce, uint64_t gas = 100'000,
                                 U256 value = 0, eth::TxType type = eth::TxType::kDynamicFee) {
        eth::Transaction tx;
        tx.type = type;
        tx.chain_id = rules.chain_id;
        tx.nonce = nonce;
        if (type == eth::TxType::kLegacy) {
            tx.gas_price = 15;
        } else {
            tx.max_fee_per_gas = 20;
            tx.max_priority_fee_per_gas = 2;
        }
        tx.gas_limit = gas;
        tx.to = to;
        tx.value = value;
        return eth::sign_transaction(tx, key).value();
    }

    eth::PrivateKey key = eth::PrivateKey::from_hex(
                              "0x0101010101010101010101010101010101010101010101010101010101010101")
                              .value();
    Address sender;
    Address counter_address = addr(0xc0);
    MemoryState state;
    BlockInput block;
    ChainRules rules;
};

TEST_F(EvmBlockTest, LaterTransactionsSeeEarlierOnes) {
    for (uint64_t n = 0; n < 3; ++n) block.transactions.push_back(signed_call(counter_address, n));
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;

    // By hand: 21000 + PUSH1 3 + cold SLOAD 2100 + PUSH1 3 + ADD 3 + PUSH1 3 + SSTORE +
    // PUSH2/PUSH1/PUSH1 9 + LOG1 750 (375 + one topic 375). SSTORE on a warm slot: 0 -> 1
    // costs 20000 (first tx); 1 -> 2 and 2 -> 3 are resets at 2900: the second and third
    // transaction must have seen the first's write.
    const uint64_t first = 21000 + 3 + 2100 + 3 + 3 + 3 + 20000 + 9 + 750;
    const uint64_t later = 21000 + 3 + 2100 + 3 + 3 + 3 + 2900 + 9 + 750;
    ASSERT_EQ(out->transactions.size(), 3u);
    EXPECT_EQ(out->transactions[0].gas_used, first);
    EXPECT_EQ(out->transactions[1].gas_used, later);
    EXPECT_EQ(out->transactions[2].gas_used, later);
    EXPECT_EQ(out->gas_used, first + 2 * later);
    EXPECT_EQ(out->receipts[2].cumulative_gas_used, first + 2 * later);

    // The receipts root over receipts built here from the hand-computed values.
    std::vector<eth::Receipt> expected;
    uint64_t cumulative = 0;
    for (uint64_t g : {first, later, later}) {
        cumulative += g;
        eth::Receipt r;
        r.type = eth::TxType::kDynamicFee;
        r.status = true;
        r.cumulative_gas_used = cumulative;
        eth::Log log;
        log.address = counter_address;
        eth::Hash32 topic;
        topic.bytes[30] = 0x12;
        topic.bytes[31] = 0x34;
        log.topics = {topic};
        r.logs = {log};
        r.logs_bloom = eth::logs_bloom(r.logs);
        expected.push_back(r);
    }
    EXPECT_EQ(out->receipts, expected);
    EXPECT_EQ(out->receipts_root, *eth::receipts_root(expected));
    EXPECT_TRUE(eth::bloom_may_contain(out->logs_bloom, counter_address.view()));
    EXPECT_TRUE(eth::bloom_may_contain(out->logs_bloom, expected[0].logs[0].topics[0].view()));
    EXPECT_FALSE(eth::bloom_may_contain(out->logs_bloom, sender.view()));

    // The merged diff gives the same state as the transactions applied one by one.
    MemoryState after = state;
    after.apply(out->diff);
    EXPECT_EQ(*after.storage(counter_address, U256(0)), U256(3));
    EXPECT_EQ(after.find(sender)->nonce, 3u);
    // Effective price min(20, 10 + 2) = 12; the base fee (10/gas) is burnt on Ethereum.
    EXPECT_EQ(after.find(sender)->balance, kEther - U256(out->gas_used * 12));
    EXPECT_EQ(after.find(block.coinbase)->balance, U256(out->gas_used * 2));
}

TEST_F(EvmBlockTest, LegacyAndValueTransfersInOneBlock) {
    const Address to = addr(0x22);
    block.transactions.push_back(signed_call(to, 0, 21'000, 7, eth::TxType::kLegacy));
    block.transactions.push_back(signed_call(to, 1, 21'000, 8));
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 42'000u);
    EXPECT_EQ(out->receipts[0].type, eth::TxType::kLegacy);
    MemoryState after = state;
    after.apply(out->diff);
    EXPECT_EQ(after.find(to)->balance, U256(15));
    // Legacy pays 15/gas (tip 5), the 1559 one 12/gas (tip 2).
    EXPECT_EQ(after.find(sender)->balance, kEther - U256(21'000 * 15 + 21'000 * 12 + 15));
    EXPECT_EQ(after.find(block.coinbase)->balance, U256(21'000 * 5 + 21'000 * 2));
    EXPECT_EQ(out->logs_bloom, eth::Bloom{});
}

TEST_F(EvmBlockTest, TouchedEmptyAccountsTheParentLackedAreNoChange) {
    // A zero-value call to an address with no account touches it (EIP-161 deletes it).
    block.transactions.push_back(signed_call(addr(0x44), 0, 21'000, 0));
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    for (const AccountUpdate& u : out->diff.accounts) EXPECT_NE(u.address, addr(0x44));
    // An account the parent had, emptied and touched, is a real deletion.
    MemoryAccount dust;
    state.set_account(addr(0x45), dust);
    block.transactions[0] = signed_call(addr(0x45), 0, 21'000, 0);
    auto deleted = execute_block(state, block, rules);
    ASSERT_TRUE(deleted) << deleted.error().message;
    bool found = false;
    for (const AccountUpdate& u : deleted->diff.accounts)
        if (u.address == addr(0x45)) found = u.deleted;
    EXPECT_TRUE(found);
}

TEST_F(EvmBlockTest, GasLimitExceededIsAnInvalidBlock) {
    block.gas_limit = 60'000;
    block.transactions.push_back(signed_call(counter_address, 0, 50'000));
    block.transactions.push_back(signed_call(counter_address, 1, 50'000));
    auto out = execute_block(state, block, rules);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, kErrorInvalidBlock);
    EXPECT_NE(out.error().message.find("transaction 1"), std::string::npos) << out.error().message;

    // A transaction invalid at its position (a nonce already used) too.
    block.gas_limit = 30'000'000;
    block.transactions[1] = signed_call(counter_address, 0);
    auto nonce = execute_block(state, block, rules);
    ASSERT_FALSE(nonce);
    EXPECT_EQ(nonce.error().code, kErrorInvalidBlock);
}

TEST_F(EvmBlockTest, BeaconRootIsStoredByTheSystemCall) {
    // A stand-in for the EIP-4788 contract: SSTORE(TIMESTAMP, CALLDATALOAD(0)); it shows
    // the system call runs with the block's timestamp and the root as calldata.
    MemoryAccount beacon;
    beacon.code = hex("600035425500");
    state.set_account(kBeaconRootsAddress, beacon);
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 0u);  // the system call is not counted
    MemoryState after = state;
    after.apply(out->diff);
    EXPECT_EQ(*after.storage(kBeaconRootsAddress, U256(block.timestamp)), U256(0x77));
    EXPECT_EQ(after.find(kSystemAddress), nullptr);  // not created

    block.parent_beacon_block_root.reset();
    auto missing = execute_block(state, block, rules);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, kErrorInvalidBlock);
}

TEST_F(EvmBlockTest, WithdrawalsAreCreditedAfterTheTransactions) {
    const Address to = addr(0x22);
    block.transactions.push_back(signed_call(to, 0, 21'000, 7));
    block.withdrawals.push_back(eth::Withdrawal{0, 5, to, 3});
    block.withdrawals.push_back(eth::Withdrawal{1, 6, addr(0x23), 0});  // a no-op
    block.withdrawals.push_back(eth::Withdrawal{2, 7, to, 1});
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 21'000u);  // withdrawals use no gas
    MemoryState after = state;
    after.apply(out->diff);
    EXPECT_EQ(after.find(to)->balance, U256(7) + U256(4'000'000'000ULL));
    EXPECT_EQ(after.find(addr(0x23)), nullptr);
    for (const AccountUpdate& u : out->diff.accounts) EXPECT_NE(u.address, addr(0x23));

    ChainRules op = rules;
    op.op_stack = OpStackForks{};
    op.op_stack->ecotone = 0;
    auto refused = execute_block(state, block, op);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, kErrorInvalidBlock);
}

TEST_F(EvmBlockTest, PragueIsRefused) {
    rules.prague_time = block.timestamp;
    auto out = execute_block(state, block, rules);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, kErrorUnsupportedBlock);
}

// --- OP Stack ----------------------------------------------------------------------------

class OpBlockTest : public EvmBlockTest {
  protected:
    void SetUp() override {
        EvmBlockTest::SetUp();
        rules.chain_id = 10;
        OpStackForks forks;
        forks.regolith = forks.canyon = forks.delta = forks.ecotone = 0;
        rules.op_stack = forks;
        // L1Block values (slots per the L1Block storage layout): l1BaseFee 1000 gwei-ish,
        // blobBaseFee 10, baseFeeScalar 2000 and blobBaseFeeScalar 3000 packed in slot 3.
        MemoryAccount l1block;
        l1block.code = hex("00");
        l1block.storage[U256(op::kL1BaseFeeSlot)] = U256(1000);
        l1block.storage[U256(op::kL1BlobBaseFeeSlot)] = U256(10);
        std::array<uint8_t, 32> scalars{};
        scalars[19] = 2000 & 0xff;  // baseFeeScalar, bytes [16, 20)
        scalars[18] = 2000 >> 8;
        scalars[23] = 3000 & 0xff;  // blobBaseFeeScalar, bytes [20, 24)
        scalars[22] = 3000 >> 8;
        scalars[31] = 5;  // sequenceNumber
        l1block.storage[U256(op::kL1FeeScalarsSlot)] = U256::from_be_word(scalars.data());
        state.set_account(op::kL1BlockAddress, l1block);
    }

    eth::Transaction deposit(const Address& from, const Address& to, U256 mint, U256 value,
                             uint64_t gas = 100'000) {
        eth::Transaction tx;
        tx.type = eth::TxType::kDeposit;
        tx.source_hash.bytes[0] = 0x5a;
        tx.from = from;
        tx.to = to;
        tx.mint = mint;
        tx.value = value;
        tx.gas_limit = gas;
        return tx;
    }
};

TEST_F(OpBlockTest, DepositMintsAndPaysNoFee) {
    const Address from = addr(0xd0), to = addr(0xd1);
    block.transactions.push_back(deposit(from, to, kEther, U256(1000)));
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 21'000u);
    const eth::Receipt& r = out->receipts[0];
    EXPECT_EQ(r.type, eth::TxType::kDeposit);
    EXPECT_TRUE(r.status);
    EXPECT_EQ(r.deposit_nonce, std::optional<uint64_t>(0));
    EXPECT_EQ(r.deposit_receipt_version, std::optional<uint64_t>(1));
    MemoryState after = state;
    after.apply(out->diff);
    EXPECT_EQ(after.find(from)->balance, kEther - U256(1000));  // no gas bought
    EXPECT_EQ(after.find(from)->nonce, 1u);
    EXPECT_EQ(after.find(to)->balance, U256(1000));
    EXPECT_EQ(after.find(block.coinbase), nullptr);
    EXPECT_EQ(after.find(op::kBaseFeeVault), nullptr);
}

TEST_F(OpBlockTest, FailedDepositKeepsTheMintAndBumpsTheNonce) {
    const Address from = addr(0xd0), to = addr(0xd1);
    // Value above balance + mint; then a system transaction (refused since Regolith); then
    // one below its intrinsic gas. Each is included as a failure using its whole gas limit.
    block.transactions.push_back(deposit(from, to, U256(5), U256(100), 60'000));
    eth::Transaction system = deposit(from, to, U256(0), U256(0), 70'000);
    system.is_system_tx = true;
    block.transactions.push_back(system);
    block.transactions.push_back(deposit(from, to, U256(1), U256(0), 20'000));
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    ASSERT_EQ(out->receipts.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_FALSE(out->receipts[i].status) << i;
        EXPECT_EQ(out->receipts[i].deposit_nonce, std::optional<uint64_t>(i)) << i;
    }
    EXPECT_EQ(out->transactions[0].gas_used, 60'000u);
    EXPECT_EQ(out->transactions[1].gas_used, 70'000u);
    EXPECT_EQ(out->transactions[2].gas_used, 20'000u);
    EXPECT_EQ(out->gas_used, 150'000u);
    MemoryState after = state;
    after.apply(out->diff);
    EXPECT_EQ(after.find(from)->balance, U256(6));
    EXPECT_EQ(after.find(from)->nonce, 3u);
    EXPECT_EQ(after.find(to), nullptr);
}

TEST_F(OpBlockTest, DepositThenUserTransactionPaysL1FeeToTheVaults) {
    // The deposit bumps the counter; the user transaction sees it (a reset, 2900).
    block.transactions.push_back(deposit(addr(0xd0), counter_address, 0, 0));
    block.transactions.push_back(signed_call(counter_address, 0));
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    const uint64_t first = 21000 + 3 + 2100 + 3 + 3 + 3 + 20000 + 9 + 750;
    const uint64_t later = 21000 + 3 + 2100 + 3 + 3 + 3 + 2900 + 9 + 750;
    EXPECT_EQ(out->transactions[0].gas_used, first);
    EXPECT_EQ(out->transactions[1].gas_used, later);
    EXPECT_EQ(out->receipts[1].deposit_nonce, std::nullopt);

    // Ecotone by hand: calldata gas of the signed encoding, times
    // (16 * 1000 * 2000 + 10 * 3000), over 16e6.
    const Bytes raw = *eth::encode_transaction(block.transactions[1]);
    uint64_t calldata_gas = 0;
    for (uint8_t b : raw) calldata_gas += b ? 16 : 4;
    const U256 l1_fee = U256(calldata_gas * (16 * 1000 * 2000 + 10 * 3000) / 16'000'000);
    EXPECT_EQ(out->transactions[1].l1_fee, l1_fee);
    EXPECT_FALSE(l1_fee.is_zero());

    MemoryState after = state;
    after.apply(out->diff);
    EXPECT_EQ(*after.storage(counter_address, U256(0)), U256(2));
    EXPECT_EQ(after.find(sender)->balance, kEther - U256(later * 12) - l1_fee);
    EXPECT_EQ(after.find(block.coinbase)->balance, U256(later * 2));
    EXPECT_EQ(after.find(op::kBaseFeeVault)->balance, U256(later * 10));
    EXPECT_EQ(after.find(op::kL1FeeVault)->balance, l1_fee);
}

TEST_F(OpBlockTest, FjordChargesTheFastLzEstimate) {
    rules.op_stack->fjord = 0;
    block.transactions.push_back(signed_call(addr(0x33), 0, 21'000, 1));
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    const Bytes raw = *eth::encode_transaction(block.transactions[0]);
    // A short transaction: -42_585_600 + 836_500 * flz is below the 100e6 floor.
    const int64_t estimate = -42'585'600 + 836'500 * int64_t{op::flz_compress_len(raw)};
    ASSERT_LT(estimate, 100'000'000);
    const U256 fee =
        U256(100'000'000) * U256(16 * 1000 * 2000 + 10 * 3000) / U256(1'000'000'000'000ULL);
    EXPECT_EQ(out->transactions[0].l1_fee, fee);
    MemoryState after = state;
    after.apply(out->diff);
    EXPECT_EQ(after.find(op::kL1FeeVault)->balance, fee);
}

TEST_F(OpBlockTest, FjordEstimateAboveTheFloor) {
    rules.op_stack->fjord = 0;
    // 600 bytes of calldata from a xorshift generator: barely compressible, so the
    // estimate -42_585_600 + 836_500 * flz is far above the 100e6 floor.
    eth::Transaction tx;
    tx.type = eth::TxType::kDynamicFee;
    tx.chain_id = rules.chain_id;
    tx.max_fee_per_gas = 20;
    tx.max_priority_fee_per_gas = 2;
    tx.gas_limit = 100'000;
    tx.to = addr(0x33);
    uint32_t x = 2463534242u;
    for (int i = 0; i < 600; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        tx.data.push_back(static_cast<uint8_t>(x));
    }
    block.transactions.push_back(eth::sign_transaction(tx, key).value());
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    const Bytes raw = *eth::encode_transaction(block.transactions[0]);
    const uint32_t flz = op::flz_compress_len(raw);
    EXPECT_GT(flz, 600u);  // literal runs cost one byte per 32
    const uint64_t estimate = 836'500ULL * flz - 42'585'600ULL;
    ASSERT_GT(estimate, 100'000'000u);
    EXPECT_EQ(out->transactions[0].l1_fee,
              U256(estimate) * U256(16 * 1000 * 2000 + 10 * 3000) / U256(1'000'000'000'000ULL));
}

TEST_F(OpBlockTest, EcotoneActivationBlockUsesTheBedrockFormula) {
    // L1Block not yet set with Ecotone values: scalars and blob base fee zero.
    MemoryAccount l1block;
    l1block.code = hex("00");
    l1block.storage[U256(op::kL1BaseFeeSlot)] = U256(1000);
    l1block.storage[U256(op::kL1OverheadSlot)] = U256(188);
    l1block.storage[U256(op::kL1ScalarSlot)] = U256(684'000);
    state.set_account(op::kL1BlockAddress, l1block);
    block.transactions.push_back(signed_call(addr(0x33), 0, 21'000, 1));
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    const Bytes raw = *eth::encode_transaction(block.transactions[0]);
    uint64_t calldata_gas = 0;
    for (uint8_t b : raw) calldata_gas += b ? 16 : 4;
    EXPECT_EQ(out->transactions[0].l1_fee, U256((calldata_gas + 188) * 1000 * 684'000 / 1'000'000));
}

TEST_F(OpBlockTest, ForksWithoutRulesAreRefused) {
    auto refused = [&](const char* why) {
        auto out = execute_block(state, block, rules);
        ASSERT_FALSE(out) << why;
        EXPECT_EQ(out.error().code, kErrorUnsupportedBlock) << why << ": " << out.error().message;
    };
    rules.op_stack->jovian = block.timestamp;
    refused("jovian");
    rules.op_stack->jovian.reset();
    rules.op_stack->ecotone = block.timestamp + 1;
    refused("before ecotone");
    rules.op_stack->ecotone = 0;
    rules.op_stack->canyon = block.timestamp;  // parent before Canyon: the activation block
    refused("canyon activation");
}

TEST_F(OpBlockTest, DepositsAndBlobsAreRefusedWhereTheyDoNotBelong) {
    ChainRules ethereum;
    block.transactions.push_back(deposit(addr(0xd0), addr(0xd1), 0, 0));
    auto out = execute_block(state, block, ethereum);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, kErrorInvalidBlock);

    eth::Transaction blob;
    blob.type = eth::TxType::kBlob;
    blob.chain_id = rules.chain_id;
    blob.to = addr(0xd1);
    blob.gas_limit = 21'000;
    blob.blob_versioned_hashes.resize(1);
    blob.blob_versioned_hashes[0].bytes[0] = 0x01;
    block.transactions = {blob};
    auto on_op = execute_block(state, block, rules);
    ASSERT_FALSE(on_op);
    EXPECT_EQ(on_op.error().code, kErrorInvalidBlock);
    EXPECT_NE(on_op.error().message.find("blob"), std::string::npos) << on_op.error().message;
}

TEST(OpFeesTest, AbsurdL1ValuesSaturateInsteadOfWrapping) {
    op::L1FeeParams p;
    p.l1_base_fee = U256::max() / U256(3);
    p.base_fee_scalar = 7;
    const Bytes raw(50, 1);
    // The exact fee exceeds 2^256 / 16e6; a wrapped product would give something small.
    EXPECT_EQ(op::l1_data_fee(p, raw, true, false), U256::max() / U256(16'000'000));
    EXPECT_EQ(op::l1_data_fee(p, raw, true, true), U256::max() / U256(1'000'000'000'000ULL));
}

// --- FastLZ ------------------------------------------------------------------------------

TEST(FastLzTest, CompressedLengths) {
    // Known answers from the FastLZ length tests of Besu's flz package (which mirror
    // op-geth's): empty, 1000 equal bytes, an empty legacy transaction, a contract call.
    EXPECT_EQ(op::flz_compress_len({}), 0u);
    EXPECT_EQ(op::flz_compress_len(Bytes(1000, 1)), 21u);
    EXPECT_EQ(op::flz_compress_len(Bytes(1000, 0)), 21u);
    EXPECT_EQ(
        op::flz_compress_len(hex("dd80808094095e7baea6a6c7c4c2dfeb977efac326af552d878080808080")),
        31u);
    const std::string call =
        "02f901550a758302df1483be21b88304743f94f80e51afb613d764fa61751affd3313c190a86bb870151bd62"
        "fd12adb8e41ef24f3f000000000000000000000000000000000000000000000000000000000000006e0000"
        "00000000000000000000af88d065e77c8cc2239327c5edb3a432268e5831000000000000000000000000"
        "000000000000000000000000000000000003c1e5000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000000000000000a000000000000000"
        "00000000000000000000000000000000000000000000000000148c89ed219d02f1a5be012c689b4f5b731827"
        "bebe000000000000000000000000c001a033fd89cb37c31b2cba46b6466e040c61fc9b2a3675a7f5f493ebd5"
        "ad77c497f8a07cdf65680e238392693019b4092f610222e71b7cec06449cb922b93b6a12744e";
    EXPECT_EQ(op::flz_compress_len(hex(call)), 202u);
}

// --- OP Sepolia payloads (kona executor vectors) -----------------------------------------

TEST(KonaVectorsTest, RollupConfigAndPayloadsDecode) {
    VIGIL_VECTOR_PATH(dir, "opstack/kona-executor");
    const auto files = test::list_files(dir, ".json");
    ASSERT_FALSE(files.empty());
    for (const auto& file : files) {
        SCOPED_TRACE(file.filename().string());
        const nlohmann::json v = test::load_json(file);
        auto rules = chain_rules_from_rollup_config(v.at("rollup_config").dump());
        ASSERT_TRUE(rules) << rules.error().message;
        EXPECT_EQ(rules->chain_id, v["rollup_config"]["l2_chain_id"].get<uint64_t>());
        ASSERT_TRUE(rules->op_stack.has_value());
        EXPECT_EQ(rules->op_stack->ecotone, v["rollup_config"]["ecotone_time"].get<uint64_t>());
        EXPECT_EQ(rules->op_stack->fjord, v["rollup_config"]["fjord_time"].get<uint64_t>());
        EXPECT_EQ(rules->op_stack->isthmus, v["rollup_config"]["isthmus_time"].get<uint64_t>());

        const auto& payload = v.at("executing_payload");
        const auto& txs = payload.at("transactions");
        ASSERT_FALSE(txs.empty());
        for (size_t i = 0; i < txs.size(); ++i) {
            auto tx = eth::decode_transaction(hex(txs[i].get<std::string>()));
            ASSERT_TRUE(tx) << i << ": " << tx.error().message;
            if (tx->type != eth::TxType::kDeposit) {
                EXPECT_TRUE(eth::recover_sender(*tx)) << i;
                // FastLZ never reports more than a literal-only encoding of the input.
                const Bytes raw = hex(txs[i].get<std::string>());
                EXPECT_LE(op::flz_compress_len(raw), raw.size() + raw.size() / 32 + 1) << i;
            }
        }
        // The first transaction is the L1-attributes deposit: from the depositor account to
        // the L1Block predeploy, setL1BlockValuesEcotone (selector 0x440a5e20, 164 bytes of
        // calldata) carrying the fee values the block's L1 fees are computed from.
        auto l1info = *eth::decode_transaction(hex(txs[0].get<std::string>()));
        EXPECT_EQ(l1info.type, eth::TxType::kDeposit);
        EXPECT_EQ(l1info.from, *Address::from_hex("0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001"));
        EXPECT_EQ(l1info.to, op::kL1BlockAddress);
        EXPECT_FALSE(l1info.is_system_tx);
        ASSERT_EQ(l1info.data.size(), 164u);
        EXPECT_EQ(Bytes(l1info.data.begin(), l1info.data.begin() + 4), hex("440a5e20"));

        // These blocks run Granite rules, which Vigil runs (the ecPairing input cap is in
        // the precompiles): the block's rules are accepted (its transactions are left out,
        // there is no parent state). Under Isthmus it would be refused instead.
        BlockInput in;
        in.timestamp = std::stoull(payload["timestamp"].get<std::string>(), nullptr, 16);
        in.parent_timestamp = in.timestamp - 2;
        in.parent_beacon_block_root = eth::Hash32{};
        ASSERT_TRUE(rules->op_stack->granite && *rules->op_stack->granite <= in.timestamp);
        const bool isthmus = rules->op_stack->isthmus && *rules->op_stack->isthmus <= in.timestamp;
        MemoryState empty;
        auto out = execute_block(empty, in, *rules);
        if (isthmus) {
            ASSERT_FALSE(out);
            EXPECT_EQ(out.error().code, kErrorUnsupportedBlock) << out.error().message;
        } else {
            ASSERT_TRUE(out) << out.error().message;
            EXPECT_EQ(out->gas_used, 0u);
        }
    }
}

}  // namespace
}  // namespace vigil::evm
