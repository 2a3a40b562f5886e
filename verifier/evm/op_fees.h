// OP Stack fee rules for non-deposit transactions: the L1 data fee (Bedrock, Ecotone and
// Fjord formulas) from the values the L1Block predeploy holds, the FastLZ size estimate
// Fjord's formula needs, and Isthmus's operator fee.
//
// Sources: the OP specs (protocol/exec-engine.md "L1-Cost fees", ecotone/l1-attributes.md,
// fjord/exec-engine.md "Fjord L1-Cost fee changes (FastLZ estimator)", isthmus/exec-engine.md
// "Operator Fee"), cross-read with op-geth core/types/rollup_cost.go and op-revm's
// L1BlockInfo (constants.rs, l1block.rs).
#pragma once

#include <cstdint>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/result.h"
#include "chains/eth/u256.h"
#include "verifier/evm/state.h"

namespace vigil::evm::op {

// Predeploys (OP specs, predeploys.md).
inline const eth::Address kL1BlockAddress{
    {{0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x15}}};
inline const eth::Address kBaseFeeVault{
    {{0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x19}}};
inline const eth::Address kL1FeeVault{
    {{0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1a}}};
// Isthmus (isthmus/predeploys.md "OperatorFeeVault").
inline const eth::Address kOperatorFeeVault{
    {{0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1b}}};

// L1Block storage layout (contracts-bedrock L1Block.sol; op-geth rollup_cost.go):
// slot 1 basefee; slot 3 packs (from the low end) sequenceNumber (8 bytes),
// blobBaseFeeScalar (4), baseFeeScalar (4); slot 5 l1FeeOverhead and slot 6 l1FeeScalar
// (Bedrock); slot 7 blobBaseFee (Ecotone); slot 8 (Isthmus) packs operatorFeeConstant
// (uint64, the low 8 bytes, declared first) and operatorFeeScalar (uint32, the 4 bytes
// above it): big-endian bytes [24, 32) and [20, 24) (op-revm OPERATOR_FEE_CONSTANT_OFFSET
// = 24, OPERATOR_FEE_SCALAR_OFFSET = 20); from Jovian also daFootprintGasScalar (uint16,
// declared after them): bytes [18, 20) (jovian/exec-engine.md "Scalar loading": slot 8,
// offset 12 from the low end).
inline constexpr uint64_t kL1BaseFeeSlot = 1;
inline constexpr uint64_t kL1FeeScalarsSlot = 3;
inline constexpr size_t kBaseFeeScalarOffset = 16;      // bytes [16, 20) of slot 3
inline constexpr size_t kBlobBaseFeeScalarOffset = 20;  // bytes [20, 24) of slot 3
inline constexpr uint64_t kL1OverheadSlot = 5;
inline constexpr uint64_t kL1ScalarSlot = 6;
inline constexpr uint64_t kL1BlobBaseFeeSlot = 7;
inline constexpr uint64_t kOperatorFeeSlot = 8;
inline constexpr size_t kOperatorFeeScalarOffset = 20;     // bytes [20, 24) of slot 8
inline constexpr size_t kOperatorFeeConstantOffset = 24;   // bytes [24, 32) of slot 8
inline constexpr size_t kDaFootprintGasScalarOffset = 18;  // bytes [18, 20) of slot 8
// isthmus/exec-engine.md: operatorFeeScalar is scaled by 1e6.
inline constexpr uint64_t kOperatorFeeScalarDecimals = 1'000'000;
// jovian/exec-engine.md "Fee Formula Update": operatorFeeScalar is multiplied by 100.
inline constexpr uint64_t kJovianOperatorFeeMultiplier = 100;
// Fjord (fjord/exec-engine.md), reused by Jovian's DA footprint: the least estimated
// compressed size of a transaction, in bytes.
inline constexpr uint64_t kMinTransactionSize = 100;

// The L1 fee parameters as the L1Block predeploy holds them.
struct L1FeeParams {
    eth::U256 l1_base_fee;
    eth::U256 blob_base_fee;
    uint32_t base_fee_scalar = 0;
    uint32_t blob_base_fee_scalar = 0;
    eth::U256 overhead;  // Bedrock only
    eth::U256 scalar;    // Bedrock only

    // Ecotone activation block: the L1Block contract was upgraded but not yet set with the
    // Ecotone values, so the Bedrock formula still applies (op-geth NewL1CostFunc).
    bool ecotone_values_unset() const {
        return blob_base_fee.is_zero() && base_fee_scalar == 0 && blob_base_fee_scalar == 0;
    }
};

// Reads the parameters from the L1Block predeploy through `state` (no warm-set effect:
// the fee is not EVM execution). Errors are the source's (unverifiable, not invalid).
Result<L1FeeParams> read_l1_fee_params(StateSource& state);

// Isthmus's operator fee parameters as the L1Block predeploy holds them (slot 8), and
// Jovian's DA footprint gas scalar in the same slot (zero before Jovian's L1Block).
struct OperatorFeeParams {
    uint32_t scalar = 0;
    uint64_t constant = 0;
    uint16_t da_footprint_gas_scalar = 0;
};

// Reads slot 8 of the L1Block predeploy through `state` (as read_l1_fee_params).
Result<OperatorFeeParams> read_operator_fee_params(StateSource& state);

// The operator fee of `gas`:
// - Isthmus (isthmus/exec-engine.md): gas * operatorFeeScalar / 1e6 + operatorFeeConstant;
// - Jovian (jovian/exec-engine.md "Fee Formula Update"): gas * operatorFeeScalar * 100 +
//   operatorFeeConstant.
// Exact either way: the result stays below 2^103.
eth::U256 operator_fee(const OperatorFeeParams& params, uint64_t gas, bool jovian = false);

// Fjord's estimated DA size of a transaction whose full typed encoding is `raw_tx`, in
// bytes: max(minTransactionSize, (intercept + fastlzCoef * flzLen) / 1e6).
uint64_t estimated_da_size(eth::BytesView raw_tx);

// Jovian (jovian/exec-engine.md "DA Footprint Block Limit"): a non-deposit transaction's
// DA footprint, estimated_da_size * daFootprintGasScalar. A block's header blobGasUsed is
// the sum over its non-deposit transactions and may not exceed its gas limit.
uint64_t da_footprint(eth::BytesView raw_tx, uint16_t da_footprint_gas_scalar);

// FastLZ (level 1) compressed length of `data`, as Solady's LibZip.flzCompress would
// produce, without producing it (op-geth types.FlzCompressLen).
uint32_t flz_compress_len(eth::BytesView data);

// The L1 data fee of a non-deposit transaction whose full typed encoding is `raw_tx`:
// - Bedrock: (zeroes*4 + ones*16 + overhead) * l1BaseFee * scalar / 1e6 (Regolith: no
//   extra 68 bytes of signature);
// - Ecotone: (zeroes*4 + ones*16) * (16*l1BaseFee*baseFeeScalar +
//   blobBaseFee*blobBaseFeeScalar) / 16e6;
// - Fjord: max(100e6, -42_585_600 + 836_500 * flzLen) * (16*l1BaseFee*baseFeeScalar +
//   blobBaseFee*blobBaseFeeScalar) / 1e12.
// `ecotone`/`fjord` say which forks are active; the Ecotone activation block (values unset)
// uses Bedrock's formula, as op-geth does. Intermediate products saturate at 2^256 - 1
// (op-geth uses big integers): such a fee exceeds any balance, as the exact one would.
eth::U256 l1_data_fee(const L1FeeParams& params, eth::BytesView raw_tx, bool ecotone, bool fjord);

}  // namespace vigil::evm::op
