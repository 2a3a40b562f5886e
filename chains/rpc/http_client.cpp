#include "chains/rpc/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <thread>

namespace vigil::rpc {
namespace {

// Appends `j` as JSON text. Requests carry long hex strings (calldata, raw transactions):
// a string that needs no escaping is copied as is, instead of nlohmann's character-by-
// character escaping, which cost more than the rest of a relayer round.
void append_json(std::string& out, const Json& j) {
    switch (j.type()) {
        case Json::value_t::string: {
            const std::string& text = j.get_ref<const std::string&>();
            const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
                const auto u = static_cast<unsigned char>(c);
                return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
            });
            if (!plain) {
                out += j.dump();
                return;
            }
            // No exact reserve here: a batch appends many of these to one body, and exact
            // reservations would reallocate (and copy the whole body) on every one.
            out += '"';
            out += text;
            out += '"';
            return;
        }
        case Json::value_t::array: {
            out += '[';
            bool first = true;
            for (const Json& item : j) {
                if (!first) out += ',';
                first = false;
                append_json(out, item);
            }
            out += ']';
            return;
        }
        case Json::value_t::object: {
            out += '{';
            bool first = true;
            for (auto it = j.begin(); it != j.end(); ++it) {
                if (!first) out += ',';
                first = false;
                append_json(out, Json(it.key()));
                out += ':';
                append_json(out, it.value());
            }
            out += '}';
            return;
        }
        default:
            out += j.dump();
    }
}

// One JSON-RPC request object.
void append_request(std::string& out, uint64_t id, const std::string& method, const Json& params) {
    out += R"({"jsonrpc":"2.0","id":)";
    out += std::to_string(id);
    out += R"(,"method":)";
    append_json(out, Json(method));
    out += R"(,"params":)";
    append_json(out, params);
    out += '}';
}

std::string request_body(uint64_t id, const std::string& method, const Json& params) {
    std::string out;
    append_request(out, id, method, params);
    return out;
}

using SteadyClock = std::chrono::steady_clock;

void global_curl_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct ResponseBuffer {
    std::string data;
    size_t limit;
    bool overflow = false;
};

size_t on_body(char* ptr, size_t size, size_t nmemb, void* user) {
    auto* buf = static_cast<ResponseBuffer*>(user);
    const size_t n = size * nmemb;
    if (buf->data.size() + n > buf->limit) {
        buf->overflow = true;
        return 0;  // makes curl abort the transfer with CURLE_WRITE_ERROR
    }
    buf->data.append(ptr, n);
    return n;
}

std::string describe_rpc_error(const Json& err) {
    std::string out = "rpc error";
    if (err.is_object()) {
        auto code = err.find("code");
        if (code != err.end() && code->is_number_integer())
            out += " " + std::to_string(code->get<int64_t>());
        auto msg = err.find("message");
        if (msg != err.end() && msg->is_string())
            out += ": " + msg->get<std::string>().substr(0, 500);
        // Revert data (e.g. a custom error's selector) is often only in `data`.
        auto data = err.find("data");
        if (data != err.end() && data->is_string())
            out += " (data " + data->get<std::string>().substr(0, 1024) + ")";
    } else {
        out += ": " + err.dump().substr(0, 200);
    }
    return out;
}

}  // namespace

// Validates one JSON-RPC response object against the id we sent.
Result<Json> take_result(Json& item, uint64_t id) {
    if (!item.is_object()) return fail("answer is not a JSON object", kMalformed);
    auto id_it = item.find("id");
    if (id_it == item.end() || !id_it->is_number_unsigned() || id_it->get<uint64_t>() != id)
        return fail("answer id does not match the request", kMalformed);
    if (auto err = item.find("error"); err != item.end() && !err->is_null())
        return fail(describe_rpc_error(*err), kRpcError);
    auto result = item.find("result");
    if (result == item.end()) return fail("answer has neither result nor error", kMalformed);
    return std::move(*result);
}

struct RpcClient::Endpoint {
    std::string url;
    std::string redacted;
    CURL* curl = nullptr;
    curl_slist* headers = nullptr;
    double tokens = 1;
    SteadyClock::time_point last_refill = SteadyClock::now();
    bool healthy = true;
    bool wrong_chain = false;       // never used again
    bool needs_chain_check = true;  // before first use and after every failure
    uint32_t consecutive_failures = 0;
    SteadyClock::time_point rest_until{};
    uint64_t requests = 0;
    uint64_t failures = 0;
    std::string last_error;

    ~Endpoint() {
        if (headers) curl_slist_free_all(headers);
        if (curl) curl_easy_cleanup(curl);
    }
};

