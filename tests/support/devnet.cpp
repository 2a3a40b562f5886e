#include "tests/support/devnet.h"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "chains/eth/transaction.h"
#include "chains/rpc/json_fields.h"

// The account-proof verifier (chains/eth/proof.h) is used once it is on the branch.
#if __has_include("chains/eth/proof.h")
#include "chains/eth/proof.h"
#define VIGIL_DEVNET_HAS_PROOF 1
#else
#define VIGIL_DEVNET_HAS_PROOF 0
#endif

namespace vigil::testing {

using eth::abi::Value;
using rpc::Json;

namespace {

// Anvil's dev accounts 1..4 (mnemonic "test test ... junk"): public test keys. Start-up
// checks that each one's address is a funded account of every chain.
constexpr const char* kRelayerKey =
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
constexpr const char* kChallengerKey =
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
constexpr const char* kProposerKey =
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
constexpr const char* kUserKey =
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";

// Fixed gas limits of the deployment transactions (sent without waiting, so without an
// estimate): creation of ~12 KB of code costs ~2.5 M gas.
constexpr uint64_t kCreationGas = 6'000'000;
constexpr uint64_t kConfigGas = 300'000;
constexpr uint64_t kTransferGas = 100'000;
// 1 gwei tip; the fee cap is twice the base fee plus the tip.
const eth::U256 kPriorityFee(1'000'000'000ULL);
constexpr auto kReceiptTimeout = std::chrono::seconds(60);

constexpr const char* kWithdrawalTuple = "(uint256,address,address,uint256,uint256,bytes)";

Value hash_value(const eth::Hash32& h) {
    return Value::fixed_bytes(eth::Bytes(h.bytes.begin(), h.bytes.end()));
}

Result<eth::Hash32> value_hash(const Value& v) {
    if (!v.is<eth::abi::FixedBytesValue>()) return fail("expected a bytes32 value");
    return eth::Hash32::from_view(v.as<eth::abi::FixedBytesValue>().bytes);
}

Result<eth::U256> value_uint(const Value& v) {
    if (!v.is<eth::abi::UintValue>()) return fail("expected an unsigned integer value");
    return v.as<eth::abi::UintValue>().value;
}

Result<uint64_t> value_u64(const Value& v) {
    VIGIL_TRY(eth::U256 x, value_uint(v));
    if (!x.fits_u64()) return fail("value does not fit 64 bits");
    return x.low64();
}

Result<eth::Address> value_address(const Value& v) {
    if (!v.is<eth::Address>()) return fail("expected an address value");
    return v.as<eth::Address>();
}

// Item i of a decoded tuple.
Result<Value> item(const Value& tuple, size_t i) {
    if (!tuple.is<eth::abi::TupleValue>() || tuple.as<eth::abi::TupleValue>().items.size() <= i)
        return fail("decoded answer has no item " + std::to_string(i));
    return tuple.as<eth::abi::TupleValue>().items[i];
}

Value withdrawal_value(const eth::opstack::WithdrawalTransaction& w) {
    return Value::tuple({Value::uint(w.nonce), Value::address(w.sender), Value::address(w.target),
                         Value::uint(w.value), Value::uint(w.gas_limit), Value::bytes(w.data)});
}

Result<eth::Bytes> encode_call(std::string_view signature, std::vector<Value> args) {
    VIGIL_TRY(auto sig, eth::abi::parse_signature(signature));
    auto data = eth::abi::encode_call(sig, Value::tuple(std::move(args)));
    if (!data.ok()) return fail("encoding " + std::string(signature) + ": " + data.error().message);
    return std::move(data).value();
}

// The address a CREATE from `sender` with `nonce` deploys to (yellow paper 7).
eth::Address create_address(const eth::Address& sender, uint64_t nonce) {
    eth::Bytes payload;
    eth::rlp::encode_bytes(payload, sender.view());
    eth::rlp::encode_uint(payload, nonce);
    const eth::Hash32 h = eth::keccak256(eth::rlp::wrap_list(payload));
    eth::Address a;
    std::copy(h.bytes.begin() + 12, h.bytes.end(), a.bytes.begin());
    return a;
}

std::string lower_hex(const eth::Address& a) { return a.to_hex(); }

Result<Json> parse_file_json(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) return fail(path.string() + ": cannot read");
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = rpc::parse_json(ss.str());
    if (!j.ok()) return fail(path.string() + ": " + j.error().message);
    return std::move(j).value();
}

// Canonical type text of an ABI JSON parameter ({"type": "tuple[]", "components": [...]}).
Result<std::string> abi_json_type(const Json& param, int depth = 0) {
    if (depth > 16 || !param.is_object() || !param.contains("type") || !param["type"].is_string())
        return fail("bad ABI parameter");
    std::string type = param["type"].get<std::string>();
    if (type.rfind("tuple", 0) != 0) return type;
    if (!param.contains("components") || !param["components"].is_array())
        return fail("tuple without components");
    std::string out = "(";
    for (size_t i = 0; i < param["components"].size(); ++i) {
        VIGIL_TRY(std::string t, abi_json_type(param["components"][i], depth + 1));
        out += (i ? "," : "") + t;
    }
    return out + ")" + type.substr(5);
}

Status check_keys(const Json& obj, const std::string& path,
                  std::initializer_list<const char*> keys) {
    if (!obj.is_object()) return fail("devnet.json: " + path + ": expected an object");
    for (const auto& [k, v] : obj.items()) {
        bool known = false;
        for (const char* key : keys) known = known || k == key;
        if (!known) return fail("devnet.json: " + path + "." + k + ": unknown key");
    }
    for (const char* key : keys)
        if (!obj.contains(key)) return fail("devnet.json: " + path + ": missing key '" + key + "'");
    return {};
}

Result<std::string> json_string(const Json& obj, const std::string& path, const char* key) {
    auto s = rpc::field_string(obj, key);
    if (!s.ok()) return fail("devnet.json: " + path + "." + key + ": expected a string");
    return std::move(s).value();
}

Result<eth::Address> json_address(const Json& obj, const std::string& path, const char* key) {
    VIGIL_TRY(std::string s, json_string(obj, path, key));
    auto a = eth::Address::from_hex(s);
    if (!a.ok()) return fail("devnet.json: " + path + "." + key + ": " + a.error().message);
    return *a;
}

Result<DevnetChain> chain_from_json(const Json& obj, const std::string& path) {
    DevnetChain c;
    if (!obj.contains("chain_id") || !obj["chain_id"].is_number_unsigned())
        return fail("devnet.json: " + path + ".chain_id: expected an unsigned integer");
    c.chain_id = obj["chain_id"].get<uint64_t>();
    VIGIL_TRY(c.rpc, json_string(obj, path, "rpc"));
    VIGIL_TRY(c.ws, json_string(obj, path, "ws"));
    return c;
}

// A YAML double-quoted scalar (the URLs and paths we write need no more than this).
std::string yaml_quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

rpc::RpcClientOptions client_options(const DevnetChain& c) {
    rpc::RpcClientOptions o;
    o.chain = c.name;
    o.urls = {c.rpc};
    o.expected_chain_id = c.chain_id;
    o.requests_per_second = 0;  // local nodes: no rate limit
    o.max_attempts = 3;
    o.timeout = std::chrono::milliseconds(15000);
    return o;
}

}  // namespace

// ---- DevnetInfo ----

std::string DevnetInfo::to_json() const {
    using Ordered = nlohmann::ordered_json;  // keys in the documented order
    Ordered j;
    j["l1"] = {{"chain_id", l1.chain_id}, {"rpc", l1.rpc}, {"ws", l1.ws}};
    j["l2s"] = Ordered::array();
    for (const auto& l2 : l2s) {
        Ordered e;
        e["name"] = l2.name;
        e["chain_id"] = l2.chain_id;
        e["rpc"] = l2.rpc;
        e["ws"] = l2.ws;
        e["message_passer"] = lower_hex(l2.message_passer);
        e["l1_contracts"]["dispute_game_factory"] = lower_hex(l2.dispute_game_factory);
        e["l1_contracts"]["optimism_portal"] = lower_hex(l2.optimism_portal);
        j["l2s"].push_back(std::move(e));
    }
    j["keys"]["relayer"] = keys.relayer;
    j["keys"]["challenger"] = keys.challenger;
    j["keys"]["proposer"] = keys.proposer;
    j["keys"]["user"] = keys.user;
    return j.dump(2) + "\n";
}

Result<DevnetInfo> DevnetInfo::from_json(std::string_view text) {
    auto parsed = rpc::parse_json(text);
    if (!parsed.ok()) return fail("devnet.json: " + parsed.error().message);
    const Json& j = *parsed;
    VIGIL_CHECK(check_keys(j, "", {"l1", "l2s", "keys"}));
    DevnetInfo info;
    VIGIL_CHECK(check_keys(j["l1"], "l1", {"chain_id", "rpc", "ws"}));
    VIGIL_TRY(info.l1, chain_from_json(j["l1"], "l1"));
    info.l1.name = "l1";
    if (!j["l2s"].is_array()) return fail("devnet.json: l2s: expected a list");
    for (size_t i = 0; i < j["l2s"].size(); ++i) {
        const Json& e = j["l2s"][i];
        const std::string path = "l2s[" + std::to_string(i) + "]";
        VIGIL_CHECK(check_keys(
            e, path, {"name", "chain_id", "rpc", "ws", "message_passer", "l1_contracts"}));
        DevnetL2 l2;
        VIGIL_TRY(DevnetChain c, chain_from_json(e, path));
        static_cast<DevnetChain&>(l2) = c;
        VIGIL_TRY(l2.name, json_string(e, path, "name"));
        if (l2.name.empty() || l2.name == "l1" || info.l2(l2.name))
            return fail("devnet.json: " + path + ".name: empty, 'l1' or a duplicate");
        VIGIL_TRY(l2.message_passer, json_address(e, path, "message_passer"));
        VIGIL_CHECK(check_keys(e["l1_contracts"], path + ".l1_contracts",
                               {"dispute_game_factory", "optimism_portal"}));
        VIGIL_TRY(l2.dispute_game_factory,
                  json_address(e["l1_contracts"], path + ".l1_contracts", "dispute_game_factory"));
        VIGIL_TRY(l2.optimism_portal,
                  json_address(e["l1_contracts"], path + ".l1_contracts", "optimism_portal"));
        info.l2s.push_back(std::move(l2));
    }
    VIGIL_CHECK(check_keys(j["keys"], "keys", {"relayer", "challenger", "proposer", "user"}));
    VIGIL_TRY(info.keys.relayer, json_string(j["keys"], "keys", "relayer"));
    VIGIL_TRY(info.keys.challenger, json_string(j["keys"], "keys", "challenger"));
    VIGIL_TRY(info.keys.proposer, json_string(j["keys"], "keys", "proposer"));
    VIGIL_TRY(info.keys.user, json_string(j["keys"], "keys", "user"));
    for (const std::string* k :
         {&info.keys.relayer, &info.keys.challenger, &info.keys.proposer, &info.keys.user})
        if (!eth::PrivateKey::from_hex(*k).ok())
            return fail("devnet.json: keys: not a valid private key");
    return info;
}

Result<DevnetInfo> DevnetInfo::load(const std::filesystem::path& devnet_json) {
    std::ifstream in(devnet_json);
    if (!in) return fail(devnet_json.string() + ": cannot read (is `vigil-devnet up` running?)");
    std::stringstream ss;
    ss << in.rdbuf();
    auto info = from_json(ss.str());
    if (!info.ok()) return fail(devnet_json.string() + ": " + info.error().message);
    return info;
}

std::string signer_key_env(std::string_view role) {
    std::string env = "VIGIL_";
    for (char c : role) env += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return env + "_KEY";
}

std::string DevnetInfo::vigil_yaml(
    const std::string& store_path, const std::string& metrics_listen, uint64_t confirmations,
    const std::string& webhook_url,
    const std::map<std::string, std::pair<uint64_t, eth::Hash32>>& reexecute) const {
    std::ostringstream y;
    y << "# Vigil config for the local devnet (written by vigil-devnet; see devnet.json).\n"
      << "# Signer keys come from the environment: export them from devnet.json's \"keys\".\n"
      << "store:\n  path: " << yaml_quote(store_path) << "\n"
      << "metrics:\n  listen: " << yaml_quote(metrics_listen) << "\n"
      << "log:\n  level: info\n  format: json\n"
      << "chains:\n";
    auto chain = [&](const DevnetChain& c) {
        y << "  - name: " << c.name << "\n"
          << "    chain_id: " << c.chain_id << "\n"
          << "    rpc: " << yaml_quote(c.rpc) << "\n"
          << (c.ws.empty() ? "" : "    ws: " + yaml_quote(c.ws) + "\n")
          << "    confirmations: " << confirmations << "\n"
          << "    poll_interval_ms: 500\n";
    };
    chain(l1);
    for (const auto& l2 : l2s) chain(l2);
    y << "signers:\n";
    for (const char* role : {"relayer", "challenger", "proposer"})
        y << "  " << role << ":\n    key_env: " << signer_key_env(role) << "\n    dev: true\n";
    y << "verifier:\n  rollups:\n";
    for (const auto& l2 : l2s) {
        y << "    - name: " << l2.name << "\n"
          << "      l1_chain: " << l1.name << "\n"
          << "      l2_chain: " << l2.name << "\n"
          << "      dispute_game_factory: " << yaml_quote(l2.dispute_game_factory.to_hex()) << "\n"
          << "      challenge: true\n"
          << "      signer: challenger\n";
        if (!webhook_url.empty()) y << "      webhook_url: " << yaml_quote(webhook_url) << "\n";
        if (auto it = reexecute.find(l2.name); it != reexecute.end())
            y << "      mode: reexecute\n"
              << "      reexecute:\n"
              << "        rules: ethereum\n"
              << "        anchor: {l2_block: " << it->second.first
              << ", block_hash: " << yaml_quote(it->second.second.to_hex()) << "}\n";
    }
    y << "relayer:\n  routes:\n";
    for (const auto& l2 : l2s)
        y << "    - name: " << l2.name << "\n"
          << "      protocol: op-withdrawals\n"
          << "      l1_chain: " << l1.name << "\n"
          << "      l2_chain: " << l2.name << "\n"
          << "      optimism_portal: " << yaml_quote(l2.optimism_portal.to_hex()) << "\n"
          << "      rollup: " << l2.name << "\n"
          << "      signer: relayer\n";
    return y.str();
}

std::map<std::string, std::string> DevnetInfo::signer_env() const {
    return {{signer_key_env("relayer"), keys.relayer},
            {signer_key_env("challenger"), keys.challenger},
            {signer_key_env("proposer"), keys.proposer}};
}

core::ChainConfig chain_config(const DevnetChain& chain, uint64_t confirmations) {
    core::ChainConfig c;
    c.name = chain.name;
    c.chain_id = chain.chain_id;
    c.rpc = {chain.rpc};
    if (!chain.ws.empty()) c.ws = chain.ws;
    c.finality.kind = core::Finality::Kind::confirmations;
    c.finality.confirmations = confirmations;
    c.poll_interval_ms = 250;
    c.requests_per_second = 100000;
    return c;
}

const DevnetL2* DevnetInfo::l2(std::string_view name) const {
    for (const auto& l2 : l2s)
        if (l2.name == name) return &l2;
    return nullptr;
}

const DevnetChain* DevnetInfo::chain(std::string_view name) const {
    if (name == l1.name) return &l1;
    return l2(name);
}

// ---- Artifacts ----

std::filesystem::path devnet_artifacts_path() {
    if (const char* env = std::getenv("VIGIL_DEVNET_ARTIFACTS"); env && *env) return env;
    return std::filesystem::path(VIGIL_SOURCE_DIR) / "build/devnet/contracts.json";
}

Result<DevnetArtifacts> DevnetArtifacts::load(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path))
        return fail("devnet contracts not found at " + path.string() +
                    " (run `make devnet-contracts`, or set VIGIL_DEVNET_ARTIFACTS)");
    VIGIL_TRY(Json j, parse_file_json(path));
    auto code = [&](const char* contract, const char* field) -> Result<eth::Bytes> {
        if (!j.is_object() || !j.contains(contract) || !j[contract].is_object())
            return fail(path.string() + ": no contract " + contract);
        auto b = rpc::field_bytes(j[contract], field);
        if (!b.ok() || b->empty())
            return fail(path.string() + ": " + contract + "." + field + ": missing or empty");
        return std::move(b).value();
    };
    DevnetArtifacts a;
    VIGIL_TRY(a.factory_creation, code("DisputeGameFactory", "bytecode"));
    VIGIL_TRY(a.portal_creation, code("OptimismPortal2", "bytecode"));
    VIGIL_TRY(a.message_passer_runtime, code("L2ToL1MessagePasser", "deployedBytecode"));
    for (const auto& [name, contract] : j.items()) {
        if (!contract.is_object() || !contract.contains("abi") || !contract["abi"].is_array())
            continue;
        for (const Json& entry : contract["abi"]) {
            if (!entry.is_object() || entry.value("type", "") != "error") continue;
            std::string sig = entry.value("name", "") + "(";
            bool ok = true;
            const Json inputs = entry.value("inputs", Json::array());
            for (size_t i = 0; i < inputs.size(); ++i) {
                auto t = abi_json_type(inputs[i]);
                if (!t.ok()) {
                    ok = false;
                    break;
                }
                sig += (i ? "," : "") + *t;
            }
            if (!ok) continue;
            sig += ")";
            const eth::Hash32 h = eth::keccak256(std::string_view(sig));
            a.errors[(uint32_t{h[0]} << 24) | (uint32_t{h[1]} << 16) | (uint32_t{h[2]} << 8) |
                     h[3]] = sig;
        }
    }
    return a;
}

