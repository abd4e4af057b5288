#include "nats/request_reply.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

#include "nats/connection_impl.h"
#include "nats/handles.h"
#include "nats/nats_error.h"

namespace harmony::nats {

// The callback's closure. nats.c may still deliver a message after Unsubscribe returns, so the
// closure is anchored to the connection (freed with it) and the Responder's destructor marks it
// closed under `mu`, which a running callback holds: no handler call starts or runs after that.
struct Responder::Impl {
  std::string subject;
  std::mutex mu;
  bool closed = false;  // guarded by mu
  Handler handler;      // guarded by mu
};

struct ResponderState {
  std::shared_ptr<Connection> connection;
  std::shared_ptr<Responder::Impl> impl;
  SubscriptionPtr sub;
};

namespace {

void OnRequest(natsConnection* nc, natsSubscription*, natsMsg* raw, void* closure) noexcept {
  MsgPtr msg(raw);
  auto* impl = static_cast<Responder::Impl*>(closure);
  try {
    const char* data = natsMsg_GetData(msg.get());
    const std::string request(data == nullptr ? "" : data,
                              static_cast<size_t>(natsMsg_GetDataLength(msg.get())));
    std::string answer;
    {
      std::lock_guard<std::mutex> lock(impl->mu);
      if (impl->closed) return;
      answer = impl->handler(request);
    }
    const char* reply = natsMsg_GetReply(msg.get());
    if (reply == nullptr || reply[0] == '\0') return;
    natsStatus s = natsConnection_Publish(nc, reply, answer.data(), static_cast<int>(answer.size()));
    if (s != NATS_OK) {
      spdlog::warn("{}", FromNats(s, "answer a request on '" + impl->subject + "'").message());
    }
  } catch (const std::exception& e) {
    spdlog::error("request on '{}': {}", impl->subject, e.what());
  } catch (...) {
    spdlog::error("request on '{}': unknown exception", impl->subject);
  }
}

}  // namespace

Responder::Responder(std::unique_ptr<ResponderState> state) : state_(std::move(state)) {}

Responder::~Responder() {
  {
    std::lock_guard<std::mutex> lock(state_->impl->mu);  // waits for a running handler
    state_->impl->closed = true;
    state_->impl->handler = nullptr;  // its captures go now
  }
  natsSubscription_Unsubscribe(state_->sub.get());
}

Result<std::unique_ptr<Responder>> Responder::Start(std::shared_ptr<Connection> connection,
                                                    const std::string& subject, Handler handler) {
  const std::string context = "answer requests on '" + subject + "'";
  if (subject.empty() || subject.find_first_of(" \t\r\n") != std::string::npos) {
    return Status::InvalidArgument(context + ": not a valid subject");
  }
  auto state = std::make_unique<ResponderState>();
  state->connection = connection;
  state->impl = std::make_shared<Impl>();
  state->impl->subject = subject;
  state->impl->handler = std::move(handler);
  connection->impl().Anchor(state->impl);
  natsSubscription* raw = nullptr;
  natsStatus s = natsConnection_Subscribe(&raw, connection->impl().nc.get(), subject.c_str(),
                                          OnRequest, state->impl.get());
  state->sub.reset(raw);
  if (s != NATS_OK) return FromNats(s, context);
  return std::unique_ptr<Responder>(new Responder(std::move(state)));
}

Result<std::string> Request(Connection& connection, const std::string& subject,
                            const std::string& payload, std::chrono::milliseconds timeout) {
  const std::string context = "request on '" + subject + "'";
  natsMsg* raw = nullptr;
  natsStatus s = natsConnection_Request(&raw, connection.impl().nc.get(), subject.c_str(),
                                        payload.data(), static_cast<int>(payload.size()),
                                        static_cast<int64_t>(timeout.count()));
  MsgPtr reply(raw);
  if (s != NATS_OK) return FromNats(s, context);
  const char* data = natsMsg_GetData(reply.get());
  return std::string(data == nullptr ? "" : data,
                     static_cast<size_t>(natsMsg_GetDataLength(reply.get())));
}

}  // namespace harmony::nats
