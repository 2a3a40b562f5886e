// The verifier daemon (`vigil verify`) on a real devnet: an L1 and two L2 Anvil chains
// mining every second, proposals posted to both rollups' factories, some of them
// invalid. Checked from the outside, the way an operator or a chain sees it: the games
// on L1 (attacked or not, with which claim, in which block), the webhook receiver's
// alarms, the Prometheus endpoint, and the process's exit codes.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "chains/eth/abi.h"
#include "chains/eth/keccak.h"
#include "chains/eth/opstack.h"
#include "chains/rpc/header_json.h"
#include "chains/rpc/json_fields.h"
#include "core/http_server.h"
#include "tests/support/devnet.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace vigil {
namespace {

using eth::abi::Value;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint64_t kConfirmations = 2;

using testing::TempDir;

// A real HTTP endpoint that records the alarms it is sent.
struct WebhookReceiver {
    core::HttpServer server;
    std::mutex mu;
    std::vector<json> alarms;
    WebhookReceiver() {
        server.route("/alarm", [this](const core::HttpRequest& r) {
            auto j = json::parse(r.body, nullptr, false);
            std::lock_guard<std::mutex> lock(mu);
            alarms.push_back(j);
            return core::HttpResponse::json(200, "{}");
        });
        EXPECT_TRUE(server.start("127.0.0.1:0").ok());
    }
    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(server.port()) + "/alarm";
    }
    std::vector<json> received() {
        std::lock_guard<std::mutex> lock(mu);
        return alarms;
    }
};

using testing::http_get;
using testing::metric_sum;

// Everything a verifier run needs: the devnet, a client of it, a config, the process.
struct Rig {
    TempDir dir;
    std::unique_ptr<testing::Devnet> devnet;
    std::unique_ptr<testing::DevnetClient> client;
    WebhookReceiver webhook;
    uint16_t metrics_port = 0;
    std::filesystem::path config, output;
    std::map<std::string, std::string> env;
    std::optional<testing::ChildProcess> vigil;

    bool start() {
        testing::DevnetOptions o;
        o.l2_count = 2;
        o.block_time_secs = 1;
        o.max_clock_duration_secs = 3600;  // no resolution during the test
        auto d = testing::Devnet::start(o);
        EXPECT_TRUE(d.ok()) << d.error().message;
        if (!d.ok()) return false;
        devnet = std::move(d).value();
        auto c = testing::DevnetClient::connect(devnet->info());
        EXPECT_TRUE(c.ok()) << c.error().message;
        if (!c.ok()) return false;
        client = std::move(c).value();
        const testing::DevnetInfo& info = devnet->info();
        metrics_port = testing::free_tcp_port();
        config = dir.path / "vigil.yaml";
        output = dir.path / "vigil.log";
        std::ofstream(config) << info.vigil_yaml(
            "store", "127.0.0.1:" + std::to_string(metrics_port), kConfirmations, webhook.url());
        env = info.signer_env();
        return true;
    }

    // Rewrites the config so that the verifier reaches L2 `index` through `url` (a proxy),
    // by HTTP only.
    void route_l2_through(size_t index, const std::string& url) {
        testing::DevnetInfo info = devnet->info();
        info.l2s[index].rpc = url;
        info.l2s[index].ws.clear();
        std::ofstream(config) << info.vigil_yaml(
            "store", "127.0.0.1:" + std::to_string(metrics_port), kConfirmations, webhook.url());
    }

    void launch() {
        auto p = testing::ChildProcess::spawn(
            {std::string(VIGIL_BINARY_DIR) + "/vigil", "verify", "--config", config.string()}, env,
            output);
        ASSERT_TRUE(p.ok()) << p.error().message;
        vigil.emplace(std::move(p).value());
    }

    std::string log() const {
        std::ifstream in(output);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    std::string metrics() { return http_get(metrics_port, "/metrics"); }

    // Waits until the verifier has judged `n` proposals (valid + invalid).
    bool wait_judged(double n, seconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until) {
            const std::string m = metrics();
            if (metric_sum(m, "vigil_verifier_proposals_total", "verdict=\"valid\"") +
                    metric_sum(m, "vigil_verifier_proposals_total", "verdict=\"invalid\"") >=
                n)
                return true;
            if (vigil && !vigil->running()) return false;
            std::this_thread::sleep_for(milliseconds(250));
        }
        return false;
    }

