// FaultProxy: an HTTP JSON-RPC proxy in front of a real node that injects the faults a
// real node cannot produce on demand: dropped connections, delays, HTTP 429/500,
// truncated or garbled JSON, "too many results" answers, a forged chain id, and
// rewritten results (a lying endpoint).
//
// The test sets a Policy; for each request the proxy asks it what to do with the
// parsed JSON-RPC request (for a batch, the first call's method). One connection at a
// time, "Connection: close" on every answer. Thread-safe to reconfigure while running.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "chains/eth/result.h"

namespace vigil::testing {

struct Fault {
    enum class Kind {
        pass,         // forward unchanged
        drop,         // close the connection without an answer
        delay,        // wait delay_ms, then forward
        http_status,  // answer with `status` and a short body
        truncate,     // forward, but cut the JSON body in half
        garbage,      // answer 200 with a non-JSON body
        rpc_error,    // answer a JSON-RPC error (code, message) for the request id
        rewrite,      // forward, then let `rewrite` change the parsed answer
    };
    Kind kind = Kind::pass;
    int delay_ms = 0;
    int status = 500;
    int rpc_code = -32005;
    std::string rpc_message = "query returned more than 10000 results";
    std::function<void(nlohmann::json& answer)> rewrite;
    // With any kind that forwards: changes the request body first (a node that answers
    // for a block it invented must map that block's hash back to the real one).
    std::function<void(std::string& body)> rewrite_request;

    static Fault pass_through() { return {}; }
    static Fault of(Kind k) {
        Fault f;
        f.kind = k;
        return f;
    }
};

class FaultProxy {
  public:
    using Policy = std::function<Fault(const nlohmann::json& request)>;

    // Listens on 127.0.0.1 on a free port and forwards to `upstream_url`.
    static Result<std::unique_ptr<FaultProxy>> start(std::string upstream_url);
    ~FaultProxy();

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    void set_policy(Policy policy);
    uint64_t requests() const { return requests_.load(); }
    uint64_t faults() const { return faults_.load(); }

  private:
    FaultProxy() = default;
    void serve();
    void handle(int fd);

    std::string upstream_;
    int listen_fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> requests_{0};
    std::atomic<uint64_t> faults_{0};
    std::mutex mu_;
    Policy policy_;
    std::thread thread_;
};

}  // namespace vigil::testing
