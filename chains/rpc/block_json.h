// Full blocks, receipts and logs as nodes return them, checked against the commitments of
// the block header, plus the raw block encoding (debug_getRawBlock) and eth_getLogs filters.
//
// Node answers are untrusted. Parsing is strict (a missing, mistyped or out-of-range field is
// an error naming it and its position); verification recomputes what the header commits to:
// the header hash, transactionsRoot from the re-encoded transactions, withdrawalsRoot,
// ommersHash, and for receipts receiptsRoot, logsBloom and gasUsed. Errors carry a
// BlockError code saying which commitment failed, so a caller (or a test) can tell a
// tampered transaction list from a tampered header. Nothing here throws.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chains/eth/header.h"
#include "chains/eth/receipt.h"
#include "chains/eth/transaction.h"
#include "chains/rpc/json_fields.h"
#include "chains/rpc/tx_json.h"

namespace vigil::rpc {

// Error::code values: which part of a block (or of its receipts) failed.
enum BlockError : int {
    kBlockMalformed = 2001,           // a field is missing, mistyped or out of range
    kBlockHeaderHash = 2002,          // the header does not hash to the claimed hash
    kBlockTransactionMissing = 2003,  // a transaction entry is null
    kBlockTransactionInvalid = 2004,  // a transaction object fails parse_rpc_transaction
    kBlockTransactionContext = 2005,  // a transaction names another block or position
    kBlockTransactionsRoot = 2006,    // the transactions do not give transactionsRoot
    kBlockWithdrawalsRoot = 2007,     // the withdrawals do not give withdrawalsRoot
    kBlockOmmersHash = 2008,          // the uncles do not give sha3Uncles
    kBlockReceiptsRoot = 2009,        // the receipts do not give receiptsRoot
    kBlockLogsBloom = 2010,           // a receipt's or the block's logsBloom is wrong
    kBlockGasUsed = 2011,             // the last cumulativeGasUsed is not the block's gasUsed
    kBlockReceiptContext = 2012,      // a receipt or log names another block or position
};

// --- Blocks ------------------------------------------------------------------------------

// A block object (eth_getBlockByHash / eth_getBlockByNumber). With full transaction objects
// (the `true` flag) `transactions` holds them; with hashes only, `transaction_hashes` does.
struct RpcBlock {
    eth::BlockHeader header;
    eth::Hash32 hash;  // as claimed; verify_block checks it
    bool full_transactions = false;
    std::vector<RpcTransaction> transactions;
    std::vector<eth::Hash32> transaction_hashes;  // always filled (from the objects if full)
    std::vector<eth::Hash32> uncle_hashes;
    std::optional<std::vector<eth::Withdrawal>> withdrawals;  // present from Shanghai on
};

// Parses a block object: the header (header_json.h), "hash", "transactions" (all hashes or
// all objects; an empty list counts as full), "uncles" and "withdrawals". A null
// transaction entry is kBlockTransactionMissing, an invalid transaction object (including a
// hash or sender mismatch) kBlockTransactionInvalid, both naming the index.
Result<RpcBlock> parse_block(const Json& block, const RpcTxOptions& options = {});

// Checks, in this order (the commitments first, as op-service's RPCBlock.verify does): the
// header hashes to `hash` (kBlockHeaderHash); with full transactions, their encodings give
// transactionsRoot (kBlockTransactionsRoot); withdrawals are present exactly when the header
// has withdrawalsRoot, and give it (kBlockWithdrawalsRoot); with no uncles, sha3Uncles is
// keccak256(rlp([])) (kBlockOmmersHash; uncle hashes alone cannot rebuild the hash of a
// non-empty uncle list); each transaction object names this block, its number and its own
// index when it names any (kBlockTransactionContext). A block listing only transaction hashes
// cannot be checked against transactionsRoot: use full objects for that.
struct BlockCheckOptions {
    // OP Stack from Isthmus: withdrawalsRoot is the L2ToL1MessagePasser's storage root
    // (OP specs isthmus/exec-engine.md), not the root of the (empty) withdrawals list. The
    // list must be empty; the root is checked by whoever knows the state (re-execution).
    bool withdrawals_root_is_message_passer = false;
};
Status verify_block(const RpcBlock& block, const BlockCheckOptions& options = {});

// parse_block then verify_block.
Result<RpcBlock> parse_verified_block(const Json& block, const RpcTxOptions& options = {},
                                      const BlockCheckOptions& checks = {});

// A block as consensus encodes it (devp2p, debug_getRawBlock):
// rlp([header, [transactions…], [uncle headers…], [withdrawals…]?]), where a legacy
// transaction is its RLP list and a typed one an RLP string holding type ‖ payload.
struct RawBlock {
    eth::BlockHeader header;
    std::vector<eth::Transaction> transactions;
    std::vector<eth::Bytes> raw_transactions;  // each transaction's own encoding
    std::vector<eth::BlockHeader> uncles;
    std::optional<std::vector<eth::Withdrawal>> withdrawals;