std::string redact_url(const std::string& url) {
    size_t scheme = url.find("://");
    size_t start = scheme == std::string::npos ? 0 : scheme + 3;
    size_t end = url.find_first_of("/?#", start);
    std::string authority =
        url.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (size_t at = authority.rfind('@'); at != std::string::npos)
        authority = authority.substr(at + 1);
    return url.substr(0, start) + authority;
}

RpcClient::RpcClient(RpcClientOptions options, Sleep sleep)
    : options_(std::move(options)),
      sleep_(sleep ? std::move(sleep)
                   : Sleep([](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); })),
      rng_state_(static_cast<uint64_t>(SteadyClock::now().time_since_epoch().count()) | 1) {
    global_curl_init();
    for (const std::string& url : options_.urls) {
        auto ep = std::make_unique<Endpoint>();
        ep->url = url;
        ep->redacted = redact_url(url);
        ep->curl = curl_easy_init();
        ep->headers = curl_slist_append(nullptr, "Content-Type: application/json");
        ep->tokens = std::max(1.0, options_.requests_per_second);
        endpoints_.push_back(std::move(ep));
    }
}

RpcClient::~RpcClient() = default;

Result<std::string> RpcClient::post(Endpoint& ep, const std::string& body) {
    if (!ep.curl) return fail("cannot create a curl handle", kTransport);
    // Token bucket: at most requests_per_second per endpoint, bursts up to one second's worth.
    if (options_.requests_per_second > 0) {
        const double cap = std::max(1.0, options_.requests_per_second);
        auto now = SteadyClock::now();
        ep.tokens =
            std::min(cap, ep.tokens + std::chrono::duration<double>(now - ep.last_refill).count() *
                                          options_.requests_per_second);
        ep.last_refill = now;
        if (ep.tokens < 1) {
            auto wait =
                std::chrono::duration<double>((1 - ep.tokens) / options_.requests_per_second);
            sleep_(std::chrono::ceil<std::chrono::milliseconds>(wait));
            ep.tokens = 1;
            ep.last_refill = SteadyClock::now();
        }
        ep.tokens -= 1;
    }
    ResponseBuffer buf{{}, options_.max_response_bytes};
    CURL* c = ep.curl;
    curl_easy_setopt(c, CURLOPT_URL, ep.url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, ep.headers);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<int64_t>(options_.timeout.count(), 5000)));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    ++ep.requests;
    CURLcode rc = curl_easy_perform(c);
    if (buf.overflow)
        return fail("answer larger than " + std::to_string(options_.max_response_bytes) + " bytes",
                    kMalformed);
    if (rc != CURLE_OK)
        return fail(std::string("transport: ") + curl_easy_strerror(rc), kTransport);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status == 429) return fail("HTTP 429 (rate limited)", kRateLimited);
    if (status >= 500) return fail("HTTP " + std::to_string(status), kServerError);
    if (status != 200) return fail("HTTP " + std::to_string(status), kHttpStatus);
    return std::move(buf.data);
}

Status RpcClient::check_chain_id(Endpoint& ep) {
    if (options_.expected_chain_id == 0) {
        ep.needs_chain_check = false;
        return {};
    }
    const uint64_t id = next_id_++;
    Json req = {
        {"jsonrpc", "2.0"}, {"id", id}, {"method", "eth_chainId"}, {"params", Json::array()}};
    VIGIL_TRY(std::string raw, post(ep, req.dump()));
    Json answer = Json::parse(raw, nullptr, false);
    if (answer.is_discarded()) return fail("eth_chainId: malformed JSON", kMalformed);
    VIGIL_TRY(Json result, take_result(answer, id));
    if (!result.is_string()) return fail("eth_chainId: result is not a string", kMalformed);
    auto chain_id = eth::parse_quantity(result.get<std::string>());
    if (!chain_id) return fail("eth_chainId: " + chain_id.error().message, kMalformed);
    if (*chain_id != options_.expected_chain_id) {
        ep.wrong_chain = true;
        return fail("chain " + options_.chain + ": endpoint " + ep.redacted + " serves chain id " +
                        std::to_string(*chain_id) + ", the config says " +
                        std::to_string(options_.expected_chain_id),
                    kWrongChain);
    }
    ep.needs_chain_check = false;
    return {};
}

