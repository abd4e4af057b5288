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

Result<std::vector<std::string>> RequestAll(Connection& connection, const std::string& subject,
                                            const std::string& payload,
                                            std::chrono::milliseconds wait) {
  const std::string context = "request on '" + subject + "' to every responder";
  natsConnection* nc = connection.impl().nc.get();
  natsInbox* inbox_raw = nullptr;
  natsStatus s = natsInbox_Create(&inbox_raw);
  if (s != NATS_OK) return FromNats(s, context);
  std::unique_ptr<natsInbox, void (*)(natsInbox*)> inbox(inbox_raw, natsInbox_Destroy);
  natsSubscription* sub_raw = nullptr;
  s = natsConnection_SubscribeSync(&sub_raw, nc, inbox.get());
  if (s != NATS_OK) return FromNats(s, context);
  SubscriptionPtr sub(sub_raw);
  s = natsConnection_PublishRequest(nc, subject.c_str(), inbox.get(), payload.data(),
                                    static_cast<int>(payload.size()));
  if (s != NATS_OK) return FromNats(s, context);
  std::vector<std::string> replies;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    natsMsg* raw = nullptr;
    s = natsSubscription_NextMsg(&raw, sub.get(), static_cast<int64_t>(left.count()));
    MsgPtr msg(raw);
    // The server says "no responders" (NATS 2.2+) when nobody listens: no answers, not an error.
    if (s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS) break;
    if (s != NATS_OK) return FromNats(s, context);
    const char* data = natsMsg_GetData(msg.get());
    replies.emplace_back(data == nullptr ? "" : data,
                         static_cast<size_t>(natsMsg_GetDataLength(msg.get())));
  }
  return replies;
}

}  // namespace harmony::nats
