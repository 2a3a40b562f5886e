// Fuzzes raw transaction decoding: any input is an error or a transaction whose encoding
// is exactly the input (the decoder accepts only canonical forms); recovery and the JSON
// form never crash.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "chains/eth/transaction.h"
#include "chains/rpc/tx_json.h"

using namespace vigil;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const eth::BytesView input(data, size);
    for (bool allow_high_s : {false, true}) {
        auto tx = eth::decode_transaction(input, eth::DecodeOptions{.allow_high_s = allow_high_s});
        if (!tx) continue;
        auto raw = eth::encode_transaction(*tx);
        if (!raw || eth::BytesView(*raw).size() != size ||
            !std::equal(raw->begin(), raw->end(), data))
            std::abort();
        auto again = eth::decode_transaction(*raw, eth::DecodeOptions{.allow_high_s = true});
        if (!again || !(*again == *tx)) std::abort();
        auto sender = eth::recover_sender(*tx, eth::SRule::kAnyS);
        if (sender.ok() && sender->view().size() != 20) std::abort();
        if (tx->type == eth::TxType::kDeposit && (!sender.ok() || *sender != tx->from))
            std::abort();
        (void)eth::validate_intrinsic(*tx, eth::TxRules{.chain_id = 1});
        if (rpc::tx_to_json(*tx).dump().empty()) std::abort();
    }
    return 0;
}