    eth::Bytes encode() const;
};
// Strict decoding (every transaction under eth::decode_transaction's rules, a typed
// transaction wrapped as a string, withdrawals as 4 canonical items) followed by the body
// checks: transactionsRoot, sha3Uncles, withdrawalsRoot (codes as in verify_block).
Result<RawBlock> decode_raw_block(eth::BytesView raw, eth::DecodeOptions options = {});

// --- Logs and receipts -------------------------------------------------------------------

// A log object (in receipts and eth_getLogs answers). The position fields are null for
// pending logs, hence optional; eth_getLogs callers should require them.
struct RpcLog {
    eth::Log log;
    std::optional<eth::Hash32> block_hash;
    std::optional<uint64_t> block_number;
    std::optional<eth::Hash32> transaction_hash;
    std::optional<uint64_t> transaction_index;
    std::optional<uint64_t> log_index;
    std::optional<uint64_t> block_timestamp;  // newer nodes only
    bool removed = false;
};
// Strict: "address" (EIP-55 checked when mixed case), "topics" (at most four 32-byte
// hashes), "data" required; the position fields and "blockTimestamp" well-formed and
// "removed" a boolean when present (not null).
Result<RpcLog> parse_log(const Json& log);
// An array of logs (an eth_getLogs result).
Result<std::vector<RpcLog>> parse_logs(const Json& logs);

// A receipt object (eth_getTransactionReceipt, an element of eth_getBlockReceipts).
struct RpcReceipt {
    eth::Receipt receipt;
    std::vector<RpcLog> logs;  // the same logs with their positions
    eth::Hash32 transaction_hash;
    uint64_t transaction_index = 0;
    std::optional<eth::Hash32> block_hash;
    std::optional<uint64_t> block_number;
    std::optional<eth::Address> from;
    std::optional<eth::Address> to;
    std::optional<eth::Address> contract_address;
    std::optional<uint64_t> gas_used;
};
// Parses "type" (absent = legacy; compared as a number, so "0x7E" is the deposit type),
// "status" or, before Byzantium, "root", "cumulativeGasUsed", "logsBloom", "logs", and for
// deposits "depositNonce" and "depositReceiptVersion". Quantities may be hex strings or JSON
// numbers. The logsBloom must be the bloom of the logs (kBlockLogsBloom), and every log must
// name the receipt's transaction and block when it names any (kBlockReceiptContext).
Result<RpcReceipt> parse_receipt(const Json& receipt);

// Parses an eth_getBlockReceipts result: receipt i must have transactionIndex i, all the same
// block, cumulativeGasUsed must not decrease, log indexes must count up from 0 across the block.
Result<std::vector<RpcReceipt>> parse_block_receipts(const Json& receipts);

// Checks a block's receipts against its header: receiptsRoot (kBlockReceiptsRoot), the
// union of the receipts' blooms is logsBloom (kBlockLogsBloom), the last cumulativeGasUsed is
// gasUsed (kBlockGasUsed), and receipts naming a block name this one (kBlockReceiptContext).
Status verify_receipts(const eth::BlockHeader& header, std::span<const RpcReceipt> receipts);

// --- eth_getLogs filters -----------------------------------------------------------------

// A block reference in a filter: a number or a tag.
struct BlockRef {
    enum Tag { kNumber, kEarliest, kLatest, kPending, kSafe, kFinalized };
    Tag tag = kLatest;
    uint64_t number = 0;  // when tag == kNumber
};

// What the tags resolve to when a filter is evaluated.
struct ChainHeads {
    uint64_t latest = 0;
    std::optional<uint64_t> safe;
    std::optional<uint64_t> finalized;
};

// The eth_getLogs filter object: {fromBlock, toBlock} or {blockHash}, address (one or an
// array, empty = any), topics (up to four positions; each null, [] = any, a hash, or an array
// of hashes = any of them).
struct LogFilter {
    BlockRef from_block;  // default: latest
    BlockRef to_block;    // default: latest
    std::optional<eth::Hash32> block_hash;
    std::vector<eth::Address> addresses;
    std::vector<std::vector<eth::Hash32>> topics;

    // The block range with tags resolved: an error when a tag cannot be resolved, the range
    // is reversed, or it extends beyond heads.latest. Not for blockHash filters.
    Result<std::pair<uint64_t, uint64_t>> range(const ChainHeads& heads) const;
    // True when the log satisfies the address and topic rules and lies in the block (or the
    // resolved range). A log with fewer topics than the filter has positions never matches
    // (as in go-ethereum's filterLogs). A log without a block number or hash fails.
    bool matches(const RpcLog& log, const ChainHeads& heads) const;
};
// Strict parsing: unknown keys, blockHash together with fromBlock/toBlock, more than four
// topic positions, and a numeric range with fromBlock > toBlock are errors.
Result<LogFilter> parse_log_filter(const Json& filter);

}  // namespace vigil::rpc
