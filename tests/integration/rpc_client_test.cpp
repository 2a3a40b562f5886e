// RpcClient against a real Anvil node, and against the fault proxy in front of it.
#include "chains/rpc/http_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "chains/eth/keccak.h"
#include "tests/support/anvil.h"
#include "tests/support/fault_proxy.h"

namespace vigil::rpc {
namespace {

using testing::AnvilOptions;
using testing::AnvilProcess;
using testing::Fault;
using testing::FaultProxy;

constexpr uint64_t kChainId = 4242;

// A local port with nothing listening: bind, read the port, close.
std::string dead_url() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

class RpcClientTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        AnvilOptions o;
        o.chain_id = kChainId;
        auto a = AnvilProcess::start(o);
        ASSERT_TRUE(a.ok()) << a.error().message;
        anvil_ = std::move(a).value().release();
    }
    static void TearDownTestSuite() { delete anvil_; }

    RpcClientOptions options(std::vector<std::string> urls) {
        RpcClientOptions o;
        o.chain = "test";
        o.urls = std::move(urls);
        o.expected_chain_id = kChainId;
        o.timeout = std::chrono::milliseconds(1500);
        o.requests_per_second = 1000;
        o.backoff_base = std::chrono::milliseconds(5);
        o.backoff_max = std::chrono::milliseconds(50);
        o.endpoint_rest = std::chrono::milliseconds(100);
        return o;
    }

    static AnvilProcess* anvil_;
};
AnvilProcess* RpcClientTest::anvil_ = nullptr;

TEST_F(RpcClientTest, CallsAndBatchesAgainstARealNode) {
    RpcClient client(options({anvil_->rpc_url()}));
    ASSERT_TRUE(client.connect().ok());
    auto id = client.call("eth_chainId");
    ASSERT_TRUE(id.ok()) << id.error().message;
    EXPECT_EQ(*eth::parse_quantity(id->get<std::string>()), kChainId);

    auto results =
        client.batch({{"eth_blockNumber", Json::array()},
                      {"eth_no_such_method", Json::array()},
                      {"eth_getBalance", Json::array({testing::kAnvilAddress0, "latest"})}});
    ASSERT_TRUE(results.ok()) << results.error().message;
    ASSERT_EQ(results->size(), 3u);
    EXPECT_TRUE((*results)[0].ok());
    ASSERT_FALSE((*results)[1].ok());
    EXPECT_EQ((*results)[1].error().code, kRpcError);
    ASSERT_TRUE((*results)[2].ok());
    EXPECT_GT(*eth::U256::from_string((*results)[2]->get<std::string>()), eth::U256(0));

    // A batch over max_batch_calls goes as several requests; the answers keep their order.
    {
        auto o = options({anvil_->rpc_url()});
        o.max_batch_calls = 2;
        RpcClient small(o);
        ASSERT_TRUE(small.connect().ok());
        std::vector<RpcCall> calls;
        for (int i = 0; i < 5; ++i)
            calls.push_back(i % 2 ? RpcCall{"eth_getBlockByNumber", Json::array({"0x0", false})}
                                  : RpcCall{"eth_chainId", Json::array()});
        const uint64_t before = small.status()[0].requests;
        auto many = small.batch(calls);
        ASSERT_TRUE(many.ok()) << many.error().message;
        ASSERT_EQ(many->size(), 5u);
        for (int i = 0; i < 5; ++i) {
            ASSERT_TRUE((*many)[i].ok());
            if (i % 2)
                EXPECT_EQ((*(*many)[i])["number"], "0x0") << i;
            else
                EXPECT_EQ(*eth::parse_quantity((*many)[i]->get<std::string>()), kChainId) << i;
        }
        EXPECT_EQ(small.status()[0].requests - before, 3u);
    }

    // Requests are written by Vigil's own serializer: a long hex parameter arrives intact
    // (the node hashes what it got), and a string that needs escaping is escaped.
    {
        eth::Bytes data(10'000);
        for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
        auto hashed = client.call("web3_sha3", Json::array({eth::to_hex(data)}));
        ASSERT_TRUE(hashed.ok()) << hashed.error().message;
        EXPECT_EQ(hashed->get<std::string>(), eth::keccak256(data).to_hex());
        auto odd = client.call("eth_getBlockByNumber",
                               Json::array({"quote\" back\\slash \u00e9 \n", false}));
        ASSERT_FALSE(odd.ok());
        EXPECT_EQ(odd.error().code, kRpcError) << odd.error().message;
    }

    // A node's refusal comes back at once as an rpc error, not a retry storm.
    auto refused = client.call("eth_getBlockByNumber", Json::array({"not-a-tag", false}));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, kRpcError);
}

TEST_F(RpcClientTest, WrongChainIdIsRefusedAtStart) {
    auto o = options({anvil_->rpc_url()});
    o.expected_chain_id = 1;
    RpcClient client(o);
    Status s = client.connect();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, kWrongChain);
    EXPECT_NE(s.error().message.find("serves chain id 4242, the config says 1"), std::string::npos)
        << s.error().message;
}

