// End-to-end relayer benchmark (not a test): the `vigil` daemon, as an operator runs it, on
// a local devnet (Anvil L1 + OP Stack-like L2s mining a block per second), observed from
// outside through its JSON log and /proc. Three measurements (issue 6, BENCHMARKS.md):
//
//  1. restart: `vigil relay` is stopped, 1,000,000 finalized withdrawals are written into
//     its store as history (WithdrawalStore::stage, so the route's counts stay right; real
//     hashes, 420 B of data each), a few new withdrawals and a valid game covering them
//     are posted while it is down, and it is started again: the wall time from spawn to
//     the first prove transaction sent (the sender's "sending" line; spawn -> "relayer
//     started" and -> the first "to":"proving" line are printed too). Measured 3 times
//     before the fill (the reference: no history), then 3 times with `vigil relay` and 3
//     times with `vigil run` after it. Target: < 5 s with 1M stored.
//  2. CPU per withdrawal: withdrawals across two L2s, data 0..10 KiB spread evenly, sent
//     at once; valid games proposed on each L2 every ~2 s; the daemon's CPU time (utime +
//     stime of /proc/<pid>/stat, all threads) from the first withdrawal sent until all are
//     proven (`vigil relay`, games never resolve and proofs never mature: prove only,
//     --withdrawals, default 1,000), and, on a second devnet with short delays, until all
//     are finalized (`vigil run`, which also resolves the games; --finalize-withdrawals,
//     default 250). Each run starts with a baseline (--baseline-secs of the same proposal
//     cadence, no withdrawals); "net" subtracts the baseline's CPU rate (the verifier's
//     judging, the listeners, idle rounds) times the measured wall time. After the
//     prove-only bulk, the same cadence is timed again with every withdrawal proven and
//     waiting. Target: <= 1 ms per withdrawal.
//  3. latency provable -> proven: in the prove-only run, before the bulk, rounds of a few
//     withdrawals per L2 are sent, observed by the relayer, and only then covered by a new
//     valid game. "Provable" is the later of the withdrawal's observation (its record's
//     observedAt) and the verdict "valid" of the first game covering it (the verdict
//     record's decidedAt), both read from the store after the run; "proven" is the ts of
//     its "to":"proven" log line. In L1 blocks: the block of its prove transaction minus
//     the covering game's block. The same figures for the bulk withdrawals (under load:
//     they queue behind each other).
//
// Every chain mines a block a second; L1 and L2 confirmations 0 (--confirmations), so
// "proven" is the prove receipt seen. The default run takes about as long as the relayer
// needs to prove 1,000 withdrawals and finalize 250 (several minutes at a few per second);
// --withdrawals 300 --finalize-withdrawals 100 --history 200000 is a quicker look.
//
//   make devnet-tools devnet-contracts     # once: Anvil and the devnet contracts
//   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DVIGIL_BENCH=ON
//   cmake --build build-bench -j2 --target vigil relayer_e2e_bench
//   build-bench/relayer_e2e_bench [--withdrawals 1000] [--finalize-withdrawals 250]
//       [--history 1000000] [--latency-rounds 4] [--latency-per-l2 5] [--baseline-secs 10]
//       [--confirmations 0] [--timeout-secs 600] [--skip restart|cpu|finalize]...
//       [--vigil PATH] [--keep]
//
// Results go to stdout, one labelled line each; progress and diagnostics to stderr. The
// vigil binary is the one beside this program unless --vigil says otherwise; work files
// (configs, stores, daemon logs) go to a temp dir, removed at the end unless --keep.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/e2e_clock.h"
#include "chains/eth/abi.h"
#include "chains/eth/keccak.h"
#include "chains/eth/opstack.h"
#include "chains/rpc/json_fields.h"
#include "core/store.h"
#include "relayer/withdrawals.h"
#include "tests/support/devnet.h"
#include "tests/support/process.h"
#include "verifier/verdicts.h"

using namespace vigil;
using bench::now_seconds;

