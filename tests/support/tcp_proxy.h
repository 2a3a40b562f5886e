// TcpProxy: a byte-for-byte TCP relay on 127.0.0.1 (a free port) to an upstream port on
// 127.0.0.1, for tests of long-lived connections (WebSocket subscriptions) under the
// faults a real node cannot produce on demand:
// - cut(): every live connection is closed and new ones are refused (the listening
//   socket is closed), until restore() listens again on the same port;
// - stall(): live and new connections stay open but nothing is relayed (a dead peer
//   behind a NAT or a hung node), until unstall();
// - inject_to_clients(): raw bytes written to the client side of every live connection,
//   as if the upstream had sent them (garbage, forged frames).
//
// With a TlsIdentity it terminates TLS on the client side (a wss:// endpoint in front of
// a plain node), for tests of certificate verification.
//
// One I/O thread relays every connection with poll(). Thread-safe; the destructor closes
// everything and joins the thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chains/eth/result.h"

namespace vigil::testing {

// A certificate and its private key, PEM.
struct TlsIdentity {
    std::string cert_pem;
    std::string key_pem;
};

// A fresh self-signed certificate (P-256, valid for a day) for the given DNS names.
Result<TlsIdentity> self_signed_identity(const std::vector<std::string>& dns_names);

class TcpProxy {
  public:
    static Result<std::unique_ptr<TcpProxy>> start(uint16_t upstream_port,
                                                   std::optional<TlsIdentity> tls = {});
    ~TcpProxy();
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    uint16_t port() const { return port_; }
    std::string ws_url() const { return "ws://127.0.0.1:" + std::to_string(port_); }
    std::string wss_url(const std::string& host = "127.0.0.1") const {
        return "wss://" + host + ":" + std::to_string(port_);
    }

    // Closes all live connections and refuses new ones. Returns once done.
    void cut();
    // Listens again on the same port.
    Status restore();
    // Stops relaying (connections stay open, bytes stay queued in the kernel).
    void stall();
    void unstall();
    // Writes `bytes` to the client side of every live connection; returns how many
    // connections it was written to.
    size_t inject_to_clients(const std::string& bytes);

    uint64_t accepted() const { return accepted_.load(); }
    size_t live_connections() const;

  private:
    struct Pair {
        int client = -1;
        int upstream = -1;
        void* ssl = nullptr;  // SSL*, when terminating TLS
        bool handshaking = false;
    };
    TcpProxy() = default;
    Status listen_on(uint16_t port);
    void serve();
    void wake();
    void close_pair(Pair& p);
    // Relays what the client sent; false when the connection is over.
    bool from_client(Pair& p, char* buf, size_t size);
    void to_client(Pair& p, const char* data, size_t size);

    uint16_t upstream_port_ = 0;
    uint16_t port_ = 0;
    int wake_fds_[2] = {-1, -1};
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> accepted_{0};
    void* tls_ctx_ = nullptr;  // SSL_CTX*

    mutable std::mutex mu_;  // guards everything below; the I/O thread holds it while it works
    int listen_fd_ = -1;
    bool stalled_ = false;
    std::vector<Pair> pairs_;
    std::thread thread_;
};

// A WebSocket frame as a server sends it (unmasked, FIN set) with `payload`; opcode 1 is
// text. For injecting forged messages into a relayed WebSocket connection.
std::string websocket_server_frame(const std::string& payload, uint8_t opcode = 1);

}  // namespace vigil::testing