// ---- Devnet ----

std::string devnet_l2_name(size_t index) {
    return std::string("op-") + static_cast<char>('a' + index);
}

Result<std::unique_ptr<Devnet>> Devnet::start(const DevnetOptions& options) {
    if (options.l2_count < 1 || options.l2_count > 26)
        return fail("devnet: l2_count must be 1..26");
    const auto artifacts_path =
        options.artifacts.empty() ? devnet_artifacts_path() : options.artifacts;
    VIGIL_TRY(DevnetArtifacts artifacts, DevnetArtifacts::load(artifacts_path));

    std::unique_ptr<Devnet> net(new Devnet());
    net->options_ = options;
    for (size_t i = 0; i <= options.l2_count; ++i) {
        AnvilOptions ao;
        ao.chain_id = options.l1_chain_id + i;
        ao.block_time_secs = options.block_time_secs;
        ao.slots_in_an_epoch = 1;
        auto node = AnvilProcess::start(ao);
        if (!node.ok())
            return fail("devnet: chain " + std::to_string(ao.chain_id) + ": " +
                        node.error().message);
        net->nodes_.push_back(std::move(node).value());
    }
    DevnetInfo& info = net->info_;
    info.l1 = {"l1", options.l1_chain_id, net->nodes_[0]->rpc_url(), net->nodes_[0]->ws_url()};
    for (size_t i = 0; i < options.l2_count; ++i) {
        DevnetL2 l2;
        l2.name = devnet_l2_name(i);
        l2.chain_id = options.l1_chain_id + 1 + i;
        l2.rpc = net->nodes_[i + 1]->rpc_url();
        l2.ws = net->nodes_[i + 1]->ws_url();
        l2.message_passer = eth::opstack::message_passer_address();
        info.l2s.push_back(l2);
    }
    info.keys = {kRelayerKey, kChallengerKey, kProposerKey, kUserKey};

    VIGIL_TRY(auto client, DevnetClient::connect(info, artifacts));

    // Every role's account must be a funded dev account of every chain.
    for (const DevnetChain* c : [&] {
             std::vector<const DevnetChain*> all{&info.l1};
             for (const auto& l2 : info.l2s) all.push_back(&l2);
             return all;
         }()) {
        for (const char* role : {"deployer", "relayer", "challenger", "proposer", "user"}) {
            VIGIL_TRY(eth::PrivateKey key, client->key(role));
            VIGIL_TRY(eth::U256 funds, client->balance(c->name, key.address()));
            if (funds.is_zero())
                return fail("devnet: the " + std::string(role) + " account " +
                            key.address().to_hex() + " has no funds on " + c->name);
        }
    }

    // The message passer on every L2, at its predeploy address, with no constructor run.
    const std::string runtime_hex = eth::to_hex(artifacts.message_passer_runtime);
    for (const auto& l2 : info.l2s) {
        rpc::RpcClient* r = client->rpc(l2.name);
        VIGIL_CHECK(
            r->call("anvil_setCode", Json::array({l2.message_passer.to_hex(), runtime_hex})));
        VIGIL_TRY(Json code,
                  r->call("eth_getCode", Json::array({l2.message_passer.to_hex(), "latest"})));
        if (!code.is_string() || code.get<std::string>() != runtime_hex)
            return fail("devnet: " + l2.name + ": the message passer code was not installed");
        // Anvil applies anvil_setCode to its state without a new header; mine one so that
        // every block from here on commits to the predeploy (block 0's state root does not).
        VIGIL_CHECK(r->call("anvil_mine", Json::array({"0x1"})));
    }

    // Factory and portal per L2 on L1, sent back to back with consecutive nonces (so interval
    // mining does not cost a block per transaction), then all receipts checked.
    VIGIL_TRY(eth::PrivateKey deployer, client->key("deployer"));
    rpc::RpcClient* l1 = client->rpc("l1");
    VIGIL_TRY(Json nonce_json, l1->call("eth_getTransactionCount",
                                        Json::array({deployer.address().to_hex(), "pending"})));
    if (!nonce_json.is_string()) return fail("devnet: eth_getTransactionCount: not a string");
    VIGIL_TRY(uint64_t nonce, eth::parse_quantity(nonce_json.get<std::string>()));
    std::vector<eth::Hash32> sent;
    std::vector<std::pair<size_t, eth::Address>> creations;  // index in `sent`, expected address
    auto submit = [&](std::optional<eth::Address> to, const eth::Bytes& data,
                      const eth::U256& value, uint64_t gas) -> Status {
        VIGIL_TRY(eth::Hash32 h, client->submit("l1", deployer, to, data, value, nonce, gas));
        ++nonce;
        sent.push_back(h);
        return {};
    };
    for (auto& l2 : info.l2s) {
        l2.dispute_game_factory = create_address(deployer.address(), nonce);
        eth::Bytes factory_code = artifacts.factory_creation;
        VIGIL_TRY(eth::Bytes owner_arg,
                  eth::abi::encode_params(eth::abi::Type::tuple({eth::abi::Type::address()}),
                                          Value::tuple({Value::address(deployer.address())})));
        eth::append(factory_code, owner_arg);
        creations.emplace_back(sent.size(), l2.dispute_game_factory);
        VIGIL_CHECK(submit(std::nullopt, factory_code, eth::U256(), kCreationGas));
        VIGIL_TRY(eth::Bytes set_params,
                  encode_call(
                      "setGameParameters(uint32,uint64,uint64,uint128)",
                      {Value::uint(options.game_type), Value::uint(options.max_clock_duration_secs),
                       Value::uint(options.max_game_depth), Value::uint(options.move_bond)}));
        VIGIL_CHECK(submit(l2.dispute_game_factory, set_params, eth::U256(), kConfigGas));
        VIGIL_TRY(eth::Bytes set_bond,
                  encode_call("setInitBond(uint32,uint256)",
                              {Value::uint(options.game_type), Value::uint(options.init_bond)}));
        VIGIL_CHECK(submit(l2.dispute_game_factory, set_bond, eth::U256(), kConfigGas));

        l2.optimism_portal = create_address(deployer.address(), nonce);
        eth::Bytes portal_code = artifacts.portal_creation;
        VIGIL_TRY(eth::Bytes portal_args,
                  eth::abi::encode_params(
                      *eth::abi::parse_type("(address,uint256,uint256,uint32,address)"),
                      Value::tuple({Value::address(l2.dispute_game_factory),
                                    Value::uint(options.proof_maturity_delay_secs),
                                    Value::uint(options.dispute_game_finality_delay_secs),
                                    Value::uint(options.game_type),
                                    Value::address(deployer.address())})));
        eth::append(portal_code, portal_args);
        creations.emplace_back(sent.size(), l2.optimism_portal);
        VIGIL_CHECK(submit(std::nullopt, portal_code, eth::U256(), kCreationGas));
        VIGIL_CHECK(submit(l2.optimism_portal, {}, options.portal_funding, kTransferGas));
    }
    std::vector<TxReceipt> receipts;
    for (const auto& h : sent) {
        VIGIL_TRY(TxReceipt r, client->wait_receipt("l1", h));
        if (!r.success)
            return fail("devnet: deployment transaction " + h.to_hex() + " failed on l1");
        receipts.push_back(std::move(r));
    }
    for (const auto& [index, expected] : creations)
        if (receipts[index].contract_address != expected)
            return fail("devnet: a contract was not deployed at the expected address " +
                        expected.to_hex());
    for (const auto& l2 : info.l2s) {
        VIGIL_TRY(Value f,
                  client->view("l1", l2.optimism_portal, "disputeGameFactory()", {}, "(address)"));
        VIGIL_TRY(Value fa, item(f, 0));
        VIGIL_TRY(eth::Address factory, value_address(fa));
        if (factory != l2.dispute_game_factory)
            return fail("devnet: " + l2.name + ": portal points to another factory");
    }
    return net;
}

