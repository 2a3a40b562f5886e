// `vigil config check --config FILE`: validates a config file and exits 0 or 1.
#include <algorithm>
#include <iostream>

#include "cmd/vigil/commands.h"
#include "core/config.h"

namespace vigil::cmd {

std::optional<std::string> config_path_from(const std::vector<std::string>& args) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == "--config") return args[i + 1];
    if (const char* env = std::getenv("VIGIL_CONFIG"); env && *env) return std::string(env);
    return std::nullopt;
}

int run_config(const std::vector<std::string>& args) {
    const bool help = std::find(args.begin(), args.end(), "--help") != args.end() ||
                      std::find(args.begin(), args.end(), "-h") != args.end();
    if (args.empty() || help) {
        (help ? std::cout : std::cerr)
            << "usage: vigil config check --config FILE   (or VIGIL_CONFIG=FILE)\n"
               "  Validates every field of the config; prints a summary and exits 0, or prints\n"
               "  the first error with its file position and exits 1.\n";
        return help ? 0 : 1;
    }
    if (args[0] != "check") {
        std::cerr << "vigil config: unknown command '" << args[0] << "'\n";
        return 1;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    for (size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] == "--config") {
            ++i;
            continue;
        }
        std::cerr << "vigil config check: unexpected argument '" << rest[i] << "'\n";
        return 1;
    }
    auto path = config_path_from(rest);
    if (!path) {
        std::cerr << "vigil config check: no config given (--config FILE or VIGIL_CONFIG)\n";
        return 1;
    }
    auto cfg = core::load_config(*path);
    if (!cfg) {
        std::cerr << "vigil config check: " << cfg.error().message << "\n";
        return 1;
    }
    std::cout << *path << ": ok (" << cfg->chains.size() << " chains, " << cfg->signers.size()
              << " signers, store " << cfg->store_path.string() << ")\n";
    return 0;
}

}  // namespace vigil::cmd
