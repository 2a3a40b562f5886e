#include "chains/eth/opstack.h"

#include <cstring>

#include "chains/eth/abi.h"
#include "chains/eth/keccak.h"

namespace vigil::eth::opstack {

Address message_passer_address() {
    Address a;
    a[0] = 0x42;
    a[19] = 0x16;
    return a;
}

Hash32 output_root_v0(const Hash32& state_root, const Hash32& message_passer_storage_root,
                      const Hash32& block_hash) {
    Keccak256 h;
    const Hash32 version{};  // version 0: 32 zero bytes
    h.update(version.view());
    h.update(state_root.view());
    h.update(message_passer_storage_root.view());
    h.update(block_hash.view());
    return h.finalize();
}

Hash32 sent_messages_slot(const Hash32& withdrawal_hash) {
    Keccak256 h;
    const Hash32 slot_zero{};  // sentMessages is the mapping at storage slot 0
    h.update(withdrawal_hash.view());
    h.update(slot_zero.view());
    return h.finalize();
}

namespace {

// (uint256 nonce, address sender, address target, uint256 value, uint256 gasLimit, bytes data)
const abi::Type& withdrawal_tuple() {
    static const abi::Type kType =
        abi::Type::tuple({abi::Type::uint(), abi::Type::address(), abi::Type::address(),
                          abi::Type::uint(), abi::Type::uint(), abi::Type::bytes()});
    return kType;
}

const abi::Signature& message_passed_event() {
    static const abi::Signature kEvent = [] {
        auto parsed = abi::parse_event_signature(kMessagePassedSignature);
        return parsed.ok() ? std::move(parsed).value() : abi::Signature{};
    }();
    return kEvent;
}

}  // namespace

Hash32 withdrawal_hash(const WithdrawalTransaction& tx) {
    abi::Value v = abi::Value::tuple({abi::Value::uint(tx.nonce), abi::Value::address(tx.sender),
                                      abi::Value::address(tx.target), abi::Value::uint(tx.value),
                                      abi::Value::uint(tx.gas_limit), abi::Value::bytes(tx.data)});
    // Cannot fail: every field fits its type by construction.
    auto encoded = abi::encode_params(withdrawal_tuple(), v);
    return keccak256(encoded.ok() ? BytesView(*encoded) : BytesView());
}

uint16_t nonce_version(const U256& versioned_nonce) {
    return static_cast<uint16_t>(versioned_nonce.limbs[3] >> 48);
}

U256 nonce_counter(const U256& versioned_nonce) {
    U256 out = versioned_nonce;
    out.limbs[3] &= (uint64_t{1} << 48) - 1;
    return out;
}

Result<U256> versioned_nonce(uint16_t version, const U256& counter) {
    if (counter.bit_length() > 240)
        return fail("opstack: nonce counter " + counter.to_hex() + " exceeds 240 bits");
    return (U256(version) << 240) | counter;
}

Hash32 message_passed_topic() {
    static const Hash32 kTopic = abi::event_topic(message_passed_event());
    return kTopic;
}

Result<MessagePassed> decode_message_passed(const Address& emitter, std::span<const Hash32> topics,
                                            BytesView data) {
    if (emitter != message_passer_address())
        return fail("opstack: MessagePassed log emitted by " + emitter.to_checksum_hex() +
                    ", not by the L2ToL1MessagePasser " +
                    message_passer_address().to_checksum_hex());
    const abi::Signature& event = message_passed_event();
    if (event.params.size() != 7) return fail("opstack: internal: bad MessagePassed signature");
    // topic0 is checked against the cached hash; the rest is decoded as the anonymous form
    // of the event (saves hashing the signature for every log).
    if (topics.empty() || topics[0] != message_passed_topic())
        return fail("opstack: not a MessagePassed log (topic0 " +
                    (topics.empty() ? std::string("missing") : topics[0].to_hex()) + ")");
    static const abi::Signature kAnonymous = [] {
        abi::Signature anon = message_passed_event();
        anon.anonymous = true;
        return anon;
    }();
    auto params = abi::decode_log(kAnonymous, topics.subspan(1), data);
    if (!params) return fail("opstack: MessagePassed: " + params.error().message);
    const auto& p = *params;
    MessagePassed out;
    out.withdrawal.nonce = p[0].value.as<abi::UintValue>().value;
    out.withdrawal.sender = p[1].value.as<Address>();
    out.withdrawal.target = p[2].value.as<Address>();
    out.withdrawal.value = p[3].value.as<abi::UintValue>().value;
    out.withdrawal.gas_limit = p[4].value.as<abi::UintValue>().value;
    out.withdrawal.data = p[5].value.as<abi::BytesValue>().bytes;
    const Bytes& logged = p[6].value.as<abi::FixedBytesValue>().bytes;
    std::memcpy(out.withdrawal_hash.data(), logged.data(), 32);
    const Hash32 recomputed = withdrawal_hash(out.withdrawal);
    if (recomputed != out.withdrawal_hash)
        return fail("opstack: MessagePassed logs withdrawalHash " + out.withdrawal_hash.to_hex() +
                    " but its fields hash to " + recomputed.to_hex());
    return out;
}

}  // namespace vigil::eth::opstack