void Devnet::stop() {
    for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) (*it)->stop();
}

Devnet::~Devnet() { stop(); }

// ---- DevnetClient ----

eth::Hash32 OutputRootPreimage::root() const {
    eth::Bytes preimage;
    for (const eth::Hash32* h :
         {&version, &state_root, &message_passer_storage_root, &latest_block_hash})
        eth::append(preimage, h->view());
    return eth::keccak256(preimage);
}

const char* game_status_name(GameStatus status) {
    switch (status) {
        case GameStatus::in_progress:
            return "IN_PROGRESS";
        case GameStatus::challenger_wins:
            return "CHALLENGER_WINS";
        case GameStatus::defender_wins:
            return "DEFENDER_WINS";
    }
    return "UNKNOWN";
}

Result<std::unique_ptr<DevnetClient>> DevnetClient::connect(
    DevnetInfo info, std::optional<DevnetArtifacts> artifacts) {
    std::unique_ptr<DevnetClient> c(new DevnetClient());
    c->info_ = std::move(info);
    if (artifacts) c->errors_ = artifacts->errors;
    std::vector<const DevnetChain*> chains{&c->info_.l1};
    for (const auto& l2 : c->info_.l2s) chains.push_back(&l2);
    for (const DevnetChain* chain : chains) {
        auto client = std::make_unique<rpc::RpcClient>(client_options(*chain));
        Status s = client->connect();
        if (!s.ok())
            return fail("devnet: cannot reach " + chain->name + " at " + chain->rpc + ": " +
                        s.error().message);
        c->rpcs_.emplace(chain->name, std::move(client));
    }
    return c;
}

