// OP Stack withdrawal helpers against the Optimism monorepo's vectors (INDEX.md section 5).
#include "chains/eth/opstack.h"

#include <gtest/gtest.h>

#include "chains/eth/abi.h"
#include "chains/rpc/json_fields.h"
#include "tests/unit/vectors.h"

namespace vigil::eth::opstack {
namespace {

using nlohmann::json;

template <class T>
T ok_or_fail(Result<T> r, const std::string& what) {
    EXPECT_TRUE(r.ok()) << what << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : T{};
}

U256 u256_field(const json& obj, const char* key) {
    return ok_or_fail(U256::from_string(obj.at(key).get<std::string>()), key);
}

WithdrawalTransaction withdrawal_from(const json& c) {
    WithdrawalTransaction tx;
    tx.nonce = u256_field(c, "nonce");
    tx.sender = ok_or_fail(rpc::field_address(c, "sender"), "sender");
    tx.target = ok_or_fail(rpc::field_address(c, "target"), "target");
    tx.value = u256_field(c, "value");
    tx.gas_limit = u256_field(c, "gasLimit");
    tx.data = ok_or_fail(rpc::field_bytes(c, "data"), "data");
    return tx;
}

TEST(OpStackVectors, WithdrawalHashes) {
    VIGIL_VECTOR_JSON(cases, "opstack/optimism/withdrawal-hashes.json");
    size_t count = 0;
    for (const json& c : cases) {
        const WithdrawalTransaction tx = withdrawal_from(c);
        const Hash32 hash = withdrawal_hash(tx);
        EXPECT_EQ(hash.to_hex(), c.at("withdrawalHash").get<std::string>()) << count;
        EXPECT_EQ(sent_messages_slot(hash).to_hex(), c.at("sentMessagesSlot").get<std::string>())
            << count;
        ++count;
    }
    EXPECT_EQ(count, 2u);
}

struct ReceiptLog {
    Address address;
    std::vector<Hash32> topics;
    Bytes data;
    uint64_t log_index = 0;
};

std::vector<ReceiptLog> receipt_logs(const json& receipt) {
    std::vector<ReceiptLog> logs;
    for (const json& l : receipt.at("logs")) {
        ReceiptLog log;
        log.address = ok_or_fail(rpc::field_address(l, "address"), "log address");
        for (const json& t : l.at("topics"))
            log.topics.push_back(ok_or_fail(Hash32::from_hex(t.get<std::string>()), "topic"));
        log.data = ok_or_fail(rpc::field_bytes(l, "data"), "log data");
        log.log_index = ok_or_fail(rpc::field_uint64(l, "logIndex"), "logIndex");
        logs.push_back(std::move(log));
    }
    return logs;
}

TEST(OpStackVectors, MessagePassedFromBridgeWithdrawalReceipt) {
    VIGIL_VECTOR_JSON(receipt, "opstack/optimism/bridge-withdrawal-receipt.json");
    VIGIL_VECTOR_JSON(expected, "opstack/optimism/bridge-withdrawal-expected.json");
    // The topic op-stack.md section 1.8 gives for MessagePassed.
    EXPECT_EQ(message_passed_topic().to_hex(),
              "0x02a52367d10742d8032712c1bb8e0144ff1ec5ffda1ed7d70bb05a2744955054");

    const auto logs = receipt_logs(receipt);
    ASSERT_FALSE(logs.empty());
    size_t found = 0;
    for (const ReceiptLog& log : logs) {
        if (log.topics.empty() || log.topics[0] != message_passed_topic()) {
            // Every other log of the receipt must be refused as a MessagePassed.
            EXPECT_FALSE(decode_message_passed(log.address, log.topics, log.data).ok());
            continue;
        }
        ++found;
        EXPECT_EQ(log.log_index, expected.at("logIndex").get<uint64_t>());
        auto mp = decode_message_passed(log.address, log.topics, log.data);
        ASSERT_TRUE(mp.ok()) << mp.error().message;
        EXPECT_TRUE(mp->withdrawal == withdrawal_from(expected));
        EXPECT_EQ(mp->withdrawal_hash.to_hex(), expected.at("withdrawalHash").get<std::string>());
        EXPECT_EQ(withdrawal_hash(withdrawal_from(expected)).to_hex(),
                  expected.at("withdrawalHash").get<std::string>());

        // The message is the L2CrossDomainMessenger's relayMessage call; its nonce carries
        // the messenger's version 1 in the top 16 bits (Encoding.encodeVersionedNonce).
        auto relay =
            abi::parse_signature("relayMessage(uint256,address,address,uint256,uint256,bytes)");
        ASSERT_TRUE(relay.ok());
        auto call = abi::decode_call(*relay, mp->withdrawal.data);
        ASSERT_TRUE(call.ok()) << call.error().message;
        const U256 nonce = call->as<abi::TupleValue>().items[0].as<abi::UintValue>().value;
        EXPECT_EQ(nonce_version(nonce), 1);
        EXPECT_TRUE(nonce_counter(nonce).is_zero());
        EXPECT_EQ(ok_or_fail(versioned_nonce(1, U256(0)), "versioned_nonce"), nonce);

        // Tampering: any changed data byte breaks either the strict decode or the hash
        // check; another emitter is refused; a missing topic is refused.
        for (size_t i = 0; i < log.data.size(); i += 7) {
            Bytes tampered = log.data;
            tampered[i] ^= 0x01;
            EXPECT_FALSE(decode_message_passed(log.address, log.topics, tampered).ok())
                << "byte " << i;
        }
        std::vector<Hash32> topics = log.topics;
        topics[1][31] ^= 1;  // another nonce: the logged hash no longer matches
        auto wrong_nonce = decode_message_passed(log.address, topics, log.data);
        ASSERT_FALSE(wrong_nonce.ok());
        EXPECT_NE(wrong_nonce.error().message.find("hash to"), std::string::npos);
        Address other = log.address;
        other[19] ^= 1;
        EXPECT_FALSE(decode_message_passed(other, log.topics, log.data).ok());
        EXPECT_FALSE(
            decode_message_passed(log.address, std::span(log.topics).first(3), log.data).ok());
    }
    EXPECT_EQ(found, 1u);
}

TEST(OpStackVectors, BridgeEventTopics) {
    VIGIL_VECTOR_JSON(cases, "opstack/optimism/bridge-event-topics.json");
    size_t count = 0;
    for (const json& c : cases) {
        const std::string sig = c.at("signature");
        auto ev = abi::parse_event_signature(sig);
        ASSERT_TRUE(ev.ok()) << sig << ": " << ev.error().message;
        EXPECT_EQ(ev->canonical(), sig);
        EXPECT_EQ(abi::event_topic(*ev).to_hex(), c.at("topic0").get<std::string>()) << sig;
        ++count;
    }
    EXPECT_EQ(count, 57u);
}

TEST(OpStack, NonceVersions) {
    // Encoding.encodeVersionedNonce: (uint256(version) << 240) | nonce.
    const U256 v1 = ok_or_fail(versioned_nonce(1, U256(5)), "v1");
    EXPECT_EQ(v1.to_hex(), "0x1000000000000000000000000000000000000000000000000000000000005");
    EXPECT_EQ(nonce_version(v1), 1);
    EXPECT_EQ(nonce_counter(v1), U256(5));
    const U256 top = ok_or_fail(versioned_nonce(0xffff, (U256(1) << 240) - U256(1)), "max");
    EXPECT_EQ(top, U256::max());
    EXPECT_EQ(nonce_version(top), 0xffff);
    EXPECT_FALSE(versioned_nonce(1, U256(1) << 240).ok());
}

}  // namespace
}  // namespace vigil::eth::opstack
