// WebhookOutbox: a durable outbox of alarm POSTs (JSON over HTTP(S), libcurl).
//
// An alarm is staged in the caller's WriteBatch, so it is committed atomically with the
// verdict that caused it: a crash never loses the decision to alarm, and a batch that is
// dropped never sends one. A background thread delivers committed alarms one at a time
// in the order they were staged; while the oldest is being retried, the later ones wait
// (a batch that commits after a later-staged alarm has gone out is sent when it lands):
// - a 2xx answer deletes the alarm;
// - a transport error (connect, TLS, timeout), 408, 429 or 5xx is retried with
//   exponential backoff and jitter, forever unless `max_attempts` is set;
// - any other answer (another 4xx, a 3xx: redirects are not followed, since the URL a
//   POST is retried against must be the configured one) is a permanent failure: logged
//   at error level and moved under the "failed" key, where the operator finds it.
//
// Delivery is at-least-once: a crash (or stop()) between the receiver's answer and the
// delete sends the alarm again after the restart. Every POST of one alarm carries the
// same `Idempotency-Key: <ns>-<sequence>` header so that receivers can drop repeats; the
// body is sent exactly as staged. Sequence numbers never repeat for one store and
// namespace: they start above every sequence the store has held (pending, failed or
// delivered), and no lower than the wall-clock microseconds at construction, so that a
// replaced store directory does not reuse the ids of alarms delivered from the old one.
//
// Store layout (namespace "webhook/<ns>", keys zero-padded to 20 digits so that they sort
// numerically):
//   pending/<seq>  {"url", "body", "staged_at_ms"}
//   failed/<seq>   the pending record plus "failed_at_ms", "attempts", "reason" and
//                  "response" (the start of the receiver's answer)
//   high_seq       the highest sequence that has left pending/ (delivered or failed)
//
// The URL is stored as given (a webhook URL often embeds its token: the store directory
// is as sensitive as the config's secrets). It is never logged except redacted to
// scheme://host:port, and never used as a metric label.
//
// Metrics (when a registry is given): vigil_webhook_deliveries_total{outbox,result=
// "ok|retry|failed"} counts POST outcomes, vigil_webhook_pending{outbox} the alarms
// committed and not yet delivered or failed (as of the delivery thread's last look).
//
// Thread-safety: stage(), notify() and pending() may be called from any thread, also
// while the delivery thread runs; start() and stop() from the owner thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/log.h"
#include "core/store.h"

namespace prometheus {
class Counter;
class Gauge;
class Registry;
}  // namespace prometheus

namespace vigil::chains {

struct WebhookOptions {
    std::chrono::milliseconds timeout{5000};  // per POST, connect included; 0: no limit
    std::chrono::milliseconds initial_backoff{500};
    std::chrono::milliseconds max_backoff{60000};
    uint32_t max_attempts = 0;  // 0: retry forever (an alarm must not be dropped silently)
    // How often the store is looked at for alarms nobody called notify() about (>= 10 ms).
    std::chrono::milliseconds idle_poll{1000};
    // Wall clock for sequence numbers and record timestamps; empty: the system clock.
    std::function<std::chrono::system_clock::time_point()> clock;
};

class WebhookOutbox {
  public:
    // `ns` names the owner (e.g. "verifier"); two outboxes on one store must use different
    // names. `store` must outlive the outbox. `registry` may be null (no metrics).
    WebhookOutbox(core::Store& store, std::string ns, WebhookOptions options, core::Logger log,
                  std::shared_ptr<prometheus::Registry> registry);
    // Stops the delivery thread; committed alarms stay in the store for the next run.
    ~WebhookOutbox();
    WebhookOutbox(const WebhookOutbox&) = delete;
    WebhookOutbox& operator=(const WebhookOutbox&) = delete;

    // Adds one alarm (POST `json_body` to `url`) to `batch`. Nothing is sent unless the
    // batch is committed; call notify() after the commit to have it sent at once
    // (otherwise it goes out at the next idle poll). Alarms staged by one thread are delivered
    // in the order they were staged. Returns the alarm's Idempotency-Key.
    std::string stage(const std::string& url, const std::string& json_body,
                      core::WriteBatch& batch);

    // Starts the delivery thread, which first delivers what a previous run left. Calling
    // it again while running does nothing.
    void start();
    // Something was committed: the delivery thread looks now, not at its next idle poll.
    // It does not cut a retry backoff short.
    void notify();
    // Stops the delivery thread promptly, also mid-backoff or mid-POST (an interrupted
    // alarm stays pending and is sent again by the next start()).
    void stop();

    // Alarms committed and neither delivered nor failed yet, counted in the store.
    // 0 if the store cannot be read (the error is logged).
    size_t pending() const;
    // Alarms that failed permanently and wait under failed/ for the operator.
    size_t failed() const;

  private:
    struct Alarm;
    struct Failure {
        std::string reason;    // never the URL
        std::string response;  // the start of the receiver's answer, if any
    };

    void run();
    // Moves the alarm out of pending/: deleted after delivery (`failure` null), else kept
    // under failed/. False (logged) if the store refused.
    bool retire(const Alarm& alarm, const Failure* failure, uint32_t attempts);
    std::chrono::milliseconds backoff(uint32_t attempt);
    // Waits up to `d`; true if stop() was called. With `wake_on_notify`, a notify() ends
    // the wait too.
    bool wait(std::chrono::milliseconds d, bool wake_on_notify);
    size_t count(std::string_view prefix) const;

    core::Store& store_;
    const std::string ns_;
    const std::string store_ns_;
    const WebhookOptions options_;
    const core::Logger log_;
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Counter* delivered_ok_ = nullptr;
    prometheus::Counter* delivered_retry_ = nullptr;
    prometheus::Counter* delivered_failed_ = nullptr;
    prometheus::Gauge* pending_gauge_ = nullptr;

    std::atomic<uint64_t> next_seq_;
    uint64_t high_seq_ = 0;  // delivery thread only, after start()
    uint64_t rng_state_;     // delivery thread only (backoff jitter)

    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;  // under mu_
    bool woken_ = false;     // under mu_
    std::atomic<bool> abort_post_{false};
    std::thread worker_;
};

}  // namespace vigil::chains
