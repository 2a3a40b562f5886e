// `vigil eth` commands of the abi group: selector, topic, abi-encode, abi-decode,
// output-root, withdrawal-hash.
#include <iostream>
#include <map>
#include <optional>

#include "chains/eth/abi.h"
#include "chains/eth/abi_text.h"
#include "chains/eth/opstack.h"
#include "cmd/vigil/eth_commands.h"

namespace vigil::cmd {
namespace {

namespace abi = eth::abi;

// eth_error with the message kept on one line (messages may quote user text).
int error_line(const std::string& name, std::string message) {
    for (char& c : message)
        if (c == '\n' || c == '\r') c = ' ';
    return eth_error(name, message);
}

// `--name VALUE` pairs; every name in `required` must appear exactly once, nothing else.
Result<std::map<std::string, std::string>> named_options(
    const Args& args, std::initializer_list<const char*> required) {
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < args.size(); i += 2) {
        const std::string& key = args[i];
        bool known = false;
        for (const char* r : required) known |= key == std::string("--") + r;
        if (!known) return fail("unexpected argument '" + key + "'");
        if (i + 1 >= args.size()) return fail(key + " needs a value");
        if (!out.emplace(key.substr(2), args[i + 1]).second) return fail(key + " given twice");
    }
    for (const char* r : required)
        if (!out.count(r)) return fail(std::string("missing --") + r);
    return out;
}

// Splits off the `--no-selector` flag (anywhere before a `--`); the rest stay in order.
Args take_no_selector(const Args& args, bool& no_selector) {
    Args rest;
    bool options_done = false;
    for (const std::string& a : args) {
        if (!options_done && a == "--") {
            options_done = true;
        } else if (!options_done && a == "--no-selector") {
            no_selector = true;
        } else {
            rest.push_back(a);
        }
    }
    return rest;
}

// A signature "f(T...)" or, where `allow_bare_tuple`, a parameter list "(T...)".
struct ParamsSpec {
    std::optional<abi::Signature> function;
    abi::Type params;
};

Result<ParamsSpec> parse_params_spec(const std::string& text, bool allow_bare_tuple) {
    size_t first = text.find_first_not_of(" \t");
    if (first != std::string::npos &&
        (text[first] == '(' || text.compare(first, 5, "tuple") == 0)) {
        if (!allow_bare_tuple)
            return fail("a bare parameter list needs --no-selector (or give a name: f" +
                        text.substr(first) + ")");
        VIGIL_TRY(abi::Type t, abi::parse_type(text));
        if (t.kind != abi::Kind::Tuple) return fail("expected a parameter list '(T1,T2,...)'");
        return ParamsSpec{std::nullopt, std::move(t)};
    }
    VIGIL_TRY(abi::Signature sig, abi::parse_signature(text));
    abi::Type params = sig.params_tuple();
    return ParamsSpec{std::move(sig), std::move(params)};
}

int cmd_selector(const Args& args) {
    if (args.size() != 1)
        return error_line("selector", "expected one SIGNATURE, e.g. 'transfer(address,uint256)'");
    auto sig = abi::parse_signature(args[0]);
    if (!sig) return error_line("selector", sig.error().message);
    std::cout << abi::selector(*sig).to_hex() << "\n";
    return 0;
}

int cmd_topic(const Args& args) {
    if (args.size() != 1)
        return error_line("topic",
                          "expected one EVENT signature, e.g. 'Transfer(address,address,uint256)'");
    auto sig = abi::parse_event_signature(args[0]);
    if (!sig) return error_line("topic", sig.error().message);
    std::cout << abi::event_topic(*sig).to_hex() << "\n";
    return 0;
}

int cmd_abi_encode(const Args& raw) {
    bool no_selector = false;
    Args args = take_no_selector(raw, no_selector);
    if (args.empty()) return error_line("abi-encode", "expected SIGNATURE ARG...");
    auto spec = parse_params_spec(args[0], no_selector);
    if (!spec) return error_line("abi-encode", spec.error().message);
    const auto& types = spec->params.children;
    if (args.size() - 1 != types.size())
        return error_line("abi-encode", spec->params.canonical() + " takes " +
                                            std::to_string(types.size()) + " argument(s), got " +
                                            std::to_string(args.size() - 1));
    std::vector<abi::Value> values;
    for (size_t i = 0; i < types.size(); ++i) {
        auto v = abi::parse_value(types[i], args[i + 1]);
        if (!v)
            return error_line("abi-encode",
                              "argument " + std::to_string(i + 1) + ": " + v.error().message);
        values.push_back(std::move(*v));
    }
    abi::Value list = abi::Value::tuple(std::move(values));
    auto out = no_selector ? abi::encode_params(spec->params, list)
                           : abi::encode_call(*spec->function, list);
    if (!out) return error_line("abi-encode", out.error().message);
    std::cout << eth::to_hex(*out) << "\n";
    return 0;
}

int cmd_abi_decode(const Args& raw) {
    bool no_selector = false;
    Args args = take_no_selector(raw, no_selector);
    if (args.size() != 2) return error_line("abi-decode", "expected SIGNATURE HEX");
    auto spec = parse_params_spec(args[0], true);
    if (!spec) return error_line("abi-decode", spec.error().message);
    auto data = eth::from_hex(args[1]);
    if (!data) return error_line("abi-decode", "data: " + data.error().message);
    auto value = (spec->function && !no_selector) ? abi::decode_call(*spec->function, *data)
                                                  : abi::decode_params(spec->params, *data);
    if (!value) return error_line("abi-decode", value.error().message);
    std::cout << abi::to_json(*value) << "\n";
    return 0;
}

Result<eth::Hash32> hash_option(const std::map<std::string, std::string>& opts, const char* key) {
    auto h = eth::Hash32::from_hex(opts.at(key));
    if (!h) return fail(std::string("--") + key + ": " + h.error().message);
    return *h;
}

Result<eth::U256> u256_option(const std::map<std::string, std::string>& opts, const char* key) {
    auto x = eth::U256::from_string(opts.at(key));
    if (!x) return fail(std::string("--") + key + ": " + x.error().message);
    return *x;
}

Result<eth::Address> address_option(const std::map<std::string, std::string>& opts,
                                    const char* key) {
    auto a = eth::Address::from_hex(opts.at(key));
    if (!a) return fail(std::string("--") + key + ": " + a.error().message);
    return *a;
}

int cmd_output_root(const Args& args) {
    auto run = [&]() -> Result<eth::Hash32> {
        VIGIL_TRY(auto opts,
                  named_options(args, {"state-root", "message-passer-root", "block-hash"}));
        VIGIL_TRY(eth::Hash32 state, hash_option(opts, "state-root"));
        VIGIL_TRY(eth::Hash32 passer, hash_option(opts, "message-passer-root"));
        VIGIL_TRY(eth::Hash32 block, hash_option(opts, "block-hash"));
        return eth::opstack::output_root_v0(state, passer, block);
    };
    auto h = run();
    if (!h) return error_line("output-root", h.error().message);
    std::cout << h->to_hex() << "\n";
    return 0;
}

int cmd_withdrawal_hash(const Args& args) {
    auto run = [&]() -> Result<eth::Hash32> {
        VIGIL_TRY(auto opts,
                  named_options(args, {"nonce", "sender", "target", "value", "gas-limit", "data"}));
        eth::opstack::WithdrawalTransaction tx;
        VIGIL_TRY(tx.nonce, u256_option(opts, "nonce"));
        VIGIL_TRY(tx.sender, address_option(opts, "sender"));
        VIGIL_TRY(tx.target, address_option(opts, "target"));
        VIGIL_TRY(tx.value, u256_option(opts, "value"));
        VIGIL_TRY(tx.gas_limit, u256_option(opts, "gas-limit"));
        auto data = eth::from_hex(opts.at("data"));
        if (!data) return fail("--data: " + data.error().message);
        tx.data = std::move(*data);
        return eth::opstack::withdrawal_hash(tx);
    };
    auto h = run();
    if (!h) return error_line("withdrawal-hash", h.error().message);
    std::cout << h->to_hex() << "\n";
    return 0;
}

constexpr EthCommand kCommands[] = {
    {"selector", "SIGNATURE", "4-byte function selector, e.g. 'transfer(address,uint256)'",
     cmd_selector},
    {"topic", "EVENT",
     "event topic0: keccak256 of the canonical event signature (names and "
     "'indexed' allowed)",
     cmd_topic},
    {"abi-encode", "[--no-selector] SIGNATURE ARG...",
     "ABI-encode arguments (cast syntax: [a,b] arrays, (a,b) tuples, quoted strings inside); "
     "with --no-selector only the arguments, and SIGNATURE may be a bare '(T1,T2)'",
     cmd_abi_encode},
    {"abi-decode", "[--no-selector] SIGNATURE HEX",
     "strictly decode to a one-line JSON array: '(T1,T2)' decodes HEX as the values; "
     "'f(T1,T2)' decodes calldata whose selector must be f's (--no-selector: HEX is only "
     "the arguments)",
     cmd_abi_decode},
    {"output-root", "--state-root H --message-passer-root H --block-hash H",
     "OP Stack output root v0", cmd_output_root},
    {"withdrawal-hash", "--nonce N --sender A --target A --value V --gas-limit G --data HEX",
     "OP Stack withdrawal hash (Hashing.hashWithdrawal)", cmd_withdrawal_hash},
};

}  // namespace

std::span<const EthCommand> eth_abi_commands() { return kCommands; }

}  // namespace vigil::cmd
