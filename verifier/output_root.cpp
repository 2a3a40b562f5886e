#include "verifier/output_root.h"

#include "chains/eth/opstack.h"
#include "chains/eth/proof.h"
#include "chains/rpc/header_json.h"
#include "chains/rpc/proof_json.h"

namespace vigil::verifier {

OutputRootSource::OutputRootSource(rpc::RpcClient& l2, core::Finality safety)
    : l2_(l2), safety_(safety) {}

Result<uint64_t> OutputRootSource::settled_height() {
    const char* tag = "latest";
    if (safety_.kind == core::Finality::Kind::safe) tag = "safe";
    if (safety_.kind == core::Finality::Kind::finalized) tag = "finalized";
    VIGIL_TRY(rpc::Json b, l2_.call("eth_getBlockByNumber", rpc::Json::array({tag, false})));
    if (b.is_null()) return uint64_t{0};
    VIGIL_TRY(uint64_t n, rpc::field_uint64(b, "number"));
    if (safety_.kind == core::Finality::Kind::confirmations)
        return n >= safety_.confirmations ? n - safety_.confirmations : 0;
    return n;
}

Result<OutputRootInputs> OutputRootSource::compute(uint64_t l2_block) {
    VIGIL_TRY(uint64_t settled, settled_height());
    return compute(l2_block, settled);
}

Result<OutputRootInputs> OutputRootSource::compute(uint64_t l2_block, uint64_t settled) {
    const std::string where = "L2 block " + std::to_string(l2_block);
    if (l2_block > settled)
        return fail(where + ": the L2 node is at " + std::to_string(settled) +
                        " (at the configured safety level)",
                    kNotYet);
    VIGIL_TRY(rpc::Json block, l2_.call("eth_getBlockByNumber",
                                        rpc::Json::array({eth::to_quantity(l2_block), false})));
    if (block.is_null()) return fail(where + ": the L2 node does not have it", kNotYet);
    auto header = rpc::parse_verified_header(block);
    if (!header)
        return fail(where + ": the L2 node's header fails its check: " + header.error().message,
                    kUnverifiable);
    if (header->number != l2_block)
        return fail(where + ": the L2 node answered block " + std::to_string(header->number),
                    kUnverifiable);
    OutputRootInputs in;
    in.l2_block = l2_block;
    in.state_root = header->state_root;
    in.block_hash = header->hash();

    // Pin the proof to this very block (EIP-1898), so a reorg between the two calls
    // cannot mix two blocks' data.
    const rpc::Json at_block = {{"blockHash", in.block_hash.to_hex()}};
    VIGIL_TRY(
        rpc::Json proof_json,
        l2_.call("eth_getProof", rpc::Json::array({eth::opstack::message_passer_address().to_hex(),
                                                   rpc::Json::array(), at_block})));
    auto proof = rpc::parse_account_proof(proof_json);
    if (!proof)
        return fail(where + ": malformed eth_getProof answer: " + proof.error().message,
                    kUnverifiable);
    if (proof->address != eth::opstack::message_passer_address())
        return fail(where + ": eth_getProof answered for another account", kUnverifiable);
    auto verified = eth::verify_account_proof(in.state_root, *proof);
    if (!verified)
        return fail(
            where +
                ": the message passer's account proof does not verify against the state root: " +
                verified.error().message,
            kUnverifiable);
    in.message_passer_storage_root = verified->account.storage_root;
    in.output_root =
        eth::opstack::output_root_v0(in.state_root, in.message_passer_storage_root, in.block_hash);
    return in;
}

}  // namespace vigil::verifier
