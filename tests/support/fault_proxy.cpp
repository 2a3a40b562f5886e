#include "tests/support/fault_proxy.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace vigil::testing {
namespace {

size_t collect(char* ptr, size_t size, size_t nmemb, void* user) {
    static_cast<std::string*>(user)->append(ptr, size * nmemb);
    return size * nmemb;
}

// Forwards a JSON body to the upstream node; empty optional on transport failure.
bool forward(const std::string& upstream, const std::string& body, std::string& answer) {
    CURL* c = curl_easy_init();
    if (!c) return false;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, upstream.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return rc == CURLE_OK;
}

void send_all(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

void respond(int fd, int status, const std::string& body) {
    std::string head =
        "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Fault") +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n";
    send_all(fd, head + body);
}

// Reads one HTTP request; returns its body, or false on a broken request.
bool read_request(int fd, std::string& body) {
    std::string buf;
    char chunk[65536];
    size_t header_end = std::string::npos;
    size_t content_length = 0;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0) return false;
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buf.append(chunk, static_cast<size_t>(n));
        if (header_end == std::string::npos) {
            header_end = buf.find("\r\n\r\n");
            if (header_end == std::string::npos) continue;
            std::string headers = buf.substr(0, header_end);
            for (auto& ch : headers)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            size_t cl = headers.find("content-length:");
            if (cl == std::string::npos) return false;
            content_length = std::stoul(headers.substr(cl + 15));
        }
        if (buf.size() >= header_end + 4 + content_length) {
            body = buf.substr(header_end + 4, content_length);
            return true;
        }
    }
}

}  // namespace

Result<std::unique_ptr<FaultProxy>> FaultProxy::start(std::string upstream_url) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    std::unique_ptr<FaultProxy> proxy(new FaultProxy());
    proxy->upstream_ = std::move(upstream_url);
    proxy->policy_ = [](const nlohmann::json&) { return Fault::pass_through(); };
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return fail("proxy: socket failed");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
        ::close(fd);
        return fail("proxy: bind/listen failed");
    }
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    proxy->listen_fd_ = fd;
    proxy->port_ = ntohs(addr.sin_port);
    proxy->thread_ = std::thread([p = proxy.get()] { p->serve(); });
    return proxy;
}

FaultProxy::~FaultProxy() {
    stopping_ = true;
    if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

void FaultProxy::set_policy(Policy policy) {
    std::lock_guard<std::mutex> lock(mu_);
    policy_ = std::move(policy);
}

void FaultProxy::serve() {
    while (!stopping_) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) continue;
        handle(fd);
        ::close(fd);
    }
}

void FaultProxy::handle(int fd) {
    std::string body;
    if (!read_request(fd, body)) return;
    ++requests_;
    nlohmann::json request = nlohmann::json::parse(body, nullptr, false);
    Fault fault;
    {
        std::lock_guard<std::mutex> lock(mu_);
        fault = policy_(request);
    }
    if (fault.kind != Fault::Kind::pass) ++faults_;
    switch (fault.kind) {
        case Fault::Kind::drop:
            return;
        case Fault::Kind::http_status:
            respond(fd, fault.status, "{\"error\":\"injected\"}");
            return;
        case Fault::Kind::garbage:
            respond(fd, 200, "<html>502 Bad Gateway</html>");
            return;
        case Fault::Kind::rpc_error: {
            const nlohmann::json& first =
                request.is_array() && !request.empty() ? request[0] : request;
            nlohmann::json answer = {
                {"jsonrpc", "2.0"},
                {"id", first.is_object() && first.contains("id") ? first["id"] : nlohmann::json()},
                {"error", {{"code", fault.rpc_code}, {"message", fault.rpc_message}}}};
            respond(fd, 200, answer.dump());
            return;
        }
        case Fault::Kind::delay:
            std::this_thread::sleep_for(std::chrono::milliseconds(fault.delay_ms));
            break;
        default:
            break;
    }
    if (fault.rewrite_request) fault.rewrite_request(body);
    std::string answer;
    if (!forward(upstream_, body, answer)) {
        respond(fd, 502, "{\"error\":\"upstream unreachable\"}");
        return;
    }
    if (fault.kind == Fault::Kind::truncate) answer = answer.substr(0, answer.size() / 2);
    if (fault.kind == Fault::Kind::rewrite && fault.rewrite) {
        nlohmann::json parsed = nlohmann::json::parse(answer, nullptr, false);
        if (!parsed.is_discarded()) {
            fault.rewrite(parsed);
            answer = parsed.dump();
        }
    }
    respond(fd, 200, answer);
}

}  // namespace vigil::testing
