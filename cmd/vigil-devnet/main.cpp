// vigil-devnet: starts and drives the local devnet (one L1 and N L2 Anvil chains with the
// devnet's OP Stack contracts) for tests and the demo. See tests/support/devnet.h.
//
//   vigil-devnet up       --dir DIR [--l2s N] [--block-time S]
//   vigil-devnet propose  --dir DIR --l2 NAME [--invalid] [--every N] [--block B]
//   vigil-devnet withdraw --dir DIR --l2 NAME [--count N] [--data-size BYTES]
//   vigil-devnet reorg    --dir DIR --chain NAME --depth D
//   vigil-devnet demo     --vigil PATH --dir DIR [--seconds N]   (what `make demo` runs)
//
// Results go to stdout (one JSON line per proposal/withdrawal/reorg); an error is one line
// `vigil-devnet COMMAND: message` on stderr and exit status 1.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cmd/vigil-devnet/demo.h"
#include "tests/support/devnet.h"

namespace {

using vigil::Result;
using vigil::Status;
using vigil::testing::Devnet;
using vigil::testing::DevnetArtifacts;
using vigil::testing::DevnetClient;
using vigil::testing::DevnetInfo;
using vigil::testing::DevnetOptions;

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

void install_signal_handlers() {
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

// Sleeps up to `ms`, returning early once a stop signal arrived.
void pause_ms(int ms) {
    for (int waited = 0; waited < ms && !g_stop; waited += 50)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

struct Flag {
    std::string name;  // without "--"
    bool takes_value = true;
    std::string help;
};

struct Command {
    std::string name;
    std::string usage;
    std::string summary;
    std::vector<Flag> flags;
    std::function<int(const std::map<std::string, std::string>&)> run;
};

int error(const std::string& command, const std::string& message) {
    std::string line = message;
    for (char& c : line)
        if (c == '\n' || c == '\r') c = ' ';
    std::cerr << "vigil-devnet " << command << ": " << line << "\n";
    return 1;
}

void print_help(const Command& c) {
    std::cout << "usage: vigil-devnet " << c.name << " " << c.usage << "\n\n"
              << c.summary << "\n\noptions:\n";
    for (const auto& f : c.flags) {
        std::string left = "  --" + f.name + (f.takes_value ? " VALUE" : "");
        std::cout << left << std::string(left.size() < 24 ? 24 - left.size() : 1, ' ') << f.help
                  << "\n";
    }
    std::cout << "  --help                show this help\n";
}

Result<uint64_t> parse_uint(const std::string& flag, const std::string& text, uint64_t min,
                            uint64_t max) {
    uint64_t v = 0;
    if (text.empty() || text.size() > 19)
        return vigil::fail("--" + flag + ": expected a number, got '" + text + "'");
    for (char c : text) {
        if (c < '0' || c > '9')
            return vigil::fail("--" + flag + ": expected a number, got '" + text + "'");
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (v < min || v > max)
        return vigil::fail("--" + flag + ": must be " + std::to_string(min) + ".." +
                           std::to_string(max));
    return v;
}

Result<std::map<std::string, std::string>> parse_flags(const Command& c, int argc, char** argv) {
    std::map<std::string, std::string> out;
    for (int i = 0; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0) return vigil::fail("unexpected argument '" + arg + "'");
        std::string name = arg.substr(2);
        std::optional<std::string> inline_value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const Flag* flag = nullptr;
        for (const auto& f : c.flags)
            if (f.name == name) flag = &f;
        if (!flag) return vigil::fail("unknown option --" + name + " (see --help)");
        if (out.count(name)) return vigil::fail("--" + name + " given twice");
        if (!flag->takes_value) {
            if (inline_value) return vigil::fail("--" + name + " takes no value");
            out[name] = "true";
        } else if (inline_value) {
            out[name] = *inline_value;
        } else {
            if (i + 1 >= argc) return vigil::fail("--" + name + " needs a value");
            out[name] = argv[++i];
        }
    }
    return out;
}

Result<std::filesystem::path> require_dir(const std::map<std::string, std::string>& flags) {
    auto it = flags.find("dir");
    if (it == flags.end() || it->second.empty()) return vigil::fail("--dir is required");
    return std::filesystem::path(it->second);
}

Result<std::string> require(const std::map<std::string, std::string>& flags,
                            const std::string& name) {
    auto it = flags.find(name);
    if (it == flags.end() || it->second.empty()) return vigil::fail("--" + name + " is required");
    return it->second;
}

// Connects to the devnet described by DIR/devnet.json (custom errors named if the
// artifacts are at hand).
Result<std::unique_ptr<DevnetClient>> attach(const std::filesystem::path& dir) {
    VIGIL_TRY(DevnetInfo info, DevnetInfo::load(dir / "devnet.json"));
    std::optional<DevnetArtifacts> artifacts;
    if (auto a = DevnetArtifacts::load(vigil::testing::devnet_artifacts_path()); a.ok())
        artifacts = std::move(a).value();
    return DevnetClient::connect(std::move(info), std::move(artifacts));
}

Status write_file(const std::filesystem::path& path, const std::string& text) {
    const auto tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        if (!out) return vigil::fail(tmp + ": cannot write");
        out << text;
        if (!out.flush()) return vigil::fail(tmp + ": write failed");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) return vigil::fail(path.string() + ": " + ec.message());
    return {};
}

// ---- up ----

int run_up(const std::map<std::string, std::string>& flags) {
    const std::string cmd = "up";
    auto dir = require_dir(flags);
    if (!dir.ok()) return error(cmd, dir.error().message);
    DevnetOptions options;
    options.block_time_secs = 1;
    if (flags.count("l2s")) {
        auto n = parse_uint("l2s", flags.at("l2s"), 1, 26);
        if (!n.ok()) return error(cmd, n.error().message);
        options.l2_count = *n;
    }
    if (flags.count("block-time")) {
        auto s = parse_uint("block-time", flags.at("block-time"), 0, 3600);
        if (!s.ok()) return error(cmd, s.error().message);
        options.block_time_secs = *s == 0 ? std::nullopt : std::optional<uint64_t>(*s);
    }
    std::error_code ec;
    std::filesystem::create_directories(*dir, ec);
    if (ec) return error(cmd, dir->string() + ": " + ec.message());

    install_signal_handlers();
    const auto started = std::chrono::steady_clock::now();
    auto net = Devnet::start(options);
    if (!net.ok()) return error(cmd, net.error().message);
    const DevnetInfo& info = (*net)->info();
    if (auto s = write_file(*dir / "devnet.json", info.to_json()); !s.ok())
        return error(cmd, s.error().message);
    if (auto s = write_file(*dir / "vigil.yaml", info.vigil_yaml()); !s.ok())
        return error(cmd, s.error().message);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    std::cout << "devnet up: l1 (" << info.l1.chain_id << ") " << info.l1.rpc;
    for (const auto& l2 : info.l2s)
        std::cout << ", " << l2.name << " (" << l2.chain_id << ") " << l2.rpc;
    std::cout << "; block time "
              << (options.block_time_secs ? std::to_string(*options.block_time_secs) + " s"
                                          : "per tx")
              << "; ready in " << ms << " ms; " << (*dir / "devnet.json").string() << std::endl;

    while (!g_stop) pause_ms(200);
    (*net)->stop();
    std::filesystem::remove(*dir / "devnet.json", ec);
    std::cerr << "vigil-devnet up: stopped" << std::endl;
    return 0;
}

// ---- propose ----

int run_propose(const std::map<std::string, std::string>& flags) {
    const std::string cmd = "propose";
    auto dir = require_dir(flags);
    if (!dir.ok()) return error(cmd, dir.error().message);
    auto l2 = require(flags, "l2");
    if (!l2.ok()) return error(cmd, l2.error().message);
    const bool invalid = flags.count("invalid") > 0;
    std::optional<uint64_t> every, block;
    if (flags.count("every")) {
        auto n = parse_uint("every", flags.at("every"), 1, 1'000'000);
        if (!n.ok()) return error(cmd, n.error().message);
        every = *n;
    }
    if (flags.count("block")) {
        auto b = parse_uint("block", flags.at("block"), 0, UINT64_MAX / 2);
        if (!b.ok()) return error(cmd, b.error().message);
        block = *b;
    }
    if (every && block) return error(cmd, "--every and --block exclude each other");
    auto client = attach(*dir);
    if (!client.ok()) return error(cmd, client.error().message);
    if (!(*client)->info().l2(*l2)) return error(cmd, "no L2 named '" + *l2 + "' in devnet.json");

    auto propose_one = [&](std::optional<uint64_t> at) -> Status {
        VIGIL_TRY(auto p, (*client)->propose(*l2, at, invalid));
        nlohmann::json line = {
            {"l2", p.l2},       {"l2_block", p.l2_block},     {"root_claim", p.root_claim.to_hex()},
            {"valid", p.valid}, {"game_index", p.game_index}, {"game", p.game.to_hex()}};
        std::cout << line.dump() << std::endl;
        return {};
    };
    if (!every) {
        auto s = propose_one(block);
        return s.ok() ? 0 : error(cmd, s.error().message);
    }
    // One proposal per `every` new L2 blocks, until SIGINT/SIGTERM.
    install_signal_handlers();
    std::optional<uint64_t> last;
    while (!g_stop) {
        auto head = (*client)->block_number(*l2);
        if (!head.ok()) return error(cmd, head.error().message);
        if (!last || *head >= *last + *every) {
            auto s = propose_one(*head);
            if (!s.ok()) return error(cmd, s.error().message);
            last = *head;
        }
        pause_ms(250);
    }
    return 0;
}

// ---- withdraw ----

int run_withdraw(const std::map<std::string, std::string>& flags) {
    const std::string cmd = "withdraw";
    auto dir = require_dir(flags);
    if (!dir.ok()) return error(cmd, dir.error().message);
    auto l2 = require(flags, "l2");
    if (!l2.ok()) return error(cmd, l2.error().message);
    uint64_t count = 1, data_size = 0;
    if (flags.count("count")) {
        auto n = parse_uint("count", flags.at("count"), 1, 100'000);
        if (!n.ok()) return error(cmd, n.error().message);
        count = *n;
    }
    if (flags.count("data-size")) {
        auto n = parse_uint("data-size", flags.at("data-size"), 0, 100'000);
        if (!n.ok()) return error(cmd, n.error().message);
        data_size = *n;
    }
    auto client = attach(*dir);
    if (!client.ok()) return error(cmd, client.error().message);
    if (!(*client)->info().l2(*l2)) return error(cmd, "no L2 named '" + *l2 + "' in devnet.json");
    for (uint64_t i = 0; i < count; ++i) {
        auto sent = (*client)->withdraw_many(*l2, 1, data_size);
        if (!sent.ok()) return error(cmd, sent.error().message);
        const auto& w = sent->front();
        nlohmann::json line = {{"l2", *l2},
                               {"withdrawal_hash", w.hash.to_hex()},
                               {"nonce", w.tx.nonce.to_hex()},
                               {"l2_block", w.l2_block},
                               {"tx", w.tx_hash.to_hex()}};
        std::cout << line.dump() << std::endl;
    }
    return 0;
}

// ---- reorg ----

int run_reorg(const std::map<std::string, std::string>& flags) {
    const std::string cmd = "reorg";
    auto dir = require_dir(flags);
    if (!dir.ok()) return error(cmd, dir.error().message);
    auto chain = require(flags, "chain");
    if (!chain.ok()) return error(cmd, chain.error().message);
    auto depth_text = require(flags, "depth");
    if (!depth_text.ok()) return error(cmd, depth_text.error().message);
    auto depth = parse_uint("depth", *depth_text, 1, 10'000);
    if (!depth.ok()) return error(cmd, depth.error().message);
    auto client = attach(*dir);
    if (!client.ok()) return error(cmd, client.error().message);
    if (!(*client)->info().chain(*chain))
        return error(cmd, "no chain named '" + *chain + "' in devnet.json");
    auto r = (*client)->reorg(*chain, *depth);
    if (!r.ok()) return error(cmd, r.error().message);
    nlohmann::json line = {{"chain", *chain},
                           {"depth", *depth},
                           {"head", r->head},
                           {"replaced_block", r->head - *depth + 1},
                           {"old_hash", r->old_hash.to_hex()},
                           {"new_hash", r->new_hash.to_hex()}};
    std::cout << line.dump() << std::endl;
    return 0;
}

// ---- demo ----

int run_demo(const std::map<std::string, std::string>& flags) {
    const std::string cmd = "demo";
    vigil::devnet_demo::Options o;
    auto vigil = require(flags, "vigil");
    if (!vigil.ok()) return error(cmd, vigil.error().message);
    o.vigil = *vigil;
    auto dir = require_dir(flags);
    if (!dir.ok()) return error(cmd, dir.error().message);
    o.dir = *dir;
    if (flags.count("seconds")) {
        auto s = parse_uint("seconds", flags.at("seconds"), 30, 24 * 3600);
        if (!s.ok()) return error(cmd, s.error().message);
        o.seconds = *s;
    }
    return vigil::devnet_demo::run(o);
}

std::vector<Command> commands() {
    return {
        {"up",
         "--dir DIR [--l2s N] [--block-time S]",
         "Starts an L1 and N L2 Anvil chains, deploys the devnet contracts, writes DIR/devnet.json "
         "and\n"
         "DIR/vigil.yaml, prints a one-line summary and runs until SIGINT/SIGTERM, then stops the "
         "chains.",
         {{"dir", true, "directory for devnet.json and vigil.yaml (created)"},
          {"l2s", true, "number of L2 chains (default 2)"},
          {"block-time", true,
           "seconds between blocks on every chain (default 1; 0 = a block per tx)"}},
         run_up},
        {"propose",
         "--dir DIR --l2 NAME [--invalid] [--every N] [--block B]",
         "Proposes the output root of an L2 block to the L2's DisputeGameFactory on L1 (from the "
         "proposer\n"
         "key); prints one JSON line per proposal.",
         {{"dir", true, "directory of a running devnet (devnet.json)"},
          {"l2", true, "L2 name, e.g. op-a"},
          {"invalid", false, "propose a wrong output root"},
          {"every", true, "keep proposing, once per N new L2 blocks, until SIGINT/SIGTERM"},
          {"block", true, "the L2 block to propose (default: the L2 head)"}},
         run_propose},
        {"withdraw",
         "--dir DIR --l2 NAME [--count N] [--data-size BYTES]",
         "Sends withdrawals from the user key through the L2's L2ToL1MessagePasser to the user's "
         "own\n"
         "L1 address; prints one JSON line per withdrawal.",
         {{"dir", true, "directory of a running devnet (devnet.json)"},
          {"l2", true, "L2 name, e.g. op-a"},
          {"count", true, "number of withdrawals (default 1)"},
          {"data-size", true, "bytes of calldata per withdrawal (default 0)"}},
         run_withdraw},
        {"reorg",
         "--dir DIR --chain NAME --depth D",
         "Replaces the last D blocks of a chain (l1 or an L2 name) with new empty blocks.",
         {{"dir", true, "directory of a running devnet (devnet.json)"},
          {"chain", true, "l1 or an L2 name"},
          {"depth", true, "number of blocks to replace"}},
         run_reorg},
        {"demo",
         "--vigil PATH --dir DIR [--seconds N]",
         "The demo (`make demo`): starts a devnet, runs `vigil run` against it, drives "
         "withdrawals\n"
         "and proposals (one invalid), shows progress, stops vigil cleanly and prints a "
         "summary.\n"
         "Ctrl-C ends it early, cleanly.",
         {{"vigil", true, "the vigil binary"},
          {"dir", true, "scratch directory (emptied first)"},
          {"seconds", true, "how long it runs at most (default 90, at least 30)"}},
         run_demo},
    };
}

void print_usage() {
    std::cout << "usage: vigil-devnet COMMAND [options]\n\ncommands:\n";
    for (const auto& c : commands()) std::cout << "  " << c.name << " " << c.usage << "\n";
    std::cout << "\nvigil-devnet COMMAND --help for details.\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "vigil-devnet: missing command (see vigil-devnet --help)\n";
        return 1;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        print_usage();
        return 0;
    }
    for (const auto& c : commands()) {
        if (c.name != name) continue;
        for (int i = 2; i < argc; ++i) {
            if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
                print_help(c);
                return 0;
            }
        }
        auto flags = parse_flags(c, argc - 2, argv + 2);
        if (!flags.ok()) return error(c.name, flags.error().message);
        return c.run(*flags);
    }
    std::cerr << "vigil-devnet: unknown command '" << name << "' (see vigil-devnet --help)\n";
    return 1;
}
