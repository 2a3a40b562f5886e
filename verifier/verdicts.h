// VerdictStore: the verifier's judgements of output-root proposals, persisted with their
// evidence, and the question the relayer asks before proving anything.
//
// A proposal is judged once: its record is written in the same batch as the listener
// cursor that delivered it, so a restart neither forgets nor re-judges it. Records whose
// verdict is still open (pending: waiting for the L2 node; unverifiable: the L2 node's
// answers failed their proofs) are indexed, so a restart re-examines only those.
//
// Thread-safety: as core::Store (reads from any thread; writes go through batches).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chains/eth/address.h"
#include "core/store.h"
#include "verifier/output_root.h"

namespace vigil::verifier {

enum class Verdict : uint8_t {
    pending = 0,       // not judged yet (the L2 node has not reached the block)
    valid = 1,         // the claim equals the recomputed output root
    invalid = 2,       // the claim differs: fraud
    unverifiable = 3,  // the L2 data failed its proofs: an alarm about the endpoint
};
const char* verdict_name(Verdict v);

struct Proposal {
    std::string rollup;
    eth::Address game;  // the dispute game proxy (or, for L2OutputOracle, zero)
    uint32_t game_type = 0;
    uint64_t game_index = 0;  // in the factory (or the oracle's output index)
    eth::Hash32 root_claim;
    uint64_t l2_block = 0;
    uint64_t l1_block = 0;
    eth::Hash32 l1_tx;
};

struct VerdictRecord {
    Proposal proposal;
    Verdict verdict = Verdict::pending;
    std::optional<OutputRootInputs> computed;  // for valid / invalid
    std::string reason;                        // for pending / unverifiable
    int64_t decided_at_ms = 0;
    int64_t seen_at_ms = 0;  // when the proposal was first recorded (confirmed on L1)
};

std::string encode_verdict(const VerdictRecord& record);
Result<VerdictRecord> decode_verdict(std::string_view text);

class VerdictStore {
  public:
    explicit VerdictStore(core::Store& store) : store_(store) {}

    // Adds the record (and its place in the open index) to `batch`.
    void stage(const VerdictRecord& record, core::WriteBatch& batch) const;
    // Removes the record and its index entry (a proposal orphaned by an L1 reorg).
    void erase(const VerdictRecord& record, core::WriteBatch& batch) const;
    Result<std::optional<VerdictRecord>> get(std::string_view rollup,
                                             const eth::Address& game) const;
    // What the relayer asks: only `valid` allows a proof; unknown games are pending.
    Result<Verdict> verdict(std::string_view rollup, const eth::Address& game) const;
    // Up to `limit` valid games of `rollup`, highest L2 block first (an index: the cost is
    // the games returned, not the rollup's history).
    Result<std::vector<VerdictRecord>> valid_games(std::string_view rollup, size_t limit) const;
    // Builds the valid index of `rollup` from its records once (stores written before the
    // index existed); a marker makes later calls a single read.
    Status ensure_valid_index(std::string_view rollup) const;
    // The valid game of `rollup` with the highest L2 block (what a relayer proves
    // against), if any.
    Result<std::optional<VerdictRecord>> latest_valid(std::string_view rollup) const;
    // Records still open (pending or unverifiable) for `rollup`, oldest game first.
    Result<std::vector<VerdictRecord>> open(std::string_view rollup) const;

  private:
    core::Store& store_;
};

}  // namespace vigil::verifier
