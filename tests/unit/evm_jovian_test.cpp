// verifier/evm's OP Stack Jovian rules (OP specs jovian/exec-engine.md): the operator
// fee's new formula (gas * scalar * 100 + constant), the DA footprint (each non-deposit's
// Fjord size estimate * daFootprintGasScalar from L1Block slot 8) and the bn256 pairing
// input limit, at the transaction and precompile level; Jovian blocks themselves stay
// refused (block.h: no second implementation to cross-check them yet). Expected figures
// are computed by hand from the spec in the comment beside them; the same transactions
// under Isthmus show what changed.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "chains/eth/secp256k1.h"
#include "verifier/evm/block.h"
#include "verifier/evm/memory_state.h"
#include "verifier/evm/op_fees.h"
#include "verifier/evm/precompiles.h"
#include "verifier/evm/transaction.h"

namespace vigil::evm {
namespace {

using eth::Address;
using eth::Bytes;
using eth::U256;

const U256 kEther(1'000'000'000'000'000'000ULL);

Address addr(uint8_t tag) {
    Address a;
    a.bytes[0] = 0xaa;
    a.bytes[19] = tag;
    return a;
}

// Slot 8 of L1Block: daFootprintGasScalar at bytes [18, 20), operatorFeeScalar at
// [20, 24), operatorFeeConstant at [24, 32) (big-endian).
U256 slot8(uint16_t da_scalar, uint32_t op_scalar, uint64_t op_constant) {
    std::array<uint8_t, 32> w{};
    w[18] = static_cast<uint8_t>(da_scalar >> 8);
    w[19] = static_cast<uint8_t>(da_scalar);
    for (int i = 0; i < 4; ++i) w[20 + i] = static_cast<uint8_t>(op_scalar >> (24 - 8 * i));
    for (int i = 0; i < 8; ++i) w[24 + i] = static_cast<uint8_t>(op_constant >> (56 - 8 * i));
    return U256::from_be_word(w.data());
}

// Bytes that FastLZ cannot compress (a xorshift stream).
Bytes noise(size_t n, uint32_t seed) {
    Bytes out(n);
    uint32_t x = seed;
    for (uint8_t& b : out) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b = static_cast<uint8_t>(x);
    }
    return out;
}

// Fjord's estimate by hand: max(100, (836500 * flzLen - 42585600) / 1e6).
uint64_t fjord_estimate(const Bytes& raw) {
    const int64_t scaled = 836'500 * static_cast<int64_t>(op::flz_compress_len(raw)) - 42'585'600;
    return scaled < 100'000'000 ? 100 : static_cast<uint64_t>(scaled) / 1'000'000;
}

constexpr uint16_t kDaScalar = 400;
constexpr uint32_t kOperatorScalar = 7;
constexpr uint64_t kOperatorConstant = 1000;

class JovianBlockTest : public ::testing::Test {
  protected:
    void SetUp() override {
        sender = key.address();
        MemoryAccount s;
        s.balance = kEther;
        state.set_account(sender, s);
        block.number = 100;
        block.timestamp = 1'700'000'000;
        block.parent_timestamp = block.timestamp - 2;
        block.coinbase = addr(0xcb);
        block.gas_limit = 30'000'000;
        block.base_fee = 10;
        block.parent_beacon_block_root = eth::Hash32{};
        block.parent_hash = eth::Hash32{};
        block.parent_hash->bytes[31] = 0x42;
        rules.chain_id = 10;
        OpStackForks forks;
        forks.regolith = forks.canyon = forks.delta = forks.ecotone = forks.fjord = forks.granite =
            forks.holocene = forks.isthmus = forks.jovian = 0;
        rules.op_stack = forks;
        // No L1 fee values (the L1 fee is then zero): the operator fee and DA footprint
        // stand alone.
        MemoryAccount l1block;
        l1block.code = Bytes{0x00};
        l1block.storage[U256(op::kOperatorFeeSlot)] =
            slot8(kDaScalar, kOperatorScalar, kOperatorConstant);
        state.set_account(op::kL1BlockAddress, l1block);
    }

    eth::Transaction call(uint64_t nonce, Bytes data, uint64_t gas = 100'000) {
        eth::Transaction tx;
        tx.type = eth::TxType::kDynamicFee;
        tx.chain_id = rules.chain_id;
        tx.nonce = nonce;
        tx.max_fee_per_gas = 20;
        tx.max_priority_fee_per_gas = 2;
        tx.gas_limit = gas;
        tx.to = addr(0x55);
        tx.value = 7;
        tx.data = std::move(data);
        return eth::sign_transaction(tx, key).value();
    }

