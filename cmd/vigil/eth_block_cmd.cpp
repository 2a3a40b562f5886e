// `vigil eth run-block`: re-executes one block of any node with Vigil's own EVM and prints
// what matched. The block and its witness come from the node; the witness is checked
// against the parent's hash (the node's, unless --trusted-parent pins it).
//
// Exit codes: 0 re-executed and the node's header matches; 3 re-executed and the header
// differs (Vigil's roots are printed beside the node's); 2 cannot be re-executed (a
// witness that fails its checks, rules Vigil lacks, an invalid block, not there yet);
// 1 usage, transport or node errors.
#include <fstream>
#include <iostream>
#include <sstream>

#include "chains/eth/bytes.h"
#include "chains/rpc/json_fields.h"
#include "cmd/vigil/block_check_report.h"
#include "cmd/vigil/eth_commands.h"
#include "verifier/evm/block.h"

namespace vigil::cmd {
namespace {

constexpr int kExitDiffers = 3;
constexpr int kExitCannot = 2;

std::string hex_list(const std::vector<std::string>& fields) {
    std::string out;
    for (const auto& f : fields) out += (out.empty() ? "" : ", ") + f;
    return out;
}

int cmd_run_block(const Args& args) {
    constexpr const char* kName = "run-block";
    std::string url, rollup_config, parent_text, witness_text = "auto";
    std::optional<uint64_t> number;
    bool json = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](std::string& into) -> bool {
            if (i + 1 >= args.size()) return false;
            into = args[++i];
            return true;
        };
        if (a == "--json") {
            json = true;
        } else if (a == "--rpc") {
            if (!value(url)) return eth_error(kName, "--rpc needs a URL");
        } else if (a == "--rollup-config") {
            if (!value(rollup_config)) return eth_error(kName, "--rollup-config needs a file");
        } else if (a == "--trusted-parent") {
            if (!value(parent_text)) return eth_error(kName, "--trusted-parent needs a hash");
        } else if (a == "--witness") {
            if (!value(witness_text)) return eth_error(kName, "--witness needs a source");
        } else if (!number && !a.starts_with("--")) {
            auto n = eth::parse_quantity(a);
            if (!n) return eth_error(kName, "block number '" + a + "': " + n.error().message);
            number = *n;
        } else {
            return eth_error(kName, "unexpected argument '" + a + "'");
        }
    }
    if (url.empty() || !number) return eth_error(kName, "expected --rpc URL and a block number");
    if (*number == 0) return eth_error(kName, "the genesis block has no parent to execute on");
    auto witness = verifier::parse_witness_method(witness_text);
    if (!witness) return eth_error(kName, witness.error().message);

    rpc::RpcClientOptions ro;
    ro.chain = "node";
    ro.urls = {url};
    rpc::RpcClient client(ro);
    if (Status s = client.connect(); !s.ok()) return eth_error(kName, s.error().message);
    auto chain_id = client.call("eth_chainId", rpc::Json::array());
    if (!chain_id) return eth_error(kName, "eth_chainId: " + chain_id.error().message);
    auto id = chain_id->is_string() ? eth::parse_quantity(chain_id->get<std::string>())
                                    : Result<uint64_t>(fail("not a quantity"));
    if (!id) return eth_error(kName, "eth_chainId: " + id.error().message);

    verifier::ReexecuteOptions options;
    options.witness = *witness;
    options.rules.chain_id = *id;
    if (!rollup_config.empty()) {
        std::ifstream in(rollup_config, std::ios::binary);
        if (!in) return eth_error(kName, "cannot read " + rollup_config);
        std::ostringstream ss;
        ss << in.rdbuf();
        auto rules = evm::chain_rules_from_rollup_config(ss.str());
        if (!rules) return eth_error(kName, rollup_config + ": " + rules.error().message);
        if (rules->chain_id != *id)
            return eth_error(kName, rollup_config + " is for chain " +
                                        std::to_string(rules->chain_id) + ", the node serves " +
                                        std::to_string(*id));
        options.rules = *rules;
    }

    eth::Hash32 parent;
    const bool pinned = !parent_text.empty();
    if (pinned) {
        auto h = eth::Hash32::from_hex(parent_text);
        if (!h) return eth_error(kName, "--trusted-parent: " + h.error().message);
        parent = *h;
    } else {
        auto b = client.call("eth_getBlockByNumber",
                             rpc::Json::array({eth::to_quantity(*number - 1), false}));
        if (!b) return eth_error(kName, b.error().message);
        if (b->is_null())
            return eth_error(kName, "the node has no block " + std::to_string(*number - 1));
        auto h = rpc::field_hash(*b, "hash");
        if (!h) return eth_error(kName, "parent block: " + h.error().message);
        parent = *h;
    }

