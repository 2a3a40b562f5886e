#include "chains/listener.h"

#include <algorithm>
#include <cctype>
#include <chrono>

namespace vigil::chains {
namespace {

constexpr std::string_view kNamespace = "listener";
// Kept block hashes beyond the window, so that a sparse backfill still has an ancestor.
constexpr size_t kMinCheckpoints = 2;
// Committed steps during which the range stays below a size the node refused.
constexpr uint32_t kCeilingSteps = 32;

std::string encode_ref(const BlockRef& r) {
    return core::be_key(r.number) + std::string(r.hash.bytes.begin(), r.hash.bytes.end());
}

Result<BlockRef> decode_ref(std::string_view v) {
    if (v.size() != 40)
        return fail("listener: corrupt cursor record (" + std::to_string(v.size()) + " bytes)",
                    kListenerFatal);
    BlockRef r;
    r.number = *core::parse_be_key(v.substr(0, 8));
    std::copy(v.begin() + 8, v.end(), r.hash.bytes.begin());
    return r;
}

bool lower_contains(std::string s, std::initializer_list<const char*> needles) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const char* n : needles)
        if (s.find(n) != std::string::npos) return true;
    return false;
}

// Whether a failed eth_getLogs should be retried with a smaller block range. Providers
// word it differently: "query returned more than 10000 results", "block range is too
// large", "Log response size exceeded", "limit exceeded", or simply time out.
bool calls_for_smaller_range(const Error& e) {
    if (e.code == rpc::kTransport || e.code == rpc::kMalformed || e.code == rpc::kServerError)
        return true;
    return e.code == rpc::kRpcError &&
           lower_contains(e.message, {"too many", "more than", "range", "limit", "exceed",
                                      "too large", "size", "timeout", "timed out"});
}

}  // namespace

Result<std::vector<std::pair<std::string, BlockRef>>> stored_cursors(const core::Store& store,
                                                                     const std::string& chain) {
    std::vector<std::pair<std::string, BlockRef>> out;
    const std::string suffix = "/" + chain + "/cursor";
    Status scanned = store.scan(kNamespace, "", [&](std::string_view k, std::string_view v) {
        if (k.size() > suffix.size() && k.substr(k.size() - suffix.size()) == suffix) {
            auto ref = decode_ref(v);
            if (ref.ok())
                out.emplace_back(std::string(k.substr(0, k.size() - suffix.size())), *ref);
        }
        return true;
    });
    if (!scanned.ok()) return scanned.error();
    return out;
}

Listener::Listener(const core::ChainConfig& chain, std::string consumer_id, LogFilter filter,
                   rpc::RpcClient& rpc, core::Store& store, LogConsumer& consumer, core::Logger log)
    : chain_(chain),
      consumer_id_(std::move(consumer_id)),
      filter_(std::move(filter)),
      rpc_(rpc),
      store_(store),
      consumer_(consumer),
      log_(log.with("listener", chain.name)),
      range_(std::min<uint64_t>(chain.max_block_range, 1000)) {
    status_.chain = chain.name;
    status_.range = range_;
}

std::string Listener::key(std::string_view suffix) const {
    return consumer_id_ + "/" + chain_.name + "/" + std::string(suffix);
}

void Listener::set_error(const std::string& e) {
    std::lock_guard<std::mutex> lock(mu_);
    status_.last_error = e;
}

Status Listener::start() {
    VIGIL_TRY(auto stored, store_.get(kNamespace, key("cursor")));
    if (stored) {
        VIGIL_TRY(cursor_, decode_ref(*stored));
        log_.info("resuming", {{"cursor", cursor_->number}, {"hash", cursor_->hash.to_hex()}});
    } else if (chain_.start_block > 0) {
        // Start just before the configured block; its hash anchors the parent check.
        VIGIL_TRY(cursor_, block_ref(rpc_, chain_.start_block - 1));
        log_.info("starting", {{"from_block", chain_.start_block}});
    } else {
        log_.info("starting from genesis");
    }
    std::lock_guard<std::mutex> lock(mu_);
    status_.cursor = cursor_;
    return {};
}

Result<BlockRef> Listener::block_ref(rpc::RpcClient& rpc, uint64_t number,
                                     eth::Hash32* parent_hash) const {
    VIGIL_TRY(rpc::Json block, rpc.call("eth_getBlockByNumber",
                                        rpc::Json::array({eth::to_quantity(number), false})));
    if (block.is_null())
        return fail("chain " + chain_.name + ": block " + std::to_string(number) + " not found");
    BlockRef r;
    VIGIL_TRY(r.number, rpc::field_uint64(block, "number"));
    VIGIL_TRY(r.hash, rpc::field_hash(block, "hash"));
    if (r.number != number)
        return fail("chain " + chain_.name + ": asked for block " + std::to_string(number) +
                    ", got " + std::to_string(r.number));
    if (parent_hash) {
        VIGIL_TRY(*parent_hash, rpc::field_hash(block, "parentHash"));
    }
    return r;
}

