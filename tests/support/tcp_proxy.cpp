#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
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

// Waits until `fd` is ready for what OpenSSL asked (bounded), for a TLS write on a
// non-blocking socket.
bool wait_ssl(int fd, int ssl_error) {
    pollfd p{fd, static_cast<short>(ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
    return ::poll(&p, 1, 1000) > 0;
}

std::string pem_of(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(n));
}

}  // namespace

Result<TlsIdentity> self_signed_identity(const std::vector<std::string>& dns_names) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    if (!key) return fail("tls identity: key generation failed");
    X509* cert = X509_new();
    BIO* cert_bio = BIO_new(BIO_s_mem());
    BIO* key_bio = BIO_new(BIO_s_mem());
    bool ok = cert && cert_bio && key_bio;
    if (ok) {
        X509_set_version(cert, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), -60);
        X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
        X509_set_pubkey(cert, key);
        X509_NAME* name = X509_get_subject_name(cert);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("vigil test"), -1, -1, 0);
        X509_set_issuer_name(cert, name);
        std::string san;
        for (const auto& d : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
        for (auto [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                                  {NID_basic_constraints, "critical,CA:TRUE"},
                                  {NID_key_usage, "critical,digitalSignature,keyCertSign"}}) {
            X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
            ok = ok && ext && X509_add_ext(cert, ext, -1) == 1;
            X509_EXTENSION_free(ext);
        }
        ok = ok && X509_sign(cert, key, EVP_sha256()) > 0 &&
             PEM_write_bio_X509(cert_bio, cert) == 1 &&
             PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    }
    TlsIdentity id;
    if (ok) {
        id.cert_pem = pem_of(cert_bio);
        id.key_pem = pem_of(key_bio);
    }
    BIO_free(cert_bio);
    BIO_free(key_bio);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!ok) return fail("tls identity: building the certificate failed");
    return id;
}

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

Result<std::unique_ptr<TcpProxy>> TcpProxy::start(uint16_t upstream_port,
                                                  std::optional<TlsIdentity> tls) {
    std::unique_ptr<TcpProxy> proxy(new TcpProxy());
    proxy->upstream_port_ = upstream_port;
    if (tls) {
        SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
        if (!ctx) return fail("tcp proxy: SSL_CTX_new failed");
        proxy->tls_ctx_ = ctx;
        BIO* cert_bio =
            BIO_new_mem_buf(tls->cert_pem.data(), static_cast<int>(tls->cert_pem.size()));
        BIO* key_bio = BIO_new_mem_buf(tls->key_pem.data(), static_cast<int>(tls->key_pem.size()));
        X509* cert = cert_bio ? PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr) : nullptr;
        EVP_PKEY* key =
            key_bio ? PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr) : nullptr;
        const bool ok = cert && key && SSL_CTX_use_certificate(ctx, cert) == 1 &&
                        SSL_CTX_use_PrivateKey(ctx, key) == 1;
        X509_free(cert);
        EVP_PKEY_free(key);
        BIO_free(cert_bio);
        BIO_free(key_bio);
        if (!ok) return fail("tcp proxy: cannot load the TLS certificate or key");
    }
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
    SSL_CTX_free(static_cast<SSL_CTX*>(tls_ctx_));
}

void TcpProxy::wake() {
    char c = 1;
    (void)!::write(wake_fds_[1], &c, 1);
}

void TcpProxy::close_pair(Pair& p) {
    SSL_free(static_cast<SSL*>(p.ssl));
    p.ssl = nullptr;
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
        if (p.client < 0 || p.handshaking) continue;
        to_client(p, bytes.data(), bytes.size());
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
                Pair p{client, upstream, nullptr, false};
                if (tls_ctx_) {
                    // Non-blocking, so that a slow handshake never holds up the loop.
                    ::fcntl(client, F_SETFL, ::fcntl(client, F_GETFL) | O_NONBLOCK);
                    SSL* ssl = SSL_new(static_cast<SSL_CTX*>(tls_ctx_));
                    if (!ssl) {
                        close_pair(p);
                        continue;
                    }
                    SSL_set_fd(ssl, client);
                    p.ssl = ssl;
                    p.handshaking = true;
                }
                pairs_.push_back(p);
                continue;
            }
            if (stalled_) continue;
            auto it = std::find_if(pairs_.begin(), pairs_.end(), [fd](const Pair& p) {
                return p.client == fd || p.upstream == fd;
            });
            if (it == pairs_.end()) continue;
            if (fd == it->client) {
                if (!from_client(*it, buf.data(), buf.size())) {
                    close_pair(*it);
                    pairs_.erase(it);
                }
                continue;
            }
            ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (n <= 0) {
                close_pair(*it);
                pairs_.erase(it);
                continue;
            }
            to_client(*it, buf.data(), static_cast<size_t>(n));
        }
    }
}

}  // namespace vigil::testing

namespace vigil::testing {

bool TcpProxy::from_client(Pair& p, char* buf, size_t size) {
    if (!p.ssl) {
        ssize_t n = ::recv(p.client, buf, size, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
        if (n <= 0) return false;
        send_all(p.upstream, buf, static_cast<size_t>(n));
        return true;
    }
    SSL* ssl = static_cast<SSL*>(p.ssl);
    if (p.handshaking) {
        int r = SSL_accept(ssl);
        if (r != 1) {
            int e = SSL_get_error(ssl, r);
            ERR_clear_error();
            return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
        }
        p.handshaking = false;
    }
    for (;;) {
        int n = SSL_read(ssl, buf, static_cast<int>(size));
        if (n > 0) {
            send_all(p.upstream, buf, static_cast<size_t>(n));
            continue;
        }
        int e = SSL_get_error(ssl, n);
        ERR_clear_error();
        return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
    }
}

void TcpProxy::to_client(Pair& p, const char* data, size_t size) {
    if (!p.ssl) {
        send_all(p.client, data, size);
        return;
    }
    if (p.handshaking) return;
    SSL* ssl = static_cast<SSL*>(p.ssl);
    size_t off = 0;
    while (off < size) {
        int n = SSL_write(ssl, data + off, static_cast<int>(size - off));
        if (n > 0) {
            off += static_cast<size_t>(n);
            continue;
        }
        int e = SSL_get_error(ssl, n);
        ERR_clear_error();
        if ((e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) || !wait_ssl(p.client, e))
            return;
    }
}

}  // namespace vigil::testing
