// `vigil status --config FILE [--json]`: per chain, the head, the confirmed height, each
// consumer's cursor and lag, and the health of every endpoint.
#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>

#include "chains/listener.h"
#include "chains/rpc/http_client.h"
#include "cmd/vigil/admin_client.h"
#include "cmd/vigil/commands.h"
#include "core/config.h"
#include "core/store.h"
#include "relayer/withdrawals.h"
#include "verifier/chain_reexecutor.h"
#include "verifier/watcher.h"

namespace vigil::cmd {
namespace {

struct ChainReport {
    std::string name;
    uint64_t chain_id = 0;
    std::optional<uint64_t> head, confirmed;
    std::string error;
    std::vector<std::pair<std::string, chains::BlockRef>> cursors;
    std::vector<rpc::EndpointStatus> endpoints;
};

Result<uint64_t> block_number(rpc::RpcClient& rpc, const char* tag) {
    VIGIL_TRY(rpc::Json b, rpc.call("eth_getBlockByNumber", rpc::Json::array({tag, false})));
    if (b.is_null()) return uint64_t{0};
    return rpc::field_uint64(b, "number");
}

ChainReport inspect(const core::ChainConfig& c, const core::Store* store) {
    ChainReport r;
    r.name = c.name;
    r.chain_id = c.chain_id;
    rpc::RpcClientOptions o;
    o.chain = c.name;
    o.urls = c.rpc;
    o.expected_chain_id = c.chain_id;
    o.timeout = std::chrono::milliseconds(std::min<uint64_t>(c.request_timeout_ms, 5000));
    o.max_attempts = 2;
    rpc::RpcClient client(o);
    if (Status s = client.connect(); !s.ok()) {
        r.error = s.error().message;
    } else if (auto head = block_number(client, "latest"); head.ok()) {
        r.head = *head;
        switch (c.finality.kind) {
            case core::Finality::Kind::confirmations:
                r.confirmed =
                    *head >= c.finality.confirmations ? *head - c.finality.confirmations : 0;
                break;
            case core::Finality::Kind::safe:
            case core::Finality::Kind::finalized: {
                auto tagged = block_number(
                    client, c.finality.kind == core::Finality::Kind::safe ? "safe" : "finalized");
                if (tagged.ok())
                    r.confirmed = *tagged;
                else
                    r.error = tagged.error().message;
                break;
            }
        }
    } else {
        r.error = head.error().message;
    }
    r.endpoints = client.status();
    if (store) {
        auto cursors = chains::stored_cursors(*store, c.name);
        if (cursors.ok()) r.cursors = *cursors;
    }
    return r;
}

}  // namespace

int run_status(const std::vector<std::string>& args) {
    bool json = false;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--help" || args[i] == "-h") {
            std::cout << "usage: vigil status --config FILE [--json]\n"
                         "  Per chain: head, confirmed height, each consumer's cursor and lag, "
                         "endpoint health.\n";
            return 0;
        }
        if (args[i] == "--json")
            json = true;
        else if (args[i] == "--config")
            ++i;
        else {
            std::cerr << "vigil status: unexpected argument '" << args[i] << "'\n";
            return 1;
        }
    }
    auto path = config_path_from(args);
    if (!path) {
        std::cerr << "vigil status: no config given (--config FILE or VIGIL_CONFIG)\n";
        return 1;
    }
    auto cfg = core::load_config(*path);
    if (!cfg) {
        std::cerr << "vigil status: " << cfg.error().message << "\n";
        return 1;
    }
    std::unique_ptr<core::Store> store;
    std::string store_note;
    if (std::filesystem::exists(cfg->store_path)) {
        core::Store::Options so;
        so.create_if_missing = false;
        auto opened = core::Store::open(cfg->store_path, so);
        if (opened.ok())
            store = std::move(opened).value();
        else
            store_note = opened.error().message;
    } else {
        store_note = "no store yet at " + cfg->store_path.string();
    }
    std::vector<ChainReport> reports;
    for (const auto& c : cfg->chains) reports.push_back(inspect(c, store.get()));
    std::vector<verifier::RollupStats> rollups;
    // mode: reexecute: how far Vigil re-executed each rollup's L2 chain itself.
    std::map<std::string, std::pair<uint64_t, eth::Hash32>> reexecuted;
    if (store)
        for (const auto& rc : cfg->verifier.rollups) {
            auto st = verifier::load_stats(*store, rc.name);
            if (st.ok()) rollups.push_back(*st);
            auto tip = verifier::ChainReexecutor::load_tip(*store, rc.name);
            if (tip.ok() && *tip) reexecuted[rc.name] = **tip;
        }
    // Per route: counts by state and the oldest pending and failed withdrawals, from the
    // store; while a daemon holds the store, from its admin API when configured.
    struct RouteReport {
        std::string name;
        relayer::RouteCounts counts;
        std::vector<relayer::WithdrawalRecord> oldest;  // pending, oldest first per state
        std::vector<relayer::WithdrawalRecord> failed;
    };
    std::vector<RouteReport> routes;
    std::optional<rpc::Json> daemon_status;
    if (store) {
        relayer::WithdrawalStore ws(*store);
        for (const auto& rc : cfg->relayer.routes) {
            RouteReport rr;
            rr.name = rc.name;
            if (auto c = ws.counts(rc.name); c.ok()) rr.counts = *c;
            for (auto st : {relayer::WithdrawalState::observed, relayer::WithdrawalState::provable,
                            relayer::WithdrawalState::proving, relayer::WithdrawalState::proven,
                            relayer::WithdrawalState::finalizing})
                if (auto recs = ws.in_state(rc.name, st, 3); recs.ok())
                    rr.oldest.insert(rr.oldest.end(), recs->begin(), recs->end());
            if (auto recs = ws.in_state(rc.name, relayer::WithdrawalState::failed, 5); recs.ok())
                rr.failed = *recs;
            routes.push_back(std::move(rr));
        }
    } else if (cfg->admin_listen && !cfg->relayer.routes.empty()) {
        if (auto answer = admin_request(*cfg, "GET", "/v1/status"); answer.ok())
            if (auto j = rpc::parse_json(*answer); j.ok()) daemon_status = *j;
    }
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    auto age = [&](const relayer::WithdrawalRecord& w) {
        return std::max<int64_t>(0, now_ms - w.observed_at_ms) / 1000;
    };
    auto l2_lag = [](const verifier::RollupStats& s) {
        return s.latest_proposed_l2 > s.latest_verified_l2
                   ? s.latest_proposed_l2 - s.latest_verified_l2
                   : 0;
    };

    bool all_ok = true;
    if (json) {
        rpc::Json out = {{"store", store ? "ok" : store_note}, {"chains", rpc::Json::array()}};
        for (const auto& r : reports) {
            rpc::Json c = {{"name", r.name}, {"chain_id", r.chain_id}};
            c["head"] = r.head ? rpc::Json(*r.head) : rpc::Json(nullptr);
            c["confirmed"] = r.confirmed ? rpc::Json(*r.confirmed) : rpc::Json(nullptr);
            if (!r.error.empty()) c["error"] = r.error;
            c["cursors"] = rpc::Json::array();
            for (const auto& [consumer, ref] : r.cursors) {
                rpc::Json cur = {
                    {"consumer", consumer}, {"number", ref.number}, {"hash", ref.hash.to_hex()}};
                if (r.confirmed)
                    cur["lag"] = *r.confirmed > ref.number ? *r.confirmed - ref.number : 0;
                c["cursors"].push_back(cur);
            }
            c["endpoints"] = rpc::Json::array();
            for (const auto& e : r.endpoints)
                c["endpoints"].push_back({{"url", rpc::redact_url(e.url)},
                                          {"healthy", e.healthy},
                                          {"failures", e.failures},
                                          {"last_error", e.last_error}});
            all_ok &= r.error.empty();
            out["chains"].push_back(c);
        }
        out["rollups"] = rpc::Json::array();
        for (const auto& s : rollups)
            out["rollups"].push_back({{"name", s.rollup},
                                      {"proposals", s.proposals},
                                      {"pending", s.pending},
                                      {"valid", s.valid},
                                      {"invalid", s.invalid},
                                      {"unverifiable", s.unverifiable},
                                      {"challenges", s.challenges},
                                      {"latest_proposed_l2_block", s.latest_proposed_l2},
                                      {"latest_verified_l2_block", s.latest_verified_l2},
                                      {"lag_l2_blocks", l2_lag(s)},
                                      {"l1_block", s.l1_block}});
        for (auto& r : out["rollups"])
            if (auto it = reexecuted.find(r["name"].get<std::string>()); it != reexecuted.end())
                r["reexecuted_l2_block"] = it->second.first;
        out["routes"] = rpc::Json::array();
        for (const auto& r : routes) {
            rpc::Json counts = rpc::Json::object();
            for (size_t i = 0; i < relayer::kWithdrawalStates; ++i)
                counts[relayer::state_name(static_cast<relayer::WithdrawalState>(i))] =
                    r.counts.by_state[i];
            rpc::Json oldest = rpc::Json::array(), failed = rpc::Json::array();
            for (const auto& w : r.oldest)
                oldest.push_back({{"withdrawal", w.hash.to_hex()},
                                  {"state", relayer::state_name(w.state)},
                                  {"l2_block", w.l2_block},
                                  {"age_seconds", age(w)},
                                  {"reason", w.reason}});
            for (const auto& w : r.failed)
                failed.push_back({{"withdrawal", w.hash.to_hex()},
                                  {"l2_block", w.l2_block},
                                  {"attempts", w.attempts},
                                  {"reason", w.reason}});
            out["routes"].push_back({{"name", r.name},
                                     {"counts", counts},
                                     {"oldest_pending", oldest},
                                     {"failed", failed}});
        }
        if (daemon_status) out["daemon"] = *daemon_status;
        std::cout << out.dump() << "\n";
    } else {
        if (!store) std::cout << "store: " << store_note << "\n";
        for (const auto& r : reports) {
            std::cout << r.name << " (chain " << r.chain_id << "): ";
            if (r.head)
                std::cout << "head " << *r.head << ", confirmed "
                          << (r.confirmed ? std::to_string(*r.confirmed) : "?");
            if (!r.error.empty()) std::cout << (r.head ? ", " : "") << "error: " << r.error;
            std::cout << "\n";
            for (const auto& [consumer, ref] : r.cursors) {
                std::cout << "  cursor " << consumer << ": block " << ref.number << " "
                          << ref.hash.to_hex();
                if (r.confirmed)
                    std::cout << ", lag "
                              << (*r.confirmed > ref.number ? *r.confirmed - ref.number : 0);
                std::cout << "\n";
            }
            for (const auto& e : r.endpoints)
                std::cout << "  endpoint " << rpc::redact_url(e.url) << ": "
                          << (e.healthy ? "healthy" : "DOWN")
                          << (e.last_error.empty() ? "" : " (" + e.last_error + ")") << "\n";
            all_ok &= r.error.empty();
        }
        for (const auto& s : rollups) {
            std::cout << "rollup " << s.rollup << ": " << s.proposals << " proposals (" << s.valid
                      << " valid, " << s.invalid << " invalid, " << s.unverifiable
                      << " unverifiable, " << s.pending << " pending), " << s.challenges
                      << " challenged; latest verified L2 block " << s.latest_verified_l2
                      << ", lag " << l2_lag(s) << " L2 blocks behind the latest proposal ("
                      << s.latest_proposed_l2 << "); L1 judged to block " << s.l1_block << "\n";
            if (!s.last_unverifiable.empty())
                std::cout << "  last unverifiable L2 answer: " << s.last_unverifiable << "\n";
            if (auto it = reexecuted.find(s.rollup); it != reexecuted.end())
                std::cout << "  re-executed by Vigil (mode: reexecute) to L2 block "
                          << it->second.first << " (" << it->second.second.to_hex() << ")\n";
        }
        for (const auto& r : routes) {
            std::cout << "route " << r.name << ":";
            for (size_t i = 0; i < relayer::kWithdrawalStates; ++i)
                std::cout << (i ? ", " : " ") << r.counts.by_state[i] << " "
                          << relayer::state_name(static_cast<relayer::WithdrawalState>(i));
            std::cout << "\n";
            for (const auto& w : r.oldest)
                std::cout << "  pending " << w.hash.to_hex() << ": " << relayer::state_name(w.state)
                          << ", L2 block " << w.l2_block << ", " << age(w) << " s old"
                          << (w.reason.empty() ? "" : " (" + w.reason + ")") << "\n";
            for (const auto& w : r.failed)
                std::cout << "  FAILED " << w.hash.to_hex() << ": " << w.reason
                          << " (vigil relay retry --withdrawal " << w.hash.to_hex() << ")\n";
        }
        if (daemon_status) std::cout << "daemon (admin API): " << daemon_status->dump() << "\n";
    }
    return all_ok ? 0 : 1;
}

}  // namespace vigil::cmd
