// vigil-devnet demo: the newcomer's first five minutes (`make demo`). Starts a devnet (an
// L1 and two L2s, a block a second, short game clocks and delays), runs `vigil run`
// against it, and drives traffic: withdrawals on both L2s, valid proposals that cover
// them, and one invalid output root. While it runs it prints what Vigil is doing (read
// from its /metrics and from the chains); at the end (all done, DEMO seconds up, or
// Ctrl-C) it stops Vigil with SIGTERM and prints a summary checked against L1.
//
// Exit status: 0 when every withdrawal was finalized and the invalid root challenged (or
// the demo was interrupted and Vigil stopped cleanly), 1 otherwise.
#include "cmd/vigil-devnet/demo.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "chains/eth/abi.h"
#include "chains/rpc/http_client.h"
#include "tests/support/devnet.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "verifier/game.h"

namespace vigil::devnet_demo {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_interrupted{false};

void on_signal(int) { g_interrupted = true; }

using testing::http_get;
using testing::metric_sum;

struct Progress {
    double proved = 0, finalized = 0, failed = 0;
    double valid = 0, invalid = 0;
    double reexecuted = 0, reexecuted_tip = 0, reexec_stuck = 0, reexec_mismatches = 0;
    std::string heads;
};

Progress read_progress(uint16_t port) {
    Progress p;
    const std::string page = http_get(port, "/metrics");
    for (const char* s : {"proven", "finalizing", "finalized"})
        p.proved += metric_sum(page, "vigil_relayer_messages", "state=\"" + std::string(s) + "\"");
    p.finalized = metric_sum(page, "vigil_relayer_messages", "state=\"finalized\"");
    p.failed = metric_sum(page, "vigil_relayer_messages", "state=\"failed\"");
    p.valid = metric_sum(page, "vigil_verifier_verdicts", "verdict=\"valid\"");
    p.invalid = metric_sum(page, "vigil_verifier_verdicts", "verdict=\"invalid\"");
    p.reexecuted = metric_sum(page, "vigil_reexec_blocks_total");
    p.reexecuted_tip = metric_sum(page, "vigil_reexec_tip_l2_block");
    p.reexec_stuck = metric_sum(page, "vigil_reexec_stuck");
    p.reexec_mismatches = metric_sum(page, "vigil_reexec_node_mismatches_total");
    for (const char* chain : {"l1", "op-a", "op-b"}) {
        const double h =
            metric_sum(page, "vigil_chain_head_block", "chain=\"" + std::string(chain) + "\"");
        p.heads += std::string(p.heads.empty() ? "" : " ") + chain + "#" +
                   std::to_string(static_cast<uint64_t>(h));
    }
    return p;
}

}  // namespace

