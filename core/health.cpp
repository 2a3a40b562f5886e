#include "core/health.h"

#include <prometheus/text_serializer.h>

#include <sstream>

#include "core/log.h"

namespace vigil::core {

std::string render_metrics(prometheus::Registry& registry) {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry.Collect());
    return out.str();
}

void Readiness::add(const std::string& name, Check check) {
    std::lock_guard<std::mutex> lock(mu_);
    checks_[name] = std::move(check);
}

std::pair<bool, std::string> Readiness::evaluate() const {
    std::map<std::string, Check> checks;
    {
        std::lock_guard<std::mutex> lock(mu_);
        checks = checks_;
    }
    bool ready = true;
    std::string body = "{";
    for (const auto& [name, check] : checks) {
        std::string why;
        try {
            why = check();
        } catch (const std::exception& e) {
            why = std::string("check failed: ") + e.what();
        }
        ready &= why.empty();
        if (body.size() > 1) body += ",";
        body += "\"";
        append_json_escaped(body, name);
        body += "\":\"";
        append_json_escaped(body, why.empty() ? "ok" : why);
        body += "\"";
    }
    body += "}";
    return {ready, body};
}

void add_operational_routes(HttpServer& server, std::shared_ptr<prometheus::Registry> registry,
                            const Readiness& readiness) {
    server.route("/metrics", [registry](const HttpRequest& req) {
        if (req.method != "GET" && req.method != "HEAD")
            return HttpResponse::text(405, "GET only\n");
        return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                            render_metrics(*registry)};
    });
    add_health_routes(server, readiness);
}

void add_health_routes(HttpServer& server, const Readiness& readiness) {
    server.route("/healthz", [](const HttpRequest&) { return HttpResponse::text(200, "ok\n"); });
    server.route("/readyz", [&readiness](const HttpRequest&) {
        auto [ready, body] = readiness.evaluate();
        return HttpResponse::json(ready ? 200 : 503, body + "\n");
    });
}

}  // namespace vigil::core
