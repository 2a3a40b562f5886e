// HeadSubscription: wakes a chain's Listener as soon as the node announces a new head
// over its WebSocket endpoint (eth_subscribe "newHeads"), so that confirmed logs go out
// within a round trip of the block instead of up to a poll interval later.
//
// The subscription is only a trigger: the listener still reads everything over HTTP
// and keeps polling at its poll interval, which is what carries it while the socket is
// down. On every (re)subscription the listener is woken too, since heads announced
// while the socket was down were missed.
//
// Thread-safety: socket_up() and status() from any thread. The Listener must outlive
// the subscription.
#pragma once

#include <memory>
#include <optional>

#include "chains/eth/result.h"
#include "chains/listener.h"
#include "chains/rpc/ws_client.h"
#include "core/config.h"
#include "core/log.h"

namespace vigil::chains {

class HeadSubscription {
  public:
    // Subscribes to `chain.ws` and wakes `listener` on each new head. Returns null (and
    // no error) when the chain has no `ws` endpoint: the listener then only polls.
    // `tuning` sets timeouts, backoff and limits; its url and chain are taken from the
    // config. An invalid ws URL is an error; an unreachable endpoint is not (it is
    // retried in the background and the listener polls meanwhile).
    static Result<std::unique_ptr<HeadSubscription>> start(
        const core::ChainConfig& chain, Listener& listener, core::Logger log,
        rpc::WsHeadSubscriberOptions tuning = {});
    ~HeadSubscription();
    HeadSubscription(const HeadSubscription&) = delete;
    HeadSubscription& operator=(const HeadSubscription&) = delete;

    // Whether notifications currently flow (socket open and subscribed).
    bool socket_up() const;
    rpc::WsHeadSubscriberStatus status() const;

  private:
    HeadSubscription() = default;
    std::unique_ptr<rpc::WsHeadSubscriber> subscriber_;
};

}  // namespace vigil::chains