namespace {

// A CrossDomainMessenger relayMessage carrying a Standard Bridge finalizeBridgeETH: the
// size of a typical withdrawal's data, for the history records.
constexpr size_t kHistoryDataBytes = 420;
constexpr size_t kHistoryBatch = 10'000;  // records per committed batch while filling
constexpr size_t kMaxDataBytes = 10 * 1024;
constexpr size_t kRestartWithdrawals = 3;  // pending work at each measured restart
constexpr int kRestartsEach = 3;           // restarts measured per case

struct Options {
    int withdrawals = 1000;          // prove-only run
    int finalize_withdrawals = 250;  // prove + finalize run
    int history = 1'000'000;
    int latency_rounds = 4;
    int latency_per_l2 = 5;
    int baseline_secs = 10;
    uint64_t confirmations = 0;
    int timeout_secs = 600;  // per wait for a whole batch of withdrawals
    std::set<std::string> skip;
    std::filesystem::path vigil;
    bool keep = false;
};

// ---- Reading the daemon's log ----

// "2026-11-24T18:42:52.123Z" (core/log.cpp) as milliseconds since the epoch; 0 if malformed.
int64_t parse_ts_ms(const std::string& ts) {
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(ts.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

struct LogLine {
    rpc::Json json;  // null for a line that is not JSON
    std::string raw;
    double seen = 0;    // when this program read it (now_seconds)
    int64_t ts_ms = 0;  // the line's own time
};

// Follows a growing log file: poll() returns the lines completed since the last call.
class LogTail {
  public:
    explicit LogTail(std::filesystem::path path) : path_(std::move(path)) {}

    std::vector<LogLine> poll() {
        std::vector<LogLine> out;
        std::ifstream in(path_, std::ios::binary);
        if (!in) return out;
        in.seekg(static_cast<std::streamoff>(offset_));
        std::string chunk((std::istreambuf_iterator<char>(in)), {});
        offset_ += chunk.size();
        partial_ += chunk;
        const double seen = now_seconds();
        size_t start = 0;
        for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
            LogLine l;
            l.raw = partial_.substr(start, nl - start);
            l.seen = seen;
            auto j = rpc::parse_json(l.raw);
            if (j && j->is_object()) {
                l.json = std::move(j).value();
                if (l.json.contains("ts") && l.json["ts"].is_string())
                    l.ts_ms = parse_ts_ms(l.json["ts"].get<std::string>());
            }
            out.push_back(std::move(l));
        }
        partial_.erase(0, start);
        return out;
    }

  private:
    std::filesystem::path path_;
    size_t offset_ = 0;
    std::string partial_;
};

std::string str_field(const rpc::Json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// What the daemon's log says about withdrawals, by withdrawal hash (0x hex).
struct Journal {
    struct Withdrawal {
        int64_t proving_ms = 0, sending_ms = 0, proven_ms = 0, finalized_ms = 0;
        uint64_t prove_block = 0;  // L1 block of the prove transaction that succeeded
    };
    std::map<std::string, Withdrawal> withdrawals;  // by "<route>/<hash>"
    std::optional<double> started_seen, first_proving_seen, first_send_seen;
    std::vector<std::string> errors;  // error-level lines (the first few)
    size_t error_count = 0;

    // "<route>/<hash>" from a sender id "prove/<route>/<hash>/<game>". (A withdrawal's hash
    // does not name its chain: the same fields sent on two L2s give the same hash.)
    static std::string id_key(const std::string& id) {
        const size_t a = id.find('/');
        const size_t b = a == std::string::npos ? a : id.find('/', a + 1);
        if (b == std::string::npos) return {};
        const size_t c = id.find('/', b + 1);
        return id.substr(a + 1, c == std::string::npos ? std::string::npos : c - a - 1);
    }

    void add(const LogLine& l) {
        const rpc::Json& j = l.json;
        if (!j.is_object()) return;
        const std::string msg = str_field(j, "msg");
        if (str_field(j, "level") == "error") {
            if (++error_count <= 5) errors.push_back(l.raw);
        }
        if (msg == "relayer started" && !started_seen) started_seen = l.seen;
        if (msg == "withdrawal") {
            Withdrawal& w = withdrawals[str_field(j, "route") + "/" + str_field(j, "withdrawal")];
            const std::string to = str_field(j, "to");
            if (to == "proving") {
                if (w.proving_ms == 0) w.proving_ms = l.ts_ms;
                if (!first_proving_seen) first_proving_seen = l.seen;
            } else if (to == "proven") {
                w.proven_ms = l.ts_ms;
            } else if (to == "finalized") {
                w.finalized_ms = l.ts_ms;
            }
        }
        const std::string id = str_field(j, "id");
        if (!id.starts_with("prove/")) return;
        if (msg == "sending") {
            Withdrawal& w = withdrawals[id_key(id)];
            if (w.sending_ms == 0) w.sending_ms = l.ts_ms;
            if (!first_send_seen) first_send_seen = l.seen;
        } else if (msg == "transaction final" && str_field(j, "state") == "succeeded" &&
                   j.contains("block") && j["block"].is_number_unsigned()) {
            withdrawals[id_key(id)].prove_block = j["block"].get<uint64_t>();
        }
    }

    size_t count(const std::vector<std::string>& hashes, int64_t Withdrawal::*field) const {
        size_t n = 0;
        for (const auto& h : hashes) {
            auto it = withdrawals.find(h);
            if (it != withdrawals.end() && it->second.*field != 0) ++n;
        }
        return n;
    }
};

// ---- The daemon ----

// utime + stime of a process (all its threads), in seconds.
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
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    return (std::stod(f[11]) + std::stod(f[12])) / ticks;
}

class Daemon {
  public:
    // Spawns `vigil <command> --config <config>` with its output in `log`.
    static std::unique_ptr<Daemon> spawn(const Options& opt, const std::string& command,
                                         const std::filesystem::path& config,
                                         const std::map<std::string, std::string>& env,
                                         const std::filesystem::path& log) {
        std::filesystem::remove(log);
        const double t = now_seconds();
        auto p = testing::ChildProcess::spawn(
            {opt.vigil.string(), command, "--config", config.string()}, env, log);
        if (!p) {
            std::cerr << "cannot start vigil: " << p.error().message << "\n";
            return nullptr;
        }
        auto d = std::unique_ptr<Daemon>(new Daemon(std::move(p).value(), log));
        d->spawned_at = t;
        return d;
    }

    void pump() {
        for (const LogLine& l : tail_.poll()) journal.add(l);
    }
    // Pumps the log until `done()` or `timeout` seconds; false on timeout or exit.
    template <class Pred>
    bool wait_for(Pred done, double timeout) {
        const double until = now_seconds() + timeout;
        for (;;) {
            pump();
            if (done()) return true;
            if (now_seconds() > until || !process_.running()) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    double cpu() const { return process_cpu_seconds(process_.pid()); }
    bool running() { return process_.running(); }
    // SIGTERM, then up to 60 s for a clean exit.
    bool stop() {
        process_.signal(SIGTERM);
        auto code = process_.wait(std::chrono::seconds(60));
        pump();
        return code && *code == 0;
    }

    Journal journal;
    double spawned_at = 0;

  private:
    Daemon(testing::ChildProcess p, std::filesystem::path log)
        : process_(std::move(p)), tail_(std::move(log)) {}
    testing::ChildProcess process_;
    LogTail tail_;
};

// ---- Driving the devnet ----

struct Sent {
    std::string l2;
    std::string hash;  // 0x hex
    uint64_t l2_block = 0;
};

// Sends one initiateWithdrawal per entry of `sizes` (its data size) from the user key on
// `l2` without waiting between them, then waits for every receipt.
Result<std::vector<Sent>> send_withdrawals(testing::DevnetClient& client, const std::string& l2,
                                           const std::vector<size_t>& sizes, uint64_t salt) {
    const testing::DevnetL2* chain = client.info().l2(l2);
    if (!chain) return fail("no L2 " + l2);
    VIGIL_TRY(eth::PrivateKey user, client.key("user"));
    VIGIL_TRY(rpc::Json count,
              client.rpc(l2)->call("eth_getTransactionCount",
                                   rpc::Json::array({user.address().to_hex(), "pending"})));
    VIGIL_TRY(uint64_t nonce, eth::parse_quantity(count.get<std::string>()));
    VIGIL_TRY(eth::abi::Signature sig,
              eth::abi::parse_signature("initiateWithdrawal(address,uint256,bytes)"));
    std::vector<eth::Hash32> txs;
    for (size_t i = 0; i < sizes.size(); ++i) {
        eth::Bytes data(sizes[i]);
        for (size_t k = 0; k < data.size(); ++k)
            data[k] = static_cast<uint8_t>((salt + i) * 131 + k * 7 + 1);
        // The L1 gas the finalization may use: the call plus its calldata.
        const uint64_t l1_gas = 100'000 + 16 * sizes[i];
        VIGIL_TRY(eth::Bytes call,
                  eth::abi::encode_call(
                      sig, eth::abi::Value::tuple({eth::abi::Value::address(user.address()),
                                                   eth::abi::Value::uint(eth::U256(l1_gas)),
                                                   eth::abi::Value::bytes(std::move(data))})));
        // L2 gas: intrinsic + calldata (16/byte) + hashing, the log (8/byte) and the slot.
        const uint64_t gas = 120'000 + 40 * sizes[i];
        VIGIL_TRY(eth::Hash32 tx, client.submit(l2, user, chain->message_passer, call, eth::U256(),
                                                nonce + i, gas));
        txs.push_back(tx);
    }
    std::vector<Sent> out;
    const eth::Hash32 topic = eth::opstack::message_passed_topic();
    for (const auto& tx : txs) {
        VIGIL_TRY(testing::TxReceipt receipt, client.wait_receipt(l2, tx));
        if (!receipt.success) return fail("initiateWithdrawal reverted on " + l2);
        bool found = false;
        for (const auto& log : receipt.logs) {
            if (log.topics.empty() || log.topics[0] != topic) continue;
            VIGIL_TRY(auto passed,
                      eth::opstack::decode_message_passed(log.address, log.topics, log.data));
            out.push_back({l2, passed.withdrawal_hash.to_hex(), receipt.block});
            found = true;
        }
        if (!found) return fail("initiateWithdrawal logged no MessagePassed on " + l2);
    }
    return out;
}

// A valid game at the head of every L2 (each waits for its L1 receipt, ~1 block).
Status propose_all(testing::DevnetClient& client) {
    for (const auto& l2 : client.info().l2s) {
        auto p = client.propose(l2.name);
        if (!p) return fail("propose on " + l2.name + ": " + p.error().message);
    }
    return Status{};
}

std::vector<std::string> keys_of(const std::vector<Sent>& sent) {
    std::vector<std::string> out;
    for (const auto& s : sent) out.push_back(s.l2 + "/" + s.hash);
    return out;
}

// ---- Figures ----

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

uint64_t dir_bytes(const std::filesystem::path& dir) {
    uint64_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file()) n += e.file_size();
    return n;
}

struct Latency {
    std::vector<double> seconds;  // provable -> proven
    std::vector<double> to_send;  // provable -> prove transaction sent
    std::vector<double> blocks;   // prove tx block - covering game's block
    size_t observed_last = 0;     // samples where the observation came after the verdict
};

// Reads the store (the daemon stopped) for when each withdrawal became provable.
Result<Latency> latencies(const std::filesystem::path& store_dir, const Journal& journal,
                          const std::vector<Sent>& sent) {
    VIGIL_TRY(auto store, core::Store::open(store_dir));
    relayer::WithdrawalStore withdrawals(*store);
    verifier::VerdictStore verdicts(*store);
    std::map<std::string, std::vector<verifier::VerdictRecord>> games;  // by rollup
    Latency out;
    for (const Sent& s : sent) {
        if (!games.count(s.l2)) {
            VIGIL_TRY(games[s.l2], verdicts.valid_games(s.l2, 1'000'000));
        }
        VIGIL_TRY(eth::Hash32 hash, eth::Hash32::from_hex(s.hash));
        VIGIL_TRY(auto record, withdrawals.get(s.l2, hash));
        if (!record) return fail("withdrawal " + s.hash + " is not in the store");
        const verifier::VerdictRecord* first = nullptr;  // first valid game covering it
        for (const auto& g : games[s.l2])
            if (g.proposal.l2_block >= s.l2_block &&
                (!first || g.decided_at_ms < first->decided_at_ms))
                first = &g;
        if (!first) return fail("no valid game covers " + s.hash);
        auto it = journal.withdrawals.find(s.l2 + "/" + s.hash);
        if (it == journal.withdrawals.end() || it->second.proven_ms == 0)
            return fail("withdrawal " + s.hash + " has no proven line");
        const auto& w = it->second;
        const int64_t provable = std::max(record->observed_at_ms, first->decided_at_ms);
        if (record->observed_at_ms > first->decided_at_ms) ++out.observed_last;
        out.seconds.push_back(static_cast<double>(w.proven_ms - provable) / 1000);
        out.to_send.push_back(static_cast<double>(w.sending_ms - provable) / 1000);
        if (w.prove_block != 0)
            out.blocks.push_back(static_cast<double>(w.prove_block) -
                                 static_cast<double>(first->proposal.l1_block));
    }
    return out;
}

void print_latency(const std::string& label, const Latency& l) {
    std::cout << std::fixed << std::setprecision(3) << label << ": " << l.seconds.size()
              << " withdrawals; provable -> proven median " << percentile(l.seconds, 0.5)
              << " s, p95 " << percentile(l.seconds, 0.95) << " s, max "
              << percentile(l.seconds, 1.0) << " s; provable -> prove sent median "
              << percentile(l.to_send, 0.5) << " s, p95 " << percentile(l.to_send, 0.95)
              << " s; in L1 blocks (prove tx block - covering game's block) median "
              << std::setprecision(0) << percentile(l.blocks, 0.5) << ", p95 "
              << percentile(l.blocks, 0.95) << ", max " << percentile(l.blocks, 1.0)
              << std::setprecision(3) << " (observation after the verdict in " << l.observed_last
              << " of them)\n";
}

// ---- A devnet with a config for the daemon ----

struct Rig {
    std::unique_ptr<testing::Devnet> devnet;
    std::unique_ptr<testing::DevnetClient> client;
    std::filesystem::path dir, config;
    std::map<std::string, std::string> env;

    bool start(const testing::DevnetOptions& o, const std::filesystem::path& work,
               uint64_t confirmations) {
        auto d = testing::Devnet::start(o);
        if (!d) {
            std::cerr << "devnet: " << d.error().message << "\n";
            return false;
        }
        devnet = std::move(d).value();
        auto c = testing::DevnetClient::connect(devnet->info());
        if (!c) {
            std::cerr << "devnet client: " << c.error().message << "\n";
            return false;
        }
        client = std::move(c).value();
        dir = work;
        std::filesystem::create_directories(dir);
        config = dir / "vigil.yaml";
        const testing::DevnetInfo& info = devnet->info();
        std::ofstream(config) << info.vigil_yaml(
            "store", "127.0.0.1:" + std::to_string(testing::free_tcp_port()), confirmations);
        env = info.signer_env();
        return true;
    }
};

void print_errors(const Journal& j) {
    if (j.error_count == 0) return;
    std::cerr << "the daemon logged " << j.error_count << " error line(s), first:\n";
    for (const auto& e : j.errors) std::cerr << "  " << e << "\n";
}

std::string dump_log_tail(const std::filesystem::path& log) {
    std::ifstream in(log);
    std::string all((std::istreambuf_iterator<char>(in)), {});
    return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
}

// ---- 1. Restart cost ----

// Writes `count` finalized withdrawal records of `route` into the store, in batches,
// keeping the route's counts (stage() maintains them from the stored ones).
Status fill_history(const std::filesystem::path& store_dir, const std::string& route,
                    const eth::Address& user, uint64_t l2_head, int count) {
    VIGIL_TRY(auto store, core::Store::open(store_dir));
    relayer::WithdrawalStore withdrawals(*store);
    VIGIL_TRY(relayer::RouteCounts counts, withdrawals.counts(route));
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    // A game address for the history's proofs: never read back, only stored.
    const eth::Address game = *eth::Address::from_hex("0x0000000000000000000000000000000000006a3e");
    core::WriteBatch batch;
    for (int i = 0; i < count; ++i) {
        relayer::WithdrawalRecord r;
        r.route = route;
        // Nonces far above the devnet's own, so no history record is a real withdrawal.
        r.tx.nonce = eth::U256(uint64_t{1} << 40) + eth::U256(static_cast<uint64_t>(i));
        r.tx.sender = user;
        r.tx.target = user;
        r.tx.gas_limit = eth::U256(uint64_t{200'000});
        r.tx.data.resize(kHistoryDataBytes);
        for (size_t k = 0; k < r.tx.data.size(); ++k)
            r.tx.data[k] = static_cast<uint8_t>(i * 31 + static_cast<int>(k) * 7);
        r.hash = eth::opstack::withdrawal_hash(r.tx);
        r.l2_block = 1 + static_cast<uint64_t>(i) % std::max<uint64_t>(l2_head, 1);
        r.l2_block_hash = eth::keccak256(eth::Bytes(r.hash.bytes.begin(), r.hash.bytes.end()));
        r.l2_tx =
            eth::keccak256(eth::Bytes(r.l2_block_hash.bytes.begin(), r.l2_block_hash.bytes.end()));
        r.state = relayer::WithdrawalState::finalized;
        r.proof_game = game;
        r.proof_game_index = static_cast<uint64_t>(i) / 1000;
        r.proven_at = static_cast<uint64_t>(now_ms / 1000);
        r.attempts = 0;
        r.observed_at_ms = now_ms - 3'600'000;
        r.updated_at_ms = now_ms;
        withdrawals.stage(r, std::nullopt, counts, batch);
        if (static_cast<size_t>(i + 1) % kHistoryBatch == 0 || i + 1 == count) {
            VIGIL_CHECK(store->commit(batch));
            batch = core::WriteBatch();
        }
    }
    VIGIL_TRY(relayer::RouteCounts after, withdrawals.counts(route));
    const auto finalized = static_cast<size_t>(relayer::WithdrawalState::finalized);
    if (after.by_state[finalized] < static_cast<uint64_t>(count))
        return fail("route counts after the fill: " + std::to_string(after.by_state[finalized]) +
                    " finalized, expected at least " + std::to_string(count));
    return Status{};
}

struct RestartFigure {
    double to_send = 0, to_proving = 0, to_started = 0;
};

// Posts pending work while the daemon is down, starts it, and times the first send; then
// waits for that work to be proven and stops the daemon.
std::optional<RestartFigure> measure_restart(const Options& opt, Rig& rig,
                                             const std::string& command, uint64_t salt) {
    const std::string l2 = rig.devnet->info().l2s[0].name;
    auto sent =
        send_withdrawals(*rig.client, l2, std::vector<size_t>(kRestartWithdrawals, 64), salt);
    if (!sent) {
        std::cerr << sent.error().message << "\n";
        return std::nullopt;
    }
    if (Status s = propose_all(*rig.client); !s.ok()) {
        std::cerr << s.error().message << "\n";
        return std::nullopt;
    }
    // The portal takes proofs only after the game's creation second: start once the L1 is
    // past the game's block, so the figure is the daemon's, not the wait for a block.
    auto proposed_at = rig.client->block_number("l1");
    if (!proposed_at) return std::nullopt;
    for (;;) {
        auto h = rig.client->block_number("l1");
        if (!h) return std::nullopt;
        if (*h > *proposed_at) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::filesystem::path log =
        rig.dir / ("vigil-" + command + "-" + std::to_string(salt) + ".log");
    auto d = Daemon::spawn(opt, command, rig.config, rig.env, log);
    if (!d) return std::nullopt;
    if (!d->wait_for([&] { return d->journal.first_send_seen.has_value(); }, 120)) {
        std::cerr << "restart: no prove sent within 120 s\n" << dump_log_tail(log);
        return std::nullopt;
    }
    RestartFigure f;
    f.to_send = *d->journal.first_send_seen - d->spawned_at;
    f.to_proving = d->journal.first_proving_seen.value_or(0) - d->spawned_at;
    f.to_started = d->journal.started_seen.value_or(0) - d->spawned_at;
    const auto hashes = keys_of(*sent);
    if (!d->wait_for(
            [&] {
                return d->journal.count(hashes, &Journal::Withdrawal::proven_ms) == hashes.size();
            },
            120)) {
        std::cerr << "restart: the pending withdrawals were not proven within 120 s\n"
                  << dump_log_tail(log);
        return std::nullopt;
    }
    print_errors(d->journal);
    if (!d->stop()) {
        std::cerr << "restart: the daemon did not stop cleanly\n" << dump_log_tail(log);
        return std::nullopt;
    }
    return f;
}

bool restart_bench(const Options& opt, const std::filesystem::path& work) {
    testing::DevnetOptions o;
    o.l2_count = 1;
    o.block_time_secs = 1;
    Rig rig;
    if (!rig.start(o, work / "restart", opt.confirmations)) return false;
    const std::string l2 = rig.devnet->info().l2s[0].name;

    // A first run creates the store (schema, cursors, sender state) and stops.
    {
        auto d = Daemon::spawn(opt, "relay", rig.config, rig.env, rig.dir / "vigil-setup.log");
        if (!d) return false;
        if (!d->wait_for([&] { return d->journal.started_seen.has_value(); }, 60) || !d->stop()) {
            std::cerr << "restart: the first run did not start and stop cleanly\n"
                      << dump_log_tail(rig.dir / "vigil-setup.log");
            return false;
        }
    }
    // Restarts with (nearly) no history: the reference.
    uint64_t salt = 0;
    std::vector<RestartFigure> empty, full_relay, full_run;
    for (int i = 0; i < kRestartsEach; ++i) {
        auto f = measure_restart(opt, rig, "relay", ++salt);
        if (!f) return false;
        empty.push_back(*f);
    }

    auto user = rig.client->key("user");
    auto head = rig.client->block_number(l2);
    if (!user || !head) return false;
    std::cerr << "filling the store with " << opt.history << " finalized withdrawals...\n";
    const double t0 = now_seconds();
    if (Status s = fill_history(rig.dir / "store", l2, user->address(), *head, opt.history);
        !s.ok()) {
        std::cerr << "fill: " << s.error().message << "\n";
        return false;
    }
    const double fill = now_seconds() - t0;
    // The history was written in the last minute, not over months: flush it to disk first,
    // so the restarts do not wait behind the kernel writing it back.
    const double t1 = now_seconds();
    ::sync();
    const double flush = now_seconds() - t1;
    const uint64_t bytes = dir_bytes(rig.dir / "store");

    // The first start after the fill also finds LevelDB compacting what was just written.
    for (int i = 0; i < kRestartsEach; ++i) {
        auto f = measure_restart(opt, rig, "relay", ++salt);
        if (!f) return false;
        full_relay.push_back(*f);
    }
    for (int i = 0; i < kRestartsEach; ++i) {
        auto f = measure_restart(opt, rig, "run", ++salt);
        if (!f) return false;
        full_run.push_back(*f);
    }

    std::cout << std::fixed << std::setprecision(2);
    std::cout << "restart.fill: " << opt.history << " finalized withdrawals (" << kHistoryDataBytes
              << " B of data each) written in " << fill << " s ("
              << static_cast<double>(opt.history) / fill << " records/s), sync(2) " << flush
              << " s; store on disk " << static_cast<double>(bytes) / 1e6 << " MB\n";
    auto lines = [&](const std::string& what, const std::vector<RestartFigure>& figures) {
        for (size_t i = 0; i < figures.size(); ++i) {
            const RestartFigure& f = figures[i];
            std::cout << "restart." << what << " #" << i + 1 << ": spawn -> first prove sent "
                      << f.to_send << " s (spawn -> \"relayer started\" " << f.to_started
                      << " s, -> first \"to\":\"proving\" " << f.to_proving << " s)\n";
        }
    };
    const std::string n = std::to_string(opt.history);
    lines("history_0.vigil_relay", empty);
    lines("history_" + n + ".vigil_relay", full_relay);
    lines("history_" + n + ".vigil_run", full_run);
    auto worst = [](const std::vector<RestartFigure>& v) {
        double w = 0;
        for (const auto& f : v) w = std::max(w, f.to_send);
        return w;
    };
    std::cout << "restart.result: first send with " << opt.history
              << " withdrawals stored, worst of " << kRestartsEach << ": " << worst(full_relay)
              << " s (vigil relay), " << worst(full_run) << " s (vigil run); with none stored "
              << worst(empty) << " s; ratio " << worst(full_relay) / worst(empty)
              << "x; target < 5 s\n";
    return true;
}

// ---- 2 and 3. CPU per withdrawal, latency ----

// Data sizes 0..10 KiB spread evenly over the withdrawals, alternating between the L2s.
std::map<std::string, std::vector<size_t>> bulk_sizes(const testing::DevnetInfo& info, int n) {
    std::map<std::string, std::vector<size_t>> out;
    for (int i = 0; i < n; ++i) {
        const size_t size =
            n > 1 ? static_cast<size_t>(i) * kMaxDataBytes / static_cast<size_t>(n - 1) : 0;
        out[info.l2s[static_cast<size_t>(i) % info.l2s.size()].name].push_back(size);
    }
    return out;
}

struct CpuFigure {
    double cpu = 0, wall = 0;
};

// Proposals on every L2 at the bulk cadence, no withdrawals: the daemon's CPU rate.
std::optional<double> baseline_rate(Rig& rig, Daemon& d, int seconds) {
    const double c0 = d.cpu(), t0 = now_seconds();
    while (now_seconds() - t0 < seconds) {
        if (Status s = propose_all(*rig.client); !s.ok()) {
            std::cerr << s.error().message << "\n";
            return std::nullopt;
        }
        d.pump();
    }
    return (d.cpu() - c0) / (now_seconds() - t0);
}

// Sends the bulk withdrawals and proposes on every L2 until `field` is set for all of
// them; the daemon's CPU from the first send. Optionally also at the point all were proven.
std::optional<std::vector<Sent>> run_bulk(const Options& opt, int count, Rig& rig, Daemon& d,
                                          CpuFigure& proven, CpuFigure* finalized) {
    const double c0 = d.cpu(), t0 = now_seconds();
    std::vector<Sent> sent;
    uint64_t salt = 1000;
    for (const auto& [l2, sizes] : bulk_sizes(rig.devnet->info(), count)) {
        auto s = send_withdrawals(*rig.client, l2, sizes, salt += 100'000);
        if (!s) {
            std::cerr << s.error().message << "\n";
            return std::nullopt;
        }
        sent.insert(sent.end(), s->begin(), s->end());
    }
    std::cerr << "sent " << sent.size() << " withdrawals in " << now_seconds() - t0 << " s\n";
    const auto hashes = keys_of(sent);
    bool all_proven = false;
    for (;;) {
        d.pump();
        const size_t p = d.journal.count(hashes, &Journal::Withdrawal::proven_ms);
        if (!all_proven && p == hashes.size()) {
            all_proven = true;
            proven = {d.cpu() - c0, now_seconds() - t0};
            if (!finalized) return sent;
        }
        if (finalized &&
            d.journal.count(hashes, &Journal::Withdrawal::finalized_ms) == hashes.size()) {
            *finalized = {d.cpu() - c0, now_seconds() - t0};
            return sent;
        }
        if (now_seconds() - t0 > opt.timeout_secs || !d.running()) {
            std::cerr << "bulk: " << p << " of " << hashes.size() << " proven, "
                      << d.journal.count(hashes, &Journal::Withdrawal::finalized_ms)
                      << " finalized after " << now_seconds() - t0 << " s; giving up\n";
            print_errors(d.journal);
            return std::nullopt;
        }
        if (Status s = propose_all(*rig.client); !s.ok()) {
            std::cerr << s.error().message << "\n";
            return std::nullopt;
        }
    }
}

void print_cpu(const std::string& label, const CpuFigure& f, double rate, int n) {
    const double net = f.cpu - rate * f.wall;
    std::cout << std::fixed << std::setprecision(3) << label << ": " << n << " withdrawals in "
              << f.wall << " s wall; daemon CPU " << f.cpu << " s = " << f.cpu / n * 1e3
              << " ms per withdrawal (gross); baseline " << rate << " CPU-s/s x " << f.wall
              << " s = " << rate * f.wall << " s; net " << net / n * 1e3
              << " ms per withdrawal; target <= 1 ms\n";
}

bool prove_bench(const Options& opt, const std::filesystem::path& work) {
    testing::DevnetOptions o;
    o.l2_count = 2;
    o.block_time_secs = 1;
    o.max_clock_duration_secs = 3600;    // games stay open:
    o.proof_maturity_delay_secs = 3600;  // nothing finalizes, the run is prove only
    Rig rig;
    if (!rig.start(o, work / "prove", opt.confirmations)) return false;
    const std::filesystem::path log = rig.dir / "vigil.log";
    auto d = Daemon::spawn(opt, "relay", rig.config, rig.env, log);
    if (!d) return false;
    if (!d->wait_for([&] { return d->journal.started_seen.has_value(); }, 60)) {
        std::cerr << "prove: the daemon did not start\n" << dump_log_tail(log);
        return false;
    }
    std::cerr << "prove: baseline (" << opt.baseline_secs << " s of proposals)...\n";
    auto rate = baseline_rate(rig, *d, opt.baseline_secs);
    if (!rate) return false;

    // Latency rounds: withdrawals observed first, then a valid game covering them.
    std::cerr << "prove: " << opt.latency_rounds << " latency rounds...\n";
    std::vector<Sent> samples;
    for (int round = 0; round < opt.latency_rounds; ++round) {
        std::vector<Sent> batch;
        for (const auto& l2 : rig.devnet->info().l2s) {
            auto s = send_withdrawals(*rig.client, l2.name,
                                      std::vector<size_t>(static_cast<size_t>(opt.latency_per_l2),
                                                          static_cast<size_t>(round) * 1000),
                                      static_cast<uint64_t>(round) * 100 + l2.chain_id);
            if (!s) {
                std::cerr << s.error().message << "\n";
                return false;
            }
            batch.insert(batch.end(), s->begin(), s->end());
        }
        // With WebSocket heads and 0 confirmations the relayer observes them within a
        // block; 2 s makes sure the verdict is the later event (checked from the store).
        std::this_thread::sleep_for(std::chrono::seconds(2));
        if (Status s = propose_all(*rig.client); !s.ok()) {
            std::cerr << s.error().message << "\n";
            return false;
        }
        const auto hashes = keys_of(batch);
        if (!d->wait_for(
                [&] {
                    return d->journal.count(hashes, &Journal::Withdrawal::proven_ms) ==
                           hashes.size();
                },
                60)) {
            std::cerr << "latency round " << round << ": not all proven within 60 s\n";
            print_errors(d->journal);
            return false;
        }
        samples.insert(samples.end(), batch.begin(), batch.end());
    }

    std::cerr << "prove: " << opt.withdrawals << " withdrawals...\n";
    CpuFigure proven;
    auto bulk = run_bulk(opt, opt.withdrawals, rig, *d, proven, nullptr);
    if (!bulk) return false;
    // The same cadence again, now with every bulk withdrawal proven and waiting to mature.
    auto after = baseline_rate(rig, *d, opt.baseline_secs);
    if (!after) return false;
    print_errors(d->journal);
    if (!d->stop()) {
        std::cerr << "prove: the daemon did not stop cleanly\n";
        return false;
    }
    print_cpu("cpu.prove_only (vigil relay: verdicts + relayer)", proven, *rate, opt.withdrawals);
    std::cout << std::fixed << std::setprecision(3)
              << "cpu.idle_rate: daemon CPU-s per second at the proposal cadence, no withdrawals "
              << *rate << "; the same with " << opt.withdrawals
              << " proven withdrawals waiting to mature " << *after << "\n";
    std::cout << "throughput.prove: " << opt.withdrawals << " withdrawals proven in " << proven.wall
              << " s from the first one sent: " << opt.withdrawals / proven.wall << " /s\n";
    auto quiet = latencies(rig.dir / "store", d->journal, samples);
    if (!quiet) {
        std::cerr << "latency: " << quiet.error().message << "\n";
        return false;
    }
    print_latency("latency.unloaded (rounds of " + std::to_string(opt.latency_per_l2) +
                      " per L2, then one covering game)",
                  *quiet);
    auto loaded = latencies(rig.dir / "store", d->journal, *bulk);
    if (!loaded) {
        std::cerr << "latency: " << loaded.error().message << "\n";
        return false;
    }
    print_latency("latency.bulk (" + std::to_string(opt.withdrawals) + " sent at once)", *loaded);
    return true;
}

bool finalize_bench(const Options& opt, const std::filesystem::path& work) {
    testing::DevnetOptions o;
    o.l2_count = 2;
    o.block_time_secs = 1;
    o.max_clock_duration_secs = 6;
    o.proof_maturity_delay_secs = 4;
    o.dispute_game_finality_delay_secs = 2;
    Rig rig;
    if (!rig.start(o, work / "finalize", opt.confirmations)) return false;
    const std::filesystem::path log = rig.dir / "vigil.log";
    auto d = Daemon::spawn(opt, "run", rig.config, rig.env, log);
    if (!d) return false;
    if (!d->wait_for([&] { return d->journal.started_seen.has_value(); }, 60)) {
        std::cerr << "finalize: the daemon did not start\n" << dump_log_tail(log);
        return false;
    }
    std::cerr << "finalize: baseline (" << opt.baseline_secs << " s of proposals)...\n";
    auto rate = baseline_rate(rig, *d, opt.baseline_secs);
    if (!rate) return false;
    std::cerr << "finalize: " << opt.finalize_withdrawals << " withdrawals...\n";
    CpuFigure proven, finalized;
    auto bulk = run_bulk(opt, opt.finalize_withdrawals, rig, *d, proven, &finalized);
    if (!bulk) return false;
    print_errors(d->journal);
    if (!d->stop()) {
        std::cerr << "finalize: the daemon did not stop cleanly\n";
        return false;
    }
    print_cpu(
        "cpu.until_all_proven (vigil run: verifier + challenger + relayer; finalizing "
        "already under way)",
        proven, *rate, opt.finalize_withdrawals);
    std::cout << std::fixed << std::setprecision(3)
              << "throughput.finalize: " << opt.finalize_withdrawals << " withdrawals finalized in "
              << finalized.wall
              << " s from the first one sent (games resolve after their 6 s clock, proofs "
                 "mature 4 s, finality delay 2 s)\n";
    print_cpu("cpu.prove_and_finalize (vigil run: verifier + challenger + relayer)", finalized,
              *rate, opt.finalize_withdrawals);
    return true;
}

int int_arg(int argc, char** argv, const std::string& name, int fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == name) return std::stoi(argv[i + 1]);
    return fallback;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    opt.withdrawals = int_arg(argc, argv, "--withdrawals", opt.withdrawals);
    opt.finalize_withdrawals =
        int_arg(argc, argv, "--finalize-withdrawals", opt.finalize_withdrawals);
    opt.history = int_arg(argc, argv, "--history", opt.history);
    opt.latency_rounds = int_arg(argc, argv, "--latency-rounds", opt.latency_rounds);
    opt.latency_per_l2 = int_arg(argc, argv, "--latency-per-l2", opt.latency_per_l2);
    opt.baseline_secs = int_arg(argc, argv, "--baseline-secs", opt.baseline_secs);
    opt.timeout_secs = int_arg(argc, argv, "--timeout-secs", opt.timeout_secs);
    opt.confirmations = static_cast<uint64_t>(
        int_arg(argc, argv, "--confirmations", static_cast<int>(opt.confirmations)));
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--keep") opt.keep = true;
        if (a == "--skip" && i + 1 < argc) opt.skip.insert(argv[i + 1]);
        if (a == "--vigil" && i + 1 < argc) opt.vigil = argv[i + 1];
    }
    if (opt.vigil.empty())
        opt.vigil = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "vigil";
    if (!std::filesystem::exists(opt.vigil)) {
        std::cerr << "no vigil binary at " << opt.vigil
                  << " (build the vigil target, or --vigil)\n";
        return 1;
    }
    if (opt.withdrawals < 1 || opt.finalize_withdrawals < 1 || opt.latency_rounds < 1 ||
        opt.latency_per_l2 < 1) {
        std::cerr << "--withdrawals, --finalize-withdrawals, --latency-rounds and "
                     "--latency-per-l2 must be >= 1\n";
        return 1;
    }
    char tmpl[] = "/tmp/vigil-relayer-bench-XXXXXX";
    const std::filesystem::path work = mkdtemp(tmpl);
    std::cerr << "work dir " << work << "\n";
    const double t0 = now_seconds();
    bool ok = true;
    if (ok && !opt.skip.count("restart")) ok = restart_bench(opt, work);
    if (ok && !opt.skip.count("cpu")) ok = prove_bench(opt, work);
    if (ok && !opt.skip.count("finalize")) ok = finalize_bench(opt, work);
    std::cerr << "total " << now_seconds() - t0 << " s\n";
    if (!opt.keep && ok) std::filesystem::remove_all(work);
    return ok ? 0 : 1;
}
