// WsHeadSubscriber on websocketpp's asio transports (plain and OpenSSL). Compiled as
// C++17 with standalone asio; see chains/rpc/ws_client.h.
//
// All connection state lives on the I/O thread: handlers, timers and the reconnect
// logic run there one at a time, so only the published status needs a lock.
#include "chains/rpc/ws_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>
#include <websocketpp/uri.hpp>

namespace vigil::rpc {
namespace {

using Json = nlohmann::json;
using State = WsHeadSubscriberStatus::State;

// JSON nesting a JSON-RPC notification needs (message / params / result / field).
constexpr size_t kMaxJsonDepth = 16;
// How long a closing handshake may take before the socket is simply dropped.
constexpr long kCloseHandshakeMs = 1000;
// How long the destructor waits for a graceful close before stopping the I/O loop.
constexpr auto kShutdownGrace = std::chrono::milliseconds(500);

// Deepest bracket nesting of a JSON text, strings skipped; stops counting at `limit`+1.
size_t json_depth(const std::string& text, size_t limit) {
    size_t depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"')
            in_string = true;
        else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > limit) return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A JSON-RPC quantity: "0x" + 1..16 hex digits (leading zeros tolerated up to that size).
bool parse_quantity(const Json& v, uint64_t& out) {
    if (v.is_number_unsigned()) {
        out = v.get<uint64_t>();
        return true;
    }
    if (!v.is_string()) return false;
    const std::string& s = v.get_ref<const std::string&>();
    if (s.size() < 3 || s.size() > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
    uint64_t n = 0;
    for (size_t i = 2; i < s.size(); ++i) {
        int d = hex_digit(s[i]);
        if (d < 0) return false;
        n = n << 4 | static_cast<uint64_t>(d);
    }
    out = n;
    return true;
}

// A 32-byte hash as "0x" + 64 hex digits; returned in lowercase.
bool parse_hash(const Json& v, std::string& out) {
    if (!v.is_string()) return false;
    const std::string& s = v.get_ref<const std::string&>();
    if (s.size() != 66 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
    std::string lower = "0x";
    for (size_t i = 2; i < s.size(); ++i) {
        if (hex_digit(s[i]) < 0) return false;
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    }
    out = std::move(lower);
    return true;
}

// Parses a message, bounded in depth; a discarded value when it is not JSON.
Json parse_json(const std::string& message, std::string& error) {
    if (json_depth(message, kMaxJsonDepth) > kMaxJsonDepth) {
        error = "message nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
        return Json(Json::value_t::discarded);
    }
    Json j = Json::parse(message, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) error = "message is not JSON";
    return j;
}

bool head_from_notification(const Json& j, const std::string& subscription_id, NewHead& head,
                            std::string& error) {
    if (!j.is_object()) {
        error = "message is not a JSON object";
        return false;
    }
    auto method = j.find("method");
    if (method == j.end()) return false;  // an answer, not a notification
    if (!method->is_string() || method->get_ref<const std::string&>() != "eth_subscription") {
        error = "unexpected notification method";
        return false;
    }
    auto params = j.find("params");
    if (params == j.end() || !params->is_object()) {
        error = "eth_subscription without a params object";
        return false;
    }
    auto sub = params->find("subscription");
    if (sub == params->end() || !sub->is_string()) {
        error = "eth_subscription without a subscription id";
        return false;
    }
    if (sub->get_ref<const std::string&>() != subscription_id) {
        error = "notification for an unknown subscription";
        return false;
    }
    auto result = params->find("result");
    if (result == params->end() || !result->is_object()) {
        error = "newHeads notification without a result object";
        return false;
    }
    auto number = result->find("number");
    if (number == result->end() || !parse_quantity(*number, head.number)) {
        error = "newHeads notification: bad or missing 'number'";
        return false;
    }
    auto hash = result->find("hash");
    if (hash == result->end() || !parse_hash(*hash, head.hash)) {
        error = "newHeads notification: bad or missing 'hash'";
        return false;
    }
    head.parent_hash.clear();
    auto parent = result->find("parentHash");
    if (parent != result->end() && !parse_hash(*parent, head.parent_hash)) {
        error = "newHeads notification: bad 'parentHash'";
        return false;
    }
    return true;
}

// What the implementation on either transport shares with the public object.
struct Shared {
    WsHeadSubscriberOptions options;
    WsHeadSubscriber::Callbacks callbacks;
    mutable std::mutex mu;
    WsHeadSubscriberStatus status;
    // Why the peer's certificate was refused, set by the TLS verify callback during a
    // handshake (the handshake error itself only says that it failed). I/O thread only.
    std::string tls_refusal;
};

// The connection logic, written once for both websocketpp configs.
class Session {
  public:
    virtual ~Session() = default;
    // Runs the I/O loop on the calling thread until shutdown.
    virtual void run() = 0;
    // From another thread: close gracefully and let run() return.
    virtual void request_shutdown() = 0;
    // From another thread: stop the I/O loop now.
    virtual void force_stop() = 0;
};

template <class Config>
class ClientSession final : public Session {
    using Client = websocketpp::client<Config>;
    using ConnectionPtr = typename Client::connection_ptr;
    using MessagePtr = typename Client::message_ptr;
    using TimerPtr = typename Client::timer_ptr;

  public:
    explicit ClientSession(Shared& shared) : shared_(shared), rng_(std::random_device{}()) {}

    // Sets up the endpoint; false with `error` when asio cannot be initialised.
    bool init(std::string& error) {
        const auto& o = shared_.options;
        client_.clear_access_channels(websocketpp::log::alevel::all);
        client_.clear_error_channels(websocketpp::log::elevel::all);
        websocketpp::lib::error_code ec;
        client_.init_asio(ec);
        if (ec) {
            error = "websocket: cannot initialise asio: " + ec.message();
            return false;
        }
        client_.start_perpetual();
        client_.set_max_message_size(o.max_message_bytes);
        client_.set_open_handshake_timeout(static_cast<long>(o.connect_timeout.count()));
        client_.set_close_handshake_timeout(kCloseHandshakeMs);
        client_.set_pong_timeout(static_cast<long>(o.pong_timeout.count()));
        return true;
    }

    Client& client() { return client_; }

    void run() override {
        asio_post([this] { connect(); });
        for (;;) {
            try {
                client_.run();
                return;
            } catch (const std::exception& e) {
                // A handler threw (websocketpp, or a callback): record it and keep going.
                note_error(std::string("websocket: unexpected exception: ") + e.what());
            } catch (...) {
                note_error("websocket: unexpected exception");
            }
        }
    }

    void request_shutdown() override {
        asio_post([this] {
            stopping_ = true;
            cancel_timers();
            set_state(State::stopped);
            if (auto con = current()) {
                websocketpp::lib::error_code ec;
                if (con->get_state() == websocketpp::session::state::open) {
                    con->close(websocketpp::close::status::going_away, "shutting down", ec);
                } else {
                    con->terminate(ec);
                }
            }
            client_.stop_perpetual();
        });
    }

    void force_stop() override { client_.stop(); }

  private:
    template <class F>
    void asio_post(F f) {
        websocketpp::lib::asio::post(client_.get_io_service(), std::move(f));
    }

    ConnectionPtr current() {
        if (hdl_.expired()) return nullptr;
        websocketpp::lib::error_code ec;
        ConnectionPtr con = client_.get_con_from_hdl(hdl_, ec);
        return ec ? nullptr : con;
    }

    bool is_current(websocketpp::connection_hdl hdl) const {
        return !hdl.owner_before(hdl_) && !hdl_.owner_before(hdl) && !hdl.expired();
    }

    void connect() {
        if (stopping_) return;
        websocketpp::lib::error_code ec;
        ConnectionPtr con = client_.get_connection(shared_.options.url, ec);
        if (ec) {
            connection_lost("websocket: cannot create a connection: " + ec.message());
            return;
        }
        con->set_open_handler([this](websocketpp::connection_hdl h) { on_open(h); });
        con->set_fail_handler([this](websocketpp::connection_hdl h) { on_fail(h); });
        con->set_close_handler([this](websocketpp::connection_hdl h) { on_close(h); });
        con->set_message_handler(
            [this](websocketpp::connection_hdl h, MessagePtr m) { on_message(h, m); });
        con->set_pong_handler([this](websocketpp::connection_hdl h, std::string) {
            // Unsolicited pongs (RFC 6455 5.5.3) do not start a second ping chain.
            if (!is_current(h) || stopping_ || !awaiting_pong_) return;
            awaiting_pong_ = false;
            schedule_ping(h);
        });
        con->set_pong_timeout_handler(
            [this](websocketpp::connection_hdl h, std::string) { on_pong_timeout(h); });
        hdl_ = con->get_handle();
        subscription_id_.clear();
        awaiting_pong_ = false;
        shared_.tls_refusal.clear();
        set_state(State::connecting);
        client_.connect(con);
    }

    void on_open(websocketpp::connection_hdl hdl) {
        if (!is_current(hdl) || stopping_) return;
        {
            std::lock_guard<std::mutex> lock(shared_.mu);
            if (shared_.status.connects++ > 0) shared_.status.reconnects++;
        }
        // Ids are per connection; the subscription is always request 1.
        const std::string request =
            R"({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]})";
        websocketpp::lib::error_code ec;
        client_.send(hdl, request, websocketpp::frame::opcode::text, ec);
        if (ec) {
            drop("websocket: cannot send eth_subscribe: " + ec.message());
            return;
        }
        set_state(State::subscribing);
        subscribe_timer_ = client_.set_timer(
            static_cast<long>(shared_.options.subscribe_timeout.count()),
            [this, hdl](const websocketpp::lib::error_code& tec) {
                if (tec || !is_current(hdl) || !subscription_id_.empty()) return;
                drop("websocket: no answer to eth_subscribe within " +
                     std::to_string(shared_.options.subscribe_timeout.count()) + " ms");
            });
        schedule_ping(hdl);
    }

    // The next ping goes out ping_interval after the last pong (websocketpp keeps one
    // pong timer per connection and a new ping would restart it, so pings must not
    // overlap); a missing pong ends in on_pong_timeout.
    void schedule_ping(websocketpp::connection_hdl hdl) {
        ping_timer_ = client_.set_timer(static_cast<long>(shared_.options.ping_interval.count()),
                                        [this, hdl](const websocketpp::lib::error_code& tec) {
                                            if (tec || !is_current(hdl) || stopping_) return;
                                            websocketpp::lib::error_code ec;
                                            awaiting_pong_ = true;
                                            client_.ping(hdl, "", ec);
                                            if (ec) {
                                                drop("websocket: ping failed: " + ec.message());
                                            }
                                        });
    }

    void on_message(websocketpp::connection_hdl hdl, MessagePtr msg) {
        if (!is_current(hdl) || stopping_) return;
        if (msg->get_opcode() != websocketpp::frame::opcode::text) {
            malformed("websocket: unexpected binary message");
            return;
        }
        std::string error;
        Json j = parse_json(msg->get_payload(), error);
        if (j.is_discarded()) {
            malformed("websocket: " + error);
            return;
        }
        if (j.is_object() && j.contains("id") && !j.contains("method")) {
            on_answer(j);
            return;
        }
        NewHead head;
        if (!head_from_notification(j, subscription_id_, head, error)) {
            malformed("websocket: " + (error.empty() ? std::string("unexpected message") : error));
            return;
        }
        {
            std::lock_guard<std::mutex> lock(shared_.mu);
            shared_.status.heads++;
            shared_.status.last_head = head.number;
        }
        try {
            shared_.callbacks.on_head(head);
        } catch (...) {
            note_error("websocket: the head callback threw");
        }
    }

    // An answer to one of our requests: only eth_subscribe (id 1) is ever sent.
    void on_answer(const Json& j) {
        const Json& id = j["id"];
        if (!id.is_number_integer() || id.get<int64_t>() != 1) {
            malformed("websocket: answer with an unknown id");
            return;
        }
        auto error = j.find("error");
        if (error != j.end()) {
            std::string text = "websocket: eth_subscribe failed";
            if (error->is_object()) {
                auto code = error->find("code");
                auto message = error->find("message");
                if (code != error->end() && code->is_number_integer())
                    text += " (" + std::to_string(code->get<int64_t>()) + ")";
                if (message != error->end() && message->is_string())
                    text += ": " + message->get<std::string>().substr(0, 200);
            }
            drop(text);
            return;
        }
        auto result = j.find("result");
        if (!subscription_id_.empty() || result == j.end() || !result->is_string() ||
            result->get_ref<const std::string&>().empty() ||
            result->get_ref<const std::string&>().size() > 130) {
            malformed("websocket: unexpected answer to eth_subscribe");
            return;
        }
        subscription_id_ = result->get<std::string>();
        if (subscribe_timer_) subscribe_timer_->cancel();
        attempt_ = 0;  // a working subscription resets the backoff
        {
            std::lock_guard<std::mutex> lock(shared_.mu);
            shared_.status.subscriptions++;
            shared_.status.subscription_id = subscription_id_;
        }
        set_state(State::subscribed);
    }

    void on_fail(websocketpp::connection_hdl hdl) {
        if (!is_current(hdl)) return;
        std::string why = "websocket: connection failed";
        if (ConnectionPtr con = current()) {
            why += ": " + con->get_ec().message();
            auto tec = con->get_transport_ec();
            if (tec && tec.message() != con->get_ec().message()) why += " (" + tec.message() + ")";
            if (con->get_response_code() != 0 && con->get_response_code() != 101)
                why += " (HTTP " + std::to_string(static_cast<int>(con->get_response_code())) + ")";
        }
        if (!shared_.tls_refusal.empty()) why += ": " + shared_.tls_refusal;
        hdl_.reset();
        connection_lost(why);
    }

    void on_close(websocketpp::connection_hdl hdl) {
        if (!is_current(hdl)) return;
        std::string why = "websocket: connection closed";
        if (ConnectionPtr con = current()) {
            if (con->get_remote_close_code() != websocketpp::close::status::no_status) {
                why += " by the peer (" + std::to_string(con->get_remote_close_code()) + " " +
                       con->get_remote_close_reason().substr(0, 200) + ")";
            } else if (con->get_local_close_code() != websocketpp::close::status::no_status) {
                why += " (" + std::to_string(con->get_local_close_code()) + " " +
                       con->get_local_close_reason().substr(0, 200) + ")";
            }
            if (con->get_ec()) why += ": " + con->get_ec().message();
        }
        hdl_.reset();
        connection_lost(why);
    }

    void on_pong_timeout(websocketpp::connection_hdl hdl) {
        if (!is_current(hdl)) return;
        drop("websocket: no pong within " + std::to_string(shared_.options.pong_timeout.count()) +
             " ms");
    }

    // Gives up on the current connection; the close/fail handler then reconnects.
    // A peer that does not answer the close is dropped after kCloseHandshakeMs.
    void drop(const std::string& why) {
        drop_reason_ = why;
        ConnectionPtr con = current();
        if (!con) {
            connection_lost(why);
            return;
        }
        websocketpp::lib::error_code ec;
        if (con->get_state() == websocketpp::session::state::open) {
            con->close(websocketpp::close::status::policy_violation, why.substr(0, 120), ec);
        }
        if (ec || con->get_state() != websocketpp::session::state::closing) con->terminate(ec);
    }

    // Counts one failure per connection or attempt; the reason is the one drop() gave,
    // if it dropped the connection, since the close that follows only echoes it.
    void connection_lost(const std::string& why) {
        cancel_timers();
        subscription_id_.clear();
        {
            std::lock_guard<std::mutex> lock(shared_.mu);
            shared_.status.subscription_id.clear();
            if (!stopping_) {
                shared_.status.failures++;
                shared_.status.last_error = drop_reason_.empty() ? why : drop_reason_;
            }
        }
        drop_reason_.clear();
        if (stopping_) return;
        set_state(State::waiting);
        reconnect_timer_ = client_.set_timer(static_cast<long>(backoff().count()),
                                             [this](const websocketpp::lib::error_code& ec) {
                                                 if (!ec) connect();
                                             });
    }

    // Equal jitter: half the exponential delay, plus up to the other half at random, so
    // that many clients cut at once do not come back at once.
    std::chrono::milliseconds backoff() {
        const auto& o = shared_.options;
        uint64_t delay = static_cast<uint64_t>(o.backoff_base.count());
        for (uint32_t i = 0; i < attempt_ && delay < static_cast<uint64_t>(o.backoff_max.count());
             ++i)
            delay *= 2;
        delay = std::min<uint64_t>(delay, static_cast<uint64_t>(o.backoff_max.count()));
        ++attempt_;
        std::uniform_int_distribution<uint64_t> jitter(0, delay / 2);
        return std::chrono::milliseconds(delay - delay / 2 + jitter(rng_));
    }

    void cancel_timers() {
        for (TimerPtr* t : {&subscribe_timer_, &ping_timer_, &reconnect_timer_}) {
            if (*t) (*t)->cancel();
            t->reset();
        }
    }

    void malformed(const std::string& why) {
        std::lock_guard<std::mutex> lock(shared_.mu);
        shared_.status.malformed++;
        shared_.status.last_error = why;
    }

    void note_error(const std::string& why) {
        std::lock_guard<std::mutex> lock(shared_.mu);
        shared_.status.last_error = why;
    }

    void set_state(State s) {
        WsHeadSubscriberStatus copy;
        {
            std::lock_guard<std::mutex> lock(shared_.mu);
            if (shared_.status.state == s) return;
            shared_.status.state = s;
            copy = shared_.status;
        }
        if (!shared_.callbacks.on_state) return;
        try {
            shared_.callbacks.on_state(copy);
        } catch (...) {
            note_error("websocket: the state callback threw");
        }
    }

    Shared& shared_;
    Client client_;
    websocketpp::connection_hdl hdl_;
    std::string subscription_id_;  // empty until eth_subscribe is answered
    std::string drop_reason_;      // why drop() closed the current connection
    bool awaiting_pong_ = false;   // a ping is out
    TimerPtr subscribe_timer_, ping_timer_, reconnect_timer_;
    uint32_t attempt_ = 0;
    bool stopping_ = false;
    std::mt19937_64 rng_;
};

using PlainSession = ClientSession<websocketpp::config::asio_client>;
using TlsSession = ClientSession<websocketpp::config::asio_tls_client>;

// The TLS context of one connection: TLS 1.2+, system trust store (plus ca_file), and
// peer verification with the host name of the URL.
std::shared_ptr<websocketpp::lib::asio::ssl::context> make_tls_context(
    const WsHeadSubscriberOptions& o, const std::string& host, std::string* refusal) {
    namespace ssl = websocketpp::lib::asio::ssl;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    websocketpp::lib::asio::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                     ec);
    if (o.verify_peer) {
        ctx->set_default_verify_paths(ec);
        if (!o.ca_file.empty()) ctx->load_verify_file(o.ca_file, ec);
        ctx->set_verify_mode(ssl::verify_peer, ec);
        ctx->set_verify_callback(
            [host, refusal](bool preverified, ssl::verify_context& vc) {
                if (ssl::host_name_verification(host)(preverified, vc)) return true;
                if (!preverified) {
                    const int err = X509_STORE_CTX_get_error(vc.native_handle());
                    *refusal = std::string("certificate verify failed: ") +
                               X509_verify_cert_error_string(err);
                } else {
                    *refusal =
                        "certificate verify failed: the certificate does not name host " + host;
                }
                return false;
            },
            ec);
    } else {
        ctx->set_verify_mode(ssl::verify_none, ec);
    }
    return ctx;
}

}  // namespace

const char* to_string(WsHeadSubscriberStatus::State state) {
    switch (state) {
        case State::connecting:
            return "connecting";
        case State::subscribing:
            return "subscribing";
        case State::subscribed:
            return "subscribed";
        case State::waiting:
            return "waiting";
        case State::stopped:
            return "stopped";
    }
    return "unknown";
}

bool parse_new_head_notification(const std::string& message, const std::string& subscription_id,
                                 NewHead& head, std::string& error) {
    error.clear();
    Json j = parse_json(message, error);
    if (j.is_discarded()) return false;
    return head_from_notification(j, subscription_id, head, error);
}

struct WsHeadSubscriber::Impl {
    Shared shared;
    std::unique_ptr<Session> session;
    std::thread io;
    std::promise<void> io_done;
};

WsHeadSubscriber::WsHeadSubscriber(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<WsHeadSubscriber> WsHeadSubscriber::start(WsHeadSubscriberOptions options,
                                                          Callbacks callbacks, std::string& error) {
    const std::string where =
        "websocket" + (options.chain.empty() ? std::string() : " (" + options.chain + ")");
    if (!callbacks.on_head) {
        error = where + ": no head callback";
        return nullptr;
    }
    if (options.max_message_bytes < 1024) {
        error = where + ": max_message_bytes must be at least 1024";
        return nullptr;
    }
    if (options.backoff_base.count() <= 0 || options.backoff_max < options.backoff_base ||
        options.connect_timeout.count() <= 0 || options.subscribe_timeout.count() <= 0 ||
        options.ping_interval.count() <= 0 || options.pong_timeout.count() <= 0) {
        error = where + ": timeouts and backoff must be positive (and backoff_max >= backoff_base)";
        return nullptr;
    }
    websocketpp::uri uri(options.url);
    if (!uri.get_valid() || (uri.get_scheme() != "ws" && uri.get_scheme() != "wss") ||
        uri.get_host().empty()) {
        error = where + ": not a ws:// or wss:// URL";
        return nullptr;
    }
    auto impl = std::make_unique<Impl>();
    impl->shared.options = std::move(options);
    impl->shared.callbacks = std::move(callbacks);
    if (uri.get_secure()) {
        auto session = std::make_unique<TlsSession>(impl->shared);
        if (!session->init(error)) return nullptr;
        Shared* shared = &impl->shared;
        const std::string host = uri.get_host();
        session->client().set_tls_init_handler([shared, host](websocketpp::connection_hdl) {
            return make_tls_context(shared->options, host, &shared->tls_refusal);
        });
        impl->session = std::move(session);
    } else {
        auto session = std::make_unique<PlainSession>(impl->shared);
        if (!session->init(error)) return nullptr;
        impl->session = std::move(session);
    }
    Impl* raw = impl.get();
    raw->io = std::thread([raw] {
        raw->session->run();
        raw->io_done.set_value();
    });
    return std::unique_ptr<WsHeadSubscriber>(new WsHeadSubscriber(std::move(impl)));
}

WsHeadSubscriber::~WsHeadSubscriber() {
    if (!impl_) return;
    impl_->session->request_shutdown();
    if (impl_->io_done.get_future().wait_for(kShutdownGrace) != std::future_status::ready)
        impl_->session->force_stop();
    impl_->io.join();
}

WsHeadSubscriberStatus WsHeadSubscriber::status() const {
    std::lock_guard<std::mutex> lock(impl_->shared.mu);
    return impl_->shared.status;
}

}  // namespace vigil::rpc
