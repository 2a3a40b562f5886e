#include "cmd/vigil/admin_backend.h"

#include <algorithm>

#include "chains/rpc/json_fields.h"
#include "relayer/service.h"
#include "verifier/verdicts.h"

namespace vigil::cmd {
namespace {

Error map_error(const Error& e) {
    switch (e.code) {
        case relayer::kNoSuchWithdrawal:
        case relayer::kNoSuchRoute:
            return fail(e.message, core::kAdminNotFound);
        case relayer::kNotFailed:
        case relayer::kPausedByConfig:
            return fail(e.message, core::kAdminConflict);
        default:
            return e;
    }
}

}  // namespace

DaemonAdmin::DaemonAdmin(const core::Config& config, core::Store& store,
                         relayer::RelayerService* relayer, std::function<std::string()> status_json)
    : config_(config), store_(store), relayer_(relayer), status_json_(std::move(status_json)) {}

Result<std::string> DaemonAdmin::status() { return status_json_(); }

Result<std::string> DaemonAdmin::list_withdrawals(const std::string& route,
                                                  const std::string& state, size_t limit) {
    if (!relayer_) return fail("the relayer is not running in this process", core::kAdminNotFound);
    std::vector<relayer::WithdrawalState> states;
    if (!state.empty()) {
        auto s = relayer::parse_state(state);
        if (!s) return fail("unknown state '" + state + "'", core::kAdminBadRequest);
        states.push_back(*s);
    } else {
        for (size_t i = 0; i < relayer::kWithdrawalStates; ++i)
            if (static_cast<relayer::WithdrawalState>(i) != relayer::WithdrawalState::finalized)
                states.push_back(static_cast<relayer::WithdrawalState>(i));
    }
    std::vector<std::string> routes;
    for (const auto& rc : config_.relayer.routes)
        if (route.empty() || rc.name == route) routes.push_back(rc.name);
    if (routes.empty()) return fail("no route named '" + route + "'", core::kAdminNotFound);
    relayer::WithdrawalStore store(store_);
    rpc::Json out = rpc::Json::array();
    for (const auto& r : routes)
        for (auto st : states) {
            if (out.size() >= limit) break;
            VIGIL_TRY(auto records, store.in_state(r, st, limit - out.size()));
            for (const auto& rec : records) {
                rpc::Json j = relayer::withdrawal_json(rec);
                out.push_back(std::move(j));
            }
        }
    return out.dump();
}

Result<std::string> DaemonAdmin::get_withdrawal(const std::string& hash) {
    if (!relayer_) return fail("the relayer is not running in this process", core::kAdminNotFound);
    VIGIL_TRY(eth::Hash32 h, eth::Hash32::from_hex(hash));
    VIGIL_TRY(auto rec, relayer_->find(h));
    if (!rec) return fail("no withdrawal " + hash, core::kAdminNotFound);
    rpc::Json j = relayer::withdrawal_json(*rec);
    return j.dump();
}

Result<std::string> DaemonAdmin::list_verdicts(const std::string& rollup, size_t limit) {
    std::vector<std::string> rollups;
    for (const auto& rc : config_.verifier.rollups)
        if (rollup.empty() || rc.name == rollup) rollups.push_back(rc.name);
    if (rollups.empty()) return fail("no rollup named '" + rollup + "'", core::kAdminNotFound);
    // Verdicts are one per proposal (hours apart on real networks): reading them all for an
    // operator's question is cheap; they are keyed by game, so sort by factory index.
    std::vector<verifier::VerdictRecord> all;
    for (const auto& name : rollups) {
        std::optional<Error> bad;
        VIGIL_CHECK(store_.scan("verdicts", "game/" + name + "/",
                                [&](std::string_view, std::string_view v) {
                                    auto r = verifier::decode_verdict(v);
                                    if (!r) {
                                        bad = r.error();
                                        return false;
                                    }
                                    all.push_back(std::move(r).value());
                                    return true;
                                }));
        if (bad) return *bad;
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return a.proposal.game_index > b.proposal.game_index;
    });
    rpc::Json out = rpc::Json::array();
    for (size_t i = 0; i < all.size() && i < limit; ++i) {
        VIGIL_TRY(rpc::Json j, rpc::parse_json(verifier::encode_verdict(all[i])));
        out.push_back(std::move(j));
    }
    return out.dump();
}

Status DaemonAdmin::retry_withdrawal(const std::string& hash) {
    if (!relayer_) return fail("the relayer is not running in this process", core::kAdminNotFound);
    VIGIL_TRY(eth::Hash32 h, eth::Hash32::from_hex(hash));
    if (Status s = relayer_->retry(h); !s.ok()) return map_error(s.error());
    return Status{};
}

Status DaemonAdmin::set_route_paused(const std::string& route, bool paused) {
    if (!relayer_) return fail("the relayer is not running in this process", core::kAdminNotFound);
    if (Status s = relayer_->set_paused(route, paused); !s.ok()) return map_error(s.error());
    return Status{};
}

}  // namespace vigil::cmd