    // The persisted verdict totals (a gauge that survives restarts), summed over rollups.
    double verdicts(const std::string& verdict) {
        return metric_sum(metrics(), "vigil_verifier_verdicts", "verdict=\"" + verdict + "\"");
    }
    bool wait_verdicts(double valid, double invalid, seconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until) {
            if (verdicts("valid") == valid && verdicts("invalid") == invalid) return true;
            std::this_thread::sleep_for(milliseconds(250));
        }
        return false;
    }

    // An L2 block that is settled under the config's confirmations and after `after`.
    uint64_t settled_block(const std::string& l2, uint64_t after) {
        for (;;) {
            auto head = client->block_number(l2);
            if (head.ok() && *head >= kConfirmations && *head - kConfirmations > after)
                return *head - kConfirmations;
            std::this_thread::sleep_for(milliseconds(200));
        }
    }

    uint64_t claim_count(const eth::Address& game) {
        auto v = client->view("l1", game, "claimDataLen()", {}, "(uint256)");
        if (!v.ok()) return 0;
        return static_cast<uint64_t>(
            v->as<eth::abi::TupleValue>().items[0].as<eth::abi::UintValue>().value.low64());
    }
};

// The L1 block of the first log of `address` with topic0 `topic` (and topic1 if set).
std::optional<uint64_t> first_log_block(rpc::RpcClient& l1, const eth::Address& address,
                                        const std::string& event,
                                        std::optional<eth::Hash32> topic1 = {}) {
    const eth::Hash32 t0 = eth::abi::event_topic(*eth::abi::parse_event_signature(event));
    json topics = json::array({t0.to_hex()});
    if (topic1) topics.push_back(topic1->to_hex());
    auto logs = l1.call("eth_getLogs", json::array({{{"address", address.to_hex()},
                                                     {"fromBlock", "0x0"},
                                                     {"toBlock", "latest"},
                                                     {"topics", topics}}}));
    if (!logs.ok() || !logs->is_array() || logs->empty()) return std::nullopt;
    auto n = rpc::field_uint64((*logs)[0], "blockNumber");
    if (!n.ok()) return std::nullopt;
    return *n;
}

eth::Hash32 address_topic(const eth::Address& a) {
    eth::Hash32 t;
    std::copy(a.bytes.begin(), a.bytes.end(), t.bytes.begin() + 12);
    return t;
}

