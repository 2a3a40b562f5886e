// HttpServer: a small HTTP/1.1 server for Vigil's operational endpoints (/metrics,
// /healthz, /readyz, and the admin API). Not a general web server: requests are small,
// answers are small, clients are Prometheus, Kubernetes probes and operators.
//
// Hardening that matters here: bounded request line, headers and body (413/431), a read
// timeout per connection (slow clients cannot pin threads), a bounded number of
// concurrent connections (503 beyond it), and a handler that throws answers 500 instead
// of taking the process down. One request per connection ("Connection: close").
//
// Thread-safety: handlers run on connection threads, possibly concurrently; they must be
// thread-safe. start()/stop() from the owner thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chains/eth/result.h"

namespace vigil::core {

struct HttpRequest {
    std::string method;                          // "GET", "POST", ...
    std::string path;                            // without the query string
    std::string query;                           // after '?', undecoded
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;

    static HttpResponse text(int status, std::string body) {
        return {status, "text/plain; charset=utf-8", std::move(body)};
    }
    static HttpResponse json(int status, std::string body) {
        return {status, "application/json", std::move(body)};
    }
};

class HttpServer {
  public:
    using Handler = std::function<HttpResponse(const HttpRequest&)>;

    struct Options {
        size_t max_header_bytes = 16 * 1024;
        size_t max_body_bytes = 1 << 20;
        int read_timeout_ms = 5000;
        size_t max_connections = 32;
    };

    HttpServer() : HttpServer(Options{}) {}
    explicit HttpServer(Options options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Routes an exact path (any method; the handler checks it). Before start().
    void route(const std::string& path, Handler handler);
    // Routes every path that starts with `prefix` (e.g. "/v1/") and has no exact route;
    // when several prefixes match, the longest wins. Before start().
    void route_prefix(const std::string& prefix, Handler handler);

    // Binds "host:port" (port 0 = any free port) and serves on a background thread.
    Status start(const std::string& listen);
    void stop();
    // The bound port (after start).
    uint16_t port() const { return port_; }

  private:
    void accept_loop();
    void serve(int fd);
    // The exact route for `path`, else the longest matching prefix route; null if none.
    const Handler* find_handler(const std::string& path) const;

    Options options_;
    std::map<std::string, Handler> routes_;
    std::map<std::string, Handler> prefix_routes_;
    int listen_fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<size_t> active_{0};
    std::thread acceptor_;
    std::mutex workers_mu_;
    std::vector<std::thread> workers_;
};

// Splits "host:port"; an empty host means all interfaces. Ports 0..65535.
Result<std::pair<std::string, uint16_t>> parse_listen_address(const std::string& listen);

}  // namespace vigil::core
