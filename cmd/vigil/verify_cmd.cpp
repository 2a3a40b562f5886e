// `vigil verify check --config FILE --rollup NAME --l2-block N [--claim H] [--json]`: a
// one-shot audit of one L2 block's output root, recomputed from proved L2 data.
//
// Exit codes: 0 computed (and, with --claim, the claim matches), 3 the claim does not
// match (invalid), 2 cannot judge yet or the L2 answers failed their proofs
// (unverifiable), 1 usage or configuration errors.
#include <iostream>

#include "chains/chain_clients.h"
#include "chains/chain_metrics.h"
#include "chains/rpc/http_client.h"
#include "chains/rpc/json_fields.h"
#include "chains/signer.h"
#include "cmd/vigil/block_check_report.h"
#include "cmd/vigil/commands.h"
#include "cmd/vigil/daemon.h"
#include "core/config.h"
#include "verifier/chain_reexecutor.h"
#include "verifier/output_root.h"
#include "verifier/reexecute.h"
#include "verifier/service.h"

namespace vigil::cmd {
namespace {

constexpr int kExitInvalid = 3;
constexpr int kExitUnjudged = 2;

int usage(std::ostream& out, int code) {
    out << "usage: vigil verify [run] --config FILE [--log-format text|json]\n"
           "  Runs the verifier: follows every rollup of verifier.rollups on L1, judges each\n"
           "  output-root proposal against the root recomputed from proved L2 data, alarms on\n"
           "  invalid ones and (challenge: true) challenges them; resolves games and claims\n"
           "  bonds. Stops cleanly on SIGTERM/SIGINT (a second signal exits at once).\n"
           "  Exit: 0 stopped, 1 configuration or start error, 4 a fatal chain condition.\n"
           "\n"
           "usage: vigil verify check --config FILE --rollup NAME --l2-block N [--claim HASH] "
           "[--json]\n"
           "  Recomputes the output root of L2 block N from the rollup's L2 chain: the header "
           "must\n"
           "  hash to its hash and the message passer's account proof must verify against its "
           "state\n"
           "  root. With --claim, compares. Exit: 0 ok/valid, 3 invalid, 2 not yet or "
           "unverifiable,\n"
           "  1 usage.\n"
           "  --reexecute [--trusted-parent HASH]: re-executes block N with Vigil's own EVM "
           "instead\n"
           "  (the rollup's reexecute rules; the witness checked against the parent's hash, "
           "the\n"
           "  L2 node's unless pinned) and prints the inputs, the computed roots and what the "
           "node's\n"
           "  header says where it differs.\n";
    return code;
}

int run_verifier(const std::vector<std::string>& args) {
    for (const auto& a : args)
        if (a == "--help" || a == "-h") return usage(std::cout, 0);
    for (size_t i = args[0] == "run" ? 1 : 0; i < args.size(); ++i) {
        if ((args[i] == "--config" || args[i] == "--log-format") && i + 1 < args.size()) {
            ++i;
            continue;
        }
        std::cerr << "vigil verify: unexpected argument '" << args[i] << "'\n";
        return 1;
    }
    Daemon::block_signals();
    auto d = Daemon::open("vigil verify", args);
    if (!d) return 1;
    ServiceSet set;
    set.verifier = true;
    return run_services(*d, set);
}

void print_unjudged(const std::string& rollup, uint64_t l2_block, const Error& error, bool json) {
    const char* kind = error.code == verifier::kNotYet         ? "not-yet"
                       : error.code == verifier::kUnverifiable ? "unverifiable"
                       : error.code == verifier::kBlockInvalid ? "unverifiable"
                                                               : "error";
    if (json)
        std::cout << rpc::Json{{"rollup", rollup},
                               {"l2_block", l2_block},
                               {"verdict", kind},
                               {"reason", error.message}}
                         .dump()
                  << "\n";
    else
        std::cout << "verdict: " << kind << "\nreason: " << error.message << "\n";
}

// --reexecute: the output root of the block as Vigil's own execution gives it.
int check_reexecuted(rpc::RpcClient& client, verifier::OutputRootSource& source,
                     const core::RollupConfig& rollup, const core::ChainConfig& l2,
                     uint64_t l2_block, const std::optional<eth::Hash32>& claim,
                     const std::string& parent_text, bool json) {
    if (l2_block == 0) {
        std::cerr << "vigil verify check: the genesis block has no parent to execute on\n";
        return 1;
    }
    auto rules = verifier::ChainReexecutor::rules_for(rollup, l2);
    if (!rules) {
        std::cerr << "vigil verify check: " << rules.error().message << "\n";
        return 1;
    }
    verifier::ReexecuteOptions options;
    options.rules = *rules;
    if (rollup.reexecute) {
        auto w = verifier::parse_witness_method(rollup.reexecute->witness);
        if (!w) {
            std::cerr << "vigil verify check: " << w.error().message << "\n";
            return 1;
        }
        options.witness = *w;
    }
    auto settled = source.settled_height();
    if (!settled) {
        print_unjudged(rollup.name, l2_block, settled.error(), json);
        return kExitUnjudged;
    }
    if (l2_block > *settled) {
        print_unjudged(rollup.name, l2_block,
                       fail("the L2 node is at " + std::to_string(*settled) +
                                " (at the configured safety level)",
                            verifier::kNotYet),
                       json);
        return kExitUnjudged;
    }
    eth::Hash32 parent;
    if (!parent_text.empty()) {
        auto h = eth::Hash32::from_hex(parent_text);
        if (!h) {
            std::cerr << "vigil verify check: --trusted-parent: " << h.error().message << "\n";
            return 1;
        }
        parent = *h;
    } else {
        auto b = client.call("eth_getBlockByNumber",
                             rpc::Json::array({eth::to_quantity(l2_block - 1), false}));
        auto h = b ? (b->is_null() ? Result<eth::Hash32>(fail("the L2 node has no parent block"))
                                   : rpc::field_hash(*b, "hash"))
                   : Result<eth::Hash32>(b.error());
        if (!h) {
            print_unjudged(rollup.name, l2_block, h.error(), json);
            return kExitUnjudged;
        }
        parent = *h;
    }
    auto check = verifier::reexecute_block(client, l2_block, parent, options);
    if (!check) {
        print_unjudged(rollup.name, l2_block, check.error(), json);
        return kExitUnjudged;
    }
    std::string verdict = "computed";
    if (claim) verdict = *claim == check->output_root ? "valid" : "invalid";
    if (json) {
        rpc::Json j = block_check_json(*check);
        j["rollup"] = rollup.name;
        j["l2_block"] = l2_block;
        j["trusted_parent"] = parent.to_hex();
        j["trusted_parent_source"] = parent_text.empty() ? "l2 node" : "--trusted-parent";
        j["verdict"] = verdict;
        if (claim) j["claim"] = claim->to_hex();
        std::cout << j.dump() << "\n";
    } else {
        std::cout << "rollup: " << rollup.name << "\ntrusted parent: " << parent.to_hex()
                  << (parent_text.empty() ? " (the L2 node's: pass --trusted-parent to pin)"
                                          : " (--trusted-parent)")
                  << "\n";
        print_block_check(std::cout, *check);
        if (claim) std::cout << "claim: " << claim->to_hex() << "\n";
        std::cout << "verdict: " << verdict << "\n";
    }
    return verdict == "invalid" ? kExitInvalid : 0;
}

}  // namespace

int run_verify(const std::vector<std::string>& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h")
        return usage(args.empty() ? std::cerr : std::cout, args.empty() ? 1 : 0);
    if (args[0] == "run" || args[0].starts_with("--")) return run_verifier(args);
    if (args[0] != "check") {
        std::cerr << "vigil verify: unknown command '" << args[0]
                  << "' (see vigil verify --help)\n";
        return 1;
    }
    std::string rollup_name, claim_text, parent_text;
    std::optional<uint64_t> l2_block;
    bool json = false;
    bool reexecute = false;
    for (size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= args.size()) return std::nullopt;
            return args[++i];
        };
        if (a == "--help" || a == "-h") return usage(std::cout, 0);
        if (a == "--json") {
            json = true;
        } else if (a == "--reexecute") {
            reexecute = true;
        } else if (a == "--trusted-parent") {
            auto v = value();
            if (!v) return usage(std::cerr, 1);
            parent_text = *v;
        } else if (a == "--config") {
            if (!value()) return usage(std::cerr, 1);
        } else if (a == "--rollup") {
            auto v = value();
            if (!v) return usage(std::cerr, 1);
            rollup_name = *v;
        } else if (a == "--l2-block") {
            auto v = value();
            if (!v) return usage(std::cerr, 1);
            auto n = eth::parse_quantity(*v);
            if (!n) {
                std::cerr << "vigil verify check: --l2-block: " << n.error().message << "\n";
                return 1;
            }
            l2_block = *n;
        } else if (a == "--claim") {
            auto v = value();
            if (!v) return usage(std::cerr, 1);
            claim_text = *v;
        } else {
            std::cerr << "vigil verify check: unexpected argument '" << a << "'\n";
            return 1;
        }
    }
    if (rollup_name.empty() || !l2_block) return usage(std::cerr, 1);
    std::optional<eth::Hash32> claim;
    if (!claim_text.empty()) {
        auto h = eth::Hash32::from_hex(claim_text);
        if (!h) {
            std::cerr << "vigil verify check: --claim: " << h.error().message << "\n";
            return 1;
        }
        claim = *h;
    }
    auto path = config_path_from(args);
    if (!path) {
        std::cerr << "vigil verify check: no config given (--config FILE or VIGIL_CONFIG)\n";
        return 1;
    }
    auto cfg = core::load_config(*path);
    if (!cfg) {
        std::cerr << "vigil verify check: " << cfg.error().message << "\n";
        return 1;
    }
    const core::RollupConfig* rollup = cfg->rollup(rollup_name);
    if (!rollup) {
        std::cerr << "vigil verify check: no rollup named '" << rollup_name
                  << "' in verifier.rollups\n";
        return 1;
    }
    const core::ChainConfig* l2 = cfg->chain(rollup->l2_chain);
    rpc::RpcClient client(chains::rpc_options(*l2));
    if (Status s = client.connect(); !s.ok()) {
        std::cerr << "vigil verify check: " << s.error().message << "\n";
        return kExitUnjudged;
    }
    if (!parent_text.empty() && !reexecute) {
        std::cerr << "vigil verify check: --trusted-parent is only used with --reexecute\n";
        return 1;
    }
    verifier::OutputRootSource source(client, l2->finality);
    if (reexecute)
        return check_reexecuted(client, source, *rollup, *l2, *l2_block, claim, parent_text, json);
    auto in = source.compute(*l2_block);
    if (!in) {
        const char* kind = in.error().code == verifier::kNotYet         ? "not-yet"
                           : in.error().code == verifier::kUnverifiable ? "unverifiable"
                                                                        : "error";
        if (json)
            std::cout << rpc::Json{{"rollup", rollup_name},
                                   {"l2_block", *l2_block},
                                   {"verdict", kind},
                                   {"reason", in.error().message}}
                             .dump()
                      << "\n";
        else
            std::cout << "verdict: " << kind << "\nreason: " << in.error().message << "\n";
        return kExitUnjudged;
    }
    std::string verdict = "computed";
    if (claim) verdict = *claim == in->output_root ? "valid" : "invalid";
    if (json) {
        rpc::Json j = {{"rollup", rollup_name},
                       {"l2_block", *l2_block},
                       {"output_root", in->output_root.to_hex()},
                       {"state_root", in->state_root.to_hex()},
                       {"message_passer_storage_root", in->message_passer_storage_root.to_hex()},
                       {"block_hash", in->block_hash.to_hex()},
                       {"verdict", verdict}};
        if (claim) j["claim"] = claim->to_hex();
        std::cout << j.dump() << "\n";
    } else {
        std::cout << "rollup: " << rollup_name << "\nl2 block: " << *l2_block
                  << "\nstate root: " << in->state_root.to_hex()
                  << "\nmessage passer storage root: " << in->message_passer_storage_root.to_hex()
                  << "\nblock hash: " << in->block_hash.to_hex()
                  << "\noutput root: " << in->output_root.to_hex() << "\n";
        if (claim) std::cout << "claim: " << claim->to_hex() << "\n";
        std::cout << "verdict: " << verdict << "\n";
    }
    return verdict == "invalid" ? kExitInvalid : 0;
}

}  // namespace vigil::cmd
