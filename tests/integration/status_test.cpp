// `vigil status` against a real chain and a store with a committed cursor.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "chains/listener.h"
#include "tests/support/anvil.h"
#include "tests/support/chain_driver.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

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

TEST(Status, ReportsHeadCursorLagAndEndpoints) {
    testing::AnvilOptions o;
    o.chain_id = 777;
    auto anvil = testing::AnvilProcess::start(o);
    ASSERT_TRUE(anvil.ok()) << anvil.error().message;
    testing::ChainDriver d((*anvil)->rpc_url(), 777);
    ASSERT_TRUE(d.mine(10).ok());

    testing::TempDir dir("status");
    const std::string config = (dir.path / "vigil.yaml").string();
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
    const std::string vigil = std::string(VIGIL_BINARY_DIR) + "/vigil";
    auto status = testing::run_command({vigil, "status", "--json", "--config", config});
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(status->exit_code, 0) << status->combined();
    auto j = nlohmann::json::parse(status->out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << status->out;
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

    auto text = testing::run_command({vigil, "status", "--config", config});
    ASSERT_TRUE(text.ok()) << text.error().message;
    EXPECT_EQ(text->exit_code, 0) << text->combined();
    EXPECT_NE(text->out.find("l1 (chain 777): head 15, confirmed 13"), std::string::npos)
        << text->out;
    EXPECT_NE(text->out.find("cursor relayer: block 8"), std::string::npos) << text->out;
    EXPECT_NE(text->out.find("DOWN"), std::string::npos) << text->out;

    // A chain that is unreachable: exit 1, with the reason.
    (*anvil)->stop();
    auto down = testing::run_command({vigil, "status", "--config", config});
    ASSERT_TRUE(down.ok()) << down.error().message;
    EXPECT_EQ(down->exit_code, 1);
    EXPECT_NE(down->combined().find("no endpoint answered"), std::string::npos) << down->combined();
}

}  // namespace
}  // namespace vigil
