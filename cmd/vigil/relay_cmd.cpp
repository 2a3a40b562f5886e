// `vigil relay [run] --config FILE`: the relayer, judging its routes' rollups itself.
// `vigil run --config FILE`: the verifier (every rollup, with challenges and alarms) and
// the relayer in one process, on one store, with one signer pool.
#include <iostream>

#include "cmd/vigil/admin_client.h"
#include "cmd/vigil/commands.h"
#include "cmd/vigil/daemon.h"

namespace vigil::cmd {
namespace {

int relay_usage(std::ostream& out, int code) {
    out << "usage: vigil relay [run] --config FILE [--log-format text|json]\n"
           "  Runs the relayer: follows MessagePassed on every route's L2, proves each\n"
           "  withdrawal on L1 against a dispute game this process judged valid, and\n"
           "  finalizes it once the proof matured and the game resolved. The routes' rollups\n"
           "  are judged in process (verdicts only: challenges and alarms are the job of\n"
           "  `vigil verify` or `vigil run`). Stops cleanly on SIGTERM/SIGINT (a second\n"
           "  signal exits at once; nothing is lost either way).\n"
           "  Exit: 0 stopped, 1 configuration or start error, 4 a fatal chain condition.\n"
           "\n"
           "usage: vigil relay retry|pause|resume|list ... (vigil relay retry --help)\n"
           "  Operator calls to the running daemon through its admin API (admin.listen):\n"
           "  re-queue a failed withdrawal, pause or resume a route, list withdrawals.\n";
    return code;
}

int run_usage(std::ostream& out, int code) {
    out << "usage: vigil run --config FILE [--log-format text|json]\n"
           "  Runs everything the config enables: the verifier (every rollup of\n"
           "  verifier.rollups: judge, alarm, challenge, resolve) and the relayer (every route\n"
           "  of relayer.routes), on one store. Stops cleanly on SIGTERM/SIGINT.\n"
           "  Exit: 0 stopped, 1 configuration or start error, 4 a fatal chain condition.\n";
    return code;
}

// Accepts only --config FILE (after an optional leading word `skip`).
bool only_config_args(const std::string& name, const std::vector<std::string>& args, size_t first) {
    for (size_t i = first; i < args.size(); ++i) {
        if ((args[i] == "--config" || args[i] == "--log-format") && i + 1 < args.size()) {
            ++i;
            continue;
        }
        std::cerr << name << ": unexpected argument '" << args[i] << "'\n";
        return false;
    }
    return true;
}

}  // namespace

int run_relay(const std::vector<std::string>& args) {
    if (!args.empty() &&
        (args[0] == "retry" || args[0] == "pause" || args[0] == "resume" || args[0] == "list"))
        return run_relay_admin(args);
    for (const auto& a : args)
        if (a == "--help" || a == "-h") return relay_usage(std::cout, 0);
    const size_t first = !args.empty() && args[0] == "run" ? 1 : 0;
    if (!args.empty() && first == 0 && !args[0].starts_with("--")) {
        std::cerr << "vigil relay: unknown command '" << args[0] << "' (see vigil relay --help)\n";
        return 1;
    }
    if (!only_config_args("vigil relay", args, first)) return 1;
    Daemon::block_signals();
    auto d = Daemon::open("vigil relay", args);
    if (!d) return 1;
    ServiceSet set;
    set.relayer = true;
    set.judge_routes = true;
    return run_services(*d, set);
}

int run_all(const std::vector<std::string>& args) {
    for (const auto& a : args)
        if (a == "--help" || a == "-h") return run_usage(std::cout, 0);
    if (!only_config_args("vigil run", args, 0)) return 1;
    Daemon::block_signals();
    auto d = Daemon::open("vigil run", args);
    if (!d) return 1;
    ServiceSet set;
    set.verifier = !d->config.verifier.rollups.empty();
    set.relayer = !d->config.relayer.routes.empty();
    if (!set.verifier && !set.relayer) {
        d->log->error("nothing to run: the config has neither verifier.rollups nor relayer.routes");
        return 1;
    }
    return run_services(*d, set);
}

}  // namespace vigil::cmd
