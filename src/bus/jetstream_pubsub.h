// The JetStream Publisher and Subscriber behind JetStreamBus::NewPublisher / NewSubscriber.
#pragma once

#include <memory>

#include "bus/bus.h"

namespace harmony::nats {
class Connection;
class JetStream;
}  // namespace harmony::nats

namespace harmony::bus {

std::unique_ptr<Publisher> NewJetStreamPublisher(std::shared_ptr<nats::Connection> connection,
                                                 const StreamOptions& streams);
std::unique_ptr<Subscriber> NewJetStreamSubscriber(std::shared_ptr<nats::JetStream> jetstream,
                                                   const StreamOptions& streams);

}  // namespace harmony::bus
