#include "core/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace vigil::core {
namespace {

const char* reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 202:
            return "Accepted";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 413:
            return "Payload Too Large";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        default:
            return "Status";
    }
}

void send_all(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

void write_response(int fd, const HttpResponse& r) {
    std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) +
                       "\r\nContent-Type: " + r.content_type +
                       "\r\nContent-Length: " + std::to_string(r.body.size()) +
                       "\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n";
    send_all(fd, head + r.body);
}

// Reads until `pred(buffer)` is satisfied, the limit is passed, or the deadline passes.
enum class ReadResult { ok, closed, timeout, too_large };

ReadResult read_more(int fd, std::string& buf, size_t limit, int timeout_ms) {
    if (buf.size() >= limit) return ReadResult::too_large;
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, timeout_ms);
    if (ready == 0) return ReadResult::timeout;
    if (ready < 0) return ReadResult::closed;
    char chunk[8192];
    ssize_t n = ::recv(fd, chunk, std::min(sizeof chunk, limit - buf.size() + 1), 0);
    if (n <= 0) return ReadResult::closed;
    buf.append(chunk, static_cast<size_t>(n));
    return ReadResult::ok;
}

}  // namespace

Result<std::pair<std::string, uint16_t>> parse_listen_address(const std::string& listen) {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos)
        return fail("listen address '" + listen + "': expected host:port");
    std::string host = listen.substr(0, colon);
    std::string port = listen.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit))
        return fail("listen address '" + listen + "': bad port");
    int p = std::stoi(port);
    if (p > 65535) return fail("listen address '" + listen + "': port out of range");
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    return std::make_pair(host, static_cast<uint16_t>(p));
}

HttpServer::HttpServer(Options options) : options_(options) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(const std::string& path, Handler handler) {
    routes_[path] = std::move(handler);
}

void HttpServer::route_prefix(const std::string& prefix, Handler handler) {
    prefix_routes_[prefix] = std::move(handler);
}

const HttpServer::Handler* HttpServer::find_handler(const std::string& path) const {
    if (auto exact = routes_.find(path); exact != routes_.end()) return &exact->second;
    const Handler* best = nullptr;
    size_t best_length = 0;
    for (const auto& [prefix, handler] : prefix_routes_)
        if (path.compare(0, prefix.size(), prefix) == 0 && (!best || prefix.size() > best_length)) {
            best = &handler;
            best_length = prefix.size();
        }
    return best;
}

Status HttpServer::start(const std::string& listen) {
    VIGIL_TRY(auto hp, parse_listen_address(listen));
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(hp.second);
    int rc = getaddrinfo(hp.first.empty() ? nullptr : hp.first.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) return fail("listen " + listen + ": " + gai_strerror(rc));
    int fd = -1;
    std::string last_error = "no address";
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 128) == 0) break;
        last_error = std::strerror(errno);
        ::close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) return fail("listen " + listen + ": " + last_error);
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    listen_fd_ = fd;
    stopping_ = false;
    acceptor_ = std::thread([this] { accept_loop(); });
    return {};
}

void HttpServer::stop() {
    if (listen_fd_ < 0) return;
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    ::close(listen_fd_);
    listen_fd_ = -1;
    std::vector<std::thread> workers;
    {
        std::lock_guard<std::mutex> lock(workers_mu_);
        workers.swap(workers_);
    }
    for (auto& t : workers)
        if (t.joinable()) t.join();
}

void HttpServer::accept_loop() {
    while (!stopping_) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) continue;
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        if (active_.load() >= options_.max_connections) {
            write_response(fd, HttpResponse::text(503, "busy\n"));
            ::close(fd);
            continue;
        }
        ++active_;
        std::lock_guard<std::mutex> lock(workers_mu_);
        // Reap finished workers now and then so the vector does not grow without bound.
        if (workers_.size() > 4 * options_.max_connections) {
            for (auto& t : workers_)
                if (t.joinable()) t.join();
            workers_.clear();
        }
        workers_.emplace_back([this, fd] {
            serve(fd);
            ::close(fd);
            --active_;
        });
    }
}

void HttpServer::serve(int fd) {
    std::string buf;
    size_t header_end;
    for (;;) {
        header_end = buf.find("\r\n\r\n");
        if (header_end != std::string::npos) break;
        ReadResult r = read_more(fd, buf, options_.max_header_bytes, options_.read_timeout_ms);
        if (r == ReadResult::too_large)
            return write_response(fd, HttpResponse::text(431, "headers too large\n"));
        if (r == ReadResult::timeout)
            return write_response(fd, HttpResponse::text(408, "timeout\n"));
        if (r == ReadResult::closed) return;
    }
    HttpRequest req;
    const std::string head = buf.substr(0, header_end);
    size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    size_t sp1 = request_line.find(' ');
    size_t sp2 = request_line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1 || request_line.compare(sp2 + 1, 5, "HTTP/") != 0)
        return write_response(fd, HttpResponse::text(400, "bad request line\n"));
    req.method = request_line.substr(0, sp1);
    std::string target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (size_t q = target.find('?'); q != std::string::npos) {
        req.query = target.substr(q + 1);
        target.resize(q);
    }
    req.path = target;
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
        size_t eol = head.find("\r\n", pos);
        if (eol == std::string::npos) eol = head.size();
        std::string line = head.substr(pos, eol - pos);
        pos = eol + 2;
        size_t colon = line.find(':');
        if (colon == std::string::npos)
            return write_response(fd, HttpResponse::text(400, "bad header\n"));
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        req.headers[name] = value;
    }
    size_t content_length = 0;
    if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
        const std::string& v = it->second;
        if (v.empty() || v.size() > 10 || !std::all_of(v.begin(), v.end(), ::isdigit))
            return write_response(fd, HttpResponse::text(400, "bad content-length\n"));
        content_length = std::stoul(v);
        if (content_length > options_.max_body_bytes)
            return write_response(fd, HttpResponse::text(413, "body too large\n"));
    }
    req.body = buf.substr(header_end + 4);
    while (req.body.size() < content_length) {
        ReadResult r = read_more(fd, req.body, content_length, options_.read_timeout_ms);
        if (r == ReadResult::timeout)
            return write_response(fd, HttpResponse::text(408, "timeout\n"));
        if (r != ReadResult::ok) return;
    }
    req.body.resize(content_length);

    const Handler* handler = find_handler(req.path);
    if (!handler) return write_response(fd, HttpResponse::text(404, "not found\n"));
    HttpResponse resp;
    try {
        resp = (*handler)(req);
    } catch (const std::exception&) {
        resp = HttpResponse::text(500, "internal error\n");
    }
    write_response(fd, resp);
}

}  // namespace vigil::core