    auto check = verifier::reexecute_block(client, *number, parent, options);
    if (!check) {
        const int code = check.error().code;
        const bool cannot = code == verifier::kUnverifiable || code == verifier::kNotYet ||
                            code == verifier::kBlockInvalid;
        if (!cannot) return eth_error(kName, check.error().message);
        const char* kind = code == verifier::kNotYet         ? "not-yet"
                           : code == verifier::kBlockInvalid ? "invalid-block"
                                                             : "unverifiable";
        if (json)
            std::cout << rpc::Json{{"block", *number},
                                   {"result", kind},
                                   {"reason", check.error().message}}
                             .dump()
                      << "\n";
        else
            std::cout << "result: " << kind << "\nreason: " << check.error().message << "\n";
        return kExitCannot;
    }
    if (json) {
        rpc::Json j = block_check_json(*check);
        j["trusted_parent_source"] = pinned ? "--trusted-parent" : "node";
        std::cout << j.dump() << "\n";
    } else {
        std::cout << "trusted parent: " << parent.to_hex()
                  << (pinned ? " (--trusted-parent)"
                             : " (the node's: pass --trusted-parent to pin)")
                  << "\n";
        print_block_check(std::cout, *check);
    }
    return check->matches() ? 0 : kExitDiffers;
}

constexpr EthCommand kCommands[] = {
    {"run-block",
     "--rpc URL [--rollup-config rollup.json] [--trusted-parent HASH] "
     "[--witness auto|execution_witness|prestate] [--json] N",
     "re-execute block N of a node with Vigil's own EVM from a checked witness; print the "
     "computed roots and what matched (exit 0 match, 3 differs, 2 cannot re-execute)",
     cmd_run_block},
};

}  // namespace

rpc::Json block_check_json(const verifier::BlockCheck& c) {
    const double ms = c.fetch_ms + c.execute_ms;
    rpc::Json j = {
        {"block", c.number},
        {"transactions", c.transactions},
        {"gas_used", c.header.gas_used},
        {"witness",
         {{"method", c.witness_method},
          {"nodes", c.witness_nodes},
          {"codes", c.witness_codes},
          {"bytes", c.witness_bytes}}},
        {"parent_state_root", c.parent_state_root.to_hex()},
        {"state_root", c.header.state_root.to_hex()},
        {"receipts_root", c.header.receipts_root.to_hex()},
        {"block_hash", c.block_hash.to_hex()},
        {"message_passer_storage_root", c.message_passer_storage_root.to_hex()},
        {"output_root", c.output_root.to_hex()},
        {"node",
         {{"state_root", c.node_header.state_root.to_hex()},
          {"receipts_root", c.node_header.receipts_root.to_hex()},
          {"gas_used", c.node_header.gas_used},
          {"block_hash", c.node_header.hash().to_hex()}}},
        {"mismatches", c.mismatches},
        {"matches", c.matches()},
        {"fetch_ms", c.fetch_ms},
        {"execute_ms", c.execute_ms},
        {"mgas_per_s", ms > 0 ? static_cast<double>(c.header.gas_used) / ms / 1000.0 : 0.0},
    };
    return j;
}

void print_block_check(std::ostream& out, const verifier::BlockCheck& c) {
    out << "block: " << c.number << "\ntransactions: " << c.transactions
        << "\ngas used: " << c.header.gas_used << "\nwitness: " << c.witness_method << ", "
        << c.witness_nodes << " nodes, " << c.witness_codes << " codes, " << c.witness_bytes
        << " bytes\nparent state root: " << c.parent_state_root.to_hex()
        << "\nstate root: " << c.header.state_root.to_hex()
        << "\nreceipts root: " << c.header.receipts_root.to_hex()
        << "\nblock hash: " << c.block_hash.to_hex()
        << "\nmessage passer storage root: " << c.message_passer_storage_root.to_hex()
        << "\noutput root: " << c.output_root.to_hex() << "\n";
    if (c.matches()) {
        out << "node header: matches (stateRoot, receiptsRoot, logsBloom, gasUsed, blobGasUsed)\n";
    } else {
        out << "node header: DIFFERS in " << hex_list(c.mismatches)
            << "\nnode state root: " << c.node_header.state_root.to_hex()
            << "\nnode receipts root: " << c.node_header.receipts_root.to_hex()
            << "\nnode gas used: " << c.node_header.gas_used
            << "\nnode block hash: " << c.node_header.hash().to_hex() << "\n";
    }
    out << "time: fetch " << c.fetch_ms << " ms, execute " << c.execute_ms << " ms\n";
}

std::span<const EthCommand> eth_block_commands() { return kCommands; }

}  // namespace vigil::cmd
