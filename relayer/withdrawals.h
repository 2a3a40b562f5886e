// Withdrawals of one OP Stack route (an L2 and its L1 portal), persisted from the moment
// their MessagePassed event is confirmed on the L2 until they are finalized on L1.
//
// State machine (ARCHITECTURE.md, "Exactly-once delivery"):
//   observed -> provable -> proving -> proven -> finalizing -> finalized, or failed.
// Each record lives under its withdrawal hash; an index per state (ordered by L2 block)
// lets the relayer find pending work without scanning history, and per-route counts are
// kept with the records, so restart cost scales with pending work only.
//
// WithdrawalObserver is the L2 listener's consumer: it decodes each MessagePassed log
// (the hash recomputed from the logged fields must equal the logged hash) and stages the
// new record in the batch that carries the cursor, so a crash neither loses nor repeats
// a withdrawal. A reorg of the L2 below confirmed blocks drops the withdrawals of the
// orphaned blocks that were not acted upon yet; one already proved or finalized on L1 is
// kept and reported loudly (its L2 block is gone: an operator must look).
//
// Thread-safety: as core::Store for WithdrawalStore reads; the observer runs on its
// listener's thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "chains/eth/opstack.h"
#include "chains/listener.h"
#include "chains/rpc/http_client.h"
#include "core/log.h"
#include "core/store.h"

namespace vigil::relayer {

enum class WithdrawalState : uint8_t {
    observed = 0,
    provable = 1,
    proving = 2,
    proven = 3,
    finalizing = 4,
    finalized = 5,
    failed = 6,
};
inline constexpr size_t kWithdrawalStates = 7;
const char* state_name(WithdrawalState s);
std::optional<WithdrawalState> parse_state(std::string_view name);

struct WithdrawalRecord {
    std::string route;
    eth::opstack::WithdrawalTransaction tx;
    eth::Hash32 hash;
    uint64_t l2_block = 0;
    eth::Hash32 l2_block_hash;
    eth::Hash32 l2_tx;
    uint64_t log_index = 0;
    WithdrawalState state = WithdrawalState::observed;
    std::optional<eth::Address> proof_game;  // the game proved against (proving onwards)
    uint64_t proof_game_index = 0;
    uint64_t proven_at = 0;  // L1 timestamp of our proof (portal's provenWithdrawals), seconds
    std::string reason;      // why failed (or why waiting)
    uint32_t attempts = 0;
    int64_t observed_at_ms = 0;
    int64_t updated_at_ms = 0;
};
// The stored form: a format byte (kBinaryRecord) and an RLP list of the fields. Records
// stored as JSON text by earlier versions are still read; each is rewritten in the binary
// form at its next state change. The hash is recomputed from the fields on every read.
inline constexpr uint8_t kBinaryRecord = 0x01;
std::string encode_withdrawal(const WithdrawalRecord& record);
Result<WithdrawalRecord> decode_withdrawal(std::string_view text);
// The JSON form (admin API, status), with hex at the edges.
rpc::Json withdrawal_json(const WithdrawalRecord& record);

// Records by state, per route.
struct RouteCounts {
    std::array<uint64_t, kWithdrawalStates> by_state{};
    uint64_t total() const;
};

class WithdrawalStore {
  public:
    explicit WithdrawalStore(core::Store& store) : store_(store) {}

    // Stages `record` (new, or moved from `before`) with its index entry and the route's
    // counts (`counts` is updated in place; commit it with the batch).
    void stage(const WithdrawalRecord& record, std::optional<WithdrawalState> before,
               RouteCounts& counts, core::WriteBatch& batch) const;
    // Stages the removal of `record` (orphaned on L2).
    void stage_erase(const WithdrawalRecord& record, RouteCounts& counts,
                     core::WriteBatch& batch) const;

    Result<std::optional<WithdrawalRecord>> get(std::string_view route,
                                                const eth::Hash32& hash) const;
    // Up to `limit` records of `route` in `state`, oldest L2 block first.
    Result<std::vector<WithdrawalRecord>> in_state(std::string_view route, WithdrawalState state,
                                                   size_t limit) const;
    // The same, from the state index alone: no record is read or decoded.
    struct Indexed {
        uint64_t l2_block = 0;
        eth::Hash32 hash;
    };
    Result<std::vector<Indexed>> index(std::string_view route, WithdrawalState state,
                                       size_t limit) const;
    // Whether the record of (`l2_block`, `hash`) is in `state` now (one index lookup).
    Result<bool> is_in_state(std::string_view route, WithdrawalState state, uint64_t l2_block,
                             const eth::Hash32& hash) const;
    // Records of `route` from L2 blocks >= `from_block` (any state), by block.
    Result<std::vector<WithdrawalRecord>> from_block(std::string_view route,
                                                     uint64_t from_block) const;
    Result<RouteCounts> counts(std::string_view route) const;

  private:
    core::Store& store_;
};

// What the observer (listener thread) and the prover (relayer thread) of one route share:
// the lock that orders their writes, and the route's counts as committed. The observer
// holds it from staging a batch until the listener commits or abandons it; the prover
// holds it around each state change (re-read, check, commit), so a record orphaned by an
// L2 reorg is never written back, and no count update is lost.
struct RouteLedger {
    std::mutex mu;
    RouteCounts counts;  // as committed (under mu)
    bool loaded = false;
};

// Error::code of a state change refused because the record changed underneath (another
// writer moved or erased it): skip it this round.
inline constexpr int kWithdrawalChanged = 4101;

class WithdrawalObserver : public chains::LogConsumer {
  public:
    using Clock = std::function<int64_t()>;  // milliseconds since the epoch

    // `ledger` is shared with the route's prover (none: a private one).
    WithdrawalObserver(std::string route, core::Store& store, core::Logger log, Clock clock = {},
                       std::shared_ptr<RouteLedger> ledger = nullptr);

    // The listener filter: MessagePassed of the L2ToL1MessagePasser predeploy.
    static chains::LogFilter filter();

    Status start();
    Status on_confirmed(uint64_t first_block, const chains::BlockRef& last,
                        const std::vector<chains::ConfirmedLog>& logs,
                        core::WriteBatch& batch) override;
    Status on_reorg(uint64_t first_orphaned, core::WriteBatch& batch) override;
    void on_committed() override;
    void on_abandoned() override;

    RouteCounts counts() const;
    // Called (on the listener's thread) after a batch with new withdrawals is committed.
    void set_notify(std::function<void()> notify) { notify_ = std::move(notify); }

  private:
    std::string route_;
    std::function<void()> notify_;
    bool staged_new_ = false;
    WithdrawalStore withdrawals_;
    core::Logger log_;
    Clock clock_;
    std::shared_ptr<RouteLedger> ledger_;
    std::unique_lock<std::mutex> held_;  // ledger_->mu from staging until commit/abandon
    std::optional<RouteCounts> staged_;  // adopted by on_committed
};

}  // namespace vigil::relayer
