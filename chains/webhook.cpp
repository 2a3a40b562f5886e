#include "chains/webhook.h"

#include <curl/curl.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>

#include "chains/rpc/http_client.h"
#include "core/version.h"

namespace vigil::chains {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kPendingPrefix = "pending/";
constexpr std::string_view kFailedPrefix = "failed/";
constexpr std::string_view kHighSeqKey = "high_seq";
// How long the delivery thread waits after the store failed it.
constexpr std::chrono::milliseconds kStoreRetry{1000};
// How much of a receiver's answer is kept (in the failed record; never logged).
constexpr size_t kMaxResponseBytes = 4096;

int64_t now_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// 20 digits hold any uint64, so the keys sort numerically.
std::string seq_text(uint64_t seq) {
    char buf[21];
    std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(seq));
    return buf;
}

std::optional<uint64_t> parse_seq(std::string_view text) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
}

// JSON text of `j`; invalid UTF-8 in strings becomes U+FFFD instead of an exception.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

void global_curl_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t keep_some(char* ptr, size_t size, size_t nmemb, void* user) {
    auto* out = static_cast<std::string*>(user);
    const size_t n = size * nmemb;
    if (out->size() < kMaxResponseBytes)
        out->append(ptr, std::min(n, kMaxResponseBytes - out->size()));
    return n;  // the rest is read and dropped: a long answer is not a transport error
}

int abort_if_stopping(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

struct PostResult {
    enum class Outcome { delivered, retry, permanent, aborted };
    Outcome outcome = Outcome::retry;
    std::string reason;  // for logs and the failed record: never the URL
    std::string response;
};

// One POST. `abort` set makes curl give up within about a second (its progress callback).
PostResult post_alarm(CURL* curl, const std::string& url, const std::string& body,
                      const std::string& idempotency_key, std::chrono::milliseconds timeout,
                      const std::atomic<bool>& abort);

WebhookOptions normalized(WebhookOptions o) {
    if (!o.clock) o.clock = [] { return std::chrono::system_clock::now(); };
    o.idle_poll = std::max(o.idle_poll, std::chrono::milliseconds(10));  // never a busy loop
    return o;
}

}  // namespace

struct WebhookOutbox::Alarm {
    uint64_t seq = 0;
    std::string key;     // pending/<seq>
    std::string suffix;  // <seq>, as in the key
    std::string record;  // as stored
    std::string url;
    std::string body;
};

WebhookOutbox::WebhookOutbox(core::Store& store, std::string ns, WebhookOptions options,
                             core::Logger log, std::shared_ptr<prometheus::Registry> registry)
    : store_(store),
      ns_(std::move(ns)),
      store_ns_("webhook/" + ns_),
      options_(normalized(std::move(options))),
      log_(log.with("webhook")),
      registry_(std::move(registry)),
      rng_state_(
          static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1) {
    global_curl_init();
    if (registry_) {
        try {
            auto& deliveries = prometheus::BuildCounter()
                                   .Name("vigil_webhook_deliveries_total")
                                   .Help(
                                       "Webhook alarm POSTs by outcome: ok (delivered), retry "
                                       "(will be sent again), failed (kept for the operator).")
                                   .Register(*registry_);
            delivered_ok_ = &deliveries.Add({{"outbox", ns_}, {"result", "ok"}});
            delivered_retry_ = &deliveries.Add({{"outbox", ns_}, {"result", "retry"}});
            delivered_failed_ = &deliveries.Add({{"outbox", ns_}, {"result", "failed"}});
            pending_gauge_ = &prometheus::BuildGauge()
                                  .Name("vigil_webhook_pending")
                                  .Help("Webhook alarms committed and not yet delivered or failed.")
                                  .Register(*registry_)
                                  .Add({{"outbox", ns_}});
        } catch (const std::exception& e) {
            // A registry that refuses the families (one built with InsertBehavior::Throw
            // that already has them) costs the metrics, not the alarms.
            log_.error("webhook metrics not registered", {{"outbox", ns_}, {"error", e.what()}});
            delivered_ok_ = delivered_retry_ = delivered_failed_ = nullptr;
            pending_gauge_ = nullptr;
        }
    }

    // The next sequence: above every one this store has held, and not below the wall
    // clock's microseconds (see the header: ids stay unique across a replaced store).
    uint64_t highest = 0;
    size_t pending_count = 0;
    for (std::string_view prefix : {kPendingPrefix, kFailedPrefix}) {
        Status s = store_.scan(store_ns_, prefix, [&](std::string_view key, std::string_view) {
            if (auto seq = parse_seq(key.substr(prefix.size()))) highest = std::max(highest, *seq);
            if (prefix == kPendingPrefix) ++pending_count;
            return true;
        });
        if (!s.ok())
            log_.error("webhook outbox: cannot read the store",
                       {{"outbox", ns_}, {"error", s.error().message}});
    }
    auto high = store_.get(store_ns_, kHighSeqKey);
    if (!high.ok()) {
        log_.error("webhook outbox: cannot read the store",
                   {{"outbox", ns_}, {"error", high.error().message}});
    } else if (*high) {
        if (auto seq = parse_seq(**high)) {
            high_seq_ = *seq;
            highest = std::max(highest, *seq);
        }
    }
    const auto wall_us =
        std::chrono::duration_cast<std::chrono::microseconds>(options_.clock().time_since_epoch())
            .count();
    next_seq_ = std::max(highest + 1, static_cast<uint64_t>(std::max<int64_t>(wall_us, 1)));
    if (pending_gauge_) pending_gauge_->Set(static_cast<double>(pending_count));
}

