// `vigil status` against a real chain and a store with a committed cursor.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "chains/listener.h"
#include "tests/support/anvil.h"
#include "tests/support/chain_driver.h"

namespace vigil {
namespace {

class NullConsumer : public chains::LogConsumer {
  public:
    Status on_confirmed(uint64_t, const chains::BlockRef&, const std::vector<chains::ConfirmedLog>&,
                        core::WriteBatch&) override {
        return {};
    }
    Status on_reorg(uint64_t, core::WriteBatch&) override { return {}; }
};

std::pair<int, std::string> run(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int rc = pclose(p);
    return {WEXITSTATUS(rc), out};
}

TEST(Status, ReportsHeadCursorLagAndEndpoints) {
    testing::AnvilOptions o;
    o.chain_id = 777;
    auto anvil = testing::AnvilProcess::start(o);
    ASSERT_TRUE(anvil.ok()) << anvil.error().message;
    testing::ChainDriver d((*anvil)->rpc_url(), 777);
    ASSERT_TRUE(d.mine(10).ok());

    char tmpl[] = "/tmp/vigil-status-XXXXXX";
    std::filesystem::path dir = mkdtemp(tmpl);
    const std::string config = (dir / "vigil.yaml").string();
    std::ofstream(config) << "store: {path: store}\n"
                             "chains:\n"
                             "  - name: l1\n"
                             "    chain_id: 777\n"
                             "    rpc: [\""
                          << (*anvil)->rpc_url()
                          << "\", \"http://127.0.0.1:1\"]\n"
                             "    confirmations: 2\n";
    {
        auto cfg = core::load_config(config);
        ASSERT_TRUE(cfg.ok()) << cfg.error().message;
        auto store = core::Store::open(cfg->store_path);
        ASSERT_TRUE(store.ok());
        rpc::RpcClientOptions ro;
        ro.chain = "l1";
        ro.urls = {(*anvil)->rpc_url()};
        ro.expected_chain_id = 777;
        rpc::RpcClient rpc(ro);
        ASSERT_TRUE(rpc.connect().ok());
        NullConsumer consumer;
        std::ostringstream sink;
        chains::Listener listener(cfg->chains[0], "relayer", {}, rpc, **store, consumer,
                                  core::Logger(sink, core::LogFormat::json, core::LogLevel::error));
        ASSERT_TRUE(listener.start().ok());
        for (int i = 0; i < 20; ++i) {
            auto r = listener.step();
            ASSERT_TRUE(r.ok()) << r.error().message;
            if (r->caught_up) break;
        }
    }
    ASSERT_TRUE(d.mine(5).ok());  // the chain moves on; the cursor lags by 5
    auto [rc, out] = run(std::string(VIGIL_BINARY_DIR) + "/vigil status --json --config " + config);
    EXPECT_EQ(rc, 0) << out;
    auto j = nlohmann::json::parse(out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << out;
    EXPECT_EQ(j["store"], "ok");
    const auto& c = j["chains"][0];
    EXPECT_EQ(c["name"], "l1");
    EXPECT_EQ(c["head"], 15);
    EXPECT_EQ(c["confirmed"], 13);
    ASSERT_EQ(c["cursors"].size(), 1u);
    EXPECT_EQ(c["cursors"][0]["consumer"], "relayer");
    EXPECT_EQ(c["cursors"][0]["number"], 8);
    EXPECT_EQ(c["cursors"][0]["lag"], 5);
    ASSERT_EQ(c["endpoints"].size(), 2u);
    EXPECT_EQ(c["endpoints"][0]["healthy"], true);
    EXPECT_EQ(c["endpoints"][1]["healthy"], false);

    auto [rc_text, text] = run(std::string(VIGIL_BINARY_DIR) + "/vigil status --config " + config);
    EXPECT_EQ(rc_text, 0);
    EXPECT_NE(text.find("l1 (chain 777): head 15, confirmed 13"), std::string::npos) << text;
    EXPECT_NE(text.find("cursor relayer: block 8"), std::string::npos) << text;
    EXPECT_NE(text.find("DOWN"), std::string::npos) << text;

    // A chain that is unreachable: exit 1, with the reason.
    (*anvil)->stop();
    auto [rc_down, down] =
        run(std::string(VIGIL_BINARY_DIR) + "/vigil status --config " + config + " 2>&1");
    EXPECT_EQ(rc_down, 1);
    EXPECT_NE(down.find("no endpoint answered"), std::string::npos) << down;
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil
