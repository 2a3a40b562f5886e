// OP Stack Jovian on a real node: an Anvil chain started with `--network optimism
// --hardfork jovian`, non-zero L1 fee values and non-zero operator fee and DA footprint
// scalars set in L1Block. Vigil's Jovian rules (verifier/evm, evm_jovian_test) are not
// cross-checked here because Anvil 1.7.1 does not run them (the test pins that), so
// Vigil must refuse the chain's blocks as unverifiable.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chains/eth/secp256k1.h"
#include "chains/eth/transaction.h"
#include "chains/rpc/header_json.h"
#include "chains/rpc/json_fields.h"
#include "tests/support/anvil.h"
#include "tests/support/anvil_chain_test.h"
#include "verifier/evm/block.h"
#include "verifier/evm/op_fees.h"
#include "verifier/evm/precompiles.h"
#include "verifier/reexecute.h"
#include "verifier/witness_fetch.h"

namespace vigil::verifier {
namespace {

using eth::Address;
using eth::Bytes;
using eth::Hash32;
using eth::U256;
using rpc::Json;

constexpr uint64_t kJovianChainId = 4848;
const U256 kGwei(1'000'000'000ULL);
// L1Block slot 8 values: DA footprint gas scalar, operator fee scalar and constant.
constexpr uint16_t kDaScalar = 777;
constexpr uint32_t kOperatorScalar = 1234;
constexpr uint64_t kOperatorConstant = 7'000'000'000ULL;

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

// Jovian from genesis (and every fork before it).
evm::ChainRules jovian_rules() {
    evm::ChainRules rules;
    rules.chain_id = kJovianChainId;
    evm::OpStackForks f;
    f.regolith = f.canyon = f.delta = f.ecotone = f.fjord = f.granite = f.holocene = f.isthmus =
        f.jovian = 0;
    rules.op_stack = f;
    return rules;
}

// L1Block values: L1 base fee 10 gwei, baseFeeScalar 1368 and blobBaseFeeScalar 810949
// (sequence number 1), Bedrock overhead 188 and scalar 684000, blob base fee 3 wei, and
// slot 8: daFootprintGasScalar at bytes [18, 20), operatorFeeScalar at [20, 24),
// operatorFeeConstant at [24, 32). Every slot Anvil reads is set (block_check_test: it
// keeps a slot read as zero as an rlp(0) leaf).
std::map<uint64_t, U256> l1_block_values() {
    std::array<uint8_t, 32> w{};
    w[18] = kDaScalar >> 8;
    w[19] = kDaScalar & 0xff;
    for (int i = 0; i < 4; ++i) w[20 + i] = static_cast<uint8_t>(kOperatorScalar >> (24 - 8 * i));
    for (int i = 0; i < 8; ++i) w[24 + i] = static_cast<uint8_t>(kOperatorConstant >> (56 - 8 * i));
    return {
        {evm::op::kOperatorFeeSlot, U256::from_be_word(w.data())},
        {evm::op::kL1BaseFeeSlot, U256(10'000'000'000ULL)},
        {evm::op::kL1FeeScalarsSlot, *U256::from_string("0x00000000000000000000000000000000"
                                                        "00000558"
                                                        "000c5fc5"
                                                        "0000000000000001")},
        {evm::op::kL1OverheadSlot, U256(188)},
        {evm::op::kL1ScalarSlot, U256(684'000)},
        {evm::op::kL1BlobBaseFeeSlot, U256(3)},
    };
}

class JovianTest : public testing::AnvilChainTest {
  protected:
    eth::Transaction unsigned_tx(const eth::PrivateKey& key, eth::TxType type,
                                 std::optional<Address> to, const Bytes& data, uint64_t gas) {
        eth::Transaction tx;
        tx.type = type;
        tx.chain_id = chain_id_;
        tx.nonce = nonces_[key.address()]++;
        tx.max_fee_per_gas = kGwei * U256(20);
        tx.max_priority_fee_per_gas = kGwei;
        tx.gas_limit = gas;
        tx.to = to;
        tx.data = data;
        return tx;
    }

    Hash32 send(const eth::PrivateKey& key, std::optional<Address> to, const Bytes& data,
                uint64_t gas, bool wait = true, U256 value = U256()) {
        eth::Transaction tx = unsigned_tx(key, eth::TxType::kDynamicFee, to, data, gas);
        tx.value = value;
        return send_raw(*eth::encode_transaction(*eth::sign_transaction(tx, key)), wait);
    }

    // The prestate witness of block `number`: what the tracer lists and what reexecute's
    // untraced_accounts adds (the history contract's slot, L1Block slot 8 and the
    // OperatorFeeVault, the BLS precompile addresses).
    evm::Witness witness(uint64_t number, const evm::ChainRules& rules) {
        const eth::BlockHeader h = header(number);
        PrestateWitnessOptions o;
        o.extra = untraced_accounts(h, rules);
        auto w = fetch_prestate_witness(node(), h.hash(), o);
        EXPECT_TRUE(w.ok()) << w.error().message;
        return w.ok() ? *w : evm::Witness{};
    }

    eth::PrivateKey key0_ = *eth::PrivateKey::from_hex(testing::kAnvilKey0);
    std::map<Address, uint64_t> nonces_;
};

// Anvil 1.7.1 accepts `--hardfork jovian` but runs Isthmus's rules: no DA footprint in
// blobGasUsed, the Isthmus operator fee, no Jovian pairing limit. So it cannot cross-check
// Vigil's Jovian rules, and Vigil refuses Jovian blocks (unverifiable, never judged). The
// second half pins what Anvil does: when a newer Anvil runs Jovian, it fails and says so,
// and the cross-check (a full re-execution, as prague_test does for Isthmus) can be run.
TEST_F(JovianTest, AnvilJovianBlocksAreRefusedAsUnverifiable) {
    start(kJovianChainId, "jovian", {"--network", "optimism"});
    const evm::ChainRules rules = jovian_rules();
    const Address l1_block = evm::op::kL1BlockAddress;
    for (const Address& a :
         {l1_block, evm::op::kBaseFeeVault, evm::op::kL1FeeVault, evm::op::kOperatorFeeVault})
        call("anvil_setCode", Json::array({a.to_hex(), "0x00"}));
    for (const auto& [slot, value] : l1_block_values())
        call("anvil_setStorageAt", Json::array({l1_block.to_hex(), eth::to_quantity(slot),
                                                eth::to_hex(value.to_be_word())}));
    mine();  // block 1: the trusted start
    ASSERT_EQ(head(), 1u);

    const Address sink = *Address::from_hex("0x00000000000000000000000000000000000051c4");
    const Hash32 user = send(key0_, sink, noise(1000, 1), 100'000);
    const uint64_t n = *rpc::field_uint64(receipt(user), "blockNumber");
    const rpc::RpcBlock served = block(n);

    // Vigil: unverifiable, through check_block and reexecute_block alike.
    auto check = check_block(served, witness(n, rules), header(n - 1).hash(), rules);
    ASSERT_FALSE(check.ok());
    EXPECT_EQ(check.error().code, kUnverifiable) << check.error().message;
    EXPECT_NE(check.error().message.find("Jovian"), std::string::npos) << check.error().message;
    ReexecuteOptions opts;
    opts.rules = rules;
    auto reexecuted = reexecute_block(node(), n, header(n - 1).hash(), opts);
    ASSERT_FALSE(reexecuted.ok());
    EXPECT_EQ(reexecuted.error().code, kUnverifiable) << reexecuted.error().message;

    // What Anvil 1.7.1 does instead of Jovian's rules.
    const char* upgraded =
        "Anvil now runs Jovian's rules: cross-check Vigil's (a full re-execution, as "
        "prague_test does for Isthmus) and lift the refusal in verifier/evm/block.cpp";
    // The DA footprint: the spec's max(100, (836500 * flzLen - 42585600) / 1e6) * scalar.
    const int64_t scaled =
        836'500 * static_cast<int64_t>(evm::op::flz_compress_len(served.transactions[0].raw)) -
        42'585'600;
    const uint64_t footprint = static_cast<uint64_t>(scaled) / 1'000'000 * kDaScalar;
    ASSERT_EQ(evm::op::da_footprint(served.transactions[0].raw, kDaScalar), footprint);
    EXPECT_EQ(served.header.blob_gas_used, std::optional<uint64_t>(0)) << upgraded;
    // The operator fee: Isthmus's gas * scalar / 1e6 + constant, not Jovian's
    // gas * scalar * 100 + constant.
    const uint64_t gas = gas_used(user);
    const evm::op::OperatorFeeParams params{.scalar = kOperatorScalar,
                                            .constant = kOperatorConstant,
                                            .da_footprint_gas_scalar = kDaScalar};
    const Json vault =
        call("eth_getBalance", Json::array({evm::op::kOperatorFeeVault.to_hex(), "latest"}));
    const U256 charged = *U256::from_string(vault.get<std::string>());
    EXPECT_EQ(charged, evm::op::operator_fee(params, gas, /*jovian=*/false)) << upgraded;
    EXPECT_NE(charged, evm::op::operator_fee(params, gas, /*jovian=*/true));
    // bn256 pairing over Jovian's 427-pair limit: runs (Granite's limit only).
    Address pairing;
    pairing.bytes[19] = 0x08;
    EXPECT_TRUE(
        succeeded(send(key0_, pairing, Bytes(evm::kJovianMaxPairingInput + 192, 0), 16'000'000)))
        << upgraded;
}

}  // namespace
}  // namespace vigil::verifier