WebhookOutbox::~WebhookOutbox() { stop(); }

std::string WebhookOutbox::stage(const std::string& url, const std::string& json_body,
                                 core::WriteBatch& batch) {
    const uint64_t seq = next_seq_.fetch_add(1);
    Json record = {{"url", url}, {"body", json_body}, {"staged_at_ms", now_ms(options_.clock())}};
    batch.put(store_ns_, std::string(kPendingPrefix) + seq_text(seq), dump(record));
    return ns_ + "-" + std::to_string(seq);
}

void WebhookOutbox::start() {
    if (worker_.joinable()) return;
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = false;
    }
    abort_post_ = false;
    worker_ = std::thread([this] { run(); });
}

void WebhookOutbox::notify() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        woken_ = true;
    }
    cv_.notify_all();
}

void WebhookOutbox::stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    abort_post_ = true;
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

size_t WebhookOutbox::count(std::string_view prefix) const {
    size_t n = 0;
    Status s = store_.scan(store_ns_, prefix, [&](std::string_view, std::string_view) {
        ++n;
        return true;
    });
    if (!s.ok()) {
        log_.error("webhook outbox: cannot read the store",
                   {{"outbox", ns_}, {"error", s.error().message}});
        return 0;
    }
    return n;
}

size_t WebhookOutbox::pending() const { return count(kPendingPrefix); }
size_t WebhookOutbox::failed() const { return count(kFailedPrefix); }

bool WebhookOutbox::wait(std::chrono::milliseconds d, bool wake_on_notify) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, d, [&] { return stopping_ || (wake_on_notify && woken_); });
    if (wake_on_notify) woken_ = false;
    return stopping_;
}

std::chrono::milliseconds WebhookOutbox::backoff(uint32_t attempt) {
    // Exponential, capped, with "equal jitter": between half and all of the step, so
    // several watchers alarming one receiver spread out, yet none retries at once.
    const auto cap = std::max(options_.max_backoff, std::chrono::milliseconds(1));
    auto step = std::min(std::max(options_.initial_backoff, std::chrono::milliseconds(1)), cap);
    for (uint32_t i = 1; i < attempt && step <= cap / 2; ++i) step *= 2;
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    const auto half = step.count() / 2;
    return std::chrono::milliseconds(step.count() - half +
                                     static_cast<int64_t>(rng_state_ % uint64_t(half + 1)));
}

