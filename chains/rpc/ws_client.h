// WsHeadSubscriber: an eth_subscribe("newHeads") subscription over one WebSocket
// endpoint (ws:// or wss://), kept alive for as long as the object lives.
//
// It runs its own I/O thread. It connects, subscribes, and hands each new head to the
// caller; when the socket drops, the handshake or the subscription fails, or the peer
// stops answering pings, it reconnects with exponential backoff and jitter and
// subscribes again. A subscription is only a hint that a block exists: heads may be
// missed while the socket is down or arrive twice after a reorg, so the caller must
// still read the chain itself (the listener does, and polls while the socket is down).
//
// Nothing the endpoint sends can crash it: a message that is not a JSON-RPC answer or
// a newHeads notification is counted and ignored, a message above max_message_bytes
// or a broken frame closes the connection (and it reconnects).
//
// wss:// uses OpenSSL and verifies the peer's certificate chain and host name against
// the system trust store (or ca_file) unless verify_peer is false.
//
// This header is C++17 and shows no websocketpp/asio type: the implementation is
// compiled as C++17 (websocketpp 0.8.2 does not build as C++20 with GCC 12).
//
// Thread-safety: status() from any thread. Callbacks run on the subscriber's I/O
// thread, one at a time; they must return quickly and must not destroy the subscriber.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace vigil::rpc {

struct WsHeadSubscriberOptions {
    std::string url;    // ws://host:port/path or wss://...; may hold an API key
    std::string chain;  // name, for error messages
    std::chrono::milliseconds connect_timeout{10000};    // TCP + TLS + WebSocket handshake
    std::chrono::milliseconds subscribe_timeout{10000};  // eth_subscribe answer
    std::chrono::milliseconds ping_interval{15000};      // liveness check of an idle socket
    std::chrono::milliseconds pong_timeout{10000};       // no pong: the socket is dead
    std::chrono::milliseconds backoff_base{250};         // first reconnect delay
    std::chrono::milliseconds backoff_max{30000};
    size_t max_message_bytes = 1u << 20;  // a newHeads notification is ~1-2 KB
    bool verify_peer = true;              // wss: verify certificate chain and host name
    std::string ca_file;                  // wss: extra trusted CA bundle (PEM); empty = none
};

// One newHeads notification. Hashes are 0x-prefixed lowercase hex (32 bytes).
struct NewHead {
    uint64_t number = 0;
    std::string hash;
    std::string parent_hash;
};

struct WsHeadSubscriberStatus {
    enum class State {
        connecting,   // TCP/TLS/WebSocket handshake in progress
        subscribing,  // socket open, eth_subscribe sent
        subscribed,   // notifications flow
        waiting,      // socket down, waiting for the next attempt (backoff)
        stopped,      // shutting down
    };
    State state = State::connecting;
    uint64_t connects = 0;       // WebSocket handshakes that succeeded
    uint64_t reconnects = 0;     // of those, the ones after the first
    uint64_t subscriptions = 0;  // eth_subscribe calls that succeeded
    uint64_t failures = 0;       // failed attempts and dropped connections
    uint64_t heads = 0;          // newHeads notifications delivered
    uint64_t malformed = 0;      // messages ignored as malformed or unexpected
    uint64_t last_head = 0;      // number of the last head delivered
    std::string subscription_id;
    std::string last_error;  // the latest failure; never holds the URL

    bool connected() const { return state == State::subscribing || state == State::subscribed; }
    bool subscribed() const { return state == State::subscribed; }
};

const char* to_string(WsHeadSubscriberStatus::State state);

class WsHeadSubscriber {
  public:
    struct Callbacks {
        std::function<void(const NewHead&)> on_head;  // required
        // Called after every state change (connected, subscribed, down), with the new
        // status; optional (for logs).
        std::function<void(const WsHeadSubscriberStatus&)> on_state;
    };

    // Validates the options and starts connecting in the background. Returns null and
    // sets `error` when the URL is not a ws:// or wss:// URL, or the options are invalid;
    // an unreachable endpoint is not an error here (it is retried).
    static std::unique_ptr<WsHeadSubscriber> start(WsHeadSubscriberOptions options,
                                                   Callbacks callbacks, std::string& error);

    // Closes the socket and joins the I/O thread (bounded: a peer that does not answer
    // the close within 0.5 s is dropped).
    ~WsHeadSubscriber();
    WsHeadSubscriber(const WsHeadSubscriber&) = delete;
    WsHeadSubscriber& operator=(const WsHeadSubscriber&) = delete;

    WsHeadSubscriberStatus status() const;

  private:
    struct Impl;
    explicit WsHeadSubscriber(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Parses one message from the socket. Returns true and fills `head` when it is a
// newHeads notification for `subscription_id`; false otherwise, with `error` saying why
// (empty when the message is valid JSON-RPC that is not a notification). Exposed for
// tests and fuzzing.
bool parse_new_head_notification(const std::string& message, const std::string& subscription_id,
                                 NewHead& head, std::string& error);

}  // namespace vigil::rpc
