#include "cmd/vigil/daemon.h"

#include <signal.h>
#include <unistd.h>

#include <ctime>
#include <iostream>

#include "cmd/vigil/commands.h"

namespace vigil::cmd {
namespace {

sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

// The signal that arrived within `ms`, or 0.
int wait_signal(int ms) {
    sigset_t set = stop_signals();
    timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1'000'000L};
    int sig = sigtimedwait(&set, nullptr, &ts);
    return sig > 0 ? sig : 0;
}

}  // namespace

std::unique_ptr<Daemon> Daemon::open(const std::string& name,
                                     const std::vector<std::string>& args) {
    auto path = config_path_from(args);
    if (!path) {
        std::cerr << name << ": no config given (--config FILE or VIGIL_CONFIG)\n";
        return nullptr;
    }
    auto cfg = core::load_config(*path);
    if (!cfg) {
        std::cerr << name << ": " << cfg.error().message << "\n";
        return nullptr;
    }
    auto d = std::make_unique<Daemon>();
    d->name = name;
    d->config = std::move(cfg).value();
    // --log-format text|json overrides the config's log.format (humans at a terminal).
    for (size_t i = 0; i < args.size(); ++i)
        if (args[i] == "--log-format") {
            if (i + 1 >= args.size() ||
                !core::parse_log_format(args[i + 1], d->config.log_format)) {
                std::cerr << name << ": --log-format takes text or json\n";
                return nullptr;
            }
        }
    d->log = std::make_unique<core::Logger>(std::cerr, d->config.log_format, d->config.log_level);
    auto store = core::Store::open(d->config.store_path);
    if (!store) {
        std::cerr << name << ": " << store.error().message << "\n";
        return nullptr;
    }
    d->store = std::move(store).value();
    d->registry = std::make_shared<prometheus::Registry>();
    return d;
}

void Daemon::block_signals() {
    sigset_t set = stop_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

Status Daemon::serve_http() {
    core::add_operational_routes(http, registry, readiness);
    if (Status s = http.start(config.metrics_listen); !s.ok())
        return fail("metrics listen " + config.metrics_listen + ": " + s.error().message);
    log->info("serving /metrics /healthz /readyz",
              {{"listen", config.metrics_listen}, {"port", static_cast<uint64_t>(http.port())}});
    return Status{};
}

void Daemon::wait(const std::function<void()>& stop, const std::function<bool()>& finished,
                  const std::function<void()>& tick) {
    while (!finished()) {
        if (tick) tick();
        int sig = wait_signal(250);
        if (sig == 0) continue;
        log->info("stopping: finishing what is in flight (signal again to exit at once)",
                  {{"signal", sig}});
        stop();
        while (!finished()) {
            if (int again = wait_signal(250); again != 0) {
                log->warn("second signal: exiting now (state is committed)", {{"signal", again}});
                std::cerr.flush();
                _exit(128 + again);
            }
        }
        return;
    }
}

}  // namespace vigil::cmd
