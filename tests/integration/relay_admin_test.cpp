// The operator's controls of a running relayer, end to end on a devnet: `vigil relay
// pause|resume|list|retry` against `vigil run`'s admin API, and the route policy.
//  - a paused route observes but proves nothing, and stays paused across a restart;
//  - resumed, it proves what waited; a withdrawal over the route's gas cap is failed with
//    the reason and listed as failed; a retry of one that has not failed is refused;
//  - after the operator lifts the cap (config change, restart), `retry` proves it;
//  - every mutating call is in the log as an audit line, and the token never is.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "chains/eth/abi.h"
#include "chains/rpc/json_fields.h"
#include "tests/support/devnet.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace vigil {
namespace {

using eth::abi::Value;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kToken = "relay-admin-test-token-5b1e9a7c";

struct Rig {
    testing::TempDir dir;
    std::unique_ptr<testing::Devnet> devnet;
    std::unique_ptr<testing::DevnetClient> client;
    std::filesystem::path config, token;
    std::map<std::string, std::string> env;
    std::optional<testing::ChildProcess> vigil;
    uint16_t metrics_port = 0, admin_port = 0;
    int launches = 0;

    void start() {
        testing::DevnetOptions o;
        o.l2_count = 1;
        o.block_time_secs = 1;
        auto d = testing::Devnet::start(o);
        ASSERT_TRUE(d.ok()) << d.error().message;
        devnet = std::move(d).value();
        auto c = testing::DevnetClient::connect(devnet->info());
        ASSERT_TRUE(c.ok()) << c.error().message;
        client = std::move(c).value();
        metrics_port = testing::free_tcp_port();
        admin_port = testing::free_tcp_port();
        token = dir.path / "admin-token";
        std::ofstream(token) << kToken << "\n";
        ::chmod(token.c_str(), 0600);
        config = dir.path / "vigil.yaml";
        env = devnet->info().signer_env();
    }

    // The devnet config, the admin API on, and (if set) a gas cap on the route.
    void write_config(std::optional<uint64_t> max_gas_limit) {
        std::string y =
            devnet->info().vigil_yaml("store", "127.0.0.1:" + std::to_string(metrics_port), 1);
        if (max_gas_limit) {
            const std::string anchor = "      signer: relayer\n";
            const auto at = y.find(anchor);
            ASSERT_NE(at, std::string::npos);
            y.insert(at + anchor.size(), "      policy:\n        max_gas_limit: " +
                                             std::to_string(*max_gas_limit) + "\n");
        }
        y += "admin:\n  listen: \"127.0.0.1:" + std::to_string(admin_port) +
             "\"\n  token_file: " + token.string() + "\n";
        std::ofstream(config) << y;
    }

    void launch() {
        auto p = testing::ChildProcess::spawn(
            {std::string(VIGIL_BINARY_DIR) + "/vigil", "run", "--config", config.string()}, env,
            dir.path / ("vigil-" + std::to_string(++launches) + ".log"));
        ASSERT_TRUE(p.ok()) << p.error().message;
        vigil.emplace(std::move(p).value());
        for (int i = 0; i < 80; ++i) {
            long code = 0, admin_code = 0;
            testing::http_get(metrics_port, "/readyz", &code);
            testing::http_get(admin_port, "/readyz", &admin_code);  // probes reach both
            if (code == 200 && admin_code == 200) return;
            std::this_thread::sleep_for(milliseconds(250));
        }
        FAIL() << "vigil never got ready\n" << logs();
    }

    void stop() {
        vigil->signal(SIGTERM);
        EXPECT_EQ(vigil->wait(seconds(30)), std::optional<int>(0));
    }

    std::string logs() const {
        std::string all;
        for (int i = 1; i <= launches; ++i) {
            std::ifstream in(dir.path / ("vigil-" + std::to_string(i) + ".log"));
            all += std::string(std::istreambuf_iterator<char>(in), {});
        }
        return all;
    }

    testing::CommandOutput relay(std::vector<std::string> args) {
        args.insert(args.begin(), {std::string(VIGIL_BINARY_DIR) + "/vigil", "relay"});
        args.insert(args.begin() + 3, {"--config", config.string()});
        auto out = testing::run_command(args, seconds(30));
        EXPECT_TRUE(out.ok()) << out.error().message;
        return out.ok() ? *out : testing::CommandOutput{};
    }

    bool proven(const testing::SentWithdrawal& w) {
        auto relayer = client->key("relayer");
        auto v = client->view(
            "l1", devnet->info().l2s[0].optimism_portal, "provenWithdrawals(bytes32,address)",
            {Value::fixed_bytes(eth::Bytes(w.hash.bytes.begin(), w.hash.bytes.end())),
             Value::address(relayer->address())},
            "(address,uint64)");
        return v.ok() &&
               v->as<eth::abi::TupleValue>().items[1].as<eth::abi::UintValue>().value.low64() != 0;
    }

    bool wait_proven(const testing::SentWithdrawal& w, seconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until) {
            if (proven(w)) return true;
            std::this_thread::sleep_for(milliseconds(500));
        }
        return false;
    }

