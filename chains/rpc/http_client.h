// RpcClient: JSON-RPC 2.0 over HTTP(S) (libcurl) for one chain, with several endpoints.
//
// What it guarantees to its caller (a listener, the sender, the verifier):
// - every answer is either a well-formed JSON-RPC result or an Error: a malformed,
//   truncated, mismatched or wrong-typed answer never crashes and never passes as data;
// - transport failures, timeouts, HTTP 429 and 5xx are retried with exponential backoff
//   and full jitter, moving to the next endpoint (failover); an endpoint that failed is
//   rested and, before it is used again, its chain id is checked anew;
// - each endpoint is held to a request rate (token bucket) and connections are reused;
// - an endpoint that reports another chain id than the configured one is never used.
// JSON-RPC error objects (the node understood and refused) are returned at once, with
// code kRpcError and the node's message, since repeating would give the same answer.
//
// Thread-safety: not thread-safe; each component owns its own client.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chains/eth/result.h"
#include "chains/rpc/json_fields.h"

namespace vigil::rpc {

// Error::code values set by RpcClient.
enum ErrorCode : int {
    kTransport = 1001,    // connect/read failure, timeout
    kHttpStatus = 1002,   // non-200 HTTP answer other than 429/5xx
    kRateLimited = 1003,  // HTTP 429 (after retries)
    kServerError = 1004,  // HTTP 5xx (after retries)
    kMalformed = 1005,    // not JSON, not JSON-RPC, wrong id, missing result
    kRpcError = 1006,     // a JSON-RPC error object; the message holds code and text
    kWrongChain = 1007,   // the endpoint serves another chain
    kNoEndpoint = 1008,   // every endpoint is resting after failures
};

struct RpcClientOptions {
    std::string chain;               // name, for error messages
    std::vector<std::string> urls;   // failover order
    uint64_t expected_chain_id = 0;  // 0 = do not check (tools only)
    std::chrono::milliseconds timeout{10000};
    double requests_per_second = 25;  // per endpoint
    int max_attempts = 6;             // per call, across endpoints
    std::chrono::milliseconds backoff_base{100};
    std::chrono::milliseconds backoff_max{5000};
    std::chrono::milliseconds endpoint_rest{2000};  // how long a failed endpoint rests
    size_t max_response_bytes = 256u << 20;         // a larger answer is an error
    // A batch() of more calls is sent as several HTTP requests of at most this many
    // (nodes cap batch sizes: geth at 1,000 items by default, many providers lower).
    size_t max_batch_calls = 100;
};

struct EndpointStatus {
    std::string url;  // as configured (it may hold an API key: redact before logging)
    bool healthy = true;
    uint64_t requests = 0;
    uint64_t failures = 0;
    std::string last_error;
};

struct RpcCall {
    std::string method;
    Json params = Json::array();
};

class RpcClient {
  public:
    using Sleep = std::function<void(std::chrono::milliseconds)>;

    explicit RpcClient(RpcClientOptions options, Sleep sleep = {});
    ~RpcClient();
    RpcClient(const RpcClient&) = delete;
    RpcClient& operator=(const RpcClient&) = delete;

    // Checks every endpoint's eth_chainId. A wrong chain id on any endpoint is an error
    // naming it (a misconfiguration must stop the start); unreachable endpoints are
    // tolerated as long as one answers with the right id.
    Status connect();

    // One call; the `result` member of the answer.
    Result<Json> call(const std::string& method, Json params = Json::array());
    // A batch in one HTTP request (several when it holds more than max_batch_calls); the
    // outer Result fails only when a request as a whole could not be done; each inner
    // Result is that call's result or JSON-RPC error.
    Result<std::vector<Result<Json>>> batch(const std::vector<RpcCall>& calls);

    // One call whose answer is parsed by the caller straight from the HTTP body (for
    // large answers such as eth_getLogs, where building a JSON tree costs more than the
    // fetch). `parse(body, id)` must check the JSON-RPC envelope (the id, an error
    // object) and return an error with code kMalformed for an answer that is not a valid
    // response (it is then retried on the next endpoint), kRpcError for the node's
    // refusal, or success once it has taken what it needs.
    // The body string may be grown (e.g. reserved for a parser's padding).
    using RawParser = std::function<Status(std::string& body, uint64_t id)>;
    Status call_raw(const std::string& method, Json params, const RawParser& parse);

    std::vector<EndpointStatus> status() const;
    const RpcClientOptions& options() const { return options_; }

  private:
    struct Endpoint;
    Result<std::string> post(Endpoint& ep, const std::string& body);
    Result<std::vector<Result<Json>>> batch_request(const std::vector<RpcCall>& calls);
    // Runs `attempt` on endpoints with retries/failover; `attempt` returns the raw body.
    Result<Json> with_failover(const std::string& body, const std::string& what);
    // Sends `body` with retries and failover until `accept` takes an answer (ok) or
    // refuses it with a code other than kMalformed (returned as is).
    Status with_failover(const std::string& body, const std::string& what,
                         const std::function<Status(std::string& raw)>& accept);
    Status check_chain_id(Endpoint& ep);
    Endpoint* pick_endpoint();
    void mark_failed(Endpoint& ep, const std::string& why);

    RpcClientOptions options_;
    Sleep sleep_;
    std::vector<std::unique_ptr<Endpoint>> endpoints_;
    size_t current_ = 0;
    uint64_t next_id_ = 1;
    uint64_t rng_state_;
};

// Strips userinfo, path and query from a URL for logs ("https://host:port"), since
// providers put API keys there.
std::string redact_url(const std::string& url);

// The `result` of a parsed JSON-RPC answer to request `id`: kMalformed when it is not a
// valid response to it, kRpcError (with the node's code and message) for an error object.
Result<Json> take_result(Json& answer, uint64_t id);

}  // namespace vigil::rpc