Result<uint64_t> Listener::confirmed_height(uint64_t& head) {
    VIGIL_TRY(rpc::Json latest,
              rpc_.call("eth_getBlockByNumber", rpc::Json::array({"latest", false})));
    if (latest.is_null()) return fail("chain " + chain_.name + ": no latest block");
    VIGIL_TRY(head, rpc::field_uint64(latest, "number"));
    switch (chain_.finality.kind) {
        case core::Finality::Kind::confirmations:
            return head >= chain_.finality.confirmations ? head - chain_.finality.confirmations : 0;
        case core::Finality::Kind::safe:
        case core::Finality::Kind::finalized: {
            const char* tag =
                chain_.finality.kind == core::Finality::Kind::safe ? "safe" : "finalized";
            VIGIL_TRY(rpc::Json b,
                      rpc_.call("eth_getBlockByNumber", rpc::Json::array({tag, false})));
            if (b.is_null()) return uint64_t{0};
            VIGIL_TRY(uint64_t n, rpc::field_uint64(b, "number"));
            return std::min(n, head);
        }
    }
    return uint64_t{0};
}

Result<std::vector<ConfirmedLog>> Listener::fetch_logs(rpc::RpcClient& rpc, uint64_t from,
                                                       uint64_t to) const {
    rpc::Json filter = {{"fromBlock", eth::to_quantity(from)}, {"toBlock", eth::to_quantity(to)}};
    if (!filter_.addresses.empty()) {
        rpc::Json addrs = rpc::Json::array();
        for (const auto& a : filter_.addresses) addrs.push_back(a.to_hex());
        filter["address"] = addrs;
    }
    if (!filter_.topics.empty()) {
        rpc::Json topics = rpc::Json::array();
        for (const auto& position : filter_.topics) {
            if (position.empty()) {
                topics.push_back(nullptr);
                continue;
            }
            rpc::Json alts = rpc::Json::array();
            for (const auto& t : position) alts.push_back(t.to_hex());
            topics.push_back(alts);
        }
        filter["topics"] = topics;
    }
    // The answer is decoded straight from the body (simdjson, no JSON tree) when it is a
    // plain success, else by the tree parser that names the problem; either way a bad
    // answer is kMalformed and the client tries the next endpoint.
    std::vector<ConfirmedLog> logs;
    VIGIL_CHECK(rpc.call_raw("eth_getLogs", rpc::Json::array({filter}),
                             [&](std::string& body, uint64_t id) -> Status {
                                 if (rpc::parse_logs_answer_fast(body, id, logs)) return {};
                                 VIGIL_TRY(logs, rpc::parse_logs_answer(body, id));
                                 return {};
                             }));
    for (const ConfirmedLog& log : logs)
        if (log.block_number < from || log.block_number > to)
            return fail("chain " + chain_.name + ": eth_getLogs returned block " +
                            std::to_string(log.block_number) + " outside [" + std::to_string(from) +
                            ", " + std::to_string(to) + "]",
                        rpc::kMalformed);
    std::sort(logs.begin(), logs.end(), [](const ConfirmedLog& a, const ConfirmedLog& b) {
        return a.block_number != b.block_number ? a.block_number < b.block_number
                                                : a.log_index < b.log_index;
    });
    for (size_t i = 1; i < logs.size(); ++i) {
        const ConfirmedLog& p = logs[i - 1];
        const ConfirmedLog& c = logs[i];
        if (p.block_number == c.block_number &&
            (p.log_index == c.log_index || p.block_hash != c.block_hash))
            return fail("chain " + chain_.name + ": eth_getLogs answer is inconsistent in block " +
                            std::to_string(c.block_number),
                        rpc::kMalformed);
    }
    return logs;
}

Result<Listener::RangeRead> Listener::read_range(rpc::RpcClient& rpc, uint64_t from, uint64_t limit,
                                                 uint64_t range) const {
    RangeRead read;
    read.from = from;
    read.range = range;
    read.to = std::min(limit, from + range - 1);
    for (;;) {
        VIGIL_TRY(read.to_before, block_ref(rpc, read.to));
        auto fetched = fetch_logs(rpc, from, read.to);
        if (fetched.ok()) {
            read.logs = std::move(fetched).value();
            break;
        }
        if (!calls_for_smaller_range(fetched.error()) || read.to == from) return fetched.error();
        read.failed_range = read.to - from + 1;
        read.range = std::max<uint64_t>(1, read.failed_range / 2);
        read.to = from + read.range - 1;
    }
    VIGIL_CHECK(block_ref(rpc, from, &read.first_parent));
    VIGIL_TRY(read.to_after, block_ref(rpc, read.to));
    return read;
}