Status RpcClient::connect() {
    if (endpoints_.empty())
        return fail("chain " + options_.chain + ": no RPC endpoint configured", kNoEndpoint);
    // Every endpoint gets a few tries (a flaky one is not a misconfiguration); a wrong
    // chain id on any of them is.
    std::string unreachable;
    size_t good = 0;
    for (auto& ep : endpoints_) {
        Status s = fail("not tried");
        for (int attempt = 0; attempt < std::max(1, options_.max_attempts); ++attempt) {
            if (attempt > 0)
                sleep_(std::min(options_.backoff_max,
                                options_.backoff_base * (1 << std::min(attempt, 10))));
            s = check_chain_id(*ep);
            if (s.ok() || s.error().code == kWrongChain) break;
        }
        if (s.ok()) {
            ep->healthy = true;
            ++good;
            continue;
        }
        if (s.error().code == kWrongChain) return s;
        mark_failed(*ep, s.error().message);
        unreachable += (unreachable.empty() ? "" : "; ") + ep->redacted + ": " + s.error().message;
    }
    if (good == 0)
        return fail(
            "chain " + options_.chain + ": no endpoint answered eth_chainId (" + unreachable + ")",
            kNoEndpoint);
    return {};
}

RpcClient::Endpoint* RpcClient::pick_endpoint() {
    const auto now = SteadyClock::now();
    Endpoint* soonest = nullptr;
    size_t soonest_index = 0;
    // Endpoints are tried in configured order: the first is preferred and is returned
    // to as soon as its rest is over.
    for (size_t i = 0; i < endpoints_.size(); ++i) {
        Endpoint& ep = *endpoints_[i];
        if (ep.wrong_chain) continue;
        if (ep.healthy || now >= ep.rest_until) {
            current_ = i;
            return &ep;
        }
        if (!soonest || ep.rest_until < soonest->rest_until) {
            soonest = &ep;
            soonest_index = i;
        }
    }
    // Every usable endpoint is resting: wait for the first to come back (bounded), rather
    // than fail a call that a short wait would let through.
    if (soonest) {
        auto wait = std::chrono::ceil<std::chrono::milliseconds>(soonest->rest_until - now);
        sleep_(std::min(wait, options_.backoff_max));
        current_ = soonest_index;
    }
    return soonest;
}

void RpcClient::mark_failed(Endpoint& ep, const std::string& why) {
    // The endpoint rests, longer after each consecutive failure (up to 64x), and has its
    // chain id checked again before it is used.
    ep.healthy = false;
    ep.needs_chain_check = true;
    ep.failures++;
    ep.last_error = why;
    ep.rest_until = SteadyClock::now() +
                    options_.endpoint_rest * (1u << std::min<uint32_t>(ep.consecutive_failures, 6));
    ep.consecutive_failures++;
}

Result<Json> RpcClient::with_failover(const std::string& body, const std::string& what) {
    Json answer;
    VIGIL_CHECK(with_failover(body, what, [&](std::string& raw) -> Status {
        answer = Json::parse(raw, nullptr, false);
        if (answer.is_discarded())
            return fail("malformed JSON answer (" + std::to_string(raw.size()) + " bytes)",
                        kMalformed);
        return {};
    }));
    return answer;
}

Status RpcClient::with_failover(const std::string& body, const std::string& what,
                                const std::function<Status(std::string& raw)>& accept) {
    Error last = fail("no attempt made", kNoEndpoint);
    for (int attempt = 0; attempt < std::max(1, options_.max_attempts); ++attempt) {
        if (attempt > 0) {
            // Full jitter: a random wait in [0, min(max, base * 2^attempt)].
            int64_t ceiling =
                std::min<int64_t>(options_.backoff_max.count(), options_.backoff_base.count()
                                                                    << std::min(attempt, 20));
            rng_state_ ^= rng_state_ << 13;
            rng_state_ ^= rng_state_ >> 7;
            rng_state_ ^= rng_state_ << 17;
            sleep_(std::chrono::milliseconds(
                ceiling > 0 ? static_cast<int64_t>(rng_state_ % static_cast<uint64_t>(ceiling + 1))
                            : 0));
        }
        Endpoint* ep = pick_endpoint();
        if (!ep) {
            last = fail("every endpoint is resting after failures", kNoEndpoint);
            continue;
        }
        Result<std::string> raw = fail("not sent");
        if (Status checked = ep->needs_chain_check ? check_chain_id(*ep) : Status(); checked.ok())
            raw = post(*ep, body);
        else
            raw = checked.error();
        if (raw.ok()) {
            Status accepted = accept(raw.value());
            if (accepted.ok() || accepted.error().code != kMalformed) {
                // An answer (or a refusal the node meant): the endpoint works.
                ep->healthy = true;
                ep->consecutive_failures = 0;
                return accepted;
            }
            raw = accepted.error();
        }
        // The endpoint failed: rest it, re-check its chain id before it is used again,
        // and move on to the next one.
        mark_failed(*ep, raw.error().message);
        last = Error{raw.error().message + " from " + ep->redacted, raw.error().code};
        if (raw.error().code == kWrongChain) last.message = raw.error().message;
    }
    return fail("chain " + options_.chain + ": " + what + " failed after " +
                    std::to_string(std::max(1, options_.max_attempts)) +
                    " attempts: " + last.message,
                last.code);
}

