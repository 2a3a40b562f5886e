// Fuzzes strict RLP decoding: any input is an error or decodes canonically, so encoding
// the decoded tree gives back the input byte for byte. The typed decoders built on it
// (block header, account) obey the same rule.
#include <cstdint>
#include <cstdlib>

#include "chains/eth/header.h"
#include "chains/eth/proof.h"
#include "chains/eth/rlp.h"

using namespace vigil::eth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const BytesView input(data, size);
    auto tree = rlp::decode_tree(input);
    if (tree.ok()) {
        const Bytes again = rlp::encode_tree(*tree);
        if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
    }
    // The streaming reader agrees with the tree decoder about top-level validity.
    auto item = rlp::decode_exact(input);
    if (tree.ok() && !item.ok()) std::abort();
    if (item.ok() && item->is_list) {
        rlp::ListReader reader(*item);
        auto count = reader.count();
        if (tree.ok() && (!count.ok() || *count != tree->items.size())) std::abort();
        while (!reader.done() && reader.next().ok()) {
        }
        (void)reader.next_uint64();
        (void)rlp::to_u256(*item);
    }
    if (auto header = BlockHeader::decode(input); header.ok()) {
        if (!header->check_shape().ok() || header->encode() != Bytes(input.begin(), input.end()))
            std::abort();
    }
    if (auto account = Account::decode(input); account.ok()) {
        if (account->encode() != Bytes(input.begin(), input.end())) std::abort();
    }
    return 0;
}