Result<eth::PrivateKey> DevnetClient::key(std::string_view role) const {
    const std::string* hex = nullptr;
    if (role == "relayer")
        hex = &info_.keys.relayer;
    else if (role == "challenger")
        hex = &info_.keys.challenger;
    else if (role == "proposer")
        hex = &info_.keys.proposer;
    else if (role == "user")
        hex = &info_.keys.user;
    else if (role == "deployer")
        return eth::PrivateKey::from_hex(kAnvilKey0);
    else
        return fail("devnet: unknown role '" + std::string(role) + "'");
    auto k = eth::PrivateKey::from_hex(*hex);
    if (!k.ok())
        return fail("devnet: the " + std::string(role) + " key is not a valid private key");
    return k;
}

rpc::RpcClient* DevnetClient::rpc(std::string_view chain) {
    auto it = rpcs_.find(chain);
    return it == rpcs_.end() ? nullptr : it->second.get();
}

Result<const DevnetL2*> DevnetClient::find_l2(std::string_view name) const {
    const DevnetL2* l2 = info_.l2(name);
    if (!l2) return fail("devnet: no L2 named '" + std::string(name) + "'");
    return l2;
}

std::string DevnetClient::describe_revert(std::string_view chain, const Json& call,
                                          const std::string& message) {
    // The node's error message does not reliably carry the revert data (Anvil prints short
    // custom errors as raw text), and RpcClient keeps only the message: replay the call
    // with the call tracer, whose `output` is the revert data.
    rpc::RpcClient* r = rpc(chain);
    auto trace =
        r->call("debug_traceCall", Json::array({call, "latest", {{"tracer", "callTracer"}}}));
    if (!trace.ok() || !trace->is_object() || !trace->contains("error")) return message;
    auto output = rpc::field_bytes(*trace, "output");
    if (!output.ok()) return "execution reverted (no revert data)";
    const eth::Bytes& data = *output;
    if (data.size() < 4)
        return "execution reverted" + (data.empty() ? std::string(" (no revert data)") : "");
    const uint32_t selector =
        (uint32_t{data[0]} << 24) | (uint32_t{data[1]} << 16) | (uint32_t{data[2]} << 8) | data[3];
    const eth::BytesView args(data.data() + 4, data.size() - 4);
    if (selector == 0x08c379a0) {  // Error(string)
        auto text =
            eth::abi::decode_params(eth::abi::Type::tuple({eth::abi::Type::string()}), args);
        if (text.ok())
            return "execution reverted: " +
                   text->as<eth::abi::TupleValue>().items[0].as<eth::abi::StringValue>().text;
    }
    if (selector == 0x4e487b71)
        return "execution reverted: panic " + eth::to_hex(args);  // Panic(uint256)
    auto it = errors_.find(selector);
    if (it != errors_.end()) return "execution reverted: " + it->second;
    return "execution reverted: custom error " + eth::to_hex(data);
}