TEST(Verifier, FiftyProposalsOnTwoRollupsFiveInvalidCaughtAndChallengedInTime) {
    Rig rig;
    ASSERT_TRUE(rig.start());
    rig.launch();

    std::mt19937 rng(20261124);
    std::set<size_t> invalid_at;
    while (invalid_at.size() < 5) invalid_at.insert(rng() % 50);
    std::vector<testing::OutputProposal> proposals;
    std::map<std::string, uint64_t> last_block;
    for (size_t i = 0; i < 50; ++i) {
        const std::string l2 = testing::devnet_l2_name(i % 2);
        const uint64_t block = rig.settled_block(l2, last_block[l2]);
        last_block[l2] = block;
        auto p = rig.client->propose(l2, block, invalid_at.contains(i));
        ASSERT_TRUE(p.ok()) << p.error().message;
        proposals.push_back(*p);
    }
    ASSERT_TRUE(rig.wait_judged(50, seconds(60))) << rig.log();
    // Challenges are sent right after the verdict; give the last one its block.
    std::this_thread::sleep_for(seconds(3));

    rpc::RpcClient& l1 = *rig.client->rpc("l1");
    std::set<std::string> invalid_games;
    for (const auto& p : proposals) {
        const uint64_t claims = rig.claim_count(p.game);
        if (p.valid) {
            EXPECT_EQ(claims, 1u) << "valid game " << p.game.to_hex() << " was challenged";
            continue;
        }
        invalid_games.insert(p.game.to_hex());
        EXPECT_EQ(claims, 2u) << "invalid game " << p.game.to_hex() << " was not challenged";
        // The counter-claim is the true output root.
        auto c = rig.client->view("l1", p.game, "claimData(uint256)", {Value::uint(eth::U256(1))},
                                  "(uint32,address,address,uint128,bytes32,uint128,uint128)");
        ASSERT_TRUE(c.ok()) << c.error().message;
        const auto& fields = c->as<eth::abi::TupleValue>().items;
        EXPECT_EQ(eth::to_hex(fields[4].as<eth::abi::FixedBytesValue>().bytes),
                  p.preimage.root().to_hex());
        // Included within 2 L1 blocks of the proposal becoming confirmed.
        const testing::DevnetL2* l2 = rig.devnet->info().l2(p.l2);
        auto proposed =
            first_log_block(l1, l2->dispute_game_factory,
                            "DisputeGameCreated(address,uint32,bytes32)", address_topic(p.game));
        auto moved = first_log_block(l1, p.game, "Move(uint256,bytes32,address)");
        ASSERT_TRUE(proposed && moved);
        EXPECT_LE(*moved, *proposed + kConfirmations + 2)
            << "game " << p.game.to_hex() << " proposed in " << *proposed << ", challenged in "
            << *moved;
    }
    EXPECT_EQ(invalid_games.size(), 5u);

    // Exactly those five raised an alarm.
    std::set<std::string> alarmed;
    for (const json& a : rig.webhook.received()) {
        ASSERT_TRUE(a.is_object());
        EXPECT_EQ(a.value("kind", ""), "invalid_output_root") << a.dump();
        alarmed.insert(a.value("game", ""));
    }
    EXPECT_EQ(alarmed, invalid_games);
    const std::string m = rig.metrics();
    EXPECT_EQ(metric_sum(m, "vigil_verifier_invalid_proposals_total"), 5);
    EXPECT_EQ(metric_sum(m, "vigil_verifier_unverifiable_total"), 0);
    EXPECT_EQ(metric_sum(m, "vigil_verifier_proposals_total", "verdict=\"valid\""), 45);
    EXPECT_GT(metric_sum(m, "vigil_chain_head_block", "chain=\"l1\""), 0) << m;
    EXPECT_LE(metric_sum(m, "vigil_chain_lag_blocks", "chain=\"l1\""), 2) << m;
    const std::string ready = http_get(rig.metrics_port, "/readyz");
    EXPECT_NE(ready.find("verifier/op-a"), std::string::npos) << ready;
    EXPECT_EQ(ready.find("lags"), std::string::npos) << ready;

    // A clean stop on SIGTERM.
    rig.vigil->signal(SIGTERM);
    auto rc = rig.vigil->wait(seconds(15));
    ASSERT_TRUE(rc.has_value()) << "did not stop on SIGTERM";
    EXPECT_EQ(*rc, 0) << rig.log();
}

TEST(Verifier, SigkillAtRandomPointsSkipsNothingAndNeverChallengesTwice) {
    Rig rig;
    ASSERT_TRUE(rig.start());
    rig.launch();
    std::mt19937 rng(777);
    std::set<size_t> invalid_at;
    while (invalid_at.size() < 4) invalid_at.insert(rng() % 24);
    std::vector<testing::OutputProposal> proposals;
    std::map<std::string, uint64_t> last_block;
    auto next_kill = std::chrono::steady_clock::now() + milliseconds(1500 + rng() % 3000);
    int kills = 0;
    for (size_t i = 0; i < 24; ++i) {
        const std::string l2 = testing::devnet_l2_name(i % 2);
        const uint64_t block = rig.settled_block(l2, last_block[l2]);
        last_block[l2] = block;
        auto p = rig.client->propose(l2, block, invalid_at.contains(i));
        ASSERT_TRUE(p.ok()) << p.error().message;
        proposals.push_back(*p);
        if (std::chrono::steady_clock::now() >= next_kill) {
            rig.vigil->signal(SIGKILL);
            ASSERT_TRUE(rig.vigil->wait(seconds(5)).has_value());
            ++kills;
            rig.launch();
            next_kill = std::chrono::steady_clock::now() + milliseconds(1500 + rng() % 3000);
        }
    }
    EXPECT_GE(kills, 3);
    ASSERT_TRUE(rig.wait_verdicts(20, 4, seconds(60)))
        << "valid " << rig.verdicts("valid") << ", invalid " << rig.verdicts("invalid") << "\n"
        << rig.log();
    std::this_thread::sleep_for(seconds(3));
    for (const auto& p : proposals)
        EXPECT_EQ(rig.claim_count(p.game), p.valid ? 1u : 2u) << p.game.to_hex();
    // One attack per invalid game and nothing else: the challenger's nonce (games do not
    // resolve during the test) counts every transaction it ever sent.
    auto challenger = eth::PrivateKey::from_hex(rig.devnet->info().keys.challenger);
    ASSERT_TRUE(challenger.ok());
    auto nonce = rig.client->rpc("l1")->call(
        "eth_getTransactionCount", json::array({challenger->address().to_hex(), "latest"}));
    ASSERT_TRUE(nonce.ok());
    EXPECT_EQ(eth::parse_quantity(nonce->get<std::string>()).value(), 4u);
    rig.vigil->signal(SIGTERM);
    EXPECT_EQ(rig.vigil->wait(seconds(15)).value_or(-1), 0) << rig.log();
}