    // A valid game covering L2 block `block` (once it is 1 confirmation deep).
    void propose_covering(uint64_t block) {
        for (;;) {
            auto head = client->block_number("op-a");
            ASSERT_TRUE(head.ok());
            if (*head >= block + 2) {
                ASSERT_TRUE(client->propose("op-a", *head - 1, false).ok());
                return;
            }
            std::this_thread::sleep_for(milliseconds(250));
        }
    }
};

bool lists(const std::string& json_text, const eth::Hash32& hash) {
    auto j = json::parse(json_text, nullptr, false);
    if (!j.is_array()) return false;
    for (const auto& w : j)
        if (w.value("hash", "") == hash.to_hex()) return true;
    return false;
}

TEST(RelayAdmin, PauseResumePolicyAndRetryThroughTheRunningDaemon) {
    Rig rig;
    rig.start();
    if (HasFatalFailure()) return;
    rig.write_config(300'000);
    rig.launch();
    if (HasFatalFailure()) return;

    // Paused: the withdrawals are observed, nothing is proved, also after a restart.
    auto paused = rig.relay({"pause", "--route", "op-a"});
    EXPECT_EQ(paused.exit_code, 0) << paused.combined();
    auto user = rig.client->key("user");
    ASSERT_TRUE(user.ok());
    auto small = rig.client->withdraw("op-a", user->address(), eth::U256(), 100'000, {});
    auto large = rig.client->withdraw("op-a", user->address(), eth::U256(), 500'000, {0x01});
    ASSERT_TRUE(small.ok() && large.ok());
    rig.propose_covering(std::max(small->l2_block, large->l2_block));
    std::this_thread::sleep_for(seconds(6));
    EXPECT_FALSE(rig.proven(*small));
    auto observed = rig.relay({"list", "--state", "observed"});
    EXPECT_EQ(observed.exit_code, 0) << observed.combined();
    EXPECT_TRUE(lists(observed.out, small->hash) && lists(observed.out, large->hash))
        << observed.out;
    EXPECT_EQ(testing::metric_sum(testing::http_get(rig.metrics_port, "/metrics"),
                                  "vigil_relayer_paused", "route=\"op-a\""),
              1.0);
    // The relayer key's balance on L1 is published (the devnet funds it with 10000 ETH).
    double balance = 0;
    for (int i = 0; i < 40 && balance == 0; ++i) {
        balance =
            testing::metric_sum(testing::http_get(rig.metrics_port, "/metrics"),
                                "vigil_signer_balance_wei", "chain=\"l1\",signer=\"relayer\"");
        if (balance == 0) std::this_thread::sleep_for(milliseconds(250));
    }
    EXPECT_GT(balance, 1e18);

    rig.stop();
    rig.launch();
    if (HasFatalFailure()) return;
    std::this_thread::sleep_for(seconds(4));
    EXPECT_FALSE(rig.proven(*small)) << "a paused route sent after a restart";

    // Resumed: the small one is proved; the large one fails on the route's gas cap.
    auto resumed = rig.relay({"resume", "--route", "op-a"});
    EXPECT_EQ(resumed.exit_code, 0) << resumed.combined();
    EXPECT_TRUE(rig.wait_proven(*small, seconds(30))) << rig.logs();
    auto failed = rig.relay({"list", "--state", "failed"});
    EXPECT_TRUE(lists(failed.out, large->hash)) << failed.out;
    EXPECT_NE(failed.out.find("max_gas_limit"), std::string::npos) << failed.out;
    EXPECT_FALSE(rig.proven(*large));
    // A retry of one that has not failed is refused by the daemon (exit 3).
    auto refused = rig.relay({"retry", "--withdrawal", small->hash.to_hex()});
    EXPECT_EQ(refused.exit_code, 3) << refused.combined();
    // A wrong token is refused too: the API is not open to whoever reaches the port.
    {
        std::ofstream(rig.token) << "not-the-token-but-long-enough\n";
        auto wrong = rig.relay({"pause", "--route", "op-a"});
        EXPECT_EQ(wrong.exit_code, 3) << wrong.combined();
        std::ofstream(rig.token) << kToken << "\n";
    }

    // The operator lifts the cap and retries: proved.
    rig.stop();
    rig.write_config(std::nullopt);
    rig.launch();
    if (HasFatalFailure()) return;
    auto retried = rig.relay({"retry", "--withdrawal", large->hash.to_hex()});
    EXPECT_EQ(retried.exit_code, 0) << retried.combined();
    EXPECT_TRUE(rig.wait_proven(*large, seconds(30))) << rig.logs();
    rig.stop();

    const std::string log = rig.logs();
    for (const char* action : {"pause_route", "resume_route", "retry_withdrawal"})
        EXPECT_NE(log.find(std::string("\"action\":\"") + action + "\""), std::string::npos)
            << "no audit line for " << action;
    EXPECT_NE(log.find("\"audit\":true"), std::string::npos);
    EXPECT_EQ(log.find(kToken), std::string::npos) << "the admin token reached the log";
}

}  // namespace
}  // namespace vigil
