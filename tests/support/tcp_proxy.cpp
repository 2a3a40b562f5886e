#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vigil::testing {
namespace {

void send_all(int fd, const char* data, size_t size) {
    size_t off = 0;
    while (off < size) {
        ssize_t n = ::send(fd, data + off, size - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

int connect_upstream(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

std::string websocket_server_frame(const std::string& payload, uint8_t opcode) {
    std::string f;
    f += static_cast<char>(0x80 | (opcode & 0x0f));
    const uint64_t n = payload.size();
    if (n < 126) {
        f += static_cast<char>(n);
    } else if (n <= 0xffff) {
        f += static_cast<char>(126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xff);
    } else {
        f += static_cast<char>(127);
        for (int shift = 56; shift >= 0; shift -= 8) f += static_cast<char>((n >> shift) & 0xff);
    }
    return f + payload;
}

Result<std::unique_ptr<TcpProxy>> TcpProxy::start(uint16_t upstream_port) {
    std::unique_ptr<TcpProxy> proxy(new TcpProxy());
    proxy->upstream_port_ = upstream_port;
    if (::pipe2(proxy->wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0)
        return fail("tcp proxy: pipe failed");
    VIGIL_CHECK(proxy->listen_on(0));
    proxy->thread_ = std::thread([p = proxy.get()] { p->serve(); });
    return proxy;
}

Status TcpProxy::listen_on(uint16_t port) {
    // Non-blocking, so that a stale readiness report never blocks accept().
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return fail("tcp proxy: socket failed");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
        int err = errno;
        ::close(fd);
        return fail("tcp proxy: cannot listen on port " + std::to_string(port) + ": " +
                    std::strerror(err));
    }
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    std::lock_guard<std::mutex> lock(mu_);
    listen_fd_ = fd;
    port_ = ntohs(addr.sin_port);
    return {};
}

TcpProxy::~TcpProxy() {
    stopping_ = true;
    wake();
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (Pair& p : pairs_) close_pair(p);
    pairs_.clear();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    for (int fd : wake_fds_)
        if (fd >= 0) ::close(fd);
}

void TcpProxy::wake() {
    char c = 1;
    (void)!::write(wake_fds_[1], &c, 1);
}

void TcpProxy::close_pair(Pair& p) {
    // shutdown first, so the peer sees the end at once even if another fd refers to it.
    for (int* fd : {&p.client, &p.upstream}) {
        if (*fd < 0) continue;
        ::shutdown(*fd, SHUT_RDWR);
        ::close(*fd);
        *fd = -1;
    }
}

void TcpProxy::cut() {
    std::lock_guard<std::mutex> lock(mu_);
    for (Pair& p : pairs_) close_pair(p);
    pairs_.clear();
    if (listen_fd_ >= 0) {
        ::close(listen_fd_);
        listen_fd_ = -1;
    }
    wake();
}

Status TcpProxy::restore() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (listen_fd_ >= 0) return {};
    }
    VIGIL_CHECK(listen_on(port_));
    wake();
    return {};
}

void TcpProxy::stall() {
    std::lock_guard<std::mutex> lock(mu_);
    stalled_ = true;
    wake();
}

void TcpProxy::unstall() {
    std::lock_guard<std::mutex> lock(mu_);
    stalled_ = false;
    wake();
}

size_t TcpProxy::inject_to_clients(const std::string& bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (Pair& p : pairs_) {
        if (p.client < 0) continue;
        send_all(p.client, bytes.data(), bytes.size());
        ++n;
    }
    return n;
}

size_t TcpProxy::live_connections() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pairs_.size();
}

void TcpProxy::serve() {
    std::vector<char> buf(64 * 1024);
    while (!stopping_) {
        // Snapshot what to wait for; the lock is not held while polling, so cut() and
        // inject_to_clients() are never blocked for long.
        std::vector<pollfd> fds;
        fds.push_back({wake_fds_[0], POLLIN, 0});
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (listen_fd_ >= 0) fds.push_back({listen_fd_, POLLIN, 0});
            if (!stalled_) {
                for (const Pair& p : pairs_) {
                    fds.push_back({p.client, POLLIN, 0});
                    fds.push_back({p.upstream, POLLIN, 0});
                }
            }
        }
        if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) return;
        if (fds[0].revents & POLLIN) {
            char drain[64];
            while (::read(wake_fds_[0], drain, sizeof drain) > 0) {
            }
        }
        std::lock_guard<std::mutex> lock(mu_);
        // The fd set may have changed since the snapshot (cut, restore): act only on fds
        // that are still ours.
        for (size_t i = 1; i < fds.size(); ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const int fd = fds[i].fd;
            if (fd == listen_fd_) {
                int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
                if (client < 0) continue;
                ++accepted_;
                int upstream = connect_upstream(upstream_port_);
                if (upstream < 0) {
                    ::close(client);
                    continue;
                }
                pairs_.push_back({client, upstream});
                continue;
            }
            if (stalled_) continue;
            auto it = std::find_if(pairs_.begin(), pairs_.end(), [fd](const Pair& p) {
                return p.client == fd || p.upstream == fd;
            });
            if (it == pairs_.end()) continue;
            const int to = it->client == fd ? it->upstream : it->client;
            ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (n <= 0) {
                close_pair(*it);
                pairs_.erase(it);
                continue;
            }
            send_all(to, buf.data(), static_cast<size_t>(n));
        }
    }
}

}  // namespace vigil::testing
