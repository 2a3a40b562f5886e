#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace vigil::core {
namespace {

// Walks a YAML tree, producing errors that carry the source position and key path.
class Reader {
  public:
    explicit Reader(std::string source) : source_(std::move(source)) {}

    Error error(const YAML::Node& node, const std::string& path, const std::string& message) const {
        const YAML::Mark m = node.Mark();
        std::string out = source_;
        if (!m.is_null()) {
            out.append(":").append(std::to_string(m.line + 1));
            out.append(":").append(std::to_string(m.column + 1));
        }
        out.append(": ").append(path).append(": ").append(message);
        return fail(std::move(out));
    }

    // `node` must be a map whose keys are all in `allowed`.
    Status expect_map(const YAML::Node& node, const std::string& path,
                      std::initializer_list<std::string_view> allowed) const {
        if (!node.IsMap()) return error(node, path, "expected a mapping");
        for (const auto& kv : node) {
            const std::string key = kv.first.Scalar();
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                std::string known;
                for (auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
                return error(kv.first, join(path, key), "unknown key (known keys: " + known + ")");
            }
        }
        return {};
    }

    Result<std::string> string(const YAML::Node& node, const std::string& path) const {
        if (!node.IsScalar()) return error(node, path, "expected a string");
        if (node.Scalar().empty()) return error(node, path, "must not be empty");
        return node.Scalar();
    }