// A forged proof node in eth_getProof answers: the verifier must blame the endpoint
// (unverifiable, alarm) and never call the proposal invalid or challenge it.
TEST(Verifier, ForgedL2ProofIsUnverifiableNotFraud) {
    Rig probe;  // only for the devnet; the verifier talks to op-a through the proxy
    ASSERT_TRUE(probe.start());
    const testing::DevnetL2& a = probe.devnet->info().l2s[0];
    auto proxy = testing::FaultProxy::start(a.rpc);
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    (*proxy)->set_policy([](const json& req) {
        if (req.value("method", "") != "eth_getProof") return testing::Fault::pass_through();
        testing::Fault f = testing::Fault::of(testing::Fault::Kind::rewrite);
        f.rewrite = [](json& answer) {
            auto& nodes = answer["result"]["accountProof"];
            if (!nodes.is_array() || nodes.empty()) return;
            std::string node = nodes[nodes.size() / 2].get<std::string>();
            node[node.size() / 2] = node[node.size() / 2] == 'a' ? 'b' : 'a';
            nodes[nodes.size() / 2] = node;
        };
        return f;
    });
    probe.route_l2_through(0, (*proxy)->url());
    probe.launch();
    const uint64_t block = probe.settled_block(a.name, 0);
    auto p = probe.client->propose(a.name, block, false);
    ASSERT_TRUE(p.ok()) << p.error().message;
    const auto until = std::chrono::steady_clock::now() + seconds(30);
    while (std::chrono::steady_clock::now() < until &&
           metric_sum(probe.metrics(), "vigil_verifier_unverifiable_total") < 1)
        std::this_thread::sleep_for(milliseconds(250));
    const std::string m = probe.metrics();
    EXPECT_GE(metric_sum(m, "vigil_verifier_unverifiable_total"), 1) << probe.log();
    EXPECT_EQ(metric_sum(m, "vigil_verifier_invalid_proposals_total"), 0);
    EXPECT_EQ(probe.verdicts("unverifiable"), 1);
    std::this_thread::sleep_for(seconds(3));
    EXPECT_EQ(probe.claim_count(p->game), 1u) << "a forged proof led to a challenge";
    bool endpoint_alarm = false;
    for (const json& alarm : probe.webhook.received()) {
        EXPECT_NE(alarm.value("kind", ""), "invalid_output_root") << alarm.dump();
        endpoint_alarm |= alarm.value("kind", "") == "unverifiable_l2_data";
    }
    EXPECT_TRUE(endpoint_alarm);
    EXPECT_NE(probe.log().find("failed its proofs"), std::string::npos);
}