Result<uint64_t> DevnetClient::block_number(std::string_view chain) {
    rpc::RpcClient* r = rpc(chain);
    if (!r) return fail("devnet: no chain named '" + std::string(chain) + "'");
    VIGIL_TRY(Json n, r->call("eth_blockNumber"));
    if (!n.is_string()) return fail("eth_blockNumber: not a string");
    return eth::parse_quantity(n.get<std::string>());
}

Result<uint64_t> DevnetClient::block_timestamp(std::string_view chain, uint64_t block) {
    rpc::RpcClient* r = rpc(chain);
    if (!r) return fail("devnet: no chain named '" + std::string(chain) + "'");
    VIGIL_TRY(Json b,
              r->call("eth_getBlockByNumber", Json::array({eth::to_quantity(block), false})));
    if (b.is_null()) return fail(std::string(chain) + ": no block " + std::to_string(block));
    return rpc::field_uint64(b, "timestamp");
}

Result<eth::U256> DevnetClient::balance(std::string_view chain, const eth::Address& account) {
    rpc::RpcClient* r = rpc(chain);
    if (!r) return fail("devnet: no chain named '" + std::string(chain) + "'");
    VIGIL_TRY(Json b, r->call("eth_getBalance", Json::array({account.to_hex(), "latest"})));
    if (!b.is_string()) return fail("eth_getBalance: not a string");
    return eth::U256::from_string(b.get<std::string>());
}

Result<eth::Hash32> DevnetClient::submit(std::string_view chain, const eth::PrivateKey& key,
                                         std::optional<eth::Address> to, const eth::Bytes& data,
                                         const eth::U256& value, uint64_t nonce, uint64_t gas) {
    rpc::RpcClient* r = rpc(chain);
    const DevnetChain* c = info_.chain(chain);
    if (!r || !c) return fail("devnet: no chain named '" + std::string(chain) + "'");
    VIGIL_TRY(Json head, r->call("eth_getBlockByNumber", Json::array({"latest", false})));
    VIGIL_TRY(eth::U256 base_fee, rpc::field_u256(head, "baseFeePerGas"));
    eth::Transaction tx;
    tx.type = eth::TxType::kDynamicFee;
    tx.chain_id = c->chain_id;
    tx.nonce = nonce;
    tx.max_priority_fee_per_gas = kPriorityFee;
    tx.max_fee_per_gas = base_fee * eth::U256(2) + kPriorityFee;
    tx.gas_limit = gas;
    tx.to = to;
    tx.value = value;
    tx.data = data;
    VIGIL_TRY(eth::Transaction signed_tx, eth::sign_transaction(tx, key));
    VIGIL_TRY(eth::Bytes raw, eth::encode_transaction(signed_tx));
    VIGIL_TRY(eth::Hash32 hash, eth::transaction_hash(signed_tx));
    auto sent = r->call("eth_sendRawTransaction", Json::array({eth::to_hex(raw)}));
    if (!sent.ok())
        return fail("devnet: " + std::string(chain) +
                    ": sending a transaction: " + sent.error().message);
    return hash;
}

