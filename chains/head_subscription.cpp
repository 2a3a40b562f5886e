#include "chains/head_subscription.h"

#include <utility>

namespace vigil::chains {

Result<std::unique_ptr<HeadSubscription>> HeadSubscription::start(
    const core::ChainConfig& chain, Listener& listener, core::Logger log,
    rpc::WsHeadSubscriberOptions tuning) {
    if (!chain.ws || chain.ws->empty()) return std::unique_ptr<HeadSubscription>();
    tuning.url = *chain.ws;
    tuning.chain = chain.name;
    core::Logger ws_log = log.with("ws", chain.name);
    const std::string endpoint = rpc::redact_url(*chain.ws);

    rpc::WsHeadSubscriber::Callbacks callbacks;
    callbacks.on_head = [&listener](const rpc::NewHead&) { listener.notify_head(); };
    callbacks.on_state = [&listener, ws_log, endpoint](const rpc::WsHeadSubscriberStatus& s) {
        using State = rpc::WsHeadSubscriberStatus::State;
        switch (s.state) {
            case State::subscribed:
                ws_log.info("newHeads subscription up",
                            {{"endpoint", endpoint}, {"reconnects", s.reconnects}});
                // Heads announced while the socket was down were missed: look now.
                listener.notify_head();
                break;
            case State::waiting:
                ws_log.warn(
                    "websocket down; the listener polls until it is back",
                    {{"endpoint", endpoint}, {"error", s.last_error}, {"failures", s.failures}});
                break;
            default:
                ws_log.debug("websocket state",
                             {{"endpoint", endpoint}, {"state", rpc::to_string(s.state)}});
                break;
        }
    };

    std::string error;
    auto subscriber = rpc::WsHeadSubscriber::start(std::move(tuning), std::move(callbacks), error);
    if (!subscriber) return fail(error + " (" + endpoint + ")");
    std::unique_ptr<HeadSubscription> out(new HeadSubscription());
    out->subscriber_ = std::move(subscriber);
    return out;
}

HeadSubscription::~HeadSubscription() = default;

bool HeadSubscription::socket_up() const { return subscriber_->status().subscribed(); }

rpc::WsHeadSubscriberStatus HeadSubscription::status() const { return subscriber_->status(); }

}  // namespace vigil::chains
