#include "verifier/chain_reexecutor.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>
#include <vector>

#include "chains/chain_clients.h"
#include "chains/eth/opstack.h"

namespace vigil::verifier {
namespace {

constexpr std::string_view kNs = "reexec";
// A block's record: state root ‖ message passer storage root ‖ block hash.
constexpr size_t kRecordSize = 96;

int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// "number hash anchor [header]": the header's RLP (hex) when Vigil computed it.
std::string encode_tip(uint64_t number, const eth::Hash32& hash, const eth::Hash32& anchor,
                       const std::optional<eth::BlockHeader>& header) {
    std::string out = std::to_string(number);
    for (const std::string& field : {hash.to_hex(), anchor.to_hex()}) out.append(" ").append(field);
    if (header) out.append(" ").append(eth::to_hex(header->encode()));
    return out;
}

struct StoredTip {
    uint64_t number = 0;
    eth::Hash32 hash;
    eth::Hash32 anchor;
    std::optional<eth::BlockHeader> header;
};

Result<StoredTip> decode_tip(const std::string& text) {
    std::istringstream in(text);
    std::string number, hash, anchor;
    if (!(in >> number >> hash >> anchor)) return fail("malformed re-execution tip '" + text + "'");
    StoredTip t;
    try {
        size_t used = 0;
        t.number = std::stoull(number, &used);
        if (used != number.size()) return fail("malformed re-execution tip number");
    } catch (const std::exception&) {
        return fail("malformed re-execution tip number");
    }
    VIGIL_TRY(t.hash, eth::Hash32::from_hex(hash));
    VIGIL_TRY(t.anchor, eth::Hash32::from_hex(anchor));
    std::string header;
    if (in >> header) {
        VIGIL_TRY(eth::Bytes rlp, eth::from_hex(header));
        VIGIL_TRY(eth::BlockHeader h, eth::BlockHeader::decode(rlp));
        if (h.hash() != t.hash)
            return fail("re-execution tip: the header does not hash to the tip");
        t.header = std::move(h);
    }
    return t;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

Result<evm::ChainRules> ChainReexecutor::rules_for(const core::RollupConfig& rollup,
                                                   const core::ChainConfig& l2) {
    const std::string where = "rollup " + rollup.name + ": reexecute: ";
    evm::ChainRules rules;
    rules.chain_id = l2.chain_id;
    if (!rollup.reexecute || rollup.reexecute->rules != "op-stack") return rules;
    const core::ReexecuteConfig& rc = *rollup.reexecute;
    if (!rc.rollup_config) return fail(where + "rules: op-stack needs rollup_config");
    if (!std::filesystem::exists(*rc.rollup_config))
        return fail(where + "rollup_config " + rc.rollup_config->string() + " does not exist");
    auto parsed = evm::chain_rules_from_rollup_config(read_file(*rc.rollup_config));
    if (!parsed)
        return fail(where + "rollup_config " + rc.rollup_config->string() + ": " +
                    parsed.error().message);
    if (parsed->chain_id != l2.chain_id)
        return fail(where + "rollup_config is for chain " + std::to_string(parsed->chain_id) +
                    ", the L2 chain " + l2.name + " is " + std::to_string(l2.chain_id));
    return parsed;
}

Result<ChainReexecutor::Options> ChainReexecutor::options_for(const core::RollupConfig& rollup,
                                                              const core::ChainConfig& l2) {
    const std::string where = "rollup " + rollup.name + ": reexecute: ";
    if (!rollup.reexecute) return fail(where + "missing (needed by mode: reexecute)");
    const core::ReexecuteConfig& rc = *rollup.reexecute;
    Options o;
    o.safety = l2.finality;
    o.retain_blocks = rc.retain_blocks;
    o.prefetch = static_cast<size_t>(rc.prefetch);
    VIGIL_TRY(o.witness, parse_witness_method(rc.witness));
    VIGIL_TRY(o.rules, rules_for(rollup, l2));
    if (!rc.anchor_block || !rc.anchor_hash)
        return fail(where + "anchor (l2_block, block_hash) missing");
    o.anchor_block = *rc.anchor_block;
    o.anchor_hash = *rc.anchor_hash;
    // The prefetch workers share the chain's rate limit (the main client's own calls are
    // few: the settled height, and what execution shows missing).
    rpc::RpcClientOptions worker = chains::rpc_options(l2);
    if (worker.requests_per_second > 0)
        worker.requests_per_second /= static_cast<double>(std::max<size_t>(o.prefetch, 1));
    o.make_client = [worker]() {
        auto c = std::make_unique<rpc::RpcClient>(worker);
        (void)c->connect();  // a failure shows as the worker's fetch error, retried
        return c;
    };
    return o;
}

ChainReexecutor::ChainReexecutor(std::string rollup, rpc::RpcClient& l2, core::Store& store,
                                 Options options, core::Logger log, prometheus::Registry* registry)
    : rollup_(std::move(rollup)),
      l2_(l2),
      store_(store),
      options_(std::move(options)),
      log_(std::move(log)) {
    status_.anchor = options_.anchor_block;
    status_.tip = options_.anchor_block;
    status_.tip_hash = options_.anchor_hash;
    if (!registry) return;
    const std::map<std::string, std::string> labels{{"rollup", rollup_}};
    tip_gauge_ = &prometheus::BuildGauge()
                      .Name("vigil_reexec_tip_l2_block")
                      .Help("The last L2 block Vigil re-executed itself (mode: reexecute)")
                      .Register(*registry)
                      .Add(labels);
    stuck_gauge_ = &prometheus::BuildGauge()
                        .Name("vigil_reexec_stuck")
                        .Help("1 while an L2 block cannot be re-executed (see the logs)")
                        .Register(*registry)
                        .Add(labels);
    blocks_counter_ = &prometheus::BuildCounter()
                           .Name("vigil_reexec_blocks_total")
                           .Help("L2 blocks re-executed with Vigil's own EVM")
                           .Register(*registry)
                           .Add(labels);
    gas_counter_ = &prometheus::BuildCounter()
                        .Name("vigil_reexec_gas_total")
                        .Help("Gas of the L2 blocks re-executed")
                        .Register(*registry)
                        .Add(labels);
    mismatch_counter_ =
        &prometheus::BuildCounter()
             .Name("vigil_reexec_node_mismatches_total")
             .Help("L2 blocks whose node header disagrees with Vigil's re-execution")
             .Register(*registry)
             .Add(labels);
}

std::string ChainReexecutor::block_key(uint64_t n) const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(n));
    return rollup_ + "/b/" + buf;
}

Status ChainReexecutor::start() {
    VIGIL_TRY(auto stored, store_.get(kNs, rollup_ + "/tip"));
    std::lock_guard<std::mutex> lock(mu_);
    if (stored) {
        auto tip = decode_tip(*stored);
        if (!tip) return fail("rollup " + rollup_ + ": " + tip.error().message);
        if (tip->anchor == options_.anchor_hash && tip->number >= options_.anchor_block) {
            status_.tip = tip->number;
            status_.tip_hash = tip->hash;
            tip_header_ = tip->header;
        } else {
            log_.warn("re-execution anchor changed: starting again from the configured anchor",
                      {{"rollup", rollup_},
                       {"anchor", options_.anchor_block},
                       {"previous_tip", tip->number}});
        }
    }
    if (tip_gauge_) tip_gauge_->Set(static_cast<double>(status_.tip));
    log_.info("re-execution resumes",
              {{"rollup", rollup_}, {"tip", status_.tip}, {"anchor", options_.anchor_block}});
    return {};
}

Result<uint64_t> ChainReexecutor::node_settled() {
    OutputRootSource settled(l2_, options_.safety);
    return settled.settled_height();
}

Status ChainReexecutor::commit(core::WriteBatch& batch, uint64_t tip, const eth::Hash32& tip_hash) {
    batch.put(kNs, rollup_ + "/tip", encode_tip(tip, tip_hash, options_.anchor_hash, tip_header_));
    return store_.commit(batch);
}

void ChainReexecutor::set_stuck(uint64_t block, const std::string& reason) {
    bool fresh = false;
    {
        std::lock_guard<std::mutex> lock(mu_);
        fresh = status_.stuck_block != block || status_.stuck_reason != reason;
        status_.stuck_block = block;
        status_.stuck_reason = reason;
    }
    if (stuck_gauge_) stuck_gauge_->Set(1);
    if (fresh)
        log_.error("L2 block cannot be re-executed: proposals from it on are unverifiable",
                   {{"rollup", rollup_}, {"l2_block", block}, {"reason", reason}});
}

Result<uint64_t> ChainReexecutor::step() {
    VIGIL_TRY(uint64_t settled, node_settled());
    uint64_t tip;
    eth::Hash32 tip_hash;
    {
        std::lock_guard<std::mutex> lock(mu_);
        tip = status_.tip;
        tip_hash = status_.tip_hash;
    }
    ReexecuteOptions ro;
    ro.rules = options_.rules;
    ro.witness = options_.witness;
    uint64_t done = 0;
    uint64_t staged = 0;
    core::WriteBatch batch;
    // Makes the staged blocks durable and visible, in that order.
    auto publish = [&]() -> Status {
        if (staged == 0) return {};
        VIGIL_CHECK(commit(batch, tip, tip_hash));
        batch = core::WriteBatch();
        staged = 0;
        std::lock_guard<std::mutex> lock(mu_);
        status_.tip = tip;
        status_.tip_hash = tip_hash;
        if (tip_gauge_) tip_gauge_->Set(static_cast<double>(tip));
        return {};
    };
    while (tip < settled) {
        // Fetch a window of blocks ahead in parallel (each worker its own client), then
        // check them in order: the witness fetch is most of the time, and needs no trust.
        const uint64_t window =
            options_.make_client
                ? std::min<uint64_t>(std::max<size_t>(options_.prefetch, 1), settled - tip)
                : 1;
        std::vector<std::future<Result<FetchedBlock>>> ahead;
        if (window > 1) {
            while (workers_.size() < window) workers_.push_back(options_.make_client());
            for (uint64_t i = 0; i < window; ++i) {
                rpc::RpcClient* worker = workers_[i].get();
                // Every block but the first has its parent computed by then.
                const bool known = i > 0 || tip_header_.has_value();
                ahead.push_back(
                    std::async(std::launch::async, [worker, n = tip + 1 + i, ro, known]() {
                        return fetch_block(*worker, n, ro, known);
                    }));
            }
        }
        bool window_ok = true;
        for (uint64_t i = 0; i < window && window_ok; ++i) {
            const uint64_t n = tip + 1;
            Result<FetchedBlock> fetched =
                ahead.empty() ? fetch_block(l2_, n, ro, tip_header_.has_value()) : ahead[i].get();
            Result<BlockCheck> check =
                fetched ? check_fetched(l2_, std::move(fetched).value(), tip_hash, ro,
                                        tip_header_ ? &*tip_header_ : nullptr)
                        : Result<BlockCheck>(fetched.error());
            if (!check) {
                window_ok = false;
                VIGIL_CHECK(publish());
                const int code = check.error().code;
                if (code == kNotYet) break;
                // A fetch ahead that failed for its own reasons (the worker's endpoint) is not
                // the block's fault: the next round fetches it again.
                if (i > 0 && code != kUnverifiable && code != kBlockInvalid) break;
                if (code == kUnverifiable || code == kBlockInvalid) {
                    set_stuck(n, check.error().message);
                    return done;
                }
                return check.error();
            }
            if (ro.witness == WitnessMethod::automatic && check->witness_method == "prestate") {
                // The node refused debug_executionWitness: do not ask it again every block.
                ro.witness = options_.witness = WitnessMethod::prestate;
                log_.info(
                    "the L2 node serves no debug_executionWitness: witnesses come from its "
                    "prestate tracer and eth_getProof",
                    {{"rollup", rollup_}});
            }
            if (!check->matches()) {
                std::string fields;
                for (const auto& f : check->mismatches) fields += (fields.empty() ? "" : ",") + f;
                log_.error("the L2 node's header disagrees with Vigil's re-execution",
                           {{"rollup", rollup_},
                            {"l2_block", n},
                            {"fields", fields},
                            {"node_state_root", check->node_header.state_root.to_hex()},
                            {"computed_state_root", check->header.state_root.to_hex()}});
                if (mismatch_counter_) mismatch_counter_->Increment();
                std::lock_guard<std::mutex> lock(mu_);
                status_.mismatches++;
            }
            std::string record;
            record.reserve(kRecordSize);
            for (const eth::Hash32* h : {&check->header.state_root,
                                         &check->message_passer_storage_root, &check->block_hash})
                record.append(reinterpret_cast<const char*>(h->data()), h->size());
            batch.put(kNs, block_key(n), record);
            if (n > options_.retain_blocks) batch.erase(kNs, block_key(n - options_.retain_blocks));
            tip = n;
            tip_hash = check->block_hash;
            tip_header_ = check->header;
            ++done;
            ++staged;
            {
                std::lock_guard<std::mutex> lock(mu_);
                status_.blocks++;
                status_.gas += check->header.gas_used;
                if (status_.stuck_block && *status_.stuck_block <= n) {
                    status_.stuck_block.reset();
                    status_.stuck_reason.clear();
                    if (stuck_gauge_) stuck_gauge_->Set(0);
                }
            }
            if (blocks_counter_) blocks_counter_->Increment();
            if (gas_counter_) gas_counter_->Increment(static_cast<double>(check->header.gas_used));
            if (staged >= options_.blocks_per_commit) VIGIL_CHECK(publish());
        }
        if (!window_ok) break;
    }
    VIGIL_CHECK(publish());
    return done;
}

void ChainReexecutor::run(const std::atomic<bool>& stop) {
    while (!stop.load()) {
        auto r = step();
        int64_t pause = options_.poll_ms;
        if (!r) {
            const int64_t now = steady_ms();
            if (now - last_transport_log_ms_ > 10'000) {
                last_transport_log_ms_ = now;
                log_.warn("cannot reach the L2 node; re-execution waits",
                          {{"rollup", rollup_}, {"error", r.error().message}});
            }
        } else if (status().stuck_block) {
            pause = options_.retry_ms;
        } else if (*r > 0) {
            continue;  // more may have settled meanwhile
        }
        for (int64_t slept = 0; slept < pause && !stop.load(); slept += 50)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

Result<uint64_t> ChainReexecutor::settled_height() {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.stuck_block) return UINT64_MAX;
    return status_.tip;
}

Result<OutputRootInputs> ChainReexecutor::compute(uint64_t l2_block, uint64_t /*settled*/) {
    const std::string where = "L2 block " + std::to_string(l2_block) + ": ";
    uint64_t tip;
    {
        std::lock_guard<std::mutex> lock(mu_);
        tip = status_.tip;
        if (l2_block > tip) {
            if (status_.stuck_block && l2_block >= *status_.stuck_block)
                return fail(where + "re-execution is stuck at block " +
                                std::to_string(*status_.stuck_block) + ": " + status_.stuck_reason,
                            kUnverifiable);
            return fail(where + "not re-executed yet (at " + std::to_string(tip) + ")", kNotYet);
        }
    }
    if (l2_block <= options_.anchor_block)
        return fail(where + "at or before the re-execution anchor (block " +
                        std::to_string(options_.anchor_block) + "): Vigil has not executed it",
                    kUnverifiable);
    VIGIL_TRY(auto stored, store_.get(kNs, block_key(l2_block)));
    if (!stored)
        return fail(where + "older than the retained re-execution results (retain_blocks " +
                        std::to_string(options_.retain_blocks) + ")",
                    kUnverifiable);
    if (stored->size() != kRecordSize)
        return fail(where + "corrupt re-execution record (" + std::to_string(stored->size()) +
                    " bytes)");
    OutputRootInputs in;
    in.l2_block = l2_block;
    const auto* bytes = reinterpret_cast<const uint8_t*>(stored->data());
    std::copy(bytes, bytes + 32, in.state_root.data());
    std::copy(bytes + 32, bytes + 64, in.message_passer_storage_root.data());
    std::copy(bytes + 64, bytes + 96, in.block_hash.data());
    in.output_root =
        eth::opstack::output_root_v0(in.state_root, in.message_passer_storage_root, in.block_hash);
    return in;
}

Result<std::optional<std::pair<uint64_t, eth::Hash32>>> ChainReexecutor::load_tip(
    const core::Store& store, std::string_view rollup) {
    VIGIL_TRY(auto stored, store.get(kNs, std::string(rollup) + "/tip"));
    if (!stored) return std::optional<std::pair<uint64_t, eth::Hash32>>();
    auto tip = decode_tip(*stored);
    if (!tip) return fail("rollup " + std::string(rollup) + ": " + tip.error().message);
    return std::optional<std::pair<uint64_t, eth::Hash32>>(std::make_pair(tip->number, tip->hash));
}

ReexecutorStatus ChainReexecutor::status() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
}

}  // namespace vigil::verifier