Status RpcClient::call_raw(const std::string& method, Json params, const RawParser& parse) {
    const uint64_t id = next_id_++;
    Status s = with_failover(request_body(id, method, params), method,
                             [&](std::string& raw) { return parse(raw, id); });
    if (!s.ok() && s.error().code == kRpcError)
        return fail("chain " + options_.chain + ": " + method + ": " + s.error().message,
                    kRpcError);
    return s;
}

Result<Json> RpcClient::call(const std::string& method, Json params) {
    for (int round = 0; round < 2; ++round) {
        const uint64_t id = next_id_++;
        const std::string body = request_body(id, method, params);
        VIGIL_TRY(Json answer, with_failover(body, method));
        Result<Json> result = take_result(answer, id);
        if (result.ok()) return result;
        if (result.error().code == kRpcError)
            return fail("chain " + options_.chain + ": " + method + ": " + result.error().message,
                        kRpcError);
        // A well-formed JSON answer that is not a valid response to our request: blame
        // the endpoint and try once more (on the next endpoint).
        mark_failed(*endpoints_[current_], result.error().message);
        if (round == 1)
            return fail("chain " + options_.chain + ": " + method + ": " + result.error().message,
                        kMalformed);
    }
    return fail("unreachable", kMalformed);
}

Result<std::vector<Result<Json>>> RpcClient::batch(const std::vector<RpcCall>& calls) {
    const size_t chunk = std::max<size_t>(1, options_.max_batch_calls);
    if (calls.size() <= chunk) return batch_request(calls);
    std::vector<Result<Json>> out;
    out.reserve(calls.size());
    for (size_t at = 0; at < calls.size(); at += chunk) {
        const size_t end = std::min(calls.size(), at + chunk);
        VIGIL_TRY(auto part,
                  batch_request(std::vector<RpcCall>(calls.begin() + at, calls.begin() + end)));
        for (auto& r : part) out.push_back(std::move(r));
    }
    return out;
}

Result<std::vector<Result<Json>>> RpcClient::batch_request(const std::vector<RpcCall>& calls) {
    if (calls.empty()) return std::vector<Result<Json>>{};
    for (int round = 0; round < 2; ++round) {
        const uint64_t first_id = next_id_;
        next_id_ += calls.size();
        std::string body = "[";
        for (size_t i = 0; i < calls.size(); ++i) {
            if (i) body += ',';
            append_request(body, first_id + i, calls[i].method, calls[i].params);
        }
        body += ']';
        VIGIL_TRY(Json answer, with_failover(body, "batch of " + std::to_string(calls.size())));
        std::string problem;
        std::vector<Result<Json>> out;
        if (!answer.is_array()) {
            problem = "batch answer is not an array";
        } else if (answer.size() != calls.size()) {
            problem = "batch answer has " + std::to_string(answer.size()) + " items for " +
                      std::to_string(calls.size()) + " calls";
        } else {
            // Answers may come in any order: index them by id.
            std::vector<Json*> by_index(calls.size(), nullptr);
            for (Json& item : answer) {
                auto id = item.is_object() ? item.find("id") : item.end();
                if (!item.is_object() || id == item.end() || !id->is_number_unsigned() ||
                    id->get<uint64_t>() < first_id ||
                    id->get<uint64_t>() >= first_id + calls.size() ||
                    by_index[id->get<uint64_t>() - first_id]) {
                    problem = "batch answer has a missing, unknown or repeated id";
                    break;
                }
                by_index[id->get<uint64_t>() - first_id] = &item;
            }
            if (problem.empty()) {
                for (size_t i = 0; i < calls.size(); ++i) {
                    Result<Json> r = take_result(*by_index[i], first_id + i);
                    if (!r.ok() && r.error().code == kMalformed) {
                        problem = calls[i].method + ": " + r.error().message;
                        break;
                    }
                    if (!r.ok())
                        r = fail("chain " + options_.chain + ": " + calls[i].method + ": " +
                                     r.error().message,
                                 kRpcError);
                    out.push_back(std::move(r));
                }
            }
        }
        if (problem.empty()) return out;
        mark_failed(*endpoints_[current_], problem);
        if (round == 1) return fail("chain " + options_.chain + ": " + problem, kMalformed);
    }
    return fail("unreachable", kMalformed);
}

std::vector<EndpointStatus> RpcClient::status() const {
    std::vector<EndpointStatus> out;
    for (const auto& ep : endpoints_)
        out.push_back(
            {ep->url, ep->healthy && !ep->wrong_chain, ep->requests, ep->failures, ep->last_error});
    return out;
}

}  // namespace vigil::rpc