    eth::Transaction deposit(Bytes data) {
        eth::Transaction tx;
        tx.type = eth::TxType::kDeposit;
        tx.source_hash.bytes[0] = 0x5a;
        tx.from = addr(0xd0);
        tx.to = addr(0xd1);
        tx.mint = kEther;
        tx.gas_limit = 300'000;
        tx.data = std::move(data);
        return tx;
    }

    static Bytes raw(const eth::Transaction& tx) { return eth::encode_transaction(tx).value(); }

    eth::PrivateKey key = eth::PrivateKey::from_hex(
                              "0x0101010101010101010101010101010101010101010101010101010101010101")
                              .value();
    Address sender;
    MemoryState state;
    BlockInput block;
    ChainRules rules;
};

TEST(JovianFees, Slot8HoldsTheDaFootprintGasScalar) {
    MemoryState state;
    MemoryAccount l1block;
    l1block.storage[U256(op::kOperatorFeeSlot)] = slot8(0xbeef, 0x01020304, 0x0506070809101112);
    state.set_account(op::kL1BlockAddress, l1block);
    auto p = op::read_operator_fee_params(state);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->da_footprint_gas_scalar, 0xbeef);
    EXPECT_EQ(p->scalar, 0x01020304u);
    EXPECT_EQ(p->constant, 0x0506070809101112u);
}

TEST(JovianFees, OperatorFeeIsScalarTimes100) {
    const op::OperatorFeeParams p{.scalar = 7, .constant = 1000};
    // Jovian: 21000 * 7 * 100 + 1000; Isthmus: 21000 * 7 / 1e6 (= 0) + 1000.
    EXPECT_EQ(op::operator_fee(p, 21'000, /*jovian=*/true), U256(14'701'000));
    EXPECT_EQ(op::operator_fee(p, 21'000, /*jovian=*/false), U256(1000));
    // The spec's maximum (103 bits) is exact in 256-bit arithmetic.
    const op::OperatorFeeParams max{.scalar = UINT32_MAX, .constant = UINT64_MAX};
    EXPECT_EQ(op::operator_fee(max, UINT64_MAX, true),
              U256(UINT64_MAX) * U256(UINT32_MAX) * U256(100) + U256(UINT64_MAX));
}

TEST(JovianFees, DaSizeEstimateIsFjordsWithItsFloor) {
    // A short transaction: the 100-byte floor.
    const Bytes small(50, 0x11);
    EXPECT_EQ(op::estimated_da_size(small), 100u);
    EXPECT_EQ(op::da_footprint(small, 400), 40'000u);
    // 4000 incompressible bytes: FastLZ adds one control byte per 32 literals, so
    // flzLen = 4000 + 125 = 4125 and (836500 * 4125 - 42585600) / 1e6 = 3407.97.., floored.
    const Bytes big = noise(4000, 1);
    ASSERT_EQ(op::flz_compress_len(big), 4125u);
    EXPECT_EQ(op::estimated_da_size(big), 3407u);
    EXPECT_EQ(op::da_footprint(big, 400), 3407u * 400);
    EXPECT_EQ(op::da_footprint(big, 0), 0u);
    // Compressible data costs less than its length.
    EXPECT_LT(op::estimated_da_size(Bytes(4000, 0x00)), 200u);
}

// Jovian's transaction rules, as execute_block would run them once Jovian blocks are
// accepted (block.h: refused until cross-checked against a second implementation).
ExecutionConfig jovian_config(bool jovian = true) {
    ExecutionConfig c;
    c.revision = Revision::kPrague;
    c.precompiles.p256verify = true;
    c.precompiles.granite_pairing_limit = true;
    c.precompiles.jovian_input_limits = jovian;
    c.precompiles.bls12_381 = true;
    c.op_stack = OpStackTxRules{.ecotone = true, .fjord = true, .isthmus = true, .jovian = jovian};
    return c;
}

TEST_F(JovianBlockTest, NonDepositsCarryTheirDaFootprint) {
    BlockEnv env;
    env.coinbase = block.coinbase;
    env.number = block.number;
    env.timestamp = block.timestamp;
    env.gas_limit = block.gas_limit;
    env.base_fee = block.base_fee;
    env.chain_id = rules.chain_id;
    const eth::Transaction bare = call(0, {});
    auto out = execute_transaction(state, env, bare, sender, jovian_config());
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->da_footprint, 100u * kDaScalar);  // a bare transfer: the 100-byte floor
    EXPECT_EQ(out->blob_gas_used, 0u);

    const eth::Transaction big = call(0, noise(5000, 3), 300'000);
    out = execute_transaction(state, env, big, sender, jovian_config());
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->da_footprint, fjord_estimate(raw(big)) * kDaScalar);
    // About 0.84 byte per incompressible byte: well above the floor.
    EXPECT_GT(out->da_footprint, 4000u * kDaScalar);

    // Deposits have none, whatever their size.
    auto dep =
        execute_transaction(state, env, deposit(noise(3000, 9)), addr(0xd0), jovian_config());
    ASSERT_TRUE(dep) << dep.error().message;
    EXPECT_EQ(dep->da_footprint, 0u);
    // Isthmus has none either.
    out = execute_transaction(state, env, big, sender, jovian_config(false));
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->da_footprint, 0u);
}

TEST_F(JovianBlockTest, UserTransactionsPayTheJovianOperatorFee) {
    BlockEnv env;
    env.coinbase = block.coinbase;
    env.base_fee = block.base_fee;
    env.gas_limit = block.gas_limit;
    env.chain_id = rules.chain_id;
    auto out = execute_transaction(state, env, call(0, {}), sender, jovian_config());
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 21'000u);
    // 21000 * 7 * 100 + 1000 (upfront 100000 * 700 + 1000, the unused 79000 * 700 back).
    const U256 fee(14'701'000);
    EXPECT_EQ(out->operator_fee, fee);
    state.apply(out->diff);
    EXPECT_EQ(state.find(op::kOperatorFeeVault)->balance, fee);
    EXPECT_EQ(state.find(sender)->balance, kEther - U256(21'000 * 12) - U256(7) - fee);
}

TEST_F(JovianBlockTest, TheBalanceCheckCountsTheJovianOperatorFeeOfTheGasLimit) {
    BlockEnv env;
    env.base_fee = block.base_fee;
    env.gas_limit = block.gas_limit;
    env.chain_id = rules.chain_id;
    // gas 100000 * fee cap 20 + value 7 + operator fee 100000 * 700 + 1000, one wei short.
    MemoryAccount s;
    s.balance = U256(2'000'000 + 7 + 70'001'000 - 1);
    state.set_account(sender, s);
    auto out = execute_transaction(state, env, call(0, {}), sender, jovian_config());
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, kErrorInvalidTransaction) << out.error().message;
    // Under Isthmus the same balance is plenty (operator fee 100000 * 7 / 1e6 + 1000).
    EXPECT_TRUE(execute_transaction(state, env, call(0, {}), sender, jovian_config(false)));
    s.balance = s.balance + U256(1);
    state.set_account(sender, s);
    EXPECT_TRUE(execute_transaction(state, env, call(0, {}), sender, jovian_config()));
}

TEST(JovianPrecompiles, PairingInputIsCappedAt427Pairs) {
    Address pairing;
    pairing.bytes[19] = 0x08;
    const PrecompileSet granite{.p256verify = true, .granite_pairing_limit = true};
    PrecompileSet jovian = granite;
    jovian.jovian_input_limits = true;
    ASSERT_EQ(kJovianMaxPairingInput, 427u * 192);
    // 427 pairs of points at infinity: a valid pairing (true) under both.
    const Bytes at_limit(kJovianMaxPairingInput, 0);
    const uint64_t gas = 45'000 + 427 * 34'000;
    for (const PrecompileSet& set : {granite, jovian}) {
        const PrecompileResult r = run_precompile(pairing, at_limit, gas, set);
        ASSERT_EQ(r.status, PrecompileStatus::kSuccess) << r.reason;
        EXPECT_EQ(r.gas_used, gas);
        EXPECT_EQ(r.output.back(), 1);
    }
    // 428 pairs: Granite runs it, Jovian fails the call (all gas consumed).
    const Bytes over(kJovianMaxPairingInput + 192, 0);
    const uint64_t more = gas + 34'000;
    EXPECT_EQ(run_precompile(pairing, over, more, granite).status, PrecompileStatus::kSuccess);
    const PrecompileResult r = run_precompile(pairing, over, more, jovian);
    EXPECT_EQ(r.status, PrecompileStatus::kFailure);
    EXPECT_EQ(r.gas_used, more);
}

TEST_F(JovianBlockTest, JovianBlocksAreRefusedUntilCrossChecked) {
    block.transactions.push_back(call(0, {}));
    auto refused = [&](const char* why) {
        auto out = execute_block(state, block, rules);
        ASSERT_FALSE(out) << why;
        EXPECT_EQ(out.error().code, kErrorUnsupportedBlock) << why << ": " << out.error().message;
    };
    refused("jovian");
    rules.op_stack->jovian.reset();
    rules.op_stack->interop = block.timestamp;
    refused("interop");
    rules.op_stack->interop.reset();
    auto isthmus = execute_block(state, block, rules);
    ASSERT_TRUE(isthmus) << isthmus.error().message;
    EXPECT_EQ(isthmus->blob_gas_used, 0u);
}

}  // namespace
}  // namespace vigil::evm