void Listener::start_prefetch(uint64_t from, uint64_t limit) {
    if (!prefetch_rpc_) prefetch_rpc_ = std::make_unique<rpc::RpcClient>(rpc_.options());
    prefetch_from_ = from;
    try {
        prefetch_ = std::async(std::launch::async, [this, from, limit, range = range_] {
            return read_range(*prefetch_rpc_, from, limit, range);
        });
    } catch (const std::system_error&) {
        prefetch_ = {};  // no thread to spare: the next step reads synchronously
    }
}

Listener::~Listener() {
    if (prefetch_.valid()) prefetch_.wait();
}

Result<Listener::StepResult> Listener::step() {
    const uint64_t next = cursor_ ? cursor_->number + 1 : chain_.start_block;
    // During a backfill the confirmed height is far ahead: ask for the head only when
    // the cursor has caught up with the last known confirmed height.
    uint64_t confirmed = known_confirmed_;
    if (next > known_confirmed_ || !cursor_) {
        uint64_t head = 0;
        VIGIL_TRY(confirmed, confirmed_height(head));
        known_confirmed_ = confirmed;
        std::lock_guard<std::mutex> lock(mu_);
        status_.head = head;
        status_.confirmed = confirmed;
    }
    if (next > confirmed || (cursor_ && cursor_->number >= confirmed)) {
        // Nothing new is confirmed; make sure what we committed is still canonical.
        if (cursor_) {
            VIGIL_TRY(BlockRef canonical, block_ref(rpc_, cursor_->number));
            if (canonical.hash != cursor_->hash) return handle_reorg("cursor block replaced");
        }
        return StepResult{false, true};
    }

    Result<RangeRead> got = fail("no read");
    if (prefetch_.valid()) {
        const uint64_t from = prefetch_from_;
        got = prefetch_.get();
        if (from != next || (got.ok() && got->to > confirmed)) got = fail("stale prefetch");
    }
    if (!got.ok()) got = read_range(rpc_, next, confirmed, range_);
    if (!got.ok()) return got.error();
    RangeRead read = std::move(got).value();
    if (read.range < range_) {
        range_ = read.range;
        log_.debug("shrank log range", {{"range", range_}});
    }
    if (read.failed_range > 0) {
        range_ceiling_ = std::max<uint64_t>(1, read.failed_range - 1);
        ceiling_steps_ = kCeilingSteps;
    }
    const uint64_t to = read.to;
    // Read the next range while this one is checked, handed over and committed.
    if (to < confirmed) start_prefetch(to + 1, confirmed);

    // The range must still be the one we read (its last block unchanged), and continue
    // the chain our cursor is on (the first block's parent is the cursor).
    const BlockRef& to_after = read.to_after;
    const std::vector<ConfirmedLog>& logs = read.logs;
    if (to_after.hash != read.to_before.hash) {
        log_.warn("range changed while read; retrying", {{"block", to}});
        return StepResult{false, false};
    }
    if (cursor_ && read.first_parent != cursor_->hash)
        return handle_reorg("parent of block " + std::to_string(next) + " is not the cursor");
    for (const ConfirmedLog& l : logs)
        if (l.block_number == to && l.block_hash != to_after.hash)
            return fail("chain " + chain_.name + ": log of block " + std::to_string(to) +
                            " has a foreign block hash",
                        rpc::kMalformed);

    core::WriteBatch batch;
    if (Status s = consumer_.on_confirmed(next, to_after, logs, batch); !s.ok()) {
        consumer_.on_abandoned();
        return s.error();
    }
    batch.put(kNamespace, key("cursor"), encode_ref(to_after));
    batch.put(kNamespace, key("cp/") + core::be_key(to_after.number),
              std::string(to_after.hash.bytes.begin(), to_after.hash.bytes.end()));
    // Forget block hashes older than the reorg window, keeping a minimum few.
    std::vector<uint64_t> checkpoints;
    if (Status s =
            store_.scan(kNamespace, key("cp/"),
                        [&](std::string_view k, std::string_view) {
                            checkpoints.push_back(*core::parse_be_key(k.substr(k.size() - 8)));
                            return true;
                        });
        !s.ok()) {
        consumer_.on_abandoned();
        return s.error();
    }
    checkpoints.push_back(to_after.number);
    if (checkpoints.size() > kMinCheckpoints) {
        const uint64_t keep_from =
            to_after.number > chain_.reorg_window ? to_after.number - chain_.reorg_window : 0;
        for (size_t i = 0; i + kMinCheckpoints < checkpoints.size(); ++i)
            if (checkpoints[i] < keep_from)
                batch.erase(kNamespace, key("cp/") + core::be_key(checkpoints[i]));
    }
    if (Status s = store_.commit(batch); !s.ok()) {
        consumer_.on_abandoned();
        return s.error();
    }
    consumer_.on_committed();

    cursor_ = to_after;
    uint64_t limit = chain_.max_block_range;
    if (ceiling_steps_ > 0) {
        limit = std::min(limit, range_ceiling_);
        --ceiling_steps_;
    }
    range_ = std::max<uint64_t>(
        1, std::min<uint64_t>(limit, range_ + std::max<uint64_t>(1, range_ / 2)));
    {
        std::lock_guard<std::mutex> lock(mu_);
        status_.cursor = cursor_;
        status_.range = range_;
        status_.logs += logs.size();
        status_.last_error.clear();
    }
    return StepResult{true, to == confirmed};
}