    Result<uint64_t> uint(const YAML::Node& node, const std::string& path, uint64_t min = 0,
                          uint64_t max = UINT64_MAX) const {
        if (!node.IsScalar()) return error(node, path, "expected an unsigned integer");
        const std::string& s = node.Scalar();
        if (s.empty() || s.size() > 20 ||
            !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return error(node, path, "expected an unsigned integer, got '" + s + "'");
        uint64_t v = 0;
        for (char c : s) {
            if (v > (UINT64_MAX - static_cast<uint64_t>(c - '0')) / 10)
                return error(node, path, "number too large");
            v = v * 10 + static_cast<uint64_t>(c - '0');
        }
        if (v < min || v > max)
            return error(node, path,
                         "must be between " + std::to_string(min) + " and " + std::to_string(max));
        return v;
    }

    Result<double> number(const YAML::Node& node, const std::string& path,
                          double min_exclusive) const {
        if (!node.IsScalar()) return error(node, path, "expected a number");
        const std::string& s = node.Scalar();
        size_t used = 0;
        double v = 0;
        try {
            v = std::stod(s, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != s.size())
            return error(node, path, "expected a number, got '" + s + "'");
        if (!(v > min_exclusive))
            return error(node, path, "must be greater than " + std::to_string(min_exclusive));
        return v;
    }

    Result<bool> boolean(const YAML::Node& node, const std::string& path) const {
        if (node.IsScalar() && (node.Scalar() == "true" || node.Scalar() == "false"))
            return node.Scalar() == "true";
        return error(node, path, "expected true or false");
    }

    static std::string join(const std::string& path, std::string_view key) {
        return path.empty() ? std::string(key) : path + "." + std::string(key);
    }

  private:
    std::string source_;
};

bool valid_name(const std::string& name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) ||
               std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// host:port with a port in 1..65535; host may be empty, a name, IPv4 or [IPv6].
bool valid_listen(const std::string& s) {
    size_t colon = s.rfind(':');
    if (colon == std::string::npos) return false;
    std::string port = s.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    int p = std::stoi(port);
    return p >= 1 && p <= 65535;
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
    std::filesystem::path path(p);
    return path.is_absolute() ? path : base / path;
}

Result<ChainConfig> parse_chain(const Reader& r, const YAML::Node& node, const std::string& path) {
    VIGIL_CHECK(
        r.expect_map(node, path,
                     {"name", "chain_id", "rpc", "ws", "confirmations", "finality",
                      "poll_interval_ms", "start_block", "max_block_range", "requests_per_second",
                      "request_timeout_ms", "reorg_window", "max_lag_blocks"}));
    ChainConfig c;
    if (!node["name"]) return r.error(node, path, "missing required key 'name'");
    VIGIL_TRY(c.name, r.string(node["name"], path + ".name"));
    if (!valid_name(c.name))
        return r.error(node["name"], path + ".name",
                       "use lowercase letters, digits, '-' and '_' (at most 64)");
    const std::string p = "chains." + c.name;
    if (!node["chain_id"]) return r.error(node, p, "missing required key 'chain_id'");
    VIGIL_TRY(c.chain_id, r.uint(node["chain_id"], p + ".chain_id", 1));

    const YAML::Node rpc = node["rpc"];
    if (!rpc) return r.error(node, p, "missing required key 'rpc' (one URL or a list)");
    if (rpc.IsScalar()) {
        VIGIL_TRY(std::string url, r.string(rpc, p + ".rpc"));
        c.rpc.push_back(url);
    } else if (rpc.IsSequence()) {
        for (size_t i = 0; i < rpc.size(); ++i) {
            VIGIL_TRY(std::string url, r.string(rpc[i], p + ".rpc[" + std::to_string(i) + "]"));
            c.rpc.push_back(url);
        }
    } else {
        return r.error(rpc, p + ".rpc", "expected a URL or a list of URLs");
    }
    if (c.rpc.empty()) return r.error(rpc, p + ".rpc", "needs at least one endpoint");
    for (size_t i = 0; i < c.rpc.size(); ++i)
        if (!starts_with(c.rpc[i], "http://") && !starts_with(c.rpc[i], "https://"))
            return r.error(rpc.IsSequence() ? rpc[i] : rpc, p + ".rpc",
                           "endpoint must be an http:// or https:// URL");
    if (node["ws"]) {
        VIGIL_TRY(std::string ws, r.string(node["ws"], p + ".ws"));
        if (!starts_with(ws, "ws://") && !starts_with(ws, "wss://"))
            return r.error(node["ws"], p + ".ws", "must be a ws:// or wss:// URL");
        c.ws = ws;
    }

    const bool has_conf = static_cast<bool>(node["confirmations"]);
    const bool has_finality = static_cast<bool>(node["finality"]);
    if (has_conf == has_finality)
        return r.error(node, p,
                       has_conf ? "set either 'confirmations' or 'finality', not both"
                                : "missing 'confirmations: N' or 'finality: safe|finalized'");
    if (has_conf) {
        c.finality.kind = Finality::Kind::confirmations;
        VIGIL_TRY(c.finality.confirmations,
                  r.uint(node["confirmations"], p + ".confirmations", 0, 10000));
    } else {
        VIGIL_TRY(std::string f, r.string(node["finality"], p + ".finality"));
        if (f == "safe")
            c.finality.kind = Finality::Kind::safe;
        else if (f == "finalized")
            c.finality.kind = Finality::Kind::finalized;
        else
            return r.error(node["finality"], p + ".finality", "expected 'safe' or 'finalized'");
    }
    if (node["poll_interval_ms"]) {
        VIGIL_TRY(c.poll_interval_ms,
                  r.uint(node["poll_interval_ms"], p + ".poll_interval_ms", 50, 600000));
    }
    if (node["start_block"]) {
        VIGIL_TRY(c.start_block, r.uint(node["start_block"], p + ".start_block"));
    }
    if (node["max_block_range"]) {
        VIGIL_TRY(c.max_block_range,
                  r.uint(node["max_block_range"], p + ".max_block_range", 1, 1000000));
    }
    if (node["requests_per_second"]) {
        VIGIL_TRY(c.requests_per_second,
                  r.number(node["requests_per_second"], p + ".requests_per_second", 0));
    }
    if (node["request_timeout_ms"]) {
        VIGIL_TRY(c.request_timeout_ms,
                  r.uint(node["request_timeout_ms"], p + ".request_timeout_ms", 100, 600000));
    }
    if (node["max_lag_blocks"]) {
        VIGIL_TRY(c.max_lag_blocks, r.uint(node["max_lag_blocks"], p + ".max_lag_blocks", 1));
    }
    if (node["reorg_window"]) {
        VIGIL_TRY(c.reorg_window, r.uint(node["reorg_window"], p + ".reorg_window", 2, 100000));
    }
    if (c.finality.kind == Finality::Kind::confirmations &&
        c.reorg_window <= c.finality.confirmations)
        return r.error(
            node, p + ".reorg_window",
            "must exceed confirmations (" + std::to_string(c.finality.confirmations) + ")");
    return c;
}

// "1.5" ether -> wei; at most 18 decimals, no sign, no exponent.
Result<eth::U256> ether_to_wei(const std::string& text) {
    const size_t dot = text.find('.');
    std::string whole = text.substr(0, dot);
    std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
    auto digits = [](const std::string& d) {
        return d.find_first_not_of("0123456789") == std::string::npos;
    };
    if ((whole.empty() && frac.empty()) || !digits(whole) || !digits(frac) || frac.size() > 18 ||
        whole.size() > 30)
        return fail("expected an amount of ether like 0.5 (at most 18 decimals)");
    frac.resize(18, '0');
    std::string wei = (whole.empty() ? "0" : whole) + frac;
    return eth::U256::from_string(wei.substr(std::min(wei.find_first_not_of('0'), wei.size() - 1)));
}

Result<SignerConfig> parse_signer(const Reader& r, const YAML::Node& node, const std::string& path,
                                  const std::filesystem::path& base) {
    for (const char* inline_key : {"key", "private_key", "password"})
        if (node.IsMap() && node[inline_key])
            return r.error(node[inline_key], path + "." + inline_key,
                           "secrets are never written in the config: use keystore + password_file, "
                           "or key_env with dev: true");
    VIGIL_CHECK(r.expect_map(node, path,
                             {"keystore", "password_file", "key_env", "dev", "low_balance_eth"}));
    SignerConfig s;
    if (node["low_balance_eth"]) {
        VIGIL_TRY(std::string text, r.string(node["low_balance_eth"], path + ".low_balance_eth"));
        auto wei = ether_to_wei(text);
        if (!wei)
            return r.error(node["low_balance_eth"], path + ".low_balance_eth", wei.error().message);
        s.low_balance_wei = *wei;
    }
    if (node["dev"]) {
        VIGIL_TRY(s.dev, r.boolean(node["dev"], path + ".dev"));
    }
    if (node["keystore"]) {
        VIGIL_TRY(std::string k, r.string(node["keystore"], path + ".keystore"));
        s.keystore = resolve(base, k);
        if (!node["password_file"]) return r.error(node, path, "a keystore needs 'password_file'");
        VIGIL_TRY(std::string pw, r.string(node["password_file"], path + ".password_file"));
        s.password_file = resolve(base, pw);
        if (node["key_env"])
            return r.error(node["key_env"], path + ".key_env",
                           "use either keystore or key_env, not both");
    } else if (node["key_env"]) {
        VIGIL_TRY(std::string env, r.string(node["key_env"], path + ".key_env"));
        if (!s.dev)
            return r.error(node["key_env"], path + ".key_env",
                           "a raw key from the environment is for development only: add dev: true");
        if (node["password_file"])
            return r.error(node["password_file"], path + ".password_file",
                           "only used with keystore");
        s.key_env = env;
    } else {
        return r.error(node, path,
                       "needs 'keystore' + 'password_file' (or 'key_env' with dev: true)");
    }
    return s;
}

Result<eth::Address> address(const Reader& r, const YAML::Node& node, const std::string& path) {
    VIGIL_TRY(std::string text, r.string(node, path));
    auto a = eth::Address::from_hex(text);
    if (!a) return r.error(node, path, a.error().message);
    return a;
}

Result<ReexecuteConfig> parse_reexecute(const Reader& r, const YAML::Node& node,
                                        const std::string& p, const std::filesystem::path& base) {
    VIGIL_CHECK(r.expect_map(
        node, p, {"rules", "rollup_config", "witness", "anchor", "retain_blocks", "prefetch"}));
    ReexecuteConfig rc;
    if (node["rules"]) {
        VIGIL_TRY(rc.rules, r.string(node["rules"], p + ".rules"));
        if (rc.rules != "ethereum" && rc.rules != "op-stack")
            return r.error(node["rules"], p + ".rules", "expected ethereum or op-stack");
    }
    if (node["rollup_config"]) {
        VIGIL_TRY(std::string file, r.string(node["rollup_config"], p + ".rollup_config"));
        rc.rollup_config = resolve(base, file);
    }
    if (rc.rules == "op-stack" && !rc.rollup_config)
        return r.error(node, p + ".rollup_config",
                       "rules: op-stack needs the rollup's rollup.json (its fork times)");
    if (rc.rules == "ethereum" && rc.rollup_config)
        return r.error(node["rollup_config"], p + ".rollup_config",
                       "only used with rules: op-stack");
    if (node["witness"]) {
        VIGIL_TRY(rc.witness, r.string(node["witness"], p + ".witness"));
        if (rc.witness != "auto" && rc.witness != "execution_witness" && rc.witness != "prestate")
            return r.error(node["witness"], p + ".witness",
                           "expected auto, execution_witness or prestate");
    }
    if (const YAML::Node anchor = node["anchor"]) {
        VIGIL_CHECK(r.expect_map(anchor, p + ".anchor", {"l2_block", "block_hash"}));
        for (const char* required : {"l2_block", "block_hash"})
            if (!anchor[required])
                return r.error(anchor, p + ".anchor",
                               std::string("missing required key '") + required + "'");
        VIGIL_TRY(rc.anchor_block, r.uint(anchor["l2_block"], p + ".anchor.l2_block"));
        VIGIL_TRY(std::string h, r.string(anchor["block_hash"], p + ".anchor.block_hash"));
        auto hash = eth::Hash32::from_hex(h);
        if (!hash)
            return r.error(anchor["block_hash"], p + ".anchor.block_hash", hash.error().message);
        rc.anchor_hash = *hash;
    }
    if (node["retain_blocks"]) {
        VIGIL_TRY(rc.retain_blocks, r.uint(node["retain_blocks"], p + ".retain_blocks", 1));
    }
    if (node["prefetch"]) {
        VIGIL_TRY(rc.prefetch, r.uint(node["prefetch"], p + ".prefetch", 1, 64));
    }
    return rc;
}

Result<RollupConfig> parse_rollup(const Reader& r, const YAML::Node& node, const std::string& path,
                                  const Config& cfg, const std::filesystem::path& base) {
    VIGIL_CHECK(r.expect_map(
        node, path,
        {"name", "l1_chain", "l2_chain", "dispute_game_factory", "game_types", "l2_output_oracle",
         "challenge", "signer", "webhook_url", "mode", "reexecute"}));
    RollupConfig rc;
    for (const char* required : {"name", "l1_chain", "l2_chain", "dispute_game_factory"})
        if (!node[required])
            return r.error(node, path, std::string("missing required key '") + required + "'");
    VIGIL_TRY(rc.name, r.string(node["name"], path + ".name"));
    if (!valid_name(rc.name))
        return r.error(node["name"], path + ".name", "use lowercase letters, digits, '-' and '_'");
    const std::string p = "verifier.rollups." + rc.name;
    VIGIL_TRY(rc.l1_chain, r.string(node["l1_chain"], p + ".l1_chain"));
    VIGIL_TRY(rc.l2_chain, r.string(node["l2_chain"], p + ".l2_chain"));
    for (const auto* which : {&rc.l1_chain, &rc.l2_chain})
        if (!cfg.chain(*which))
            return r.error(node[which == &rc.l1_chain ? "l1_chain" : "l2_chain"], p,
                           "no chain named '" + *which + "' in chains");
    if (rc.l1_chain == rc.l2_chain)
        return r.error(node["l2_chain"], p + ".l2_chain", "must differ from l1_chain");
    VIGIL_TRY(rc.dispute_game_factory,
              address(r, node["dispute_game_factory"], p + ".dispute_game_factory"));
    if (const YAML::Node types = node["game_types"]) {
        if (!types.IsSequence() || types.size() == 0)
            return r.error(types, p + ".game_types", "expected a non-empty list");
        rc.game_types.clear();
        for (size_t i = 0; i < types.size(); ++i) {
            VIGIL_TRY(uint64_t t, r.uint(types[i], p + ".game_types[" + std::to_string(i) + "]", 0,
                                         UINT32_MAX));
            rc.game_types.push_back(static_cast<uint32_t>(t));
        }
    }
    if (node["l2_output_oracle"]) {
        VIGIL_TRY(eth::Address a, address(r, node["l2_output_oracle"], p + ".l2_output_oracle"));
        rc.l2_output_oracle = a;
    }
    if (node["challenge"]) {
        VIGIL_TRY(rc.challenge, r.boolean(node["challenge"], p + ".challenge"));
    }
    if (node["signer"]) {
        VIGIL_TRY(std::string signer, r.string(node["signer"], p + ".signer"));
        if (!cfg.signers.count(signer))
            return r.error(node["signer"], p + ".signer",
                           "no signer named '" + signer + "' in signers");
        rc.signer = signer;
    }
    if (rc.challenge && !rc.signer)
        return r.error(node, p + ".signer", "challenge: true needs a signer");
    if (node["webhook_url"]) {
        VIGIL_TRY(std::string url, r.string(node["webhook_url"], p + ".webhook_url"));
        if (!starts_with(url, "http://") && !starts_with(url, "https://"))
            return r.error(node["webhook_url"], p + ".webhook_url",
                           "must be an http:// or https:// URL");
        rc.webhook_url = url;
    }
    if (node["mode"]) {
        VIGIL_TRY(rc.mode, r.string(node["mode"], p + ".mode"));
        if (rc.mode != "recompute" && rc.mode != "reexecute")
            return r.error(node["mode"], p + ".mode", "expected recompute or reexecute");
    }
    if (node["reexecute"]) {
        VIGIL_TRY(ReexecuteConfig re,
                  parse_reexecute(r, node["reexecute"], p + ".reexecute", base));
        rc.reexecute = std::move(re);
    }
    if (rc.mode == "reexecute" && (!rc.reexecute || !rc.reexecute->anchor_hash))
        return r.error(node, p + ".reexecute.anchor",
                       "mode: reexecute needs reexecute.anchor (l2_block, block_hash): the first "
                       "trusted L2 block");
    return rc;
}

Result<std::vector<eth::Address>> address_list(const Reader& r, const YAML::Node& node,
                                               const std::string& path) {
    if (!node.IsSequence()) return r.error(node, path, "expected a list of addresses");
    std::vector<eth::Address> out;
    for (size_t i = 0; i < node.size(); ++i) {
        VIGIL_TRY(eth::Address a, address(r, node[i], path + "[" + std::to_string(i) + "]"));
        out.push_back(a);
    }
    return out;
}

Result<RouteConfig> parse_route(const Reader& r, const YAML::Node& node, const std::string& path,
                                const Config& cfg) {
    VIGIL_CHECK(r.expect_map(node, path,
                             {"name", "protocol", "l1_chain", "l2_chain", "optimism_portal",
                              "rollup", "signer", "policy"}));
    RouteConfig rc;
    for (const char* required :
         {"name", "l1_chain", "l2_chain", "optimism_portal", "rollup", "signer"})
        if (!node[required])
            return r.error(node, path + "." + required,
                           std::string("missing (") +
                               (std::string(required) == "rollup"
                                    ? "the verifier rollup whose verdicts gate the proofs"
                                    : "required") +
                               ")");
    VIGIL_TRY(rc.name, r.string(node["name"], path + ".name"));
    if (!valid_name(rc.name)) return r.error(node["name"], path + ".name", "invalid route name");
    const std::string p = "relayer.routes." + rc.name;
    if (node["protocol"]) {
        VIGIL_TRY(rc.protocol, r.string(node["protocol"], p + ".protocol"));
        if (rc.protocol != "op-withdrawals")
            return r.error(node["protocol"], p + ".protocol", "expected op-withdrawals");
    }
    VIGIL_TRY(rc.l1_chain, r.string(node["l1_chain"], p + ".l1_chain"));
    VIGIL_TRY(rc.l2_chain, r.string(node["l2_chain"], p + ".l2_chain"));
    for (const char* key : {"l1_chain", "l2_chain"}) {
        const std::string& chain = std::string(key) == "l1_chain" ? rc.l1_chain : rc.l2_chain;
        if (!cfg.chain(chain))
            return r.error(node[key], p + "." + key, "no chain named '" + chain + "' in chains");
    }
    if (rc.l1_chain == rc.l2_chain)
        return r.error(node["l2_chain"], p + ".l2_chain", "must differ from l1_chain");
    VIGIL_TRY(rc.optimism_portal, address(r, node["optimism_portal"], p + ".optimism_portal"));
    VIGIL_TRY(rc.rollup, r.string(node["rollup"], p + ".rollup"));
    const RollupConfig* rollup = cfg.rollup(rc.rollup);
    if (!rollup)
        return r.error(node["rollup"], p + ".rollup",
                       "no rollup named '" + rc.rollup +
                           "' in verifier.rollups (proofs are "
                           "only made against games the verifier judged valid)");
    if (rollup->l1_chain != rc.l1_chain || rollup->l2_chain != rc.l2_chain)
        return r.error(node["rollup"], p + ".rollup",
                       "rollup '" + rc.rollup + "' watches " + rollup->l1_chain + " -> " +
                           rollup->l2_chain + ", not this route's chains");
    VIGIL_TRY(rc.signer, r.string(node["signer"], p + ".signer"));
    if (!cfg.signers.count(rc.signer))
        return r.error(node["signer"], p + ".signer",
                       "no signer named '" + rc.signer + "' in signers");
    if (const YAML::Node pol = node["policy"]) {
        const std::string pp = p + ".policy";
        VIGIL_CHECK(r.expect_map(pol, pp,
                                 {"allow_senders", "deny_senders", "allow_targets", "deny_targets",
                                  "max_gas_limit", "paused"}));
        if (pol["allow_senders"]) {
            VIGIL_TRY(rc.policy.allow_senders,
                      address_list(r, pol["allow_senders"], pp + ".allow_senders"));
        }
        if (pol["deny_senders"]) {
            VIGIL_TRY(rc.policy.deny_senders,
                      address_list(r, pol["deny_senders"], pp + ".deny_senders"));
        }
        if (pol["allow_targets"]) {
            VIGIL_TRY(rc.policy.allow_targets,
                      address_list(r, pol["allow_targets"], pp + ".allow_targets"));
        }
        if (pol["deny_targets"]) {
            VIGIL_TRY(rc.policy.deny_targets,
                      address_list(r, pol["deny_targets"], pp + ".deny_targets"));
        }
        if (pol["max_gas_limit"]) {
            VIGIL_TRY(uint64_t g, r.uint(pol["max_gas_limit"], pp + ".max_gas_limit", 21000));
            rc.policy.max_gas_limit = g;
        }
        if (pol["paused"]) {
            VIGIL_TRY(rc.policy.paused, r.boolean(pol["paused"], pp + ".paused"));
        }
    }
    return rc;
}

}  // namespace

const RouteConfig* Config::route(std::string_view name) const {
    for (const RouteConfig& r : relayer.routes)
        if (r.name == name) return &r;
    return nullptr;
}

const RollupConfig* Config::rollup(std::string_view name) const {
    for (const RollupConfig& r : verifier.rollups)
        if (r.name == name) return &r;
    return nullptr;
}

const ChainConfig* Config::chain(std::string_view name) const {
    for (const ChainConfig& c : chains)
        if (c.name == name) return &c;
    return nullptr;
}

Result<Config> parse_config(std::string_view yaml_text, const std::string& source_name,
                            const std::filesystem::path& base_dir) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml_text));
    } catch (const YAML::Exception& e) {
        return fail(source_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                    std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
    }
    const Reader r(source_name);
    if (!root || root.IsNull()) return fail(source_name + ": the file is empty");
    try {
        VIGIL_CHECK(r.expect_map(
            root, "",
            {"store", "metrics", "admin", "log", "chains", "signers", "verifier", "relayer"}));
        Config cfg;
        cfg.source = source_name;

        const YAML::Node store = root["store"];
        if (!store)
            return r.error(root, "store", "missing required section 'store' (store: {path: DIR})");
        VIGIL_CHECK(r.expect_map(store, "store", {"path"}));
        if (!store["path"]) return r.error(store, "store.path", "missing required key");
        VIGIL_TRY(std::string store_path, r.string(store["path"], "store.path"));
        cfg.store_path = resolve(base_dir, store_path);

        if (const YAML::Node m = root["metrics"]) {
            VIGIL_CHECK(r.expect_map(m, "metrics", {"listen"}));
            if (m["listen"]) {
                VIGIL_TRY(cfg.metrics_listen, r.string(m["listen"], "metrics.listen"));
                if (!valid_listen(cfg.metrics_listen))
                    return r.error(m["listen"], "metrics.listen", "expected host:port");
            }
        }
        if (const YAML::Node a = root["admin"]) {
            VIGIL_CHECK(r.expect_map(a, "admin", {"listen", "token_file"}));
            if (!a["listen"]) return r.error(a, "admin.listen", "missing required key");
            VIGIL_TRY(std::string listen, r.string(a["listen"], "admin.listen"));
            if (!valid_listen(listen))
                return r.error(a["listen"], "admin.listen", "expected host:port");
            if (listen == cfg.metrics_listen)
                return r.error(a["listen"], "admin.listen", "must differ from metrics.listen");
            cfg.admin_listen = listen;
            if (!a["token_file"])
                return r.error(a, "admin.token_file",
                               "missing required key (mutating calls need a bearer token)");
            VIGIL_TRY(std::string token, r.string(a["token_file"], "admin.token_file"));
            cfg.admin_token_file = resolve(base_dir, token);
        }
        if (const YAML::Node l = root["log"]) {
            VIGIL_CHECK(r.expect_map(l, "log", {"level", "format"}));
            if (l["level"]) {
                VIGIL_TRY(std::string level, r.string(l["level"], "log.level"));
                if (!parse_log_level(level, cfg.log_level))
                    return r.error(l["level"], "log.level", "expected debug, info, warn or error");
            }
            if (l["format"]) {
                VIGIL_TRY(std::string format, r.string(l["format"], "log.format"));
                if (!parse_log_format(format, cfg.log_format))
                    return r.error(l["format"], "log.format", "expected json or text");
            }
        }

        const YAML::Node chains = root["chains"];
        if (!chains) return r.error(root, "chains", "missing required section 'chains'");
        if (!chains.IsSequence() || chains.size() == 0)
            return r.error(chains, "chains", "expected a non-empty list of chains");
        std::set<std::string> names;
        std::set<uint64_t> ids;
        for (size_t i = 0; i < chains.size(); ++i) {
            VIGIL_TRY(ChainConfig c,
                      parse_chain(r, chains[i], "chains[" + std::to_string(i) + "]"));
            if (!names.insert(c.name).second)
                return r.error(chains[i]["name"], "chains[" + std::to_string(i) + "].name",
                               "duplicate chain name '" + c.name + "'");
            if (!ids.insert(c.chain_id).second)
                return r.error(
                    chains[i]["chain_id"], "chains." + c.name + ".chain_id",
                    "chain id " + std::to_string(c.chain_id) + " is used by another chain");
            cfg.chains.push_back(std::move(c));
        }

        if (const YAML::Node signers = root["signers"]) {
            if (!signers.IsMap())
                return r.error(signers, "signers", "expected a mapping of signer names");
            for (const auto& kv : signers) {
                const std::string name = kv.first.Scalar();
                if (!valid_name(name))
                    return r.error(kv.first, "signers." + name, "invalid signer name");
                VIGIL_TRY(SignerConfig s, parse_signer(r, kv.second, "signers." + name, base_dir));
                s.name = name;
                cfg.signers.emplace(name, std::move(s));
            }
        }
        if (const YAML::Node v = root["verifier"]) {
            VIGIL_CHECK(r.expect_map(v, "verifier", {"rollups"}));
            const YAML::Node rollups = v["rollups"];
            if (!rollups || !rollups.IsSequence() || rollups.size() == 0)
                return r.error(rollups ? rollups : v, "verifier.rollups",
                               "expected a non-empty list of rollups");
            std::set<std::string> rollup_names;
            for (size_t i = 0; i < rollups.size(); ++i) {
                VIGIL_TRY(RollupConfig rc,
                          parse_rollup(r, rollups[i], "verifier.rollups[" + std::to_string(i) + "]",
                                       cfg, base_dir));
                if (!rollup_names.insert(rc.name).second)
                    return r.error(rollups[i]["name"],
                                   "verifier.rollups[" + std::to_string(i) + "].name",
                                   "duplicate rollup name '" + rc.name + "'");
                cfg.verifier.rollups.push_back(std::move(rc));
            }
        }
        if (const YAML::Node rel = root["relayer"]) {
            VIGIL_CHECK(r.expect_map(rel, "relayer", {"routes"}));
            const YAML::Node routes = rel["routes"];
            if (!routes || !routes.IsSequence() || routes.size() == 0)
                return r.error(routes ? routes : rel, "relayer.routes",
                               "expected a non-empty list of routes");
            std::set<std::string> names;
            for (size_t i = 0; i < routes.size(); ++i) {
                const std::string path = "relayer.routes[" + std::to_string(i) + "]";
                VIGIL_TRY(RouteConfig rc, parse_route(r, routes[i], path, cfg));
                if (!names.insert(rc.name).second)
                    return r.error(routes[i]["name"], path + ".name",
                                   "duplicate route name '" + rc.name + "'");
                cfg.relayer.routes.push_back(std::move(rc));
            }
        }
        return cfg;
    } catch (const YAML::Exception& e) {
        // yaml-cpp throws on some malformed trees (e.g. a map key that is itself a map).
        return fail(source_name + ":" + std::to_string(e.mark.line + 1) +
                    ": invalid config: " + e.msg);
    }
}

Result<Config> load_config(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(path.string() + ": cannot read the config file");
    std::ostringstream ss;
    ss << in.rdbuf();
    std::filesystem::path base = path.parent_path();
    if (base.empty()) base = ".";
    return parse_config(ss.str(), path.string(), base);
}

}  // namespace vigil::core
