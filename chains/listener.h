// Listener: follows one chain and turns it into an ordered stream of *confirmed* logs,
// exactly once across restarts and reorgs.
//
// Each step reads the confirmed height (head - confirmations, or the safe/finalized
// tag), fetches the logs of the next block range with eth_getLogs (the range adapts:
// halved on "too many results"/"range too large"/timeouts, grown again on success),
// checks that the range is on the same chain as the cursor (parent hash) and did not
// change while it was read (the range's last block hash before and after), then hands
// the logs to its consumer, which adds its derived state to a WriteBatch that the
// listener commits together with the new cursor (one synced LevelDB batch). A crash at
// any point therefore replays from the last commit: nothing skipped, nothing repeated.
//
// Reorgs: the hashes of recently committed blocks are kept in the store. When the
// cursor's block is no longer canonical, the listener walks back to the newest kept
// block that still is (the common ancestor), tells the consumer which blocks were
// orphaned (on_reorg, in the same batch that rolls the cursor back) and continues from
// there. A reorg deeper than the kept window stops the listener with a fatal error.
//
// Thread-safety: step() and run() from one thread; notify_head(), request_stop() and
// status() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/rpc/http_client.h"
#include "chains/rpc/logs_answer.h"
#include "core/config.h"
#include "core/log.h"
#include "core/store.h"

namespace vigil::chains {

struct LogFilter {
    std::vector<eth::Address> addresses;           // empty: any address
    std::vector<std::vector<eth::Hash32>> topics;  // per position, OR-ed; empty: any
};

struct BlockRef {
    uint64_t number = 0;
    eth::Hash32 hash;
    friend bool operator==(const BlockRef&, const BlockRef&) = default;
};

// A confirmed log: every position field of an eth_getLogs entry, checked.
using ConfirmedLog = rpc::LogEntry;

// What a listener feeds. Both calls add writes to `batch`, which the listener commits
// with its cursor; returning an error aborts the batch (nothing is committed) and the
// same input is offered again later.
class LogConsumer {
  public:
    virtual ~LogConsumer() = default;
    // The logs of confirmed blocks [first_block, last.number], in chain order (by block,
    // then log index). Called also for ranges without logs, so the consumer can track
    // its confirmed height.
    virtual Status on_confirmed(uint64_t first_block, const BlockRef& last,
                                const std::vector<ConfirmedLog>& logs, core::WriteBatch& batch) = 0;
    // Blocks from `first_orphaned` on were replaced by a reorg: drop what was derived
    // from them. Their replacements will be offered through on_confirmed.
    virtual Status on_reorg(uint64_t first_orphaned, core::WriteBatch& batch) = 0;
    // The batch of the last on_confirmed/on_reorg call is durable: act on what it
    // decided (send, notify, publish metrics). Not called when the commit failed; the
    // same input is then offered again.
    virtual void on_committed() {}
    // The batch of the last on_confirmed/on_reorg call will not be committed (that call,
    // the rest of the step or the commit failed): forget what was staged. The same input
    // is offered again.
    virtual void on_abandoned() {}
};

struct ListenerStatus {
    std::string chain;
    uint64_t head = 0;       // latest block seen
    uint64_t confirmed = 0;  // confirmed height
    std::optional<BlockRef> cursor;
    uint64_t range = 0;  // current eth_getLogs block range
    uint64_t reorgs = 0;
    uint64_t logs = 0;  // confirmed logs emitted since start
    std::string last_error;
};

// Error::code of a condition that must stop the listener (a deep reorg, a corrupt
// cursor); other step errors are transient and retried by run().
inline constexpr int kListenerFatal = 2001;

class Listener {
  public:
    // `consumer_id` names the cursor (several consumers may follow one chain, each with
    // its own listener and cursor). All references must outlive the listener.
    Listener(const core::ChainConfig& chain, std::string consumer_id, LogFilter filter,
             rpc::RpcClient& rpc, core::Store& store, LogConsumer& consumer, core::Logger log);

    // Loads the cursor (or places it before the configured start block).
    Status start();

    struct StepResult {
        bool advanced = false;   // committed a range or handled a reorg
        bool caught_up = false;  // the cursor is at the confirmed height
    };
    // One unit of work. A transient error leaves everything as it was.
    Result<StepResult> step();

    // Steps until request_stop(); waits poll_interval (or a notify_head()) when caught
    // up, backs off on transient errors. Returns only on stop or a fatal error.
    Status run();
    void request_stop();
    // A new head is known (e.g. from a WebSocket subscription): step now.
    void notify_head();

    ListenerStatus status() const;

    ~Listener();

  private:
    // One block range read from the node: its logs, the hash of its last block before
    // and after the logs were read, and its first block's parent hash.
    struct RangeRead {
        uint64_t from = 0, to = 0;
        BlockRef to_before, to_after;
        eth::Hash32 first_parent;
        std::vector<ConfirmedLog> logs;
        uint64_t range = 0;         // the range size that worked (after any shrinking)
        uint64_t failed_range = 0;  // the last size refused as too large (0: none)
    };
    // Reads [from, at most from + range - 1 (and <= limit)], shrinking the range on
    // "too many results"-like errors. Uses only `rpc` and constant members, so it can
    // run on the prefetch thread with the prefetch client.
    Result<RangeRead> read_range(rpc::RpcClient& rpc, uint64_t from, uint64_t limit,
                                 uint64_t range) const;
    Result<uint64_t> confirmed_height(uint64_t& head);
    Result<BlockRef> block_ref(rpc::RpcClient& rpc, uint64_t number,
                               eth::Hash32* parent_hash = nullptr) const;
    Result<std::vector<ConfirmedLog>> fetch_logs(rpc::RpcClient& rpc, uint64_t from,
                                                 uint64_t to) const;
    void start_prefetch(uint64_t from, uint64_t limit);
    Result<StepResult> handle_reorg(const std::string& why);
    std::string key(std::string_view suffix) const;
    void set_error(const std::string& e);

    const core::ChainConfig& chain_;
    std::string consumer_id_;
    LogFilter filter_;
    rpc::RpcClient& rpc_;
    core::Store& store_;
    LogConsumer& consumer_;
    core::Logger log_;

    std::optional<BlockRef> cursor_;
    uint64_t range_;
    uint64_t known_confirmed_ = 0;  // confirmed height at the last head check
    // After a range was refused as too large, growth stays below it for a while instead
    // of probing the node's limit on every other request.
    uint64_t range_ceiling_ = 0;
    uint32_t ceiling_steps_ = 0;

    // While a range is being processed and committed, the next one is read on another
    // thread with its own client (RpcClient is single-threaded), so the node's time and
    // ours overlap during a backfill.
    std::unique_ptr<rpc::RpcClient> prefetch_rpc_;
    std::future<Result<RangeRead>> prefetch_;
    uint64_t prefetch_from_ = 0;

    mutable std::mutex mu_;  // guards status_, wake_
    std::condition_variable cv_;
    bool wake_ = false;
    std::atomic<bool> stop_{false};
    ListenerStatus status_;
};

// The cursors committed for `chain`, by consumer id (for status and tools).
Result<std::vector<std::pair<std::string, BlockRef>>> stored_cursors(const core::Store& store,
                                                                     const std::string& chain);

// Parses one eth_getLogs entry.
inline Result<ConfirmedLog> parse_log(const rpc::Json& entry) {
    return rpc::parse_log_entry(entry);
}

}  // namespace vigil::chains