TEST_F(RpcClientTest, DeadEndpointIsSkipped) {
    RpcClient client(options({dead_url(), anvil_->rpc_url()}));
    ASSERT_TRUE(client.connect().ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(client.call("eth_blockNumber").ok());
    auto st = client.status();
    EXPECT_FALSE(st[0].healthy);
    EXPECT_TRUE(st[1].healthy);
    EXPECT_EQ(st[0].requests, 6u);  // max_attempts tries at connect, then rested
}

TEST_F(RpcClientTest, NoEndpointAtAllIsAClearError) {
    RpcClient client(options({dead_url()}));
    Status s = client.connect();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, kNoEndpoint);
}

TEST_F(RpcClientTest, TransientFaultsAreRetriedUntilSuccess) {
    auto proxy = FaultProxy::start(anvil_->rpc_url());
    ASSERT_TRUE(proxy.ok());
    RpcClient client(options({(*proxy)->url()}));
    ASSERT_TRUE(client.connect().ok());
    for (Fault::Kind kind : {Fault::Kind::drop, Fault::Kind::truncate, Fault::Kind::garbage}) {
        std::atomic<int> left = 2;  // fail twice, then pass
        (*proxy)->set_policy(
            [&](const Json&) { return left-- > 0 ? Fault::of(kind) : Fault::pass_through(); });
        auto r = client.call("eth_blockNumber");
        EXPECT_TRUE(r.ok()) << static_cast<int>(kind) << ": " << r.error().message;
    }
    for (int status : {429, 500, 503}) {
        std::atomic<int> left = 2;
        (*proxy)->set_policy([&](const Json&) {
            Fault f = Fault::of(Fault::Kind::http_status);
            f.status = status;
            return left-- > 0 ? f : Fault::pass_through();
        });
        auto r = client.call("eth_blockNumber");
        EXPECT_TRUE(r.ok()) << status << ": " << r.error().message;
    }
    // A delay longer than the timeout is a timeout, then a retry.
    std::atomic<int> left = 1;
    (*proxy)->set_policy([&](const Json&) {
        Fault f = Fault::of(Fault::Kind::delay);
        f.delay_ms = 2500;
        return left-- > 0 ? f : Fault::pass_through();
    });
    EXPECT_TRUE(client.call("eth_blockNumber").ok());
}

TEST_F(RpcClientTest, PersistentFaultsEndInAnErrorNeverACrash) {
    auto proxy = FaultProxy::start(anvil_->rpc_url());
    ASSERT_TRUE(proxy.ok());
    RpcClient client(options({(*proxy)->url()}));
    ASSERT_TRUE(client.connect().ok());
    (*proxy)->set_policy([](const Json&) { return Fault::of(Fault::Kind::truncate); });
    auto r = client.call("eth_blockNumber");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, kMalformed);
    EXPECT_NE(r.error().message.find("after 6 attempts"), std::string::npos) << r.error().message;

    // Well-formed JSON that is not an answer to our request.
    // Each rewrite applies to a single answer or to every answer of a batch.
    auto each = [](std::function<void(Json&)> f) {
        return [f](Json& a) {
            if (a.is_array())
                for (Json& item : a) f(item);
            else
                f(a);
        };
    };
    for (auto rewrite : std::vector<std::function<void(Json&)>>{
             each([](Json& a) { a["id"] = 999999; }),
             each([](Json& a) { a.erase("result"); }),
             [](Json& a) { a = Json::array(); },
             [](Json& a) { a = Json::object(); },
         }) {
        (*proxy)->set_policy([rewrite](const Json& req) {
            Fault f = Fault::of(Fault::Kind::rewrite);
            if (req.is_object() && req.value("method", "") == "eth_chainId")
                return Fault::pass_through();
            f.rewrite = rewrite;
            return f;
        });
        auto bad = client.call("eth_blockNumber");
        ASSERT_FALSE(bad.ok());
        EXPECT_EQ(bad.error().code, kMalformed) << bad.error().message;
        auto batch =
            client.batch({{"eth_blockNumber", Json::array()}, {"eth_chainId", Json::array()}});
        ASSERT_FALSE(batch.ok());
    }
}

TEST_F(RpcClientTest, ForgedChainIdOnReconnectIsRefused) {
    auto proxy = FaultProxy::start(anvil_->rpc_url());
    ASSERT_TRUE(proxy.ok());
    RpcClient client(options({(*proxy)->url(), anvil_->rpc_url()}));
    ASSERT_TRUE(client.connect().ok());
    // The proxied endpoint fails once, and when it comes back it claims another chain.
    std::atomic<bool> failed_once = false;
    (*proxy)->set_policy([&](const Json& req) {
        if (!failed_once.exchange(true)) return Fault::of(Fault::Kind::drop);
        Fault f = Fault::of(Fault::Kind::rewrite);
        if (req.is_object() && req.value("method", "") == "eth_chainId")
            f.rewrite = [](Json& a) { a["result"] = "0x1"; };
        return f;
    });
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(client.call("eth_blockNumber").ok());
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    auto st = client.status();
    EXPECT_FALSE(st[0].healthy);
    EXPECT_NE(st[0].last_error.find("serves chain id 1"), std::string::npos) << st[0].last_error;
}

TEST(RedactUrl, HidesKeysInPathsQueriesAndUserinfo) {
    EXPECT_EQ(redact_url("https://mainnet.example.io/v3/SECRETKEY"), "https://mainnet.example.io");
    EXPECT_EQ(redact_url("https://user:pw@host:8545/?key=SECRET"), "https://host:8545");
    EXPECT_EQ(redact_url("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
}

}  // namespace
}  // namespace vigil::rpc