// An L2 node that lags behind the proposals: verdicts wait, then arrive, none wrong.
TEST(Verifier, LaggingL2NodeVerdictsWaitThenArrive) {
    Rig rig;
    ASSERT_TRUE(rig.start());
    const testing::DevnetL2& b = rig.devnet->info().l2s[1];
    auto proxy = testing::FaultProxy::start(b.rpc);
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    // While lagging, the node behind the proxy claims `frozen` as its head and knows no
    // later block.
    std::atomic<uint64_t> frozen{0};
    std::mutex frozen_mu;
    json frozen_head;
    (*proxy)->set_policy([&](const json& req) {
        const uint64_t f = frozen.load();
        if (f == 0 || req.value("method", "") != "eth_getBlockByNumber")
            return testing::Fault::pass_through();
        const json tag = req["params"][0];
        testing::Fault fault = testing::Fault::of(testing::Fault::Kind::rewrite);
        if (tag == "latest" || tag == "safe" || tag == "finalized" || tag == "pending") {
            json head;
            {
                std::lock_guard<std::mutex> lock(frozen_mu);
                head = frozen_head;
            }
            fault.rewrite = [head](json& answer) { answer["result"] = head; };
        } else if (eth::parse_quantity(tag.get<std::string>()).value_or(0) > f) {
            fault.rewrite = [](json& answer) { answer["result"] = nullptr; };
        } else {
            return testing::Fault::pass_through();
        }
        return fault;
    });
    rig.route_l2_through(1, (*proxy)->url());
    rig.launch();
    // Freeze op-b's node at its current head.
    auto head_number = rig.client->block_number(b.name);
    ASSERT_TRUE(head_number.ok());
    auto head = rig.client->rpc(b.name)->call("eth_getBlockByNumber",
                                              json::array({eth::to_quantity(*head_number), false}));
    ASSERT_TRUE(head.ok());
    {
        std::lock_guard<std::mutex> lock(frozen_mu);
        frozen_head = *head;
    }
    frozen = *head_number;
    // Proposals for op-b blocks beyond the frozen head (the real chain has them).
    std::vector<testing::OutputProposal> proposals;
    uint64_t last = *head_number;
    for (int i = 0; i < 4; ++i) {
        const uint64_t block = rig.settled_block(b.name, last);
        last = block;
        auto p = rig.client->propose(b.name, block, i == 2);
        ASSERT_TRUE(p.ok()) << p.error().message;
        proposals.push_back(*p);
    }
    // Confirmed on L1, but not judged: the node has not reached them.
    std::this_thread::sleep_for(seconds(6));
    EXPECT_EQ(rig.verdicts("pending"), 4) << rig.log();
    EXPECT_EQ(rig.verdicts("valid") + rig.verdicts("invalid"), 0);
    for (const auto& p : proposals) EXPECT_EQ(rig.claim_count(p.game), 1u);
    // The node catches up: every verdict arrives, and only the invalid one is challenged.
    frozen = 0;
    ASSERT_TRUE(rig.wait_verdicts(3, 1, seconds(30))) << rig.log();
    std::this_thread::sleep_for(seconds(3));
    for (const auto& p : proposals) EXPECT_EQ(rig.claim_count(p.game), p.valid ? 1u : 2u);
    EXPECT_EQ(metric_sum(rig.metrics(), "vigil_verifier_unverifiable_total"), 0);
}

