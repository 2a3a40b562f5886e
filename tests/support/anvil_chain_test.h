// AnvilChainTest: the GoogleTest fixture base for tests that drive one real Anvil chain
// and read its blocks back (block re-execution, Prague, Jovian): the node, calls that
// fail the test on an error, blocks and headers checked against their hashes, raw sends
// and receipts, and several transactions mined into one block.
//
// Thread-safety: none (one test thread).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chains/eth/bytes.h"
#include "chains/eth/header.h"
#include "chains/eth/keccak.h"
#include "chains/rpc/block_json.h"
#include "chains/rpc/header_json.h"
#include "chains/rpc/http_client.h"
#include "chains/rpc/json_fields.h"
#include "tests/support/anvil.h"

namespace vigil::testing {

// Init code that returns `runtime` (< 256 bytes) as the new contract's code:
//   PUSH1 len DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN.
inline eth::Bytes deployer_of(const eth::Bytes& runtime) {
    constexpr std::array<uint8_t, 11> kHeader = {0x60, 0x00, 0x80, 0x60, 0x0b, 0x60,
                                                 0x00, 0x39, 0x60, 0x00, 0xf3};
    eth::Bytes init(kHeader.size() + runtime.size());
    std::copy(kHeader.begin(), kHeader.end(), init.begin());
    init[1] = static_cast<uint8_t>(runtime.size());
    std::copy(runtime.begin(), runtime.end(), init.begin() + kHeader.size());
    return init;
}

class AnvilChainTest : public ::testing::Test {
  protected:
    using Json = rpc::Json;

    // Starts Anvil with `chain_id` and pinned `hardfork` (plus `extra_args`, e.g. OP mode)
    // and connects the client.
    void start(uint64_t chain_id, const std::string& hardfork,
               std::vector<std::string> extra_args = {}) {
        chain_id_ = chain_id;
        AnvilOptions o;
        o.chain_id = chain_id;
        o.hardfork = hardfork;
        o.extra_args = std::move(extra_args);
        auto a = AnvilProcess::start(o);
        ASSERT_TRUE(a.ok()) << a.error().message;
        anvil_ = std::move(a).value();
        client_ = make_client(anvil_->rpc_url(), "anvil");
        ASSERT_TRUE(client_->connect().ok());
    }

    // A client of `url` for this chain, with no client-side rate limit (a local node).
    std::unique_ptr<rpc::RpcClient> make_client(const std::string& url, const std::string& name,
                                                int max_attempts = 6) {
        rpc::RpcClientOptions o;
        o.chain = name;
        o.urls = {url};
        o.expected_chain_id = chain_id_;
        o.requests_per_second = 0;
        o.max_attempts = max_attempts;
        return std::make_unique<rpc::RpcClient>(o);
    }

    rpc::RpcClient& node() { return *client_; }

    // The call's result; an error fails the test (and gives null).
    Json call(const std::string& method, Json params = Json::array()) {
        auto r = client_->call(method, std::move(params));
        EXPECT_TRUE(r.ok()) << method << ": " << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : Json();
    }

    void set_automine(bool on) { call("evm_setAutomine", Json::array({on})); }
    void mine() { call("evm_mine"); }
    uint64_t head() { return *eth::parse_quantity(call("eth_blockNumber").get<std::string>()); }

    eth::BlockHeader header(uint64_t number) {
        auto h = rpc::parse_verified_header(
            call("eth_getBlockByNumber", Json::array({eth::to_quantity(number), false})));
        EXPECT_TRUE(h.ok()) << h.error().message;
        return h.ok() ? *h : eth::BlockHeader{};
    }

    // The block with its transactions, checked against its own hash and roots.
    rpc::RpcBlock block(uint64_t number) {
        auto b = rpc::parse_verified_block(
            call("eth_getBlockByNumber", Json::array({eth::to_quantity(number), true})));
        EXPECT_TRUE(b.ok()) << b.error().message;
        return b.ok() ? *b : rpc::RpcBlock{};
    }

    // Sends a signed (or deposit) transaction; with `wait` (automine on) waits for its
    // receipt. Returns keccak256(raw), the transaction hash.
    eth::Hash32 send_raw(const eth::Bytes& raw, bool wait) {
        const eth::Hash32 h = eth::keccak256(raw);
        auto sent = client_->call("eth_sendRawTransaction", Json::array({eth::to_hex(raw)}));
        // Under load Anvil's OP mode sometimes answers a send after the client's timeout;
        // the client's retry of the same transaction then meets the first one in the pool.
        const bool resent =
            !sent.ok() && (sent.error().message.find("underpriced") != std::string::npos ||
                           sent.error().message.find("already") != std::string::npos);
        EXPECT_TRUE(resent || (sent.ok() && sent->is_string() &&
                               *eth::Hash32::from_hex(sent->get<std::string>()) == h))
            << (sent.ok() ? sent->dump() : sent.error().message);
        if (wait) receipt(h);
        return h;
    }

    Json receipt(const eth::Hash32& tx) {
        for (int i = 0; i < 1000; ++i) {
            Json r = call("eth_getTransactionReceipt", Json::array({tx.to_hex()}));
            if (!r.is_null()) return r;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        ADD_FAILURE() << "no receipt for " << tx.to_hex();
        return Json();
    }

    bool succeeded(const eth::Hash32& tx) { return *rpc::field_uint64(receipt(tx), "status") == 1; }
    uint64_t gas_used(const eth::Hash32& tx) { return *rpc::field_uint64(receipt(tx), "gasUsed"); }

    // Sends what `sends` sends with automine off, mines them into one block and waits for
    // every receipt; returns the block's number.
    uint64_t one_block(const std::function<std::vector<eth::Hash32>()>& sends) {
        set_automine(false);
        const std::vector<eth::Hash32> pending = sends();
        // Anvil admits a sent transaction to its pool asynchronously: mining before every
        // one is there leaves one pending for good (automine mines only on the next send).
        for (const eth::Hash32& h : pending)
            for (int i = 0; i < 1000; ++i) {
                if (!call("eth_getTransactionByHash", Json::array({h.to_hex()})).is_null()) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        mine();
        set_automine(true);
        uint64_t number = 0;
        for (const eth::Hash32& h : pending) {
            const uint64_t b = *rpc::field_uint64(receipt(h), "blockNumber");
            EXPECT_TRUE(number == 0 || number == b) << "transactions split over blocks";
            number = b;
        }
        EXPECT_EQ(number, head());
        return number;
    }

    uint64_t chain_id_ = 0;
    std::unique_ptr<AnvilProcess> anvil_;
    std::unique_ptr<rpc::RpcClient> client_;
};

}  // namespace vigil::testing
