// `vigil verify check` on the devnet: the computed output root matches the devnet's own
// (independently written) computation, claims are judged, and blocks not reached wait.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/devnet.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace vigil {
namespace {

TEST(VerifyCheck, AuditsOneBlockAgainstTheDevnet) {
    testing::DevnetOptions o;
    o.l2_count = 1;
    auto devnet = testing::Devnet::start(o);
    ASSERT_TRUE(devnet.ok()) << devnet.error().message;
    auto client = testing::DevnetClient::connect((*devnet)->info());
    ASSERT_TRUE(client.ok()) << client.error().message;
    const testing::DevnetL2& l2 = (*devnet)->info().l2s[0];
    // Some withdrawals, so the message passer's storage is not empty.
    ASSERT_TRUE((*client)->withdraw_many(l2.name, 3, 64).ok());
    ASSERT_TRUE((*client)->mine(l2.name, 4).ok());
    auto head = (*client)->block_number(l2.name);
    ASSERT_TRUE(head.ok());
    const uint64_t block = *head - 2;  // settled under `confirmations: 2`
    auto truth = (*client)->output_at(l2.name, block);
    ASSERT_TRUE(truth.ok()) << truth.error().message;

    testing::TempDir dir("verify");
    const std::string config = (dir.path / "vigil.yaml").string();
    std::ofstream(config) << (*devnet)->info().vigil_yaml();  // a rollup per L2
    // `vigil verify check` on this rollup, with `args` after it.
    auto check = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {std::string(VIGIL_BINARY_DIR) + "/vigil", "verify", "check",
                                   "--json", "--config", config, "--rollup", l2.name});
        return testing::run_command(args);
    };

    auto computed = check({"--l2-block", std::to_string(block)});
    ASSERT_TRUE(computed.ok()) << computed.error().message;
    ASSERT_EQ(computed->exit_code, 0) << computed->combined();
    auto j = nlohmann::json::parse(computed->out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << computed->out;
    EXPECT_EQ(j["output_root"], truth->root().to_hex());
    EXPECT_EQ(j["state_root"], truth->state_root.to_hex());
    EXPECT_EQ(j["message_passer_storage_root"], truth->message_passer_storage_root.to_hex());
    EXPECT_EQ(j["block_hash"], truth->latest_block_hash.to_hex());
    EXPECT_EQ(j["verdict"], "computed");

    auto valid = check({"--l2-block", std::to_string(block), "--claim", truth->root().to_hex()});
    ASSERT_TRUE(valid.ok()) << valid.error().message;
    EXPECT_EQ(valid->exit_code, 0) << valid->combined();
    EXPECT_NE(valid->out.find("\"verdict\":\"valid\""), std::string::npos) << valid->out;

    auto invalid =
        check({"--l2-block", std::to_string(block), "--claim", "0x" + std::string(64, 'e')});
    ASSERT_TRUE(invalid.ok()) << invalid.error().message;
    EXPECT_EQ(invalid->exit_code, 3) << invalid->combined();
    EXPECT_NE(invalid->out.find("\"verdict\":\"invalid\""), std::string::npos) << invalid->out;

    auto waiting = check({"--l2-block", std::to_string(*head)});  // not 2 deep yet
    ASSERT_TRUE(waiting.ok()) << waiting.error().message;
    EXPECT_EQ(waiting->exit_code, 2) << waiting->combined();
    EXPECT_NE(waiting->out.find("\"verdict\":\"not-yet\""), std::string::npos) << waiting->out;

    auto bad = check({"--l2-block", "1", "--claim", "0x12"});
    ASSERT_TRUE(bad.ok()) << bad.error().message;
    EXPECT_EQ(bad->exit_code, 1) << bad->combined();
}

}  // namespace
}  // namespace vigil
