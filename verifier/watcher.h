// ProposalWatcher: judges every output-root proposal a rollup posts on L1.
//
// It is the LogConsumer of an L1 listener filtered on the rollup's DisputeGameFactory
// (DisputeGameCreated). For each new game of a watched type it reads the game's root
// claim and L2 block number (at the block of the event), records the proposal as
// pending in the same batch as the listener's cursor, and judges it against the output
// root recomputed from proved L2 data (OutputRootSource):
//
//   valid         the claim equals the recomputed root;
//   invalid       it differs: an error log, an alarm (webhook) staged in the same batch,
//                 and, when the rollup says `challenge: true`, a challenge marked due;
//   unverifiable  the L2 node's answers failed their proofs: an alarm about the endpoint,
//                 never a verdict about the proposal; re-examined after a while;
//   pending       the L2 node has not reached the block at its safety level: re-examined
//                 on every new L1 block.
//
// Everything a batch decides is acted upon only once the batch is durable
// (on_committed): due challenges are handed to the challenger (idempotent per game, so
// a crash between the commit and the send repeats nothing), alarms are delivered by the
// outbox, metrics are published. A proposal is therefore judged once and challenged at
// most once, across crashes and restarts.
//
// Thread-safety: runs on its listener's thread; stats() from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "chains/listener.h"
#include "chains/rpc/http_client.h"
#include "core/config.h"
#include "core/log.h"
#include "core/store.h"
#include "verifier/output_root.h"
#include "verifier/verdicts.h"

namespace vigil::verifier {

// Per-rollup counters, persisted with the verdicts (for `vigil status`).
struct RollupStats {
    std::string rollup;
    uint64_t proposals = 0;  // seen (of the watched game types)
    uint64_t pending = 0;
    uint64_t valid = 0;
    uint64_t invalid = 0;
    uint64_t unverifiable = 0;
    uint64_t challenges = 0;          // challenge transactions handed to the challenger
    uint64_t latest_proposed_l2 = 0;  // highest L2 block of a proposal seen
    uint64_t latest_verified_l2 = 0;  // highest L2 block of a valid verdict
    uint64_t l1_block = 0;            // the L1 block the watcher has judged up to
    std::string last_unverifiable;    // why the L2 data last failed its proofs
};
std::string encode_stats(const RollupStats& stats);
Result<RollupStats> decode_stats(std::string_view text);
// The persisted stats of `rollup` (zeros when it never ran).
Result<RollupStats> load_stats(const core::Store& store, std::string_view rollup);

// The metric families of the verifier, built once per registry.
struct VerifierMetrics {
    explicit VerifierMetrics(prometheus::Registry& registry);
    prometheus::Family<prometheus::Counter>& proposals;      // {rollup, verdict}
    prometheus::Family<prometheus::Counter>& invalid;        // {rollup}
    prometheus::Family<prometheus::Counter>& unverifiable;   // {rollup}
    prometheus::Family<prometheus::Counter>& challenges;     // {rollup, result}
    prometheus::Family<prometheus::Gauge>& latest_verified;  // {rollup}
    prometheus::Family<prometheus::Gauge>& open;             // {rollup}
    prometheus::Family<prometheus::Gauge>& verdicts;         // {rollup, verdict}: persisted totals
    prometheus::Family<prometheus::Histogram>& latency;      // {rollup}: proposal -> verdict
};

// What the watcher hands on; each may be empty.
struct WatcherHooks {
    // Remember a new proposal for resolution (staged with the cursor).
    std::function<void(const Proposal&, core::WriteBatch&)> track;
    // Send the challenge of an invalid game (idempotent per game). An error is retried
    // on a later block.
    std::function<Status(const VerdictRecord&)> challenge;
    // Stage an alarm (JSON) for delivery, and wake the deliverer after a commit.
    std::function<void(const std::string& json, core::WriteBatch&)> stage_alarm;
    std::function<void()> alarms_committed;
    // Background work after each commit (game resolution, receipts); errors are logged
    // by the callee.
    std::function<void()> after_commit;
};

// Error::code of a proposal the watcher cannot record (a game that answers nonsense).
inline constexpr int kBadGame = 4101;

class ProposalWatcher : public chains::LogConsumer {
  public:
    using Clock = std::function<int64_t()>;  // milliseconds since the epoch

    struct Options {
        // An unverifiable record is re-examined after this long.
        int64_t unverifiable_retry_ms = 30'000;
        // At most this many open records are re-examined per L1 block.
        size_t max_rejudge_per_block = 512;
    };

    // `l1` and `l2` are used on the listener's thread only.
    ProposalWatcher(const core::RollupConfig& rollup, rpc::RpcClient& l1, rpc::RpcClient& l2,
                    core::Finality l2_safety, core::Store& store, WatcherHooks hooks,
                    std::shared_ptr<VerifierMetrics> metrics, core::Logger log, Options options,
                    Clock clock = {});

    // The listener filter: the factory's DisputeGameCreated events.
    static chains::LogFilter filter(const core::RollupConfig& rollup);

    // Judge with `source` (not owned; outlives the watcher) instead of recomputing from
    // the L2 node (mode: reexecute). Before start().
    void use_source(RootSource& source) { source_ = &source; }

    Status start();

    Status on_confirmed(uint64_t first_block, const chains::BlockRef& last,
                        const std::vector<chains::ConfirmedLog>& logs,
                        core::WriteBatch& batch) override;
    Status on_reorg(uint64_t first_orphaned, core::WriteBatch& batch) override;
    void on_committed() override;

    RollupStats stats() const;

  private:
    struct Event {  // a decision to publish once committed
        Verdict verdict;
        bool fresh_unverifiable = false;
        int64_t latency_ms = -1;
    };
    Result<std::vector<Proposal>> proposals_in(const std::vector<chains::ConfirmedLog>& logs);
    // Judges `record` (pending or unverifiable) if it can be; true when it changed.
    bool judge(VerdictRecord& record, std::optional<uint64_t> settled, RollupStats& stats);
    void stage(const VerdictRecord& record, Verdict before, RollupStats& stats,
               core::WriteBatch& batch);
    std::string alarm_json(const VerdictRecord& record) const;
    void run_due_challenges();
    void publish_stats(const RollupStats& stats);
    std::string key(std::string_view suffix) const;

    const core::RollupConfig& rollup_;
    rpc::RpcClient& l1_;
    OutputRootSource recompute_;
    RootSource* source_ = &recompute_;
    core::Store& store_;
    VerdictStore verdicts_;
    WatcherHooks hooks_;
    std::shared_ptr<VerifierMetrics> metrics_;
    core::Logger log_;
    Options options_;
    Clock clock_;

    mutable std::mutex mu_;  // guards stats_
    RollupStats stats_;      // as committed
    // Staged by the last on_confirmed/on_reorg, adopted by on_committed.
    std::optional<RollupStats> staged_stats_;
    std::vector<Event> staged_events_;
    bool staged_alarms_ = false;
    bool staged_due_ = false;
    bool due_left_ = true;  // challenges may be due from an earlier run
    int64_t last_l2_error_log_ms_ = 0;
};

}  // namespace vigil::verifier
