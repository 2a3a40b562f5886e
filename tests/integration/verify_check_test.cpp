// `vigil verify check` on the devnet: the computed output root matches the devnet's own
// (independently written) computation, claims are judged, and blocks not reached wait.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/support/devnet.h"

namespace vigil {
namespace {

std::pair<int, std::string> run(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int rc = pclose(p);
    return {WEXITSTATUS(rc), out};
}

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

    char tmpl[] = "/tmp/vigil-verify-XXXXXX";
    std::filesystem::path dir = mkdtemp(tmpl);
    const std::string config = (dir / "vigil.yaml").string();
    std::ofstream(config) << (*devnet)->info().vigil_yaml();  // a rollup per L2
    const std::string vigil = std::string(VIGIL_BINARY_DIR) +
                              "/vigil verify check --json --config " + config + " --rollup " +
                              l2.name;

    auto [rc, out] = run(vigil + " --l2-block " + std::to_string(block));
    ASSERT_EQ(rc, 0) << out;
    auto j = nlohmann::json::parse(out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << out;
    EXPECT_EQ(j["output_root"], truth->root().to_hex());
    EXPECT_EQ(j["state_root"], truth->state_root.to_hex());
    EXPECT_EQ(j["message_passer_storage_root"], truth->message_passer_storage_root.to_hex());
    EXPECT_EQ(j["block_hash"], truth->latest_block_hash.to_hex());
    EXPECT_EQ(j["verdict"], "computed");

    auto [rc_valid, valid] =
        run(vigil + " --l2-block " + std::to_string(block) + " --claim " + truth->root().to_hex());
    EXPECT_EQ(rc_valid, 0) << valid;
    EXPECT_NE(valid.find("\"verdict\":\"valid\""), std::string::npos) << valid;

    auto [rc_invalid, invalid] =
        run(vigil + " --l2-block " + std::to_string(block) + " --claim 0x" + std::string(64, 'e'));
    EXPECT_EQ(rc_invalid, 3) << invalid;
    EXPECT_NE(invalid.find("\"verdict\":\"invalid\""), std::string::npos) << invalid;

    auto [rc_wait, wait] = run(vigil + " --l2-block " + std::to_string(*head));  // not 2 deep yet
    EXPECT_EQ(rc_wait, 2) << wait;
    EXPECT_NE(wait.find("\"verdict\":\"not-yet\""), std::string::npos) << wait;

    auto [rc_bad, bad] = run(vigil + " --l2-block 1 --claim 0x12 2>&1");
    EXPECT_EQ(rc_bad, 1) << bad;
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil
