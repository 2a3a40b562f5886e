// End-to-end re-execution benchmark (not a test): Vigil's own EVM re-executing the blocks
// of a local Anvil chain (Cancun) from witnesses, chained from a trusted block hash, as
// verifier/reexecute.h does for an L2 block.
//
// The chain: one setup block (three contracts deployed), one block of token mints, then
// --blocks blocks of L2-like traffic, several transactions each (automine off, every block
// mined explicitly, every transaction checked to succeed):
//   - compute: a keccak256 / MUL / MULMOD loop (calldata: iterations, seed);
//   - storage: runs of non-zero SSTOREs, fresh slots and slots rewritten with a new
//     non-zero value (no slot is ever cleared: Anvil's state root after a clear is not
//     Ethereum's, witness_fetch.h);
//   - ERC-20-like token transfers (mapping balances, a Transfer log, one 2930 transaction
//     with an access list per block), to known holders and to fresh addresses;
//   - a contract deployment (distinct code each time) and legacy ETH transfers to fresh
//     accounts.
//
// Measured, every block from 2 to the head, chained from block 1's hash (Anvil's genesis
// header carries the empty trie root, so trust starts at block 1):
//   (a) end-to-end: reexecute_block for every block (block and prestate witness over RPC,
//       then check_block): blocks/s and Mgas/s, this process's CPU and Anvil's;
//   (b) execution only: every block and witness fetched first (timed too), then
//       check_block over all of them --reps times: Mgas/s and blocks/s, CPU vs wall; and
//       one pass split into check_block's phases (witness indexing, EVM, state root);
//   (c) witness sizes per block and the fetch / execute split of (a).
// Every block must match the node's header and block hash; otherwise the bench prints the
// mismatch and fails: a figure measured on wrong results is worthless.
//
//   make devnet-tools                   # once: Anvil
//   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release   # VIGIL_BENCH is on by default
//   cmake --build build -j2 --target reexecute_e2e_bench
//   build/reexecute_e2e_bench [--blocks 200] [--reps 3] [--prefetch 4]
//
// Results go to stdout (a table); progress and failures to stderr.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "bench/e2e_clock.h"
#include "chains/eth/keccak.h"
#include "chains/eth/opstack.h"
#include "chains/rpc/block_json.h"
#include "chains/rpc/http_client.h"
#include "chains/rpc/json_fields.h"
#include "core/log.h"
#include "core/store.h"
#include "tests/support/anvil.h"
#include "tests/support/temp_dir.h"
#include "verifier/chain_reexecutor.h"
#include "verifier/evm/block.h"
#include "verifier/evm/witness_state.h"
#include "verifier/reexecute.h"
#include "verifier/witness_fetch.h"

using namespace vigil;
using bench::cpu_seconds;
using bench::now_seconds;
using eth::Address;
using eth::Bytes;
using eth::U256;
using rpc::Json;

namespace {

constexpr uint64_t kChainId = 31337;
// Anvil's unlocked dev accounts (eth_accounts) that send the traffic.
constexpr size_t kSenders = 10;
// Fees: far above Anvil's base fee (1 gwei at genesis, falling on these half-empty blocks).
constexpr uint64_t kMaxFeeWei = 100'000'000'000;
constexpr uint64_t kTipWei = 1'000'000'000;

// ---- A tiny assembler for the traffic's contracts ----

namespace op {
constexpr uint8_t kStop = 0x00, kAdd = 0x01, kMul = 0x02, kSub = 0x03, kMulmod = 0x09, kLt = 0x10,
                  kIszero = 0x15, kXor = 0x18, kKeccak256 = 0x20, kCaller = 0x33,
                  kCalldataload = 0x35, kCalldatasize = 0x36, kCodecopy = 0x39, kPop = 0x50,
                  kMload = 0x51, kMstore = 0x52, kSload = 0x54, kSstore = 0x55, kJump = 0x56,
                  kJumpi = 0x57, kJumpdest = 0x5b, kPush1 = 0x60, kPush2 = 0x61, kDup1 = 0x80,
                  kDup2 = 0x81, kDup3 = 0x82, kDup4 = 0x83, kSwap1 = 0x90, kSwap2 = 0x91,
                  kLog3 = 0xa3, kReturn = 0xf3, kRevert = 0xfd;
}  // namespace op

// Bytecode with named jump targets (pushed as PUSH2, resolved by code()).
class Assembler {
  public:
    Assembler& op(uint8_t code) {
        code_.push_back(code);
        return *this;
    }
    // PUSHn of the value's minimal big-endian bytes (PUSH1 0 for zero).
    Assembler& push(const U256& value) {
        Bytes bytes = value.to_be_bytes_trimmed();
        if (bytes.empty()) bytes.push_back(0);
        code_.push_back(static_cast<uint8_t>(op::kPush1 + bytes.size() - 1));
        code_.insert(code_.end(), bytes.begin(), bytes.end());
        return *this;
    }
    Assembler& push_label(const std::string& name) {
        code_.push_back(op::kPush2);
        fixups_.emplace_back(code_.size(), name);
        code_.insert(code_.end(), {0, 0});
        return *this;
    }
    Assembler& label(const std::string& name) {
        labels_[name] = code_.size();
        return op(op::kJumpdest);
    }
    Bytes code() const {
        Bytes out = code_;
        for (const auto& [at, name] : fixups_) {
            const size_t target = labels_.at(name);
            out[at] = static_cast<uint8_t>(target >> 8);
            out[at + 1] = static_cast<uint8_t>(target);
        }
        return out;
    }

  private:
    Bytes code_;
    std::map<std::string, size_t> labels_;
    std::vector<std::pair<size_t, std::string>> fixups_;
};

// Calldata (iterations, seed): x = seed; `iterations` times x = (k ^ (k*k + 7)) + k*k mod p
// with k = keccak256(x); the last x into slot 0 (never zero in practice).
Bytes compute_runtime() {
    // secp256k1's field prime: any large odd modulus does.
    const U256 p =
        U256::from_string("0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f")
            .value();
    Assembler a;
    a.push(0).op(op::kCalldataload);                           // [n]
    a.push(32).op(op::kCalldataload).push(0).op(op::kMstore);  // mem[0] = seed
    a.label("loop");
    a.op(op::kDup1).op(op::kIszero).push_label("end").op(op::kJumpi);
    a.push(32).push(0).op(op::kKeccak256);                            // [n, k]
    a.op(op::kDup1).op(op::kDup1).op(op::kMul).push(7).op(op::kAdd);  // [n, k, k*k+7]
    a.op(op::kDup2).op(op::kXor);                                     // [n, k, y]
    a.push(p).op(op::kDup3).op(op::kDup4).op(op::kMulmod);            // [n, k, y, k*k mod p]
    a.op(op::kAdd).op(op::kSwap1).op(op::kPop);                       // [n, x]
    a.push(0).op(op::kMstore);                                        // mem[0] = x
    a.push(1).op(op::kSwap1).op(op::kSub);                            // [n - 1]
    a.push_label("loop").op(op::kJump);
    a.label("end");
    a.push(0).op(op::kMload).push(0).op(op::kSstore).op(op::kStop);
    return a.code();
}

// Calldata (start, count, tag): slots start .. start+count-1 set to slot + tag (tag >= 1,
// so never zero).
Bytes storage_runtime() {
    Assembler a;
    a.push(0).op(op::kCalldataload);   // [s]
    a.push(32).op(op::kCalldataload);  // [s, c]
    a.push(64).op(op::kCalldataload);  // [s, c, t]
    a.label("loop");
    a.op(op::kDup2).op(op::kIszero).push_label("end").op(op::kJumpi);
    a.op(op::kDup1).op(op::kDup4).op(op::kAdd);                           // [s, c, t, s+t]
    a.op(op::kDup4).op(op::kSstore);                                      // slot s = s+t
    a.op(op::kSwap2).push(1).op(op::kAdd).op(op::kSwap2);                 // s + 1
    a.op(op::kSwap1).push(1).op(op::kSwap1).op(op::kSub).op(op::kSwap1);  // c - 1
    a.push_label("loop").op(op::kJump);
    a.label("end");
    a.op(op::kStop);
    return a.code();
}

eth::Hash32 transfer_topic() {
    return eth::keccak256(std::string_view("Transfer(address,address,uint256)"));
}
const U256 kMintAmount = U256::from_string("1000000000000000000000000").value();  // 1e24

// An ERC-20-like token: balances in a mapping at slot 0 (Solidity's layout). Calldata
// (to, amount): a transfer from the caller (reverts on insufficient balance; logs
// Transfer(from, to, amount); returns true). No calldata: mints 1e24 to the caller.
Bytes token_runtime() {
    Assembler a;
    a.op(op::kCalldatasize).op(op::kIszero).push_label("mint").op(op::kJumpi);
    a.op(op::kCaller).push(0).op(op::kMstore).push(64).push(0).op(op::kKeccak256);  // [kf]
    a.op(op::kDup1).op(op::kSload);                                                 // [kf, bf]
    a.push(32).op(op::kCalldataload);                                               // [kf, bf, amt]
    a.op(op::kDup1).op(op::kDup3).op(op::kLt).push_label("fail").op(op::kJumpi);    // bf < amt
    a.op(op::kSwap1).op(op::kSub).op(op::kSwap1).op(op::kSstore);  // bal[from] -= amt
    a.push(0).op(op::kCalldataload).push(0).op(op::kMstore).push(64).push(0).op(op::kKeccak256);
    a.op(op::kDup1).op(op::kSload).push(32).op(op::kCalldataload).op(op::kAdd);
    a.op(op::kSwap1).op(op::kSstore);  // bal[to] += amt
    a.push(32).op(op::kCalldataload).push(0).op(op::kMstore);
    a.push(0).op(op::kCalldataload).op(op::kCaller);
    a.push(U256::from_be_word(transfer_topic().data())).push(32).push(0).op(op::kLog3);
    a.push(1).push(0).op(op::kMstore).push(32).push(0).op(op::kReturn);
    a.label("fail");
    a.push(0).op(op::kDup1).op(op::kRevert);
    a.label("mint");
    a.op(op::kCaller).push(0).op(op::kMstore).push(64).push(0).op(op::kKeccak256);
    a.op(op::kDup1).op(op::kSload).push(kMintAmount).op(op::kAdd).op(op::kSwap1).op(op::kSstore);
    a.op(op::kStop);
    return a.code();
}

// Init code returning `runtime`: PUSH2 len DUP1 PUSH2 13 PUSH1 0 CODECOPY PUSH1 0 RETURN.
Bytes initcode(const Bytes& runtime) {
    const auto n = static_cast<uint8_t>(runtime.size() >> 8),
               m = static_cast<uint8_t>(runtime.size());
    constexpr size_t kHeaderBytes = 13;
    const uint8_t header[kHeaderBytes] = {op::kPush2,   n,          m, op::kDup1,     op::kPush2, 0,
                                          kHeaderBytes, op::kPush1, 0, op::kCodecopy, op::kPush1, 0,
                                          op::kReturn};
    Bytes out(kHeaderBytes + runtime.size());
    std::copy(header, header + kHeaderBytes, out.begin());
    std::copy(runtime.begin(), runtime.end(), out.begin() + kHeaderBytes);
    return out;
}

std::string word(const U256& v) { return eth::to_hex_bare(eth::BytesView(v.to_be_word())); }
std::string word(const Address& a) { return std::string(24, '0') + eth::to_hex_bare(a.view()); }

// ---- The chain and its traffic ----

// The traffic of one L2-like block.
constexpr int kComputeCalls = 2;
constexpr uint64_t kComputeIterations = 3000;  // ~140 gas each
constexpr uint64_t kFreshSlots = 40;           // new slots per block (22,100 gas each)
constexpr uint64_t kRewrittenSlots = 80;       // set slots given a new value (5,000 each)
constexpr uint64_t kInitialSlots = 400;        // set in the mint block
constexpr int kTokenTransfers = 8;
constexpr int kEthTransfers = 2;
// One deployment per block.

rpc::RpcClientOptions node_options(const std::string& url) {
    rpc::RpcClientOptions o;
    o.chain = "anvil";
    o.urls = {url};
    o.expected_chain_id = kChainId;
    o.requests_per_second = 0;  // unlimited: Vigil and the node are measured, not a limiter
    o.timeout = std::chrono::seconds(60);
    return o;
}

// An address nobody used before, the `n`th of `kind`.
Address fresh_address(std::string_view kind, uint64_t n) {
    const eth::Hash32 h = eth::keccak256(std::string(kind) + "/" + std::to_string(n));
    return Address::from_view(eth::BytesView(h.data() + 12, 20)).value();
}

class Traffic {
  public:
    explicit Traffic(rpc::RpcClient& node) : node_(node) {}