Result<Listener::StepResult> Listener::handle_reorg(const std::string& why) {
    if (prefetch_.valid()) prefetch_.wait();  // read from a chain that no longer is
    prefetch_ = {};
    known_confirmed_ = 0;
    std::vector<BlockRef> kept;
    VIGIL_CHECK(store_.scan(kNamespace, key("cp/"), [&](std::string_view k, std::string_view v) {
        BlockRef r;
        r.number = *core::parse_be_key(k.substr(k.size() - 8));
        if (v.size() == 32) std::copy(v.begin(), v.end(), r.hash.bytes.begin());
        kept.push_back(r);
        return true;
    }));
    std::optional<BlockRef> ancestor;
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
        VIGIL_TRY(BlockRef canonical, block_ref(rpc_, it->number));
        if (canonical.hash == it->hash) {
            ancestor = *it;
            break;
        }
    }
    const bool from_start = !ancestor && kept.empty();
    if (!ancestor && !from_start)
        return fail(
            "chain " + chain_.name + ": reorg deeper than the kept window of " +
                std::to_string(chain_.reorg_window) + " blocks (" + why + "; no kept block from " +
                std::to_string(kept.front().number) + " to " + std::to_string(kept.back().number) +
                " is canonical); stopping: inspect the chain and the endpoint before restarting",
            kListenerFatal);
    if (from_start && chain_.start_block > 0)
        return fail(
            "chain " + chain_.name + ": the block before start_block was replaced; stopping",
            kListenerFatal);
    const uint64_t first_orphaned = ancestor ? ancestor->number + 1 : chain_.start_block;
    core::WriteBatch batch;
    if (Status s = consumer_.on_reorg(first_orphaned, batch); !s.ok()) {
        consumer_.on_abandoned();
        return s.error();
    }
    for (const BlockRef& r : kept)
        if (!ancestor || r.number > ancestor->number)
            batch.erase(kNamespace, key("cp/") + core::be_key(r.number));
    if (ancestor)
        batch.put(kNamespace, key("cursor"), encode_ref(*ancestor));
    else
        batch.erase(kNamespace, key("cursor"));
    if (Status s = store_.commit(batch); !s.ok()) {
        consumer_.on_abandoned();
        return s.error();
    }
    consumer_.on_committed();
    log_.warn("reorg", {{"reason", why},
                        {"orphaned_from", first_orphaned},
                        {"old_cursor", cursor_ ? cursor_->number : 0},
                        {"ancestor", ancestor ? ancestor->number : 0}});
    cursor_ = ancestor;
    std::lock_guard<std::mutex> lock(mu_);
    status_.cursor = cursor_;
    status_.reorgs++;
    return StepResult{true, false};
}

Status Listener::run() {
    uint32_t failures = 0;
    while (!stop_) {
        auto r = step();
        std::chrono::milliseconds wait{0};
        if (!r.ok()) {
            if (r.error().code == kListenerFatal) {
                log_.error("listener stopped", {{"error", r.error().message}});
                set_error(r.error().message);
                return r.error();
            }
            set_error(r.error().message);
            log_.warn("step failed; will retry",
                      {{"error", r.error().message}, {"failures", failures + 1}});
            ++failures;
            wait = std::chrono::milliseconds(std::min<uint64_t>(
                chain_.poll_interval_ms << std::min<uint32_t>(failures, 5), 30000));
        } else {
            failures = 0;
            if (r->caught_up) wait = std::chrono::milliseconds(chain_.poll_interval_ms);
        }
        if (wait.count() > 0) {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait_for(lock, wait, [&] { return wake_ || stop_.load(); });
            wake_ = false;
        }
    }
    return {};
}

void Listener::request_stop() {
    stop_ = true;
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
}

void Listener::notify_head() {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
    cv_.notify_all();
}

ListenerStatus Listener::status() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
}

}  // namespace vigil::chains
