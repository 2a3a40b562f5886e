// Sender: sends transactions for one signer on one chain, exactly once per request id.
//
// - Idempotent: a request carries an id chosen by the caller (e.g. "prove/<hash>"); a
//   second submit() with the same id returns the first one's record, never a second tx.
// - Persist before broadcast: the signed transaction (nonce, fees, raw bytes) is
//   committed to the store before it is sent, so after a crash every in-flight
//   transaction is found again and resolved from its receipt, or re-broadcast.
// - Nonces: one manager per signer; taken from max(stored next nonce, the chain's
//   pending count); a nonce is never reused for different content. If the chain shows a
//   nonce consumed by a transaction that is not ours, the request moves to a new nonce.
// - Fees: EIP-1559 from eth_feeHistory (next base fee x 2 + median priority fee, reused
//   for a second); a
//   transaction pending longer than `stuck_after` is replaced with the same nonce and
//   fees bumped by at least `fee_bump_percent` (nodes require >= 10%), up to a cap.
// - Gas: eth_estimateGas times a margin, unless the request fixes the limit. A request
//   that would revert is refused at submit (code kWouldRevert), with the revert reason.
// - Final: a receipt at least `confirmations` deep; a receipt lost in a reorg puts the
//   transaction back in flight.
//
// Thread-safety: not thread-safe; one owner thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/secp256k1.h"
#include "chains/eth/u256.h"
#include "chains/rpc/http_client.h"
#include "core/log.h"
#include "core/store.h"

namespace vigil::chains {

// Error::code values of Sender.
enum SenderError : int {
    kWouldRevert = 3001,  // eth_estimateGas says the call reverts
    kFeeCap = 3002,       // the fee needed exceeds the configured cap
};

struct TxRequest {
    std::string id;  // idempotency key; printable, at most 200 bytes
    eth::Address to;
    eth::U256 value;
    eth::Bytes data;
    std::optional<uint64_t> gas_limit;  // none: estimate
};

struct TxAttempt {
    eth::Hash32 hash;
    eth::U256 max_fee_per_gas;
    eth::U256 max_priority_fee_per_gas;
    int64_t sent_at_ms = 0;
    eth::Bytes raw;
};

struct TxRecord {
    enum class State { pending, succeeded, reverted };
    std::string id;
    State state = State::pending;
    uint64_t nonce = 0;
    uint64_t gas_limit = 0;
    eth::Address to;
    eth::U256 value;
    eth::Bytes data;
    std::vector<TxAttempt> attempts;  // oldest first; all share the nonce
    // When final:
    std::optional<eth::Hash32> included_hash;
    uint64_t block = 0;
    uint64_t gas_used = 0;
    eth::U256 effective_gas_price;

    bool final() const { return state != State::pending; }
};
const char* tx_state_name(TxRecord::State state);

struct SenderOptions {
    uint64_t chain_id = 0;
    uint64_t confirmations = 1;
    double gas_margin = 1.25;
    uint32_t fee_bump_percent = 15;
    std::chrono::milliseconds stuck_after{30000};
    eth::U256 max_fee_cap;                              // 0: no cap
    eth::U256 min_priority_fee = eth::U256(1'000'000);  // 0.001 gwei floor
};

class Sender {
  public:
    using Clock = std::function<int64_t()>;  // milliseconds since the epoch

    Sender(std::string chain, rpc::RpcClient& rpc, core::Store& store, eth::PrivateKey key,
           SenderOptions options, core::Logger log, Clock clock = {});

    // Loads in-flight transactions (only those: an index keeps restart cost independent
    // of history) and syncs the nonce with the chain.
    Status start();

    // Signs, persists and broadcasts a request (or returns the record of an earlier
    // submit with the same id).
    Result<TxRecord> submit(const TxRequest& request);
    // submit() for many requests at once: one batch of gas estimates, nonces in request
    // order, one commit for all, one batch of broadcasts. One result per request (a
    // request that would revert does not hold up the others); the outer error only when
    // nothing could be decided (the node or the store failed), and then nothing was sent.
    Result<std::vector<Result<TxRecord>>> submit_all(const std::vector<TxRequest>& requests);

    // Checks receipts, re-broadcasts lost transactions, replaces stuck ones. Returns the
    // records that became final in this call.
    Result<std::vector<TxRecord>> poll();

    // The record of a request id, if any.
    Result<std::optional<TxRecord>> find(const std::string& id) const;

    const eth::Address& address() const { return address_; }
    size_t in_flight() const { return pending_.size(); }
    uint64_t next_nonce() const { return next_nonce_; }

  private:
    struct Fees {
        eth::U256 max_fee, priority;
    };
    Result<Fees> fresh_fees();
    Result<Fees> suggest_fees();
    Result<uint64_t> chain_nonce(const char* tag);
    Result<TxAttempt> sign(const TxRecord& record, const Fees& fees);
    void stage(const TxRecord& record, core::WriteBatch& batch) const;
    Status persist(const TxRecord& record, bool with_next_nonce);
    // A broadcast refusal: ok when the node already has the transaction, else logged.
    Status broadcast_refused(const std::string& id, const Error& error);
    // Sends the newest attempt; "already known" counts as sent.
    Status broadcast(TxRecord& record);
    Status reassign_nonce(TxRecord& record);
    std::string key(std::string_view suffix) const;

    std::string chain_;
    rpc::RpcClient& rpc_;
    core::Store& store_;
    eth::PrivateKey key_;
    eth::Address address_;
    SenderOptions options_;
    core::Logger log_;
    Clock clock_;
    uint64_t next_nonce_ = 0;
    std::map<std::string, TxRecord> pending_;       // by id
    std::map<std::string, int> nonce_taken_polls_;  // consecutive polls a nonce looked taken
    // Receipts can only change when the head does: the head the last poll read them at.
    std::optional<uint64_t> receipts_head_;
    // No poll has asked the node for the in-flight transactions since the start.
    bool known_unchecked_ = true;
    // The last fee suggestion and when it was made (reused for a second: one eth_feeHistory
    // per burst of submits rather than per transaction).
    std::optional<Fees> fees_;
    int64_t fees_at_ms_ = 0;
};

// The record's persisted form (a format byte and RLP; JSON text from earlier versions is
// read too), exposed for tests.
std::string encode_record(const TxRecord& record);
Result<TxRecord> decode_record(std::string_view text);

}  // namespace vigil::chains