// What this version cannot do is refused at start with a clear message, never ignored.
// mode: reexecute against a colluding L2 node and proposer. The node serves, for one
// block F, a header whose stateRoot is forged and whose hash is recomputed to match (and
// answers requests naming that forged hash with the real block's data); the proposer
// claims the output root of that forged header. Everything the node says about F is
// self-consistent, so recomputing from the node's data could at best call it
// unverifiable; Vigil re-executes F on the state it computed for F - 1, finds the real
// state root, judges the proposal invalid and challenges it. Honest proposals before and
// after are valid, so the re-executed chain continues past the lie.
TEST(Verifier, ReexecutionCatchesAStateRootTheL2NodeBacks) {
    Rig rig;
    ASSERT_TRUE(rig.start());
    const testing::DevnetL2& a = rig.devnet->info().l2s[0];
    rpc::RpcClient& l2 = *rig.client->rpc(a.name);
    // Trust starts at the current head: the devnet's setup (the message passer installed
    // by anvil_setCode) is behind it.
    auto anchor_number = rig.client->block_number(a.name);
    ASSERT_TRUE(anchor_number.ok());
    auto anchor_block =
        l2.call("eth_getBlockByNumber", json::array({eth::to_quantity(*anchor_number), false}));
    ASSERT_TRUE(anchor_block.ok());
    const std::string anchor_hash = (*anchor_block)["hash"].get<std::string>();

    // The lie, armed for block `forged_number` once the test knows it.
    std::atomic<uint64_t> forged_number{0};
    std::mutex forged_mu;
    std::string real_hash, fake_hash;  // 0x hex, set once block F is first served
    const eth::Hash32 fake_state_root = eth::keccak256(eth::view(std::string("forged state")));
    auto forge = [&](json& block) {
        if (!block.is_object() || !block.contains("number") || !block.contains("hash")) return;
        const uint64_t f = forged_number.load();
        if (f == 0 || block["number"] != eth::to_quantity(f)) return;
        auto header = rpc::parse_verified_header(block);
        if (!header.ok()) return;  // already forged, or not a header
        header->state_root = fake_state_root;
        std::lock_guard<std::mutex> lock(forged_mu);
        real_hash = block["hash"].get<std::string>();
        fake_hash = header->hash().to_hex();
        block["stateRoot"] = fake_state_root.to_hex();
        block["hash"] = fake_hash;
    };
    auto proxy = testing::FaultProxy::start(a.rpc);
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    (*proxy)->set_policy([&](const json&) {
        testing::Fault f = testing::Fault::of(testing::Fault::Kind::rewrite);
        f.rewrite_request = [&](std::string& body) {
            std::lock_guard<std::mutex> lock(forged_mu);
            if (fake_hash.empty()) return;
            for (size_t at = body.find(fake_hash); at != std::string::npos;
                 at = body.find(fake_hash, at))
                body.replace(at, fake_hash.size(), real_hash);
        };
        f.rewrite = [&](json& answer) {
            auto one = [&](json& reply) {
                if (reply.is_object() && reply.contains("result")) forge(reply["result"]);
            };
            if (answer.is_array())
                for (json& reply : answer) one(reply);
            else
                one(answer);
        };
        return f;
    });
    rig.route_l2_through(0, (*proxy)->url());
    {
        std::ifstream in(rig.config);
        std::string yaml((std::istreambuf_iterator<char>(in)), {});
        const std::string rollup = "    - name: " + a.name + "\n      l1_chain";
        const size_t at = yaml.find("      challenge: true\n", yaml.find(rollup));
        ASSERT_NE(at, std::string::npos) << yaml;
        yaml.insert(at,
                    "      mode: reexecute\n      reexecute:\n        rules: ethereum\n"
                    "        witness: auto\n        anchor: {l2_block: " +
                        std::to_string(*anchor_number) + ", block_hash: \"" + anchor_hash +
                        "\"}\n");
        std::ofstream(rig.config) << yaml;
    }

    // L2 traffic: withdrawals (message passer storage) in the blocks Vigil re-executes.
    auto sent = rig.client->withdraw_many(a.name, 4, 100);
    ASSERT_TRUE(sent.ok()) << sent.error().message;
    rig.launch();

    // An honest proposal: valid by re-execution.
    const uint64_t honest = rig.settled_block(a.name, sent->back().l2_block);
    auto p1 = rig.client->propose(a.name, honest, false);
    ASSERT_TRUE(p1.ok()) << p1.error().message;
    ASSERT_TRUE(rig.wait_verdicts(1, 0, seconds(60))) << rig.log();

    // Arm the lie for a block a few seconds ahead, wait until it is settled, then propose
    // the forged header's output root.
    auto head = rig.client->block_number(a.name);
    ASSERT_TRUE(head.ok());
    const uint64_t f = *head + 3;
    forged_number = f;
    rig.settled_block(a.name, f);
    rpc::RpcClientOptions so;
    so.chain = a.name;
    so.urls = {(*proxy)->url()};
    so.expected_chain_id = a.chain_id;
    rpc::RpcClient served(so);
    ASSERT_TRUE(served.connect().ok());
    auto forged_block =
        served.call("eth_getBlockByNumber", json::array({eth::to_quantity(f), false}));
    ASSERT_TRUE(forged_block.ok()) << forged_block.error().message;
    ASSERT_EQ((*forged_block)["stateRoot"], fake_state_root.to_hex()) << "the lie is not armed";
    auto real = rig.client->output_at(a.name, f);
    ASSERT_TRUE(real.ok()) << real.error().message;
    const eth::Hash32 forged_root = eth::opstack::output_root_v0(
        fake_state_root, real->message_passer_storage_root,
        *eth::Hash32::from_hex((*forged_block)["hash"].get<std::string>()));
    auto p2 = rig.client->propose_root(a.name, f, forged_root);
    ASSERT_TRUE(p2.ok()) << p2.error().message;
    ASSERT_TRUE(rig.wait_verdicts(1, 1, seconds(60))) << rig.log();

    // Challenged (the game's claim count grows), alarmed, and the node's disagreement with
    // Vigil's re-execution is on record.
    const auto until = std::chrono::steady_clock::now() + seconds(30);
    while (std::chrono::steady_clock::now() < until && rig.claim_count(p2->game) < 2)
        std::this_thread::sleep_for(milliseconds(250));
    EXPECT_GE(rig.claim_count(p2->game), 2u) << rig.log();
    EXPECT_EQ(rig.claim_count(p1->game), 1u);
    const std::string m = rig.metrics();
    EXPECT_EQ(metric_sum(m, "vigil_reexec_node_mismatches_total"), 1) << rig.log();
    EXPECT_EQ(metric_sum(m, "vigil_reexec_stuck"), 0) << rig.log();
    EXPECT_GE(metric_sum(m, "vigil_reexec_tip_l2_block"), static_cast<double>(f));
    EXPECT_GE(metric_sum(m, "vigil_reexec_blocks_total"), static_cast<double>(f - *anchor_number));
    EXPECT_NE(rig.log().find("disagrees with Vigil's re-execution"), std::string::npos);

    // A later honest proposal is still valid: the re-executed chain went on past F.
    const uint64_t after = rig.settled_block(a.name, f + 1);
    auto p3 = rig.client->propose(a.name, after, false);
    ASSERT_TRUE(p3.ok()) << p3.error().message;
    EXPECT_TRUE(rig.wait_verdicts(2, 1, seconds(60))) << rig.log();

    // Stopped, `vigil status` reads how far op-a was re-executed from the store.
    rig.vigil->signal(SIGTERM);
    ASSERT_EQ(rig.vigil->wait(seconds(30)), 0);
    auto status = testing::run_command({std::string(VIGIL_BINARY_DIR) + "/vigil", "status",
                                        "--config", rig.config.string(), "--json"},
                                       seconds(30));
    ASSERT_TRUE(status.ok()) << status.error().message;
    const json report = json::parse(status->out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << status->combined();
    bool found = false;
    for (const json& r : report["rollups"])
        if (r.value("name", "") == a.name) {
            found = true;
            EXPECT_GE(r.value("reexecuted_l2_block", uint64_t{0}), after) << r.dump();
        } else {
            EXPECT_FALSE(r.contains("reexecuted_l2_block")) << r.dump();  // op-b recomputes
        }
    EXPECT_TRUE(found) << report.dump();
}

TEST(Verifier, RefusesLegacyOracleAndReexecutionWithoutAnAnchorAtStart) {
    TempDir dir;
    for (const std::string extra :
         {"      l2_output_oracle: \"0xdfe97868233d1aa22e815a266982f2cf17685a27\"\n",
          "      mode: reexecute\n"}) {
        const auto config = dir.path / "vigil.yaml";
        std::ofstream(config) << "store: {path: store}\n"
                                 "chains:\n"
                                 "  - {name: l1, chain_id: 900, rpc: [\"http://127.0.0.1:1\"], "
                                 "confirmations: 1}\n"
                                 "  - {name: l2, chain_id: 901, rpc: [\"http://127.0.0.1:1\"], "
                                 "confirmations: 1}\n"
                                 "verifier:\n  rollups:\n    - name: op\n      l1_chain: l1\n"
                                 "      l2_chain: l2\n"
                                 "      dispute_game_factory: "
                                 "\"0xe5965Ab5962eDc7477C8520243A95517CD252fA9\"\n"
                              << extra;
        auto run = testing::run_command(
            {std::string(VIGIL_BINARY_DIR) + "/vigil", "verify", "--config", config.string()},
            seconds(20));
        ASSERT_TRUE(run.ok()) << run.error().message;
        EXPECT_EQ(run->exit_code, 1);
        const std::string log = run->combined();
        EXPECT_NE(log.find(extra.find("oracle") != std::string::npos ? "l2_output_oracle"
                                                                     : "reexecute.anchor"),
                  std::string::npos)
            << log;
    }
}

}  // namespace
}  // namespace vigil