void WebhookOutbox::run() {
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    uint64_t current_seq = 0;
    uint32_t attempts = 0;
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (stopping_) return;
        }
        // The oldest pending alarm, and how many there are.
        std::optional<Alarm> head;
        size_t pending_count = 0;
        Status s = store_.scan(
            store_ns_, kPendingPrefix, [&](std::string_view key, std::string_view value) {
                ++pending_count;
                if (!head) {
                    head.emplace();
                    head->key = std::string(key);
                    head->record = std::string(value);
                    head->suffix = std::string(key.substr(kPendingPrefix.size()));
                    if (auto seq = parse_seq(key.substr(kPendingPrefix.size()))) head->seq = *seq;
                }
                return true;
            });
        if (!s.ok()) {
            log_.error("webhook outbox: cannot read the store",
                       {{"outbox", ns_}, {"error", s.error().message}});
            if (wait(kStoreRetry, false)) return;
            continue;
        }
        if (pending_gauge_) pending_gauge_->Set(static_cast<double>(pending_count));
        if (!head) {
            if (wait(options_.idle_poll, true)) return;
            continue;
        }
        Alarm& alarm = *head;
        if (alarm.seq != current_seq) {
            current_seq = alarm.seq;
            attempts = 0;
        }
        const std::string id = ns_ + "-" + std::to_string(alarm.seq);
        Json record = Json::parse(alarm.record, nullptr, false);
        if (!record.is_object() || !record.contains("url") || !record["url"].is_string() ||
            !record.contains("body") || !record["body"].is_string()) {
            // Not written by stage(): nothing can be sent, and it must not block the rest.
            const std::string failed_key =
                store_ns_ + "/" + std::string(kFailedPrefix) + alarm.suffix;
            log_.error("webhook alarm unreadable in the store; moved to failed",
                       {{"outbox", ns_}, {"id", id}, {"key", failed_key}});
            if (delivered_failed_) delivered_failed_->Increment();
            const Failure corrupt{"unreadable pending record", {}};
            if (!retire(alarm, &corrupt, attempts) && wait(kStoreRetry, false)) return;
            continue;
        }
        alarm.url = record["url"].get<std::string>();
        alarm.body = record["body"].get<std::string>();

        PostResult a =
            post_alarm(curl.get(), alarm.url, alarm.body, id, options_.timeout, abort_post_);
        if (a.outcome == PostResult::Outcome::aborted) return;  // stop(): stays pending
        ++attempts;
        const std::string where = rpc::redact_url(alarm.url);
        if (a.outcome == PostResult::Outcome::delivered) {
            if (delivered_ok_) delivered_ok_->Increment();
            log_.info("webhook alarm delivered", {{"outbox", ns_},
                                                  {"id", id},
                                                  {"url", where},
                                                  {"attempts", attempts},
                                                  {"answer", a.reason}});
            // A failed delete sends the alarm again (at-least-once), after a pause.
            if (!retire(alarm, nullptr, attempts) && wait(kStoreRetry, false)) return;
            continue;
        }
        if (a.outcome == PostResult::Outcome::retry &&
            (options_.max_attempts == 0 || attempts < options_.max_attempts)) {
            if (delivered_retry_) delivered_retry_->Increment();
            const auto delay = backoff(attempts);
            log_.warn("webhook alarm not delivered; will retry", {{"outbox", ns_},
                                                                  {"id", id},
                                                                  {"url", where},
                                                                  {"attempts", attempts},
                                                                  {"error", a.reason},
                                                                  {"retry_in_ms", delay.count()}});
            if (wait(delay, false)) return;
            continue;
        }
        if (a.outcome == PostResult::Outcome::retry)
            a.reason = "gave up after " + std::to_string(attempts) + " attempts: " + a.reason;
        if (delivered_failed_) delivered_failed_->Increment();
        log_.error(
            "webhook alarm FAILED permanently; not retried, kept in the store for the "
            "operator",
            {{"outbox", ns_},
             {"id", id},
             {"url", where},
             {"attempts", attempts},
             {"error", a.reason},
             {"key", store_ns_ + "/" + std::string(kFailedPrefix) + alarm.suffix}});
        const Failure failure{a.reason, a.response};
        if (!retire(alarm, &failure, attempts) && wait(kStoreRetry, false)) return;
    }
}

bool WebhookOutbox::retire(const Alarm& alarm, const Failure* failure, uint32_t attempts) {
    core::WriteBatch batch;
    batch.erase(store_ns_, alarm.key);
    if (failure) {
        Json failed = Json::parse(alarm.record, nullptr, false);
        if (!failed.is_object()) failed = Json{{"record", alarm.record}};
        failed["failed_at_ms"] = now_ms(options_.clock());
        failed["attempts"] = attempts;
        failed["reason"] = failure->reason;
        if (!failure->response.empty()) failed["response"] = failure->response;
        batch.put(store_ns_, std::string(kFailedPrefix) + alarm.suffix, dump(failed));
    }
    const uint64_t high = std::max(high_seq_, alarm.seq);
    batch.put(store_ns_, kHighSeqKey, std::to_string(high));
    Status s = store_.commit(batch);
    if (!s.ok()) {
        log_.error("webhook outbox: cannot update the store",
                   {{"outbox", ns_}, {"error", s.error().message}});
        return false;
    }
    high_seq_ = high;
    return true;
}

namespace {

PostResult post_alarm(CURL* curl, const std::string& url, const std::string& body,
                      const std::string& idempotency_key, std::chrono::milliseconds timeout,
                      const std::atomic<bool>& abort) {
    using Outcome = PostResult::Outcome;
    PostResult a;
    if (!curl) {
        a.reason = "cannot create a curl handle";
        return a;
    }
    curl_easy_reset(curl);  // keeps the connection cache
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    for (const std::string& h :
         {std::string("Content-Type: application/json"), "Idempotency-Key: " + idempotency_key,
          // Without it curl waits up to a second for "100 Continue" on
          // bodies over 1 MiB, which receivers need not send.
          std::string("Expect:")})
        headers.reset(curl_slist_append(headers.release(), h.c_str()));
    const std::string user_agent = std::string("vigil/") + core::kVersion;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_some);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a.response);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_if_stopping);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &abort);
    const CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        a.outcome = Outcome::aborted;
        a.reason = "stopped";
        return a;
    }
    if (rc != CURLE_OK) {
        // curl_easy_strerror names the kind of failure, never the URL.
        a.outcome = Outcome::retry;
        a.reason = std::string("transport: ") + curl_easy_strerror(rc);
        return a;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    a.reason = "HTTP " + std::to_string(status);
    if (status >= 200 && status < 300)
        a.outcome = Outcome::delivered;
    else if (status == 408 || status == 429 || status >= 500)
        a.outcome = Outcome::retry;
    else
        a.outcome = Outcome::permanent;
    if (status >= 300 && status < 400) a.reason += " (redirects are not followed)";
    return a;
}

}  // namespace

}  // namespace vigil::chains
