// Output roots recomputed from a real L2 node (Anvil), and what happens when the node
// lies (fault proxy rewriting its answers) or lags.
#include "verifier/output_root.h"

#include <gtest/gtest.h>

#include "chains/eth/keccak.h"
#include "chains/eth/opstack.h"
#include "tests/support/anvil.h"
#include "tests/support/chain_driver.h"
#include "tests/support/fault_proxy.h"

namespace vigil::verifier {
namespace {

using testing::Fault;

class OutputRootTest : public ::testing::Test {
  protected:
    void SetUp() override {
        testing::AnvilOptions o;
        o.chain_id = 901;
        auto a = testing::AnvilProcess::start(o);
        ASSERT_TRUE(a.ok()) << a.error().message;
        anvil_ = std::move(a).value();
        testing::ChainDriver d(anvil_->rpc_url(), 901);
        const std::string passer = eth::opstack::message_passer_address().to_hex();
        ASSERT_TRUE(d.set_code(eth::opstack::message_passer_address(), "0x00").ok());
        // Some sentMessages entries, so that the storage root is a real trie.
        for (int i = 1; i <= 5; ++i) {
            std::string slot = eth::keccak256(std::string_view(std::to_string(i))).to_hex();
            ASSERT_TRUE(
                d.rpc()
                    .call("anvil_setStorageAt",
                          rpc::Json::array({passer, slot, "0x" + std::string(63, '0') + "1"}))
                    .ok());
        }
        ASSERT_TRUE(d.mine(5).ok());
    }
    rpc::RpcClientOptions options(const std::string& url) {
        rpc::RpcClientOptions o;
        o.chain = "l2";
        o.urls = {url};
        o.expected_chain_id = 901;
        o.requests_per_second = 0;
        o.max_attempts = 2;
        o.backoff_base = std::chrono::milliseconds(1);
        return o;
    }
    static core::Finality latest() {
        return core::Finality{core::Finality::Kind::confirmations, 0};
    }

    std::unique_ptr<testing::AnvilProcess> anvil_;
};

TEST_F(OutputRootTest, MatchesTheNodesOwnFields) {
    rpc::RpcClient l2(options(anvil_->rpc_url()));
    ASSERT_TRUE(l2.connect().ok());
    OutputRootSource source(l2, latest());
    auto in = source.compute(4);
    ASSERT_TRUE(in.ok()) << in.error().message;
    // Independently: the node's own block hash, state root and storageHash.
    auto block = l2.call("eth_getBlockByNumber", rpc::Json::array({"0x4", false}));
    auto proof =
        l2.call("eth_getProof", rpc::Json::array({eth::opstack::message_passer_address().to_hex(),
                                                  rpc::Json::array(), "0x4"}));
    ASSERT_TRUE(block.ok() && proof.ok());
    EXPECT_EQ(in->block_hash.to_hex(), (*block)["hash"].get<std::string>());
    EXPECT_EQ(in->state_root.to_hex(), (*block)["stateRoot"].get<std::string>());
    EXPECT_EQ(in->message_passer_storage_root.to_hex(), (*proof)["storageHash"].get<std::string>());
    EXPECT_NE(in->message_passer_storage_root.to_hex(),
              "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
    eth::Bytes preimage(32, 0);
    eth::append(preimage, in->state_root.view());
    eth::append(preimage, in->message_passer_storage_root.view());
    eth::append(preimage, in->block_hash.view());
    EXPECT_EQ(in->output_root, eth::keccak256(preimage));
}

TEST_F(OutputRootTest, ABlockTheNodeHasNotReachedIsNotYet) {
    rpc::RpcClient l2(options(anvil_->rpc_url()));
    ASSERT_TRUE(l2.connect().ok());
    OutputRootSource source(l2, latest());
    auto ahead = source.compute(100);
    ASSERT_FALSE(ahead.ok());
    EXPECT_EQ(ahead.error().code, kNotYet);
    OutputRootSource careful(l2, core::Finality{core::Finality::Kind::confirmations, 3});
    auto shallow = careful.compute(3);  // head 5, settled 2
    ASSERT_FALSE(shallow.ok());
    EXPECT_EQ(shallow.error().code, kNotYet);
    EXPECT_TRUE(careful.compute(2).ok());
}

TEST_F(OutputRootTest, ForgedAnswersAreUnverifiableNeverAVerdict) {
    auto proxy = testing::FaultProxy::start(anvil_->rpc_url());
    ASSERT_TRUE(proxy.ok());
    rpc::RpcClient l2(options((*proxy)->url()));
    ASSERT_TRUE(l2.connect().ok());
    OutputRootSource source(l2, latest());
    auto forge = [&](const std::string& method, std::function<void(rpc::Json&)> edit) {
        (*proxy)->set_policy([method, edit](const rpc::Json& req) {
            if (!req.is_object() || req.value("method", "") != method) return Fault::pass_through();
            Fault f = Fault::of(Fault::Kind::rewrite);
            f.rewrite = edit;
            return f;
        });
    };
    // A proof node altered (one byte of the last account-proof node).
    forge("eth_getProof", [](rpc::Json& a) {
        auto& nodes = a["result"]["accountProof"];
        std::string n = nodes.back().get<std::string>();
        n[n.size() - 3] = n[n.size() - 3] == '0' ? '1' : '0';
        nodes.back() = n;
    });
    auto altered = source.compute(4);
    ASSERT_FALSE(altered.ok());
    EXPECT_EQ(altered.error().code, kUnverifiable) << altered.error().message;
    // A lie about the storage root, with an honest proof.
    forge("eth_getProof",
          [](rpc::Json& a) { a["result"]["storageHash"] = "0x" + std::string(64, 'a'); });
    auto lied = source.compute(4);
    ASSERT_FALSE(lied.ok());
    EXPECT_EQ(lied.error().code, kUnverifiable) << lied.error().message;
    // A header whose state root was swapped: it no longer hashes to its hash.
    forge("eth_getBlockByNumber", [](rpc::Json& a) {
        if (a["result"].is_object() && a["result"]["number"] == "0x4")
            a["result"]["stateRoot"] = "0x" + std::string(64, 'b');
    });
    auto swapped = source.compute(4);
    ASSERT_FALSE(swapped.ok());
    EXPECT_EQ(swapped.error().code, kUnverifiable) << swapped.error().message;
    // Honest again: fine.
    (*proxy)->set_policy([](const rpc::Json&) { return Fault::pass_through(); });
    EXPECT_TRUE(source.compute(4).ok());
}

}  // namespace
}  // namespace vigil::verifier
