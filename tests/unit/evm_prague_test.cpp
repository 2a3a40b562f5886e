// verifier/evm under Prague rules (Ethereum Pectra's EVM; OP Stack Isthmus): EIP-7702
// authorizations and delegated code, the EIP-7623 calldata floor, the EIP-2935 history
// system call, the EIP-2537 addresses (known, unsupported) and Isthmus's operator fee.
// Every expected gas figure is computed by hand from the EIPs and the OP specs, in the
// comment beside it; the same scenarios under Cancun show what changed.
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>

#include "chains/eth/keccak.h"
#include "chains/eth/secp256k1.h"
#include "verifier/evm/block.h"
#include "verifier/evm/delegation.h"
#include "verifier/evm/memory_state.h"
#include "verifier/evm/op_fees.h"
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

Bytes hex(const std::string& h) { return eth::from_hex(h).value(); }

// PUSH20 `a`.
std::string push20(const Address& a) { return "73" + a.to_hex().substr(2); }

// The EIP-2935 history contract's runtime code (EIP-2935 "Deployment").
const char* kHistoryCode =
    "3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f3560014303811160425761"
    "1fff81430311604257611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303065500";

class PragueTest : public ::testing::Test {
  protected:
    void SetUp() override {
        authority_key = eth::PrivateKey::from_hex(
                            "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
                            .value();
        authority = authority_key.address();
        MemoryAccount s;
        s.balance = kEther;
        state.set_account(sender, s);
        env.coinbase = addr(0xcb);
        env.number = 10;
        env.gas_limit = 30'000'000;
        env.base_fee = 10;
        env.chain_id = 1;
        config.revision = Revision::kPrague;
        config.precompiles.bls12_381 = true;
    }

    eth::Transaction call(const Address& to, uint64_t gas = 200'000) {
        eth::Transaction tx;
        tx.type = eth::TxType::kDynamicFee;
        tx.chain_id = 1;
        tx.nonce = state.find(sender) ? state.find(sender)->nonce : 0;
        tx.max_fee_per_gas = 20;
        tx.max_priority_fee_per_gas = 2;
        tx.gas_limit = gas;
        tx.to = to;
        return tx;
    }
    eth::Authorization authorize(const eth::PrivateKey& key, const Address& delegate,
                                 uint64_t nonce, U256 chain_id = 1) {
        eth::Authorization a;
        a.chain_id = chain_id;
        a.address = delegate;
        a.nonce = nonce;
        const eth::Signature sig = eth::sign_hash(eth::authorization_signing_hash(a), key).value();
        a.r = sig.r;
        a.s = sig.s;
        a.y_parity = sig.y_parity;
        return a;
    }
    eth::Transaction set_code(const Address& to, std::vector<eth::Authorization> auths,
                              uint64_t gas = 200'000) {
        eth::Transaction tx = call(to, gas);
        tx.type = eth::TxType::kSetCode;
        tx.authorization_list = std::move(auths);
        return tx;
    }
    void deploy(const Address& a, const std::string& code) {
        MemoryAccount c;
        c.code = hex(code);
        state.set_account(a, c);
    }
    Result<TxOutcome> run(const eth::Transaction& tx, const Address& from) {
        return execute_transaction(state, env, tx, from, config);
    }
    Result<TxOutcome> run(const eth::Transaction& tx) { return run(tx, sender); }

    eth::PrivateKey authority_key =
        eth::PrivateKey::from_hex(
            "0x0101010101010101010101010101010101010101010101010101010101010101")
            .value();
    Address authority;
    Address sender = addr(0x01);
    Address delegate = addr(0xde);
    MemoryState state;
    BlockEnv env;
    ExecutionConfig config;
};

// --- EIP-7702 ------------------------------------------------------------------------------

TEST_F(PragueTest, AuthorizationInstallsTheDesignatorAndTheCallRunsTheDelegate) {
    MemoryAccount a;
    a.balance = U256(5);
    state.set_account(authority, a);
    deploy(delegate, "600160005500");  // PUSH1 1 PUSH1 0 SSTORE STOP
    auto out = run(set_code(authority, {authorize(authority_key, delegate, 0)}));
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->status, ExitStatus::kSuccess);
    // 21000 + 25000 (PER_EMPTY_ACCOUNT_COST) + PUSH1 PUSH1 6 + cold SSTORE 0 -> 1 22100 =
    // 68106; the authority existed: 12500 back through the refund counter (below the cap of
    // 68106 / 5). The delegate, warmed by the transaction, costs nothing more.
    EXPECT_EQ(out->gas_used, 68'106u - 12'500u);
    state.apply(out->diff);
    const MemoryAccount* after = state.find(authority);
    ASSERT_NE(after, nullptr);
    EXPECT_EQ(after->code, delegation_designator(delegate));
    EXPECT_EQ(after->code.size(), 23u);
    EXPECT_EQ(after->nonce, 1u);
    EXPECT_EQ(after->storage.at(U256(0)), U256(1));  // the delegate's code, the EOA's storage
    EXPECT_EQ(state.find(delegate)->storage.size(), 0u);
    EXPECT_EQ(state.find(sender)->balance, kEther - U256(55'606 * 12));
}

TEST_F(PragueTest, AnAuthorityThatDoesNotExistGetsNoRefund) {
    deploy(delegate, "600160005500");
    auto out = run(set_code(authority, {authorize(authority_key, delegate, 0)}));
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 68'106u);
    state.apply(out->diff);
    EXPECT_EQ(state.find(authority)->nonce, 1u);
    EXPECT_EQ(state.find(authority)->code, delegation_designator(delegate));
}

TEST_F(PragueTest, InvalidAuthorizationsAreSkippedNotFatal) {
    MemoryAccount a;
    a.balance = U256(5);
    state.set_account(authority, a);
    eth::Authorization bad_signature = authorize(authority_key, delegate, 0);
    bad_signature.s = eth::kSecp256k1N - bad_signature.s;  // high s: EIP-7702 rejects it
    bad_signature.y_parity ^= 1;
    auto out =
        run(set_code(addr(0x55), {authorize(authority_key, delegate, 0, 5),  // chain
                                  authorize(authority_key, delegate, 7),     // nonce
                                  authorize(authority_key, delegate, UINT64_MAX), bad_signature}));
    ASSERT_TRUE(out) << out.error().message;
    // 21000 + 4 * 25000, nothing refunded, nothing run.
    EXPECT_EQ(out->gas_used, 121'000u);
    state.apply(out->diff);
    EXPECT_TRUE(state.find(authority)->code.empty());
    EXPECT_EQ(state.find(authority)->nonce, 0u);

    // Chain id 0 is valid on every chain.
    auto any_chain = run(set_code(addr(0x55), {authorize(authority_key, delegate, 0, 0)}));
    ASSERT_TRUE(any_chain) << any_chain.error().message;
    state.apply(any_chain->diff);
    EXPECT_EQ(state.find(authority)->code, delegation_designator(delegate));
}

TEST_F(PragueTest, AnAuthorityWithRealCodeIsSkippedADelegatedOneRedelegatesOrClears) {
    MemoryAccount contract;
    contract.code = hex("00");
    state.set_account(authority, contract);
    auto skipped = run(set_code(addr(0x55), {authorize(authority_key, delegate, 0)}));
    ASSERT_TRUE(skipped) << skipped.error().message;
    MemoryState copy = state;
    copy.apply(skipped->diff);
    EXPECT_EQ(copy.find(authority)->code, hex("00"));

    MemoryAccount delegated;
    delegated.code = delegation_designator(addr(0x77));
    delegated.nonce = 3;
    state.set_account(authority, delegated);
    auto moved = run(set_code(addr(0x55), {authorize(authority_key, delegate, 3)}));
    ASSERT_TRUE(moved) << moved.error().message;
    state.apply(moved->diff);
    EXPECT_EQ(state.find(authority)->code, delegation_designator(delegate));
    // Delegating to the zero address clears the code (the nonce still moves).
    auto cleared = run(set_code(addr(0x55), {authorize(authority_key, Address{}, 4)}));
    ASSERT_TRUE(cleared) << cleared.error().message;
    state.apply(cleared->diff);
    EXPECT_TRUE(state.find(authority)->code.empty());
    EXPECT_EQ(state.find(authority)->nonce, 5u);
}

TEST_F(PragueTest, TheSendersNonceIsBumpedBeforeItsOwnAuthorization) {
    // A self-sponsored authorization must carry the transaction's nonce + 1.
    MemoryAccount s;
    s.balance = kEther;
    state.set_account(authority, s);
    eth::Transaction stale = set_code(addr(0x55), {authorize(authority_key, delegate, 0)});
    stale.nonce = 0;
    auto out = run(stale, authority);
    ASSERT_TRUE(out) << out.error().message;
    MemoryState copy = state;
    copy.apply(out->diff);
    EXPECT_TRUE(copy.find(authority)->code.empty());
    EXPECT_EQ(copy.find(authority)->nonce, 1u);

    eth::Transaction next = set_code(addr(0x55), {authorize(authority_key, delegate, 1)});
    next.nonce = 0;
    out = run(next, authority);
    ASSERT_TRUE(out) << out.error().message;
    state.apply(out->diff);
    EXPECT_EQ(state.find(authority)->code, delegation_designator(delegate));
    EXPECT_EQ(state.find(authority)->nonce, 2u);

    // A delegated EOA may still send (EIP-3607 as amended by EIP-7702).
    eth::Transaction plain = call(addr(0x55), 21'000);
    plain.nonce = 2;
    auto sent = run(plain, authority);
    ASSERT_TRUE(sent) << sent.error().message;
    EXPECT_EQ(sent->gas_used, 21'000u);
}

TEST_F(PragueTest, SetCodeTransactionsNeedPragueAndARecipient) {
    config.revision = Revision::kCancun;
    auto cancun = run(set_code(authority, {authorize(authority_key, delegate, 0)}));
    ASSERT_FALSE(cancun);
    EXPECT_EQ(cancun.error().code, kErrorInvalidTransaction);
    config.revision = Revision::kPrague;
    eth::Transaction create = set_code(authority, {authorize(authority_key, delegate, 0)});
    create.to.reset();
    auto out = run(create);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, kErrorInvalidTransaction);
    // A sender with code other than a designator is still refused.
    deploy(sender, "00");
    MemoryAccount s = *state.find(sender);
    s.balance = kEther;
    state.set_account(sender, s);
    auto coded = run(call(addr(0x55), 21'000));
    ASSERT_FALSE(coded);
    EXPECT_EQ(coded.error().code, kErrorInvalidTransaction);
}

// A caller contract: CALL(gas, A, 0, 0, 0, 0, 0) then POP STOP, A a delegated EOA.
class DelegatedCallTest : public PragueTest {
  protected:
    void SetUp() override {
        PragueTest::SetUp();
        MemoryAccount a;
        a.code = delegation_designator(delegate);
        a.nonce = 1;
        state.set_account(authority, a);
        deploy(delegate, "600160005500");  // PUSH1 1 PUSH1 0 SSTORE STOP
    }
    // PUSH1 0 x5, PUSH20 A, GAS, <op>, POP, STOP; for DELEGATECALL/STATICCALL one PUSH1 0
    // fewer (no value).
    void deploy_caller(const std::string& op) {
        const std::string pushes = op == "f1" || op == "f2" ? "6000600060006000"
                                                              "6000"
                                                            : "6000600060006000";
        deploy(caller, pushes + push20(authority) + "5a" + op + "5000");
    }
    Address caller = addr(0xc0);
};

TEST_F(DelegatedCallTest, CallRunsTheDelegateAndPaysForItsAccess) {
    deploy_caller("f1");
    auto out = run(call(caller));
    ASSERT_TRUE(out) << out.error().message;
    // 21000 + 5 PUSH1 15 + PUSH20 3 + GAS 2 + CALL 100 + cold A 2500 + cold delegate 2600
    // + POP 2 = 26222; the delegate's code in A: 6 + cold SSTORE 0 -> 1 22100.
    EXPECT_EQ(out->gas_used, 26'222u + 22'106u);
    state.apply(out->diff);
    EXPECT_EQ(state.find(authority)->storage.at(U256(0)), U256(1));
}

TEST_F(DelegatedCallTest, AWarmDelegateCostsAWarmRead) {
    deploy_caller("f1");
    eth::Transaction tx = call(caller);
    tx.access_list.push_back({delegate, {}});
    auto out = run(tx);
    ASSERT_TRUE(out) << out.error().message;
    // As above with 2400 more intrinsic gas and the delegate at 100 instead of 2600.
    EXPECT_EQ(out->gas_used, 26'222u + 2'400u - 2'500u + 22'106u);
}

TEST_F(DelegatedCallTest, EveryCallKindResolvesTheDelegation) {
    // DELEGATECALL and CALLCODE run the delegate's code in the caller's storage;
    // STATICCALL runs it in A's, where the SSTORE fails (static): the call returns 0.
    for (const char* op : {"f4", "f2"}) {
        deploy_caller(op);
        auto out = run(call(caller));
        ASSERT_TRUE(out) << op << ": " << out.error().message;
        MemoryState after = state;
        after.apply(out->diff);
        EXPECT_EQ(after.find(caller)->storage.at(U256(0)), U256(1)) << op;
        // PUSH1s (4 or 5) + PUSH20 3 + GAS 2 + 100 + 2500 + 2600 + POP 2 + 22106.
        const uint64_t pushes = std::string(op) == "f2" ? 15 : 12;
        EXPECT_EQ(out->gas_used, 21'000 + pushes + 3 + 2 + 100 + 2'500 + 2'600 + 2 + 22'106) << op;
    }
    deploy_caller("fa");
    auto out = run(call(caller));
    ASSERT_TRUE(out) << out.error().message;
    state.apply(out->diff);
    EXPECT_TRUE(state.find(authority)->storage.empty());
}

TEST_F(DelegatedCallTest, CancunRunsTheDesignatorAsCode) {
    // Before Prague the designator is code starting with 0xef: the call halts, A's storage
    // stays empty and there is no delegate access charge.
    config.revision = Revision::kCancun;
    config.precompiles.bls12_381 = false;
    deploy_caller("f1");
    auto out = run(call(caller, 100'000));
    ASSERT_TRUE(out) << out.error().message;
    state.apply(out->diff);
    EXPECT_TRUE(state.find(authority)->storage.empty());
}

TEST_F(DelegatedCallTest, ExtcodeSeesTheDesignator) {
    // EXTCODESIZE(A) -> slot 0; EXTCODEHASH(A) -> slot 1; EXTCODECOPY(A, 0, 0, 23) and
    // MLOAD 0 -> slot 2.
    // EXTCODECOPY pops the address, then the memory offset, the code offset and the size.
    deploy(caller, push20(authority) + "3b600055" + push20(authority) + "3f600155" +
                       "601760006000" + push20(authority) + "3c" + "600051600255" + "00");
    auto out = run(call(caller));
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->status, ExitStatus::kSuccess);
    state.apply(out->diff);
    const auto& slots = state.find(caller)->storage;
    const Bytes designator = delegation_designator(delegate);
    EXPECT_EQ(slots.at(U256(0)), U256(23));
    EXPECT_EQ(slots.at(U256(1)), U256::from_be_word(eth::keccak256(designator).data()));
    std::array<uint8_t, 32> word{};
    std::copy(designator.begin(), designator.end(), word.begin());
    EXPECT_EQ(slots.at(U256(2)), U256::from_be_word(word.data()));
}

TEST_F(DelegatedCallTest, TheRecipientsDelegateIsWarmFromTheStart) {
    // A transaction to the delegated EOA: its delegate is warm before the call (geth and
    // revm load it), so BALANCE(delegate) in its code costs 100, not 2600.
    deploy(delegate, push20(delegate) + "315000");  // PUSH20 D BALANCE POP STOP
    auto out = run(call(authority));
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 21'000u + 3 + 100 + 2);
}

TEST_F(DelegatedCallTest, DelegationIsOneLevelAndAPrecompileDelegateRunsNothing) {
    // A -> D where D is itself delegated: D's designator runs as code, 0xef halts, and the
    // call consumes its gas. PUSH1 0 x5, PUSH20 A, GAS, CALL, PUSH1 0 SSTORE (the result).
    MemoryAccount d;
    d.code = delegation_designator(addr(0x77));
    state.set_account(delegate, d);
    deploy(caller, "60006000600060006000" + push20(authority) + "5af160005500");
    auto out = run(call(caller));
    ASSERT_TRUE(out) << out.error().message;
    MemoryState after = state;
    after.apply(out->diff);
    EXPECT_TRUE(after.find(caller)->storage.empty());  // the call's 0 stored over 0
    // Every gas unit the CALL passed on was consumed: far above the 2 x cold costs.
    EXPECT_GT(out->gas_used, 150'000u);

    // A delegate that is a precompile (ecrecover): the call succeeds, running no code.
    MemoryAccount a;
    a.code = delegation_designator(
        Address{{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}}});
    state.set_account(authority, a);
    out = run(call(caller));
    ASSERT_TRUE(out) << out.error().message;
    state.apply(out->diff);
    EXPECT_EQ(state.find(caller)->storage.at(U256(0)), U256(1));
    // 21000 + 5 PUSH1 15 + PUSH20 3 + GAS 2 + CALL 100 + cold A 2500 + warm precompile 100
    // + PUSH1 3 + SSTORE 0 -> 1 cold 22100.
    EXPECT_EQ(out->gas_used, 21'000u + 15 + 3 + 2 + 100 + 2'500 + 100 + 3 + 22'100);
}

// --- EIP-7623 ------------------------------------------------------------------------------

TEST_F(PragueTest, CalldataFloor) {
    EXPECT_EQ(calldata_floor_gas({}), 21'000u);
    // 3 zero bytes and 2 non-zero: 3 + 8 tokens.
    EXPECT_EQ(calldata_floor_gas(hex("0000001234")), 21'000u + 10 * 11);

    eth::Transaction heavy = call(addr(0x55), 60'999);
    heavy.data.assign(1000, 0x01);
    // Standard intrinsic 21000 + 16 * 1000 = 37000; floor 21000 + 10 * 4000 = 61000.
    auto low = run(heavy);
    ASSERT_FALSE(low);
    EXPECT_EQ(low.error().code, kErrorInvalidTransaction);
    EXPECT_NE(low.error().message.find("floor"), std::string::npos) << low.error().message;

    heavy.gas_limit = 70'000;
    auto out = run(heavy);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 61'000u);
    MemoryState after = state;
    after.apply(out->diff);
    EXPECT_EQ(after.find(sender)->balance, kEther - U256(61'000 * 12));
    EXPECT_EQ(after.find(env.coinbase)->balance, U256(61'000 * 2));

    config.revision = Revision::kCancun;
    auto cancun = run(heavy);
    ASSERT_TRUE(cancun) << cancun.error().message;
    EXPECT_EQ(cancun->gas_used, 37'000u);
}

TEST_F(PragueTest, TheFloorDoesNotBindWhenExecutionCostsMore) {
    deploy(addr(0xc0), "600160005500");
    eth::Transaction tx = call(addr(0xc0));
    tx.data.assign(10, 0x01);
    // 21000 + 160 + 22106 = 43266 > floor 21000 + 400.
    auto out = run(tx);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 43'266u);
}

// --- EIP-2537 --------------------------------------------------------------------------------

TEST_F(PragueTest, BlsAddressesAreWarmPrecompilesThatCannotBeJudged) {
    EXPECT_EQ(precompile_addresses(config.precompiles).size(), 17u);
    const PrecompileSet isthmus{
        .p256verify = true, .granite_pairing_limit = true, .bls12_381 = true};
    ASSERT_EQ(precompile_addresses(isthmus).size(), 18u);
    EXPECT_EQ(precompile_addresses(isthmus).back().bytes[18], 0x01);  // 0x100 last
    for (uint8_t n = 0x0b; n <= 0x11; ++n) {
        Address p;
        p.bytes[19] = n;
        EXPECT_TRUE(is_precompile(p, config.precompiles)) << int(n);
        EXPECT_FALSE(is_precompile(p, PrecompileSet{})) << int(n);
        auto out = run(call(p, 100'000));
        ASSERT_FALSE(out) << int(n);
        EXPECT_EQ(out.error().code, kErrorUnsupportedPrecompile);
        EXPECT_NE(out.error().message.find("EIP-2537"), std::string::npos) << out.error().message;
    }
    // Warm: BALANCE(0x0b) costs 100, not 2600. PUSH1 0x0b BALANCE POP STOP.
    deploy(addr(0xc0), "600b315000");
    auto out = run(call(addr(0xc0)));
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 21'000u + 3 + 100 + 2);
}

// --- Blob schedule (EIP-7691) ------------------------------------------------------------

TEST(PragueBlobs, ScheduleAndBaseFee) {
    EXPECT_EQ(blob_schedule(Revision::kCancun).max_blobs_per_block, 6u);
    EXPECT_EQ(blob_schedule(Revision::kPrague).max_blobs_per_block, 9u);
    EXPECT_EQ(blob_base_fee(0, Revision::kPrague), U256(1));
    // fake_exponential(1, x, F) = e^(x/F) rounded down; at x = F it is e: 2.
    EXPECT_EQ(blob_base_fee(5007716, Revision::kPrague), U256(2));
    EXPECT_EQ(blob_base_fee(3338477, Revision::kCancun), U256(2));
    // Cancun's fraction at Prague's excess gives more: e^1.5 = 4.48.
    EXPECT_EQ(blob_base_fee(5007716, Revision::kCancun), U256(4));
}

// --- Blocks: EIP-2935 and OP Stack Isthmus -------------------------------------------------

class IsthmusBlockTest : public ::testing::Test {
  protected:
    void SetUp() override {
        key = eth::PrivateKey::from_hex(
                  "0x4646464646464646464646464646464646464646464646464646464646464646")
                  .value();
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
        block.parent_hash->bytes[0] = 0x99;
        block.parent_hash->bytes[31] = 0x42;
        rules.chain_id = 10;
        OpStackForks forks;
        forks.regolith = forks.canyon = forks.delta = forks.ecotone = forks.fjord = forks.granite =
            forks.holocene = forks.isthmus = 0;
        rules.op_stack = forks;
        // L1Block: no L1 fee values (the L1 fee is then zero), the operator fee values in
        // slot 8: scalar 1_500_001 at bytes [20, 24), constant 1000 at [24, 32), and a
        // Jovian-era byte at [18, 20) that Isthmus does not read.
        MemoryAccount l1block;
        l1block.code = hex("00");
        std::array<uint8_t, 32> word{};
        word[18] = 0xff;
        word[19] = 0xff;
        const uint32_t scalar = 1'500'001;
        for (int i = 0; i < 4; ++i) word[20 + i] = static_cast<uint8_t>(scalar >> (24 - 8 * i));
        word[30] = 1000 >> 8;
        word[31] = 1000 & 0xff;
        l1block.storage[U256(op::kOperatorFeeSlot)] = U256::from_be_word(word.data());
        state.set_account(op::kL1BlockAddress, l1block);
    }
    eth::Transaction transfer(uint64_t nonce, uint64_t gas = 100'000) {
        eth::Transaction tx;
        tx.type = eth::TxType::kDynamicFee;
        tx.chain_id = rules.chain_id;
        tx.nonce = nonce;
        tx.max_fee_per_gas = 20;
        tx.max_priority_fee_per_gas = 2;
        tx.gas_limit = gas;
        tx.to = addr(0x55);
        tx.value = 7;
        return eth::sign_transaction(tx, key).value();
    }

    eth::PrivateKey key = eth::PrivateKey::from_hex(
                              "0x0101010101010101010101010101010101010101010101010101010101010101")
                              .value();
    Address sender;
    MemoryState state;
    BlockInput block;
    ChainRules rules;
};

TEST_F(IsthmusBlockTest, OperatorFeeParamsAreReadFromSlot8) {
    auto p = op::read_operator_fee_params(state);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->scalar, 1'500'001u);
    EXPECT_EQ(p->constant, 1000u);
    // 21000 * 1_500_001 / 1e6 = 31500.021 -> 31500, + 1000.
    EXPECT_EQ(op::operator_fee(*p, 21'000), U256(32'500));
    EXPECT_EQ(op::operator_fee(op::OperatorFeeParams{.scalar = UINT32_MAX, .constant = UINT64_MAX},
                               UINT64_MAX),
              U256(UINT64_MAX) * U256(UINT32_MAX) / U256(1'000'000) + U256(UINT64_MAX));
}

TEST_F(IsthmusBlockTest, UserTransactionsPayTheOperatorFeeOfTheGasUsed) {
    block.transactions.push_back(transfer(0));
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 21'000u);
    EXPECT_EQ(out->transactions[0].operator_fee, U256(32'500));
    state.apply(out->diff);
    // Upfront 100000 * 1.500001 + 1000 = 151000 (rounded down: 150000.1); back the
    // difference to the fee of the 21000 used.
    EXPECT_EQ(state.find(op::kOperatorFeeVault)->balance, U256(32'500));
    EXPECT_EQ(state.find(sender)->balance, kEther - U256(21'000 * 12) - U256(7) - U256(32'500));
    EXPECT_EQ(state.find(op::kBaseFeeVault)->balance, U256(21'000 * 10));
}

TEST_F(IsthmusBlockTest, TheBalanceCheckCountsTheOperatorFeeOfTheGasLimit) {
    // gas 100000 * fee cap 20 + value 7 + operator fee 151000, one wei short.
    MemoryAccount s;
    s.balance = U256(2'000'000 + 7 + 151'000 - 1);
    state.set_account(sender, s);
    block.transactions.push_back(transfer(0));
    auto out = execute_block(state, block, rules);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, kErrorInvalidBlock);
    s.balance = s.balance + U256(1);
    state.set_account(sender, s);
    EXPECT_TRUE(execute_block(state, block, rules));
}

TEST_F(IsthmusBlockTest, DepositsPayNoOperatorFee) {
    eth::Transaction d;
    d.type = eth::TxType::kDeposit;
    d.from = addr(0xd0);
    d.to = addr(0xd1);
    d.mint = kEther;
    d.gas_limit = 100'000;
    block.transactions.push_back(d);
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    state.apply(out->diff);
    EXPECT_EQ(state.find(op::kOperatorFeeVault), nullptr);
    EXPECT_EQ(state.find(addr(0xd0))->balance, kEther);
}

TEST_F(IsthmusBlockTest, TheCalldataFloorBindsDeposits) {
    // 1000 non-zero bytes: intrinsic 37000, floor 61000 (op-revm validates and charges
    // deposits as every transaction; prague_test sees Anvil agree).
    eth::Transaction d;
    d.type = eth::TxType::kDeposit;
    d.from = addr(0xd0);
    d.to = addr(0xd1);
    d.mint = kEther;
    d.value = 1;
    d.gas_limit = 100'000;
    d.data.assign(1000, 0x01);
    block.transactions.push_back(d);
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 61'000u);
    EXPECT_TRUE(out->receipts[0].status);
    // Below the floor, above the intrinsic gas: a failed deposit (mint kept, nonce bumped,
    // the whole gas limit used).
    block.transactions[0].gas_limit = 50'000;
    out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->gas_used, 50'000u);
    EXPECT_FALSE(out->receipts[0].status);
    state.apply(out->diff);
    EXPECT_EQ(state.find(addr(0xd0))->balance, kEther);
    EXPECT_EQ(state.find(addr(0xd0))->nonce, 1u);
    EXPECT_EQ(state.find(addr(0xd1)), nullptr);
}

TEST_F(IsthmusBlockTest, HistoryContractStoresTheParentHash) {
    MemoryAccount history;
    history.code = hex(kHistoryCode);
    state.set_account(kHistoryStorageAddress, history);
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    state.apply(out->diff);
    // Block 100 stores its parent's (99) hash at slot 99 % 8191.
    const MemoryAccount* after = state.find(kHistoryStorageAddress);
    ASSERT_NE(after, nullptr);
    ASSERT_EQ(after->storage.size(), 1u);
    EXPECT_EQ(after->storage.at(U256(99 % kHistoryServeWindow)),
              U256::from_be_word(block.parent_hash->data()));
    // The system caller is not created.
    EXPECT_EQ(state.find(kSystemAddress), nullptr);

    // Without a parent hash (none given and no BLOCKHASH source) it is unverifiable.
    block.parent_hash.reset();
    auto unknown = execute_block(state, block, rules);
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().code, kErrorInvalidBlock);
    // From block_hash when given.
    block.block_hash = [](uint64_t n) -> std::optional<eth::Hash32> {
        eth::Hash32 h;
        h.bytes[31] = static_cast<uint8_t>(n);
        return h;
    };
    auto from_source = execute_block(state, block, rules);
    ASSERT_TRUE(from_source) << from_source.error().message;
    ASSERT_EQ(from_source->diff.accounts.size(), 1u);
    EXPECT_EQ(from_source->diff.accounts[0].storage.at(0).second, U256(99));
}

TEST_F(IsthmusBlockTest, NoHistoryContractNoCall) {
    block.parent_hash.reset();  // not needed when the contract has no code
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_TRUE(out->diff.accounts.empty());
}

TEST_F(IsthmusBlockTest, BeforeIsthmusTheRulesAreCancun) {
    MemoryAccount history;
    history.code = hex(kHistoryCode);
    state.set_account(kHistoryStorageAddress, history);
    rules.op_stack->isthmus = block.timestamp + 1;
    block.transactions.push_back(transfer(0));
    auto out = execute_block(state, block, rules);
    ASSERT_TRUE(out) << out.error().message;
    state.apply(out->diff);
    EXPECT_TRUE(state.find(kHistoryStorageAddress)->storage.empty());
    EXPECT_EQ(state.find(op::kOperatorFeeVault), nullptr);
}

TEST_F(IsthmusBlockTest, EthereumPragueIsStillRefused) {
    ChainRules ethereum;
    ethereum.prague_time = 0;
    auto out = execute_block(state, block, ethereum);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, kErrorUnsupportedBlock);
}

}  // namespace
}  // namespace vigil::evm
