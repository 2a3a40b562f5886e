#include "core/config.h"

#include <gtest/gtest.h>

namespace vigil::core {
namespace {

constexpr const char* kValid = R"(store:
  path: data/store
metrics:
  listen: 127.0.0.1:9100
admin:
  listen: 127.0.0.1:9101
  token_file: /etc/vigil/admin-token
log:
  level: debug
  format: text
chains:
  - name: l1
    chain_id: 1
    rpc: [http://127.0.0.1:8545, https://backup.example/rpc]
    ws: ws://127.0.0.1:8546
    finality: finalized
  - name: op-a
    chain_id: 10
    rpc: http://127.0.0.1:9545
    confirmations: 5
    poll_interval_ms: 500
    max_block_range: 500
    requests_per_second: 12.5
signers:
  relayer:
    keystore: keys/relayer.json
    password_file: /run/secrets/relayer-password
  dev-key:
    key_env: VIGIL_DEV_KEY
    dev: true
)";

Result<Config> parse(const std::string& text) {
    return parse_config(text, "vigil.yaml", "/etc/vigil");
}

// Replaces the first occurrence of `from` in the valid config.
std::string valid_with(const std::string& from, const std::string& to) {
    std::string s = kValid;
    size_t pos = s.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    return s.replace(pos, from.size(), to);
}

void expect_error(const std::string& text, const std::string& needle) {
    auto cfg = parse(text);
    ASSERT_FALSE(cfg.ok()) << "accepted a config that should fail with: " << needle;
    EXPECT_NE(cfg.error().message.find(needle), std::string::npos) << cfg.error().message;
}

constexpr const char* kVerifierAndRelayer = R"(verifier:
  rollups:
    - name: op-a
      l1_chain: l1
      l2_chain: op-a
      dispute_game_factory: "0xe5965Ab5962eDc7477C8520243A95517CD252fA9"
      challenge: true
      signer: relayer
relayer:
  routes:
    - name: op-a
      l1_chain: l1
      l2_chain: op-a
      optimism_portal: "0xbEb5Fc579115071764c7423A4f12eDde41f106Ed"
      rollup: op-a
      signer: relayer
      policy:
        deny_targets: ["0x000000000000000000000000000000000000dEaD"]
        max_gas_limit: 5000000
        paused: false
)";

TEST(Config, VerifierRollupsAndRelayerRoutes) {
    auto cfg = parse(std::string(kValid) + kVerifierAndRelayer);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    ASSERT_EQ(cfg->verifier.rollups.size(), 1u);
    EXPECT_TRUE(cfg->verifier.rollups[0].challenge);
    const RouteConfig* route = cfg->route("op-a");
    ASSERT_NE(route, nullptr);
    EXPECT_EQ(route->protocol, "op-withdrawals");
    EXPECT_EQ(route->rollup, "op-a");
    EXPECT_EQ(route->optimism_portal.to_checksum_hex(),
              "0xbEb5Fc579115071764c7423A4f12eDde41f106Ed");
    ASSERT_EQ(route->policy.deny_targets.size(), 1u);
    EXPECT_EQ(route->policy.max_gas_limit, 5000000u);
    EXPECT_FALSE(route->policy.paused);
    EXPECT_EQ(cfg->route("nope"), nullptr);
}

TEST(Config, RoutesMustBeGatedByAMatchingVerifierRollup) {
    const std::string base = std::string(kValid) + kVerifierAndRelayer;
    auto with = [&](const std::string& from, const std::string& to) {
        std::string s = base;
        const size_t pos = s.rfind(from);  // the route's occurrence (after the rollup's)
        EXPECT_NE(pos, std::string::npos) << from;
        return s.replace(pos, from.size(), to);
    };
    expect_error(with("      rollup: op-a\n", ""), "relayer.routes[0].rollup: missing");
    expect_error(with("rollup: op-a", "rollup: op-b"), "no rollup named 'op-b'");
    expect_error(with("      l2_chain: op-a\n      optimism_portal",
                      "      l2_chain: l1\n      optimism_portal"),
                 "must differ from l1_chain");
    expect_error(with("      signer: relayer\n      policy", "      signer: bob\n      policy"),
                 "no signer named 'bob'");
    expect_error(with("0x000000000000000000000000000000000000dEaD", "0xdead"),
                 "relayer.routes.op-a.policy.deny_targets[0]");
    expect_error(with("max_gas_limit: 5000000", "max_gas_limit: 100"),
                 "relayer.routes.op-a.policy.max_gas_limit");
    expect_error(with("        paused: false\n", "        paused: false\n        pause: true\n"),
                 "unknown key");
}

TEST(Config, ReexecuteSection) {
    const std::string base = std::string(kValid) + kVerifierAndRelayer;
    auto with = [&](const std::string& section) {
        std::string s = base;
        const std::string after = "      signer: relayer\nrelayer:";
        const size_t pos = s.find(after);
        EXPECT_NE(pos, std::string::npos);
        return s.insert(pos + std::string("      signer: relayer\n").size(), section);
    };
    auto cfg = parse(
        with("      mode: reexecute\n      reexecute:\n        rules: op-stack\n"
             "        rollup_config: op-a-rollup.json\n        witness: prestate\n"
             "        anchor: {l2_block: 7, block_hash: \"0x" +
             std::string(64, 'a') + "\"}\n        retain_blocks: 5000\n        prefetch: 8\n"));
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    const RollupConfig& rc = cfg->verifier.rollups[0];
    EXPECT_EQ(rc.mode, "reexecute");
    ASSERT_TRUE(rc.reexecute);
    EXPECT_EQ(rc.reexecute->rules, "op-stack");
    EXPECT_EQ(rc.reexecute->rollup_config->filename(), "op-a-rollup.json");
    EXPECT_TRUE(rc.reexecute->rollup_config->is_absolute());  // next to the config file
    EXPECT_EQ(rc.reexecute->witness, "prestate");
    EXPECT_EQ(rc.reexecute->anchor_block, 7u);
    EXPECT_EQ(rc.reexecute->anchor_hash->to_hex(), "0x" + std::string(64, 'a'));
    EXPECT_EQ(rc.reexecute->retain_blocks, 5000u);
    EXPECT_EQ(rc.reexecute->prefetch, 8u);

    expect_error(with("      mode: reexecute\n"), "mode: reexecute needs reexecute.anchor");
    expect_error(with("      mode: reexecute\n      reexecute: {rules: ethereum}\n"),
                 "needs reexecute.anchor");
    expect_error(with("      reexecute: {rules: op-stack}\n"), "needs the rollup's rollup.json");
    expect_error(with("      reexecute: {rollup_config: r.json}\n"),
                 "only used with rules: op-stack");
    expect_error(with("      reexecute: {rules: arbitrum}\n"), "expected ethereum or op-stack");
    expect_error(with("      reexecute: {witness: magic}\n"),
                 "expected auto, execution_witness or prestate");
    expect_error(with("      reexecute: {anchor: {l2_block: 1}}\n"),
                 "missing required key 'block_hash'");
    expect_error(with("      reexecute: {anchor: {l2_block: 1, block_hash: \"0x12\"}}\n"),
                 "anchor.block_hash");
    expect_error(with("      reexecute: {retain_blocks: 0}\n"), "retain_blocks");
    expect_error(with("      reexecute: {prefetch: 65}\n"), "prefetch");
    expect_error(with("      reexecute: {anchr: {}}\n"), "unknown key");
}

TEST(Config, ParsesEveryField) {
    auto cfg = parse(kValid);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EXPECT_EQ(cfg->store_path, "/etc/vigil/data/store");
    EXPECT_EQ(cfg->metrics_listen, "127.0.0.1:9100");
    EXPECT_EQ(*cfg->admin_listen, "127.0.0.1:9101");
    EXPECT_EQ(cfg->log_level, LogLevel::debug);
    EXPECT_EQ(cfg->log_format, LogFormat::text);
    ASSERT_EQ(cfg->chains.size(), 2u);
    const ChainConfig& l1 = cfg->chains[0];
    EXPECT_EQ(l1.rpc.size(), 2u);
    EXPECT_EQ(*l1.ws, "ws://127.0.0.1:8546");
    EXPECT_EQ(l1.finality.kind, Finality::Kind::finalized);
    const ChainConfig* op = cfg->chain("op-a");
    ASSERT_NE(op, nullptr);
    EXPECT_EQ(op->chain_id, 10u);
    EXPECT_EQ(op->finality.kind, Finality::Kind::confirmations);
    EXPECT_EQ(op->finality.confirmations, 5u);
    EXPECT_EQ(op->poll_interval_ms, 500u);
    EXPECT_DOUBLE_EQ(op->requests_per_second, 12.5);
    EXPECT_EQ(cfg->signers.at("relayer").keystore->string(), "/etc/vigil/keys/relayer.json");
    EXPECT_EQ(*cfg->signers.at("dev-key").key_env, "VIGIL_DEV_KEY");
}

TEST(Config, ErrorsNameFileLineAndKey) {
    expect_error(valid_with("chain_id: 10", "chain_id: ten"),
                 "vigil.yaml:18:15: chains.op-a.chain_id: expected an unsigned integer");
    expect_error(valid_with("    poll_interval_ms: 500", "    poll_interval: 500"),
                 "vigil.yaml:21:5: chains[1].poll_interval: unknown key");
    expect_error(valid_with("log:", "logs:"), "logs: unknown key");
    expect_error(valid_with("  format: text", "  format: xml"),
                 "log.format: expected json or text");
}

TEST(Config, RejectsBadValues) {
    expect_error(valid_with("chain_id: 10", "chain_id: 1"), "chain id 1 is used by another chain");
    expect_error(valid_with("name: op-a", "name: l1"), "duplicate chain name 'l1'");
    expect_error(valid_with("name: op-a", "name: Op A"), "lowercase letters");
    expect_error(valid_with("rpc: http://127.0.0.1:9545", "rpc: 127.0.0.1:9545"),
                 "http:// or https://");
    expect_error(valid_with("ws: ws://127.0.0.1:8546", "ws: http://x"), "ws:// or wss://");
    expect_error(valid_with("    finality: finalized\n", ""),
                 "missing 'confirmations: N' or 'finality");
    expect_error(
        valid_with("    finality: finalized", "    finality: finalized\n    confirmations: 3"),
        "not both");
    expect_error(valid_with("finality: finalized", "finality: latest"),
                 "expected 'safe' or 'finalized'");
    expect_error(valid_with("max_block_range: 500", "max_block_range: 0"), "between 1 and");
    expect_error(valid_with("requests_per_second: 12.5", "requests_per_second: -1"),
                 "greater than");
    expect_error(valid_with("listen: 127.0.0.1:9100", "listen: localhost"),
                 "metrics.listen: expected host:port");
    expect_error(valid_with("listen: 127.0.0.1:9101", "listen: 127.0.0.1:9100"), "must differ");
    expect_error(valid_with("confirmations: 5", "confirmations: 5\n    reorg_window: 4"),
                 "must exceed");
    expect_error("store:\n  path: x\n", "missing required section 'chains'");
    expect_error("chains: []\n", "missing required section 'store'");
    expect_error("", "the file is empty");
    expect_error("store: [unclosed\n", "invalid YAML");
}

TEST(Config, SecretsAreNeverInline) {
    expect_error(valid_with("    key_env: VIGIL_DEV_KEY\n    dev: true", "    private_key: 0x0123"),
                 "secrets are never written in the config");
    expect_error(valid_with("    dev: true", "    dev: false"), "development only");
    expect_error(valid_with("    password_file: /run/secrets/relayer-password\n", ""),
                 "needs 'password_file'");
    // The rejected secret value itself never appears in the error.
    auto cfg =
        parse(valid_with("    key_env: VIGIL_DEV_KEY\n    dev: true", "    key: 0xdeadbeefcafe"));
    ASSERT_FALSE(cfg.ok());
    EXPECT_EQ(cfg.error().message.find("deadbeef"), std::string::npos);
}

TEST(Config, MissingFileIsAClearError) {
    auto cfg = load_config("/nonexistent/vigil.yaml");
    ASSERT_FALSE(cfg.ok());
    EXPECT_NE(cfg.error().message.find("/nonexistent/vigil.yaml"), std::string::npos);
}

}  // namespace
}  // namespace vigil::core