Result<TxReceipt> DevnetClient::wait_receipt(std::string_view chain, const eth::Hash32& tx_hash) {
    rpc::RpcClient* r = rpc(chain);
    if (!r) return fail("devnet: no chain named '" + std::string(chain) + "'");
    const auto deadline = std::chrono::steady_clock::now() + kReceiptTimeout;
    while (true) {
        VIGIL_TRY(Json rc, r->call("eth_getTransactionReceipt", Json::array({tx_hash.to_hex()})));
        if (!rc.is_null()) {
            TxReceipt out;
            out.hash = tx_hash;
            VIGIL_TRY(out.block, rpc::field_uint64(rc, "blockNumber"));
            VIGIL_TRY(uint64_t status, rpc::field_uint64(rc, "status"));
            out.success = status == 1;
            VIGIL_TRY(out.gas_used, rpc::field_uint64(rc, "gasUsed"));
            if (rc.contains("contractAddress") && rc["contractAddress"].is_string()) {
                VIGIL_TRY(out.contract_address, rpc::field_address(rc, "contractAddress"));
            }
            if (!rc.contains("logs") || !rc["logs"].is_array()) return fail("receipt without logs");
            for (const Json& l : rc["logs"]) {
                TxLog log;
                VIGIL_TRY(log.address, rpc::field_address(l, "address"));
                VIGIL_TRY(log.data, rpc::field_bytes(l, "data"));
                if (!l.contains("topics") || !l["topics"].is_array())
                    return fail("log without topics");
                for (const Json& t : l["topics"]) {
                    if (!t.is_string()) return fail("log topic is not a string");
                    VIGIL_TRY(eth::Hash32 topic, eth::Hash32::from_hex(t.get<std::string>()));
                    log.topics.push_back(topic);
                }
                out.logs.push_back(std::move(log));
            }
            return out;
        }
        if (std::chrono::steady_clock::now() > deadline)
            return fail("devnet: " + std::string(chain) + ": no receipt for " + tx_hash.to_hex() +
                        " within 60 s");
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
}

Result<TxReceipt> DevnetClient::send(std::string_view chain, const eth::PrivateKey& key,
                                     std::optional<eth::Address> to, const eth::Bytes& data,
                                     const eth::U256& value, std::optional<uint64_t> gas) {
    rpc::RpcClient* r = rpc(chain);
    if (!r) return fail("devnet: no chain named '" + std::string(chain) + "'");
    const std::string from = key.address().to_hex();
    Json call = {{"from", from}, {"data", eth::to_hex(data)}, {"value", value.to_hex()}};
    if (to) call["to"] = to->to_hex();
    // The estimate doubles as the revert check (with the node's reason).
    auto estimate = r->call("eth_estimateGas", Json::array({call}));
    if (!estimate.ok()) {
        if (estimate.error().code == rpc::kRpcError)
            return fail(describe_revert(chain, call, estimate.error().message), kDevnetReverted);
        return estimate.error();
    }
    if (!estimate->is_string()) return fail("eth_estimateGas: not a string");
    VIGIL_TRY(uint64_t estimated, eth::parse_quantity(estimate->get<std::string>()));
    VIGIL_TRY(Json nonce_json, r->call("eth_getTransactionCount", Json::array({from, "pending"})));
    if (!nonce_json.is_string()) return fail("eth_getTransactionCount: not a string");
    VIGIL_TRY(uint64_t nonce, eth::parse_quantity(nonce_json.get<std::string>()));
    const uint64_t limit = gas ? *gas : estimated + estimated / 4 + 20'000;
    VIGIL_TRY(eth::Hash32 hash, submit(chain, key, to, data, value, nonce, limit));
    VIGIL_TRY(TxReceipt receipt, wait_receipt(chain, hash));
    if (!receipt.success)
        return fail("devnet: " + std::string(chain) + ": transaction " + hash.to_hex() +
                        " reverted in block " + std::to_string(receipt.block),
                    kDevnetReverted);
    return receipt;
}

Result<Value> DevnetClient::view(std::string_view chain, const eth::Address& to,
                                 std::string_view signature, std::vector<Value> args,
                                 std::string_view returns) {
    rpc::RpcClient* r = rpc(chain);
    if (!r) return fail("devnet: no chain named '" + std::string(chain) + "'");
    VIGIL_TRY(eth::Bytes data, encode_call(signature, std::move(args)));
    const Json call = {{"to", to.to_hex()}, {"data", eth::to_hex(data)}};
    auto answer = r->call("eth_call", Json::array({call, "latest"}));
    if (!answer.ok()) {
        if (answer.error().code == rpc::kRpcError)
            return fail(std::string(signature) + ": " +
                            describe_revert(chain, call, answer.error().message),
                        kDevnetReverted);
        return answer.error();
    }
    if (!answer->is_string()) return fail("eth_call: not a string");
    VIGIL_TRY(eth::Bytes out, eth::from_hex(answer->get<std::string>()));
    VIGIL_TRY(eth::abi::Type type, eth::abi::parse_type(returns));
    auto decoded = eth::abi::decode_params(type, out);
    if (!decoded.ok())
        return fail(std::string(signature) + " at " + to.to_hex() + ": " + decoded.error().message);
    return decoded;
}

Result<TxReceipt> DevnetClient::transact(std::string_view chain, const eth::PrivateKey& key,
                                         const eth::Address& to, std::string_view signature,
                                         std::vector<Value> args, const eth::U256& value,
                                         std::optional<uint64_t> gas) {
    VIGIL_TRY(eth::Bytes data, encode_call(signature, std::move(args)));
    auto r = send(chain, key, to, data, value, gas);
    if (!r.ok())
        return Error{
            std::string(signature.substr(0, signature.find('('))) + ": " + r.error().message,
            r.error().code};
    return r;
}

Status DevnetClient::increase_time(std::string_view chain, uint64_t seconds) {
    rpc::RpcClient* r = rpc(chain);
    if (!r) return fail("devnet: no chain named '" + std::string(chain) + "'");
    VIGIL_CHECK(r->call("evm_increaseTime", Json::array({seconds})));
    VIGIL_CHECK(r->call("anvil_mine", Json::array({"0x1"})));
    return {};
}

Status DevnetClient::mine(std::string_view chain, uint64_t blocks) {
    rpc::RpcClient* r = rpc(chain);
    if (!r) return fail("devnet: no chain named '" + std::string(chain) + "'");
    VIGIL_CHECK(r->call("anvil_mine", Json::array({eth::to_quantity(blocks)})));
    return {};
}

Result<ReorgOutcome> DevnetClient::reorg(std::string_view chain, uint64_t depth) {
    rpc::RpcClient* r = rpc(chain);
    if (!r) return fail("devnet: no chain named '" + std::string(chain) + "'");
    VIGIL_TRY(uint64_t head, block_number(chain));
    if (depth == 0 || depth > head)
        return fail("devnet: reorg depth must be 1.." + std::to_string(head) + " on " +
                    std::string(chain));
    auto hash_at = [&](uint64_t n) -> Result<eth::Hash32> {
        VIGIL_TRY(Json b,
                  r->call("eth_getBlockByNumber", Json::array({eth::to_quantity(n), false})));
        return rpc::field_hash(b, "hash");
    };
    ReorgOutcome out;
    const uint64_t first = head - depth + 1;
    VIGIL_TRY(out.old_hash, hash_at(first));
    VIGIL_CHECK(r->call("anvil_reorg", Json::array({depth, Json::array()})));
    VIGIL_TRY(out.head, block_number(chain));
    VIGIL_TRY(out.new_hash, hash_at(first));
    return out;
}

Result<OutputRootPreimage> DevnetClient::output_at(std::string_view l2_name, uint64_t block) {
    VIGIL_TRY(const DevnetL2* l2, find_l2(l2_name));
    rpc::RpcClient* r = rpc(l2->name);
    VIGIL_TRY(Json b,
              r->call("eth_getBlockByNumber", Json::array({eth::to_quantity(block), false})));
    if (b.is_null()) return fail("devnet: " + l2->name + " has no block " + std::to_string(block));
    OutputRootPreimage out;
    VIGIL_TRY(out.state_root, rpc::field_hash(b, "stateRoot"));
    VIGIL_TRY(out.latest_block_hash, rpc::field_hash(b, "hash"));
    VIGIL_TRY(Json proof,
              r->call("eth_getProof", Json::array({l2->message_passer.to_hex(), Json::array(),
                                                   eth::to_quantity(block)})));
#if VIGIL_DEVNET_HAS_PROOF
    // As op-node does: the storage root only counts once the account proof of the message
    // passer verifies against the header's state root.
    eth::AccountProof account;
    account.address = l2->message_passer;
    VIGIL_TRY(account.claimed.nonce, rpc::field_uint64(proof, "nonce"));
    VIGIL_TRY(account.claimed.balance, rpc::field_u256(proof, "balance"));
    VIGIL_TRY(account.claimed.storage_root, rpc::field_hash(proof, "storageHash"));
    VIGIL_TRY(account.claimed.code_hash, rpc::field_hash(proof, "codeHash"));
    if (!proof.contains("accountProof") || !proof["accountProof"].is_array())
        return fail("eth_getProof: no accountProof");
    for (const Json& node : proof["accountProof"]) {
        if (!node.is_string()) return fail("eth_getProof: account proof node is not a string");
        VIGIL_TRY(eth::Bytes bytes, eth::from_hex(node.get<std::string>()));
        account.account_proof.push_back(std::move(bytes));
    }
    auto verified = eth::verify_account_proof(out.state_root, account);
    if (!verified.ok())
        return fail("devnet: " + l2->name + " block " + std::to_string(block) +
                    ": message passer account proof: " + verified.error().message);
    if (!verified->exists)
        return fail("devnet: " + l2->name + " has no message passer at block " +
                    std::to_string(block));
    out.message_passer_storage_root = verified->account.storage_root;
#else
    // chains/eth/proof.h is not on this branch: the node's storageHash is taken as it is,
    // without checking the account proof against stateRoot.
    VIGIL_TRY(out.message_passer_storage_root, rpc::field_hash(proof, "storageHash"));
#endif
    return out;
}

Result<uint64_t> DevnetClient::game_count(std::string_view l2_name) {
    VIGIL_TRY(const DevnetL2* l2, find_l2(l2_name));
    VIGIL_TRY(Value v, view("l1", l2->dispute_game_factory, "gameCount()", {}, "(uint256)"));
    VIGIL_TRY(Value n, item(v, 0));
    return value_u64(n);
}

Result<OutputProposal> DevnetClient::propose(std::string_view l2_name,
                                             std::optional<uint64_t> block, bool invalid) {
    VIGIL_TRY(const DevnetL2* l2, find_l2(l2_name));
    uint64_t number = 0;
    if (block) {
        number = *block;
    } else {
        VIGIL_TRY(number, block_number(l2->name));
    }
    VIGIL_TRY(OutputRootPreimage preimage, output_at(l2->name, number));
    eth::Hash32 root = preimage.root();
    if (invalid) {
        // Any other root is invalid; salt it with the proposer's nonce so that repeated
        // invalid proposals for one block are distinct games.
        VIGIL_TRY(eth::PrivateKey proposer, key("proposer"));
        VIGIL_TRY(Json n, rpc("l1")->call("eth_getTransactionCount",
                                          Json::array({proposer.address().to_hex(), "pending"})));
        eth::Bytes seed(root.bytes.begin(), root.bytes.end());
        eth::append(seed, eth::view(std::string("vigil-devnet invalid output ") + n.dump()));
        root = eth::keccak256(seed);
    }
    VIGIL_TRY(OutputProposal p, propose_root(l2->name, number, root));
    p.valid = !invalid;
    return p;
}

Result<OutputProposal> DevnetClient::propose_root(std::string_view l2_name, uint64_t block,
                                                  const eth::Hash32& root_claim) {
    VIGIL_TRY(const DevnetL2* l2, find_l2(l2_name));
    OutputProposal p;
    p.l2 = l2->name;
    p.l2_block = block;
    VIGIL_TRY(p.preimage, output_at(l2->name, block));
    p.root_claim = root_claim;
    p.valid = root_claim == p.preimage.root();
    VIGIL_TRY(eth::PrivateKey proposer, key("proposer"));
    VIGIL_TRY(Value gt, view("l1", l2->optimism_portal, "respectedGameType()", {}, "(uint32)"));
    VIGIL_TRY(Value gt0, item(gt, 0));
    VIGIL_TRY(uint64_t game_type, value_u64(gt0));
    VIGIL_TRY(Value bond, view("l1", l2->dispute_game_factory, "initBonds(uint32)",
                               {Value::uint(game_type)}, "(uint256)"));
    VIGIL_TRY(Value bond0, item(bond, 0));
    VIGIL_TRY(eth::U256 init_bond, value_uint(bond0));
    const auto word = eth::U256(block).to_be_word();
    const eth::Bytes extra(word.begin(), word.end());
    VIGIL_TRY(
        TxReceipt receipt,
        transact("l1", proposer, l2->dispute_game_factory, "create(uint32,bytes32,bytes)",
                 {Value::uint(game_type), hash_value(root_claim), Value::bytes(extra)}, init_bond));
    // DisputeGameCreated(address indexed disputeProxy, uint32 indexed gameType, bytes32 indexed
    // rootClaim)
    const eth::Hash32 created =
        eth::keccak256(std::string_view("DisputeGameCreated(address,uint32,bytes32)"));
    bool found = false;
    for (const auto& log : receipt.logs) {
        if (log.address != l2->dispute_game_factory || log.topics.size() != 4 ||
            log.topics[0] != created)
            continue;
        VIGIL_TRY(p.game, eth::Address::from_word(log.topics[1].view()));
        found = true;
    }
    if (!found) return fail("devnet: create() logged no DisputeGameCreated");
    VIGIL_TRY(uint64_t count, game_count(l2->name));
    for (uint64_t i = count; i-- > 0;) {
        VIGIL_TRY(Value g, view("l1", l2->dispute_game_factory, "gameAtIndex(uint256)",
                                {Value::uint(i)}, "(uint32,uint64,address)"));
        VIGIL_TRY(Value proxy, item(g, 2));
        VIGIL_TRY(eth::Address a, value_address(proxy));
        if (a == p.game) {
            p.game_index = i;
            return p;
        }
    }
    return fail("devnet: the new game is not in the factory's list");
}

Result<SentWithdrawal> DevnetClient::withdraw(std::string_view l2_name, const eth::Address& target,
                                              const eth::U256& value, uint64_t gas_limit,
                                              const eth::Bytes& data) {
    VIGIL_TRY(const DevnetL2* l2, find_l2(l2_name));
    VIGIL_TRY(eth::PrivateKey user, key("user"));
    VIGIL_TRY(
        TxReceipt receipt,
        transact(l2->name, user, l2->message_passer, "initiateWithdrawal(address,uint256,bytes)",
                 {Value::address(target), Value::uint(gas_limit), Value::bytes(data)}, value));
    const eth::Hash32 topic = eth::opstack::message_passed_topic();
    for (const auto& log : receipt.logs) {
        if (log.topics.empty() || log.topics[0] != topic) continue;
        VIGIL_TRY(auto passed,
                  eth::opstack::decode_message_passed(log.address, log.topics, log.data));
        return SentWithdrawal{passed.withdrawal, passed.withdrawal_hash, receipt.block,
                              receipt.hash};
    }
    return fail("devnet: initiateWithdrawal logged no MessagePassed");
}

Result<std::vector<SentWithdrawal>> DevnetClient::withdraw_many(std::string_view l2_name,
                                                                size_t count, size_t data_size) {
    VIGIL_TRY(eth::PrivateKey user, key("user"));
    std::vector<SentWithdrawal> out;
    for (size_t i = 0; i < count; ++i) {
        eth::Bytes data(data_size);
        for (size_t j = 0; j < data_size; ++j) data[j] = static_cast<uint8_t>(i * 31 + j * 7 + 1);
        // Enough gas on L1 for the call itself plus calldata copying.
        VIGIL_TRY(SentWithdrawal w,
                  withdraw(l2_name, user.address(), eth::U256(), 100'000 + 16 * data_size, data));
        out.push_back(std::move(w));
    }
    return out;
}

Result<WithdrawalProof> DevnetClient::withdrawal_proof(std::string_view l2_name,
                                                       const eth::Hash32& withdrawal_hash,
                                                       uint64_t block) {
    VIGIL_TRY(const DevnetL2* l2, find_l2(l2_name));
    const eth::Hash32 slot = eth::opstack::sent_messages_slot(withdrawal_hash);
    VIGIL_TRY(Json proof,
              rpc(l2->name)->call("eth_getProof", Json::array({l2->message_passer.to_hex(),
                                                               Json::array({slot.to_hex()}),
                                                               eth::to_quantity(block)})));
    WithdrawalProof out;
    out.l2_block = block;
    VIGIL_TRY(out.storage_root, rpc::field_hash(proof, "storageHash"));
    if (!proof.contains("storageProof") || !proof["storageProof"].is_array() ||
        proof["storageProof"].size() != 1)
        return fail("eth_getProof: expected one storage proof");
    const Json& sp = proof["storageProof"][0];
    VIGIL_TRY(eth::U256 value, rpc::field_u256(sp, "value"));
    if (value != eth::U256(1))
        return fail("devnet: withdrawal " + withdrawal_hash.to_hex() +
                    " is not in the message passer of " + l2->name + " at block " +
                    std::to_string(block));
    if (!sp.contains("proof") || !sp["proof"].is_array())
        return fail("eth_getProof: storage proof without nodes");
    for (const Json& node : sp["proof"]) {
        if (!node.is_string()) return fail("eth_getProof: proof node is not a string");
        VIGIL_TRY(eth::Bytes b, eth::from_hex(node.get<std::string>()));
        out.nodes.push_back(std::move(b));
    }
    return out;
}

Result<TxReceipt> DevnetClient::prove_withdrawal(
    std::string_view l2_name, const eth::PrivateKey& key,
    const eth::opstack::WithdrawalTransaction& withdrawal, uint64_t game_index,
    const OutputRootPreimage& preimage, const std::vector<eth::Bytes>& proof) {
    VIGIL_TRY(const DevnetL2* l2, find_l2(l2_name));
    std::vector<Value> nodes;
    for (const auto& n : proof) nodes.push_back(Value::bytes(n));
    return transact("l1", key, l2->optimism_portal,
                    std::string("proveWithdrawalTransaction(") + kWithdrawalTuple +
                        ",uint256,(bytes32,bytes32,bytes32,bytes32),bytes[])",
                    {withdrawal_value(withdrawal), Value::uint(game_index),
                     Value::tuple({hash_value(preimage.version), hash_value(preimage.state_root),
                                   hash_value(preimage.message_passer_storage_root),
                                   hash_value(preimage.latest_block_hash)}),
                     Value::array(std::move(nodes))});
}

Result<TxReceipt> DevnetClient::finalize_withdrawal(
    std::string_view l2_name, const eth::PrivateKey& key,
    const eth::opstack::WithdrawalTransaction& withdrawal) {
    VIGIL_TRY(const DevnetL2* l2, find_l2(l2_name));
    return transact("l1", key, l2->optimism_portal,
                    std::string("finalizeWithdrawalTransaction(") + kWithdrawalTuple + ")",
                    {withdrawal_value(withdrawal)});
}

Result<TxReceipt> DevnetClient::attack(const eth::Address& game, const eth::PrivateKey& key,
                                       uint64_t parent_index, const eth::Hash32& claim) {
    VIGIL_TRY(Value parent, view("l1", game, "claimData(uint256)", {Value::uint(parent_index)},
                                 "(uint32,address,address,uint128,bytes32,uint128,uint128)"));
    VIGIL_TRY(Value disputed_v, item(parent, 4));
    VIGIL_TRY(eth::Hash32 disputed, value_hash(disputed_v));
    VIGIL_TRY(Value position_v, item(parent, 5));
    VIGIL_TRY(eth::U256 position, value_uint(position_v));
    VIGIL_TRY(Value bond_v, view("l1", game, "getRequiredBond(uint128)",
                                 {Value::uint(position << 1)}, "(uint256)"));
    VIGIL_TRY(Value bond0, item(bond_v, 0));
    VIGIL_TRY(eth::U256 bond, value_uint(bond0));
    return transact("l1", key, game, "attack(bytes32,uint256,bytes32)",
                    {hash_value(disputed), Value::uint(parent_index), hash_value(claim)}, bond);
}

Result<GameStatus> DevnetClient::game_status(const eth::Address& game) {
    VIGIL_TRY(Value s, view("l1", game, "status()", {}, "(uint8)"));
    VIGIL_TRY(Value s0, item(s, 0));
    VIGIL_TRY(uint64_t status, value_u64(s0));
    if (status > 2)
        return fail("devnet: game " + game.to_hex() + " reports status " + std::to_string(status));
    return static_cast<GameStatus>(status);
}

Result<GameStatus> DevnetClient::resolve_game(const eth::Address& game,
                                              const eth::PrivateKey& key) {
    VIGIL_TRY(Value n, view("l1", game, "claimDataLen()", {}, "(uint256)"));
    VIGIL_TRY(Value n0, item(n, 0));
    VIGIL_TRY(uint64_t claims, value_u64(n0));
    for (uint64_t i = claims; i-- > 0;) {
        VIGIL_TRY(Value done,
                  view("l1", game, "resolvedSubgames(uint256)", {Value::uint(i)}, "(bool)"));
        VIGIL_TRY(Value done0, item(done, 0));
        if (done0.is<bool>() && done0.as<bool>()) continue;
        VIGIL_CHECK(transact("l1", key, game, "resolveClaim(uint256,uint256)",
                             {Value::uint(i), Value::uint(0)}));
    }
    VIGIL_CHECK(transact("l1", key, game, "resolve()", {}));
    return game_status(game);
}

}  // namespace vigil::testing
