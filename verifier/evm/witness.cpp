#include "verifier/evm/witness.h"

#include <unordered_map>

#include "chains/eth/header.h"
#include "chains/eth/keccak.h"

namespace vigil::evm {

Result<std::map<uint64_t, eth::Hash32>> block_hashes(const Witness& witness,
                                                     const eth::Hash32& parent_hash) {
    std::unordered_map<eth::Hash32, const eth::Bytes*> by_hash;
    for (const eth::Bytes& header : witness.headers)
        by_hash.emplace(eth::keccak256(header), &header);
    std::map<uint64_t, eth::Hash32> out;
    eth::Hash32 next = parent_hash;
    // Each step moves to a lower number, so the walk ends within headers.size() steps.
    for (auto it = by_hash.find(next); it != by_hash.end(); it = by_hash.find(next)) {
        auto header = eth::BlockHeader::decode(*it->second);
        if (!header)
            return fail("witness: header " + next.to_hex() +
                        " does not decode: " + header.error().message);
        if (!out.empty() && header->number + 1 != out.begin()->first)
            return fail("witness: header " + next.to_hex() + " has number " +
                        std::to_string(header->number) + ", its child " +
                        std::to_string(out.begin()->first));
        out.emplace(header->number, next);
        if (header->number == 0) break;
        next = header->parent_hash;
    }
    if (out.empty())
        return fail("witness: no header hashes to the parent block hash " + parent_hash.to_hex());
    return out;
}

}  // namespace vigil::evm