int run(const Options& o) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    const auto started = Clock::now();
    auto elapsed = [&] {
        return std::chrono::duration_cast<seconds>(Clock::now() - started).count();
    };
    auto say = [&](const std::string& line) {
        std::cout << "[" << std::setw(3) << elapsed() << "s] " << line << std::endl;
    };

    std::error_code ec;
    std::filesystem::remove_all(o.dir, ec);
    std::filesystem::create_directories(o.dir, ec);
    if (ec) {
        std::cerr << "vigil-devnet demo: " << o.dir.string() << ": " << ec.message() << "\n";
        return 1;
    }
    say("starting a devnet: an L1 and two OP Stack L2s (Anvil), a block a second ...");
    testing::DevnetOptions dopt;
    dopt.l2_count = 2;
    dopt.block_time_secs = 1;
    dopt.max_clock_duration_secs = 20;
    dopt.proof_maturity_delay_secs = 5;
    dopt.dispute_game_finality_delay_secs = 3;
    auto net = testing::Devnet::start(dopt);
    if (!net) {
        std::cerr << "vigil-devnet demo: " << net.error().message << "\n";
        return 1;
    }
    const testing::DevnetInfo& info = (*net)->info();
    auto client_r = testing::DevnetClient::connect(info);
    if (!client_r) {
        std::cerr << "vigil-devnet demo: " << client_r.error().message << "\n";
        return 1;
    }
    testing::DevnetClient& client = **client_r;
    const uint16_t metrics_port = testing::free_tcp_port();
    const auto config = o.dir / "vigil.yaml";
    std::ofstream(o.dir / "devnet.json") << info.to_json();
    // op-a is judged by re-executing its blocks with Vigil's own EVM (mode: reexecute),
    // trusting from its current head (the devnet's setup is behind it); op-b by recomputing
    // output roots from its node's proved data.
    std::map<std::string, std::pair<uint64_t, eth::Hash32>> reexecute;
    {
        auto head = client.block_number("op-a");
        auto block =
            head ? client.rpc("op-a")->call("eth_getBlockByNumber",
                                            rpc::Json::array({eth::to_quantity(*head), false}))
                 : Result<rpc::Json>(head.error());
        auto hash = block ? eth::Hash32::from_hex(block->value("hash", ""))
                          : Result<eth::Hash32>(block.error());
        if (!hash) {
            std::cerr << "vigil-devnet demo: op-a head: " << hash.error().message << "\n";
            return 1;
        }
        reexecute["op-a"] = {*head, *hash};
    }
    std::ofstream(config) << info.vigil_yaml("store", "127.0.0.1:" + std::to_string(metrics_port),
                                             2, "", reexecute);
    const std::map<std::string, std::string> env = info.signer_env();

    say("starting `vigil run` (verifier + relayer); its JSON log: " +
        (o.dir / "vigil.log").string());
    auto vigil = testing::ChildProcess::spawn(
        {o.vigil.string(), "run", "--config", config.string()}, env, o.dir / "vigil.log");
    if (!vigil) {
        std::cerr << "vigil-devnet demo: " << vigil.error().message << "\n";
        return 1;
    }
    for (int i = 0; i < 120 && !g_interrupted; ++i) {
        long code = 0;
        http_get(metrics_port, "/readyz", &code);
        if (code == 200) break;
        if (!vigil->running()) break;
        std::this_thread::sleep_for(milliseconds(250));
    }
    if (!vigil->running()) {
        std::cerr << "vigil-devnet demo: vigil exited at start; see " << (o.dir / "vigil.log")
                  << "\n";
        return 1;
    }
    say("vigil is ready: metrics on http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics");

    // Traffic for the first part of the run, so that the last withdrawals can still be
    // proved, their game resolve (20 s clock) and the proofs mature before the end.
    const int64_t traffic_until = std::max<int64_t>(10, static_cast<int64_t>(o.seconds) - 50);
    size_t sent = 0;
    std::optional<testing::OutputProposal> invalid;
    int64_t last_proposal = -100, last_withdrawal = -100, last_progress = -100;
    size_t valid_proposals = 0;
    // Highest L2 block proposed valid on every L2 / holding a demo withdrawal on any L2.
    uint64_t covered_to = 0, withdrawn_to = 0;
    bool all_done = false;
    auto propose_valid = [&]() {
        uint64_t lowest = UINT64_MAX;
        for (const auto& l2 : info.l2s) {
            auto head = client.block_number(l2.name);
            if (!head || *head < 3) continue;
            auto p = client.propose(l2.name, *head - 2, false);
            if (p) {
                ++valid_proposals;
                lowest = std::min(lowest, p->l2_block);
                say("proposed the true output root of " + l2.name + " block " +
                    std::to_string(p->l2_block) + " (game " + std::to_string(p->game_index) + ")");
            }
        }
        if (lowest != UINT64_MAX) covered_to = std::max(covered_to, lowest);
    };
    while (!g_interrupted && elapsed() < static_cast<int64_t>(o.seconds)) {
        const int64_t t = elapsed();
        if (t < traffic_until && t - last_withdrawal >= 4) {
            last_withdrawal = t;
            for (const auto& l2 : info.l2s) {
                auto w = client.withdraw_many(l2.name, 1, 64 + 512 * (sent % 8));
                if (w) {
                    sent += w->size();
                    for (const auto& x : *w) withdrawn_to = std::max(withdrawn_to, x.l2_block);
                }
            }
        }
        // A valid proposal every 12 s while traffic runs, and a last one covering the last
        // withdrawals once it stopped.
        if ((t < traffic_until && t - last_proposal >= 12) ||
            (t >= traffic_until && covered_to < withdrawn_to && t - last_proposal >= 3)) {
            last_proposal = t;
            propose_valid();
        }
        if (!invalid && t >= 15) {
            auto head = client.block_number("op-a");
            if (head && *head > 3) {
                auto p = client.propose("op-a", *head - 2, true);
                if (p) {
                    invalid = *p;
                    say("proposed a WRONG output root for op-a block " +
                        std::to_string(p->l2_block) + " (game " + std::to_string(p->game_index) +
                        "): Vigil must catch and challenge it");
                }
            }
        }
        if (t - last_progress >= 3) {
            last_progress = t;
            Progress p = read_progress(metrics_port);
            std::ostringstream line;
            line << "chains " << p.heads << " | withdrawals " << sent << " sent, " << p.proved
                 << " proved, " << p.finalized << " finalized"
                 << (p.failed > 0 ? ", " + std::to_string(static_cast<int>(p.failed)) + " FAILED"
                                  : "")
                 << " | proposals " << p.valid << " valid, " << p.invalid << " invalid caught"
                 << " | op-a re-executed to #" << static_cast<uint64_t>(p.reexecuted_tip)
                 << (p.reexec_stuck > 0 ? " (STUCK: see vigil.log)" : "");
            say(line.str());
            all_done = t >= traffic_until && sent > 0 && p.finalized >= static_cast<double>(sent) &&
                       invalid && p.invalid >= 1;
            if (all_done) break;
        }
        if (!vigil->running()) {
            say("vigil stopped unexpectedly; see " + (o.dir / "vigil.log").string());
            break;
        }
        std::this_thread::sleep_for(milliseconds(250));
    }
    say(g_interrupted ? "interrupted: stopping vigil (SIGTERM) ..."
                      : "stopping vigil (SIGTERM) ...");
    const Progress last = read_progress(metrics_port);
    // Ctrl-C in a terminal reaches vigil too (same process group), and a second signal
    // would make it exit at once: give it a moment to stop on its own first.
    std::optional<int> code;
    if (g_interrupted) code = vigil->wait(seconds(3));
    if (!code) {
        vigil->signal(SIGTERM);
        code = vigil->wait(seconds(30));
    }

    // The summary, checked against L1.
    bool challenged = false, checked = false;
    if (invalid) {
        auto claims = verifier::read_claim_count(*client.rpc("l1"), invalid->game);
        checked = claims.ok();
        challenged = claims.ok() && *claims > 1;
    }
    std::cout << "\n=== Vigil demo summary (" << elapsed() << " s) ===\n"
              << "  chains followed:        l1, op-a, op-b (" << last.heads << ")\n"
              << "  withdrawals:            " << sent << " sent on L2, " << last.proved
              << " proved on L1 against valid games, " << last.finalized << " finalized\n"
              << "  op-a re-executed:       " << static_cast<uint64_t>(last.reexecuted)
              << " blocks with Vigil's own EVM, up to #"
              << static_cast<uint64_t>(last.reexecuted_tip) << ", "
              << static_cast<uint64_t>(last.reexec_mismatches) << " node header mismatches"
              << (last.reexec_stuck > 0 ? ", STUCK (see vigil.log)" : "") << "\n"
              << "  proposals judged:       " << last.valid << " valid, " << last.invalid
              << " invalid (" << valid_proposals << " valid and " << (invalid ? 1 : 0)
              << " invalid proposed)\n"
              << "  invalid root:           "
              << (!invalid     ? std::string("not proposed (the demo ended early)")
                  : challenged ? "caught and challenged on L1 (game " + invalid->game.to_hex() + ")"
                  : !checked   ? std::string("not checked (the chains stopped with Ctrl-C)")
                               : std::string("NOT challenged"))
              << "\n"
              << "  vigil exit status:      " << (code ? std::to_string(*code) : "did not stop")
              << "\n"
              << "  files:                  " << o.dir.string() << " (vigil.yaml, vigil.log)\n";
    (*net)->stop();
    const bool clean_stop = code && *code == 0;
    if (g_interrupted) return clean_stop ? 0 : 1;
    const bool reexecuted = last.reexecuted > 0 && last.reexec_stuck == 0;
    const bool ok = clean_stop && all_done && challenged && reexecuted;
    if (!ok)
        std::cout << "  result:                 INCOMPLETE (see vigil.log; a longer DEMO_SECONDS "
                     "gives the games time to resolve)\n";
    else
        std::cout << "  result:                 every withdrawal finalized, the invalid root "
                     "challenged\n";
    return ok ? 0 : 1;
}

}  // namespace vigil::devnet_demo