    // Dev accounts, automine off, the contracts deployed (block 1) and every sender given
    // tokens plus the storage contract's first slots (block 2).
    Status setup() {
        VIGIL_TRY(Json accounts, node_.call("eth_accounts"));
        if (!accounts.is_array() || accounts.size() < kSenders)
            return fail("eth_accounts: fewer than " + std::to_string(kSenders) + " dev accounts");
        for (size_t i = 0; i < kSenders; ++i) {
            VIGIL_TRY(Address a, Address::from_hex(accounts[i].get<std::string>()));
            senders_.push_back(a);
            nonces_.push_back(0);
        }
        VIGIL_CHECK(node_.call("evm_setAutomine", Json::array({false})));

        next_sender_ = 0;
        for (const Bytes& runtime : {compute_runtime(), storage_runtime(), token_runtime()})
            add(std::nullopt, initcode(runtime), 400'000);
        VIGIL_TRY(std::vector<std::string> hashes, mine(1));
        std::vector<Address> created;
        for (const std::string& h : hashes) {
            VIGIL_TRY(Json receipt, node_.call("eth_getTransactionReceipt", Json::array({h})));
            VIGIL_TRY(Address a, rpc::field_address(receipt, "contractAddress"));
            created.push_back(a);
        }
        compute_ = created[0];
        storage_ = created[1];
        token_ = created[2];

        for (size_t i = 0; i < kSenders; ++i) add(token_, {}, 100'000);
        store_slots(0, kInitialSlots, 1);
        fresh_slots_ = kInitialSlots;
        VIGIL_CHECK(mine(2));
        return {};
    }

    // One block of traffic, mined as block `number`.
    Status block(uint64_t number) {
        for (int i = 0; i < kComputeCalls; ++i)
            add(compute_,
                hex(word(U256(kComputeIterations)) +
                    word(U256(number * 16 + static_cast<uint64_t>(i)))),
                kComputeIterations * 200 + 60'000);
        // Rewritten slots are chosen among those set before this block.
        const uint64_t start = (number * 7919) % (fresh_slots_ - kRewrittenSlots);
        store_slots(start, kRewrittenSlots, number);
        store_slots(fresh_slots_, kFreshSlots, number);
        fresh_slots_ += kFreshSlots;
        for (int i = 0; i < kTokenTransfers; ++i) {
            const uint64_t k = number * kTokenTransfers + static_cast<uint64_t>(i);
            // To a holder (another sender) or to a fresh address, alternately.
            const Address to =
                i % 2 == 0 ? senders_[(next_sender_ + 3) % kSenders] : fresh_address("holder", k);
            const Bytes data = hex(word(to) + word(U256(1 + k % 1000)));
            if (i == 0) {
                // An EIP-2930 transaction: the token's balance slot of the sender listed.
                Json tx = base(token_, data, 120'000);
                tx["gasPrice"] = eth::to_quantity(kMaxFeeWei);
                tx["accessList"] =
                    Json::array({{{"address", token_.to_hex()}, {"storageKeys", Json::array()}}});
                pending_.push_back(std::move(tx));
            } else {
                add(token_, data, 120'000);
            }
        }
        // A deployment with code of its own (the block number after the token's runtime).
        Bytes runtime = token_runtime();
        const auto tag = U256(number).to_be_word();
        runtime.insert(runtime.end(), tag.begin(), tag.end());
        add(std::nullopt, initcode(runtime), 400'000);
        for (int i = 0; i < kEthTransfers; ++i) {
            Json tx =
                base(fresh_address("account", number * kEthTransfers + static_cast<uint64_t>(i)),
                     {}, 21'000);
            tx["gasPrice"] = eth::to_quantity(kMaxFeeWei);  // legacy
            tx["value"] = eth::to_quantity(1'000'000'000'000'000);
            pending_.push_back(std::move(tx));
        }
        VIGIL_CHECK(mine(number));
        return {};
    }

    uint64_t transactions() const { return transactions_; }
    const std::map<uint64_t, eth::Hash32>& hashes() const { return hashes_; }

  private:
    static Bytes hex(const std::string& text) { return eth::from_hex(text).value(); }

    // A transaction from the next sender with its next nonce (set explicitly: the pool
    // holds several per sender between blocks).
    Json base(const std::optional<Address>& to, const Bytes& data, uint64_t gas) {
        const size_t s = next_sender_++ % kSenders;
        Json tx = {{"from", senders_[s].to_hex()},
                   {"data", eth::to_hex(data)},
                   {"gas", eth::to_quantity(gas)},
                   {"nonce", eth::to_quantity(nonces_[s]++)}};
        if (to) tx["to"] = to->to_hex();
        return tx;
    }
    // EIP-1559.
    void add(const std::optional<Address>& to, const Bytes& data, uint64_t gas) {
        Json tx = base(to, data, gas);
        tx["maxFeePerGas"] = eth::to_quantity(kMaxFeeWei);
        tx["maxPriorityFeePerGas"] = eth::to_quantity(kTipWei);
        pending_.push_back(std::move(tx));
    }
    void store_slots(uint64_t start, uint64_t count, uint64_t tag) {
        add(storage_, hex(word(U256(start)) + word(U256(count)) + word(U256(tag))),
            count * 25'000 + 60'000);
    }

    // Sends the pending transactions (one batch), mines them as block `number`, and checks
    // that the block holds all of them and every one succeeded. Their hashes, in order.
    Result<std::vector<std::string>> mine(uint64_t number) {
        std::vector<rpc::RpcCall> calls;
        for (Json& tx : pending_) calls.push_back({"eth_sendTransaction", Json::array({tx})});
        const size_t sent = pending_.size();
        pending_.clear();
        VIGIL_TRY(std::vector<Result<Json>> answers, node_.batch(calls));
        std::vector<std::string> tx_hashes;
        for (size_t i = 0; i < answers.size(); ++i) {
            if (!answers[i])
                return fail("block " + std::to_string(number) + ": transaction " +
                            std::to_string(i) + " refused: " + answers[i].error().message);
            tx_hashes.push_back(answers[i]->get<std::string>());
        }
        VIGIL_CHECK(node_.call("evm_mine"));
        VIGIL_TRY(Json block, node_.call("eth_getBlockByNumber",
                                         Json::array({eth::to_quantity(number), false})));
        if (!block.is_object()) return fail("block " + std::to_string(number) + " not mined");
        if (block["transactions"].size() != sent)
            return fail("block " + std::to_string(number) + " holds " +
                        std::to_string(block["transactions"].size()) + " of the " +
                        std::to_string(sent) + " transactions sent");
        VIGIL_TRY(hashes_[number], rpc::field_hash(block, "hash"));
        VIGIL_TRY(Json receipts,
                  node_.call("eth_getBlockReceipts", Json::array({eth::to_quantity(number)})));
        for (const Json& r : receipts)
            if (r.value("status", "") != "0x1")
                return fail("block " + std::to_string(number) + ": transaction " +
                            r.value("transactionHash", "?") + " failed");
        transactions_ += sent;
        return tx_hashes;
    }

    rpc::RpcClient& node_;
    std::vector<Address> senders_;
    std::vector<uint64_t> nonces_;
    size_t next_sender_ = 0;
    std::vector<Json> pending_;
    Address compute_, storage_, token_;
    uint64_t fresh_slots_ = 0;
    uint64_t transactions_ = 0;
    std::map<uint64_t, eth::Hash32> hashes_;  // as the node reported them while mining
};

// ---- Measuring ----

// utime + stime of a process (all its threads), in seconds; 0 when unreadable.
double process_cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 1));
    std::vector<std::string> f;
    for (std::string s; fields >> s;) f.push_back(s);
    // After "pid (comm)": field 3 (state) is f[0]; utime is field 14, stime field 15.
    if (f.size() < 13) return 0;
    return (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

// Wall and CPU time of a span, this process's and the node's.
struct Span {
    double wall = 0, cpu = 0, node_cpu = 0;
};
class SpanTimer {
  public:
    explicit SpanTimer(pid_t node) : node_(node) {
        wall_ = now_seconds();
        cpu_ = cpu_seconds();
        node_cpu_ = process_cpu_seconds(node_);
    }
    Span stop() const {
        return {now_seconds() - wall_, cpu_seconds() - cpu_,
                process_cpu_seconds(node_) - node_cpu_};
    }

  private:
    pid_t node_;
    double wall_, cpu_, node_cpu_;
};

// Vigil's block must be the node's: every header field and the block hash. Prints the
// difference otherwise.
bool same_as_node(const verifier::BlockCheck& c, const eth::Hash32& node_hash) {
    if (c.matches() && c.block_hash == node_hash && c.node_header.hash() == node_hash) return true;
    std::cerr << "MISMATCH at block " << c.number << ": fields [";
    for (const std::string& m : c.mismatches) std::cerr << " " << m;
    std::cerr << " ]\n  block hash   node " << node_hash.to_hex() << "\n               ours "
              << c.block_hash.to_hex() << "\n  stateRoot    node "
              << c.node_header.state_root.to_hex() << "\n               ours "
              << c.header.state_root.to_hex() << "\n  receiptsRoot node "
              << c.node_header.receipts_root.to_hex() << "\n               ours "
              << c.header.receipts_root.to_hex() << "\n  gasUsed      node "
              << c.node_header.gas_used << ", ours " << c.header.gas_used << "\n";
    return false;
}

struct Fetched {
    rpc::RpcBlock block;
    evm::Witness witness;
};

// What reexecute_block fetches for block `number`, without executing it.
Result<Fetched> fetch(rpc::RpcClient& node, uint64_t number, const evm::ChainRules& rules) {
    VIGIL_TRY(Json json,
              node.call("eth_getBlockByNumber", Json::array({eth::to_quantity(number), true})));
    rpc::RpcTxOptions tx_options;
    tx_options.check_sender = false;  // as reexecute_block: execute_block recovers senders
    VIGIL_TRY(rpc::RpcBlock block, rpc::parse_verified_block(json, tx_options));
    verifier::PrestateWitnessOptions po;
    po.extra = verifier::untraced_accounts(block.header, rules);
    VIGIL_TRY(evm::Witness witness,
              verifier::fetch_prestate_witness(node, block.header.hash(), po));
    return Fetched{std::move(block), std::move(witness)};
}

// Where the fetch time of one block goes, in seconds summed over the blocks: the block with
// its transactions (fetched and checked), the two prestateTracer calls the prestate path
// makes (plain and diffMode), and the whole fetch_prestate_witness (which repeats both
// traces, then the eth_getProof batches, codes and the parent header).
// Also the two traces sent together as one JSON-RPC batch (whether the node overlaps them).
struct FetchParts {
    double block = 0, trace = 0, trace_diff = 0, witness = 0, traces_batched = 0;
};
Result<FetchParts> time_fetch_parts(rpc::RpcClient& node, uint64_t first, uint64_t last,
                                    const evm::ChainRules& rules) {
    FetchParts p;
    for (uint64_t n = first; n <= last; ++n) {
        const double t0 = now_seconds();
        VIGIL_TRY(Json json,
                  node.call("eth_getBlockByNumber", Json::array({eth::to_quantity(n), true})));
        rpc::RpcTxOptions tx_options;
        tx_options.check_sender = false;
        VIGIL_TRY(rpc::RpcBlock block, rpc::parse_verified_block(json, tx_options));
        const eth::Hash32 hash = block.header.hash();
        const double t1 = now_seconds();
        VIGIL_CHECK(verifier::trace_prestate(node, hash, false));
        const double t2 = now_seconds();
        VIGIL_CHECK(verifier::trace_prestate(node, hash, true));
        const double t3 = now_seconds();
        verifier::PrestateWitnessOptions po;
        po.extra = verifier::untraced_accounts(block.header, rules);
        VIGIL_CHECK(verifier::fetch_prestate_witness(node, hash, po));
        const double t4 = now_seconds();
        std::vector<rpc::RpcCall> both;
        for (bool diff : {false, true})
            both.push_back({"debug_traceBlockByHash",
                            Json::array({hash.to_hex(),
                                         {{"tracer", "prestateTracer"},
                                          {"tracerConfig", {{"diffMode", diff}}}}})});
        VIGIL_TRY(std::vector<Result<Json>> answers, node.batch(both));
        for (const auto& a : answers) VIGIL_CHECK(a);
        const double t5 = now_seconds();
        p.traces_batched += t5 - t4;
        p.block += t1 - t0;
        p.trace += t2 - t1;
        p.trace_diff += t3 - t2;
        p.witness += t4 - t3;
    }
    return p;
}

// check_block's work in three phases (the same steps, timed apart): the witness indexed
// (WitnessState), the EVM (execute_block: transactions, receipts root, bloom), the state
// root (apply + the message passer's storage root). Seconds, summed over the blocks.
struct Phases {
    double index = 0, evm = 0, root = 0;
};
Result<Phases> time_phases(const std::vector<Fetched>& blocks,
                           const std::vector<eth::Hash32>& parent_roots,
                           const std::vector<eth::Hash32>& parent_hashes,
                           const evm::ChainRules& rules) {
    Phases p;
    for (size_t i = 0; i < blocks.size(); ++i) {
        const eth::BlockHeader& h = blocks[i].block.header;
        const double t0 = now_seconds();
        VIGIL_TRY(auto hashes, evm::block_hashes(blocks[i].witness, parent_hashes[i]));
        evm::WitnessState state(blocks[i].witness, parent_roots[i]);
        const double t1 = now_seconds();
        evm::BlockInput in;
        in.number = h.number;
        in.timestamp = h.timestamp;
        VIGIL_TRY(auto parent, eth::BlockHeader::decode(blocks[i].witness.headers.at(0)));
        in.parent_timestamp = parent.timestamp;
        in.coinbase = h.beneficiary;
        in.gas_limit = h.gas_limit;
        in.base_fee = h.base_fee_per_gas.value_or(U256());
        in.prev_randao = h.mix_hash;
        in.parent_beacon_block_root = h.parent_beacon_block_root;
        in.excess_blob_gas = h.excess_blob_gas.value_or(0);
        in.block_hash = [&hashes](uint64_t n) -> std::optional<eth::Hash32> {
            auto it = hashes.find(n);
            if (it == hashes.end()) return std::nullopt;
            return it->second;
        };
        for (const rpc::RpcTransaction& t : blocks[i].block.transactions)
            in.transactions.push_back(t.tx);
        if (blocks[i].block.withdrawals) in.withdrawals = *blocks[i].block.withdrawals;
        VIGIL_TRY(evm::BlockOutcome out, evm::execute_block(state, in, rules));
        const double t2 = now_seconds();
        VIGIL_TRY(eth::Hash32 root, state.apply(out.diff));
        if (rules.op_stack) VIGIL_CHECK(state.storage_root(eth::opstack::message_passer_address()));
        const double t3 = now_seconds();
        if (root != h.state_root)
            return fail("phases: block " + std::to_string(h.number) + " state root differs");
        p.index += t1 - t0;
        p.evm += t2 - t1;
        p.root += t3 - t2;
    }
    return p;
}

struct Options {
    uint64_t blocks = 200;
    int reps = 3;
    // Blocks the follower (d) fetches ahead in parallel.
    size_t prefetch = 4;
};

void row(const std::string& label, const Span& s, double blocks, double gas) {
    std::cout << std::left << std::setw(44) << label << std::right << std::fixed
              << std::setprecision(3) << std::setw(9) << s.wall << std::setprecision(1)
              << std::setw(10) << blocks / s.wall << std::setw(9) << gas / 1e6 / s.wall
              << std::setprecision(3) << std::setw(10) << s.cpu << std::setw(10) << s.node_cpu
              << "\n";
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

int run(const Options& opt) {
    const std::string load_before = load_average();
    testing::AnvilOptions ao;
    ao.chain_id = kChainId;
    auto anvil = testing::AnvilProcess::start(ao);
    if (!anvil) {
        std::cerr << anvil.error().message << "\n";
        return 1;
    }
    rpc::RpcClient node(node_options((*anvil)->rpc_url()));
    if (Status s = node.connect(); !s.ok()) {
        std::cerr << "anvil: " << s.error().message << "\n";
        return 1;
    }
    const pid_t node_pid = (*anvil)->pid();

    // The chain.
    std::cerr << "generating " << opt.blocks << " blocks of traffic...\n";
    const double g0 = now_seconds();
    Traffic traffic(node);
    if (Status s = traffic.setup(); !s.ok()) {
        std::cerr << "setup: " << s.error().message << "\n";
        return 1;
    }
    const uint64_t head = 2 + opt.blocks;
    for (uint64_t n = 3; n <= head; ++n)
        if (Status s = traffic.block(n); !s.ok()) {
            std::cerr << "traffic: " << s.error().message << "\n";
            return 1;
        }
    std::cerr << "generated in " << now_seconds() - g0 << " s\n";
    const auto& node_hashes = traffic.hashes();

    evm::ChainRules rules;
    rules.chain_id = kChainId;
    verifier::ReexecuteOptions ro;
    ro.rules = rules;
    ro.witness = verifier::WitnessMethod::prestate;  // Anvil has no debug_executionWitness

    // (a) End-to-end.
    std::cerr << "(a) reexecute_block over blocks 2.." << head << "...\n";
    std::vector<verifier::BlockCheck> checks;
    SpanTimer ta(node_pid);
    eth::Hash32 trusted = node_hashes.at(1);
    for (uint64_t n = 2; n <= head; ++n) {
        auto c = verifier::reexecute_block(node, n, trusted, ro);
        if (!c) {
            std::cerr << "FAILED: " << c.error().message << "\n";
            return 1;
        }
        if (!same_as_node(*c, node_hashes.at(n))) return 1;
        trusted = c->block_hash;
        checks.push_back(std::move(c).value());
    }
    const Span end_to_end = ta.stop();
    double gas = 0, fetch_ms = 0, execute_ms = 0;
    size_t txs = 0;
    std::vector<double> nodes, codes, kib, exec_ms;
    for (const auto& c : checks) {
        gas += static_cast<double>(c.node_header.gas_used);
        txs += c.transactions;
        fetch_ms += c.fetch_ms;
        execute_ms += c.execute_ms;
        nodes.push_back(static_cast<double>(c.witness_nodes));
        codes.push_back(static_cast<double>(c.witness_codes));
        kib.push_back(static_cast<double>(c.witness_bytes) / 1024);
        exec_ms.push_back(c.execute_ms);
    }
    const double nblocks = static_cast<double>(checks.size());

    // (d) The follower as `vigil verify` runs it (mode: reexecute): ChainReexecutor from
    // block 1 with `prefetch` blocks fetched in parallel, results committed to LevelDB.
    std::vector<std::pair<size_t, Span>> follower;
    for (size_t prefetch : {size_t{1}, opt.prefetch}) {
        std::cerr << "(d) ChainReexecutor, prefetch " << prefetch << "...\n";
        testing::TempDir dir;
        auto store = core::Store::open(dir.path / "store");
        if (!store) {
            std::cerr << "store: " << store.error().message << "\n";
            return 1;
        }
        verifier::ChainReexecutor::Options fo;
        fo.rules = rules;
        fo.witness = verifier::WitnessMethod::prestate;
        fo.anchor_block = 1;
        fo.anchor_hash = node_hashes.at(1);
        fo.prefetch = prefetch;
        const std::string url = (*anvil)->rpc_url();
        if (prefetch > 1)
            fo.make_client = [url]() {
                auto c = std::make_unique<rpc::RpcClient>(node_options(url));
                (void)c->connect();
                return c;
            };
        std::ostringstream sink;
        verifier::ChainReexecutor r("bench", node, **store, fo,
                                    core::Logger(sink, core::LogFormat::text, core::LogLevel::warn),
                                    nullptr);
        if (Status st = r.start(); !st.ok()) {
            std::cerr << "follower: " << st.error().message << "\n";
            return 1;
        }
        SpanTimer td(node_pid);
        auto done = r.step();
        const Span span = td.stop();
        const verifier::ReexecutorStatus st = r.status();
        if (!done || st.tip != head || st.tip_hash != node_hashes.at(head) || st.mismatches > 0) {
            std::cerr << "FAILED: follower reached " << st.tip << " of " << head
                      << (done ? "" : ": " + done.error().message) << " " << st.stuck_reason
                      << "\n";
            return 1;
        }
        follower.emplace_back(prefetch, span);
    }

    // (b) Execution only: everything fetched first.
    std::cerr << "(b) fetching every block and witness...\n";
    std::vector<Fetched> fetched;
    SpanTimer tf(node_pid);
    for (uint64_t n = 2; n <= head; ++n) {
        auto f = fetch(node, n, rules);
        if (!f) {
            std::cerr << "FAILED: block " << n << ": " << f.error().message << "\n";
            return 1;
        }
        fetched.push_back(std::move(f).value());
    }
    const Span fetch_only = tf.stop();
    std::cerr << "(c) fetching again, timing the parts...\n";
    auto parts = time_fetch_parts(node, 2, head, rules);
    if (!parts) {
        std::cerr << "FAILED: " << parts.error().message << "\n";
        return 1;
    }
    (*anvil)->stop();  // nothing below needs the node: it cannot disturb the timings

    std::cerr << "(b) check_block over all blocks, " << opt.reps << " repetitions...\n";
    std::vector<Span> reps;
    std::vector<eth::Hash32> parent_roots, parent_hashes;
    for (int r = 0; r < opt.reps; ++r) {
        SpanTimer tr(node_pid);
        eth::Hash32 t = node_hashes.at(1);
        for (const Fetched& f : fetched) {
            auto c = verifier::check_block(f.block, f.witness, t, rules);
            if (!c) {
                std::cerr << "FAILED: " << c.error().message << "\n";
                return 1;
            }
            if (!same_as_node(*c, node_hashes.at(c->number))) return 1;
            if (r == 0) {
                parent_roots.push_back(c->parent_state_root);
                parent_hashes.push_back(t);
            }
            t = c->block_hash;
        }
        reps.push_back(tr.stop());
        reps.back().node_cpu = 0;
    }
    auto phases = time_phases(fetched, parent_roots, parent_hashes, rules);
    if (!phases) {
        std::cerr << "FAILED: " << phases.error().message << "\n";
        return 1;
    }

    // The table.
    std::cout << "reexecute_e2e: blocks 2.." << head << " (" << checks.size() << " blocks, " << txs
              << " transactions, " << std::fixed << std::setprecision(1) << gas / 1e6 << " Mgas, "
              << gas / 1e6 / nblocks << " Mgas/block), all matching the node's "
              << "header and block hash, chained from block 1\n"
              << "load average before " << load_before << ", after " << load_average() << " ("
              << sysconf(_SC_NPROCESSORS_ONLN) << " cores)\n\n";
    std::cout << std::left << std::setw(44) << "" << std::right << std::setw(9) << "wall s"
              << std::setw(10) << "blocks/s" << std::setw(9) << "Mgas/s" << std::setw(10) << "CPU s"
              << std::setw(10) << "anvil CPU"
              << "\n";
    row("(a) end-to-end: reexecute_block", end_to_end, nblocks, gas);
    row("(b) fetch only: block + prestate witness", fetch_only, nblocks, gas);
    for (const auto& [prefetch, span] : follower)
        row("(d) ChainReexecutor, prefetch " + std::to_string(prefetch), span, nblocks, gas);
    std::vector<double> rep_walls;
    for (size_t r = 0; r < reps.size(); ++r) {
        row("(b) execute only: check_block, rep " + std::to_string(r + 1), reps[r], nblocks, gas);
        rep_walls.push_back(reps[r].wall);
    }
    const Span best = *std::min_element(
        reps.begin(), reps.end(), [](const Span& x, const Span& y) { return x.wall < y.wall; });
    row("(b) execute only: best", best, nblocks, gas);
    std::cout << std::fixed << std::setprecision(1) << "\n(b) execute only: median "
              << gas / 1e6 / median(rep_walls) << " Mgas/s, best " << gas / 1e6 / best.wall
              << " Mgas/s (" << nblocks / best.wall << " blocks/s); CPU/wall "
              << std::setprecision(2) << best.cpu / best.wall << "\n";
    const double phase_sum = phases->index + phases->evm + phases->root;
    std::cout << std::setprecision(3) << "    phases (one pass): witness index " << phases->index
              << " s (" << std::setprecision(0) << 100 * phases->index / phase_sum << " %), EVM "
              << std::setprecision(3) << phases->evm << " s (" << std::setprecision(0)
              << 100 * phases->evm / phase_sum << " %, " << std::setprecision(1)
              << gas / 1e6 / phases->evm << " Mgas/s), state root " << std::setprecision(3)
              << phases->root << " s (" << std::setprecision(0) << 100 * phases->root / phase_sum
              << " %)\n";
    const auto [min_n, max_n] = std::minmax_element(nodes.begin(), nodes.end());
    const auto [min_k, max_k] = std::minmax_element(kib.begin(), kib.end());
    double sum_nodes = 0, sum_kib = 0, sum_codes = 0;
    for (size_t i = 0; i < nodes.size(); ++i) {
        sum_nodes += nodes[i];
        sum_kib += kib[i];
        sum_codes += codes[i];
    }
    std::cout << std::setprecision(1) << "(c) witness per block: " << sum_nodes / nblocks
              << " trie nodes (min " << *min_n << ", max " << *max_n << "), " << sum_codes / nblocks
              << " codes, " << sum_kib / nblocks << " KiB (min " << *min_k << ", max " << *max_k
              << ")\n";
    // The prestate path appends every proof's nodes, so the upper trie levels repeat.
    double unique_nodes = 0, unique_kib = 0;
    for (const Fetched& f : fetched) {
        std::unordered_set<eth::Hash32> distinct;
        for (const Bytes& n : f.witness.state_nodes)
            if (distinct.insert(eth::keccak256(n)).second)
                unique_kib += static_cast<double>(n.size()) / 1024;
        unique_nodes += static_cast<double>(distinct.size());
    }
    std::cout << "    of which distinct: " << unique_nodes / nblocks << " trie nodes, "
              << unique_kib / nblocks << " KiB of trie nodes per block\n";
    const double split = fetch_ms + execute_ms;
    std::cout << std::setprecision(3) << "(c) split of (a): fetch " << fetch_ms / 1e3 << " s ("
              << std::setprecision(1) << 100 * fetch_ms / split << " %), execute + checks "
              << std::setprecision(3) << execute_ms / 1e3 << " s (" << std::setprecision(1)
              << 100 * execute_ms / split << " %); per block fetch " << std::setprecision(2)
              << fetch_ms / nblocks << " ms, execute " << execute_ms / nblocks << " ms (median "
              << median(exec_ms) << ", max " << *std::max_element(exec_ms.begin(), exec_ms.end())
              << ")\n";
    // The fetch grows with the state (longer proofs, and the node's cost of making them).
    const size_t tenth = std::max<size_t>(1, checks.size() / 10);
    double first_fetch = 0, last_fetch = 0;
    for (size_t i = 0; i < tenth; ++i) {
        first_fetch += checks[i].fetch_ms;
        last_fetch += checks[checks.size() - 1 - i].fetch_ms;
    }
    std::cout << std::setprecision(1) << "(c) fetch per block, first " << tenth << " blocks "
              << first_fetch / static_cast<double>(tenth) << " ms, last " << tenth << " blocks "
              << last_fetch / static_cast<double>(tenth) << " ms\n";
    const double proofs = parts->witness - parts->trace - parts->trace_diff;
    const double parts_sum = parts->block + parts->witness;
    auto part = [&](const char* name, double secs) {
        std::cout << name << std::setprecision(2) << secs * 1e3 / nblocks << " ms/block ("
                  << std::setprecision(0) << 100 * secs / parts_sum << " %)";
    };
    std::cout << "(c) fetch parts: ";
    part("block + txs ", parts->block);
    part(", prestateTracer ", parts->trace);
    part(", diffMode tracer ", parts->trace_diff);
    part(", eth_getProof + codes + header ", proofs);
    std::cout << std::setprecision(2) << "; both tracers in one batch "
              << parts->traces_batched * 1e3 / nblocks << " ms/block vs "
              << (parts->trace + parts->trace_diff) * 1e3 / nblocks << " in sequence\n";
    std::cout << std::setprecision(3) << "(c) in (a), CPU: this process " << end_to_end.cpu
              << " s, anvil " << end_to_end.node_cpu << " s, of " << end_to_end.wall << " s wall\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--blocks" && has_value) {
            opt.blocks = std::stoull(argv[++i]);
        } else if (a == "--reps" && has_value) {
            opt.reps = std::stoi(argv[++i]);
        } else if (a == "--prefetch" && has_value) {
            opt.prefetch = std::stoull(argv[++i]);
        } else if (a.starts_with("--benchmark_")) {
            // `make bench` passes Google Benchmark's flags to every *_bench: not ours.
        } else {
            std::cerr << "usage: reexecute_e2e_bench [--blocks N] [--reps R] [--prefetch K]\n";
            return 2;
        }
    }
    if (opt.blocks < 1 || opt.reps < 1) {
        std::cerr << "--blocks and --reps must be >= 1\n";
        return 2;
    }
    return run(opt);
}
