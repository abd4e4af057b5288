#include "nats/subscription.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "nats/connection_impl.h"
#include "nats/handles.h"
#include "nats/jetstream.h"
#include "nats/jetstream_impl.h"
#include "nats/nats_error.h"

namespace harmony::nats {

struct Subscription::State {
  std::string description;  // "stream 'x' subject 'y'", for logs

  // Held for the whole of every handler call, so that ~Subscription (which takes it) returns
  // only once no call is in progress. Guards `handler`.
  std::mutex handler_mu;
  MessageHandler handler;

  // Set under handler_mu (or by the delivery thread itself); once true no handler call starts.
  std::atomic<bool> stopped{false};
  // The nats.c thread that delivers this subscription's messages, to detect destruction from
  // inside the handler (where taking handler_mu would deadlock).
  std::atomic<std::thread::id> delivery_thread{};

  SubscriptionPtr sub;  // touched only by SubscribeOrdered and ~Subscription
};

namespace {

// The closure nats.c holds: one strong reference to the state, released by OnComplete, which
// nats.c calls once the subscription is closed and its last handler call has returned.
using Closure = std::shared_ptr<Subscription::State>;

Result<ReceivedMessage> Convert(natsMsg* msg) {
  jsMsgMetaData* raw = nullptr;
  natsStatus s = natsMsg_GetMetaData(&raw, msg);
  MetaDataPtr meta(raw);
  if (s != NATS_OK) return FromNats(s, "read JetStream metadata of a delivered message");
  ReceivedMessage out;
  if (const char* subject = natsMsg_GetSubject(msg); subject != nullptr) out.subject = subject;
  const char* data = natsMsg_GetData(msg);
  const int len = natsMsg_GetDataLength(msg);
  if (data != nullptr && len > 0) out.data.assign(data, static_cast<size_t>(len));
  out.stream_seq = meta->Sequence.Stream;
  out.consumer_seq = meta->Sequence.Consumer;
  out.pending = meta->NumPending;
  out.timestamp_ns = meta->Timestamp;
  return out;
}

void OnMessage(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsMsg* msg,
               void* closure) noexcept {
  MsgPtr owned(msg);  // an async handler owns the message it is given
  Subscription::State* state = static_cast<Closure*>(closure)->get();
  try {
    state->delivery_thread.store(std::this_thread::get_id());
    std::lock_guard<std::mutex> lock(state->handler_mu);
    if (state->stopped.load()) return;
    Result<ReceivedMessage> received = Convert(owned.get());
    if (!received.ok()) {
      state->stopped.store(true);
      spdlog::error("nats: {} on {}; delivery stopped", received.status().message(),
                    state->description);
      return;
    }
    state->handler(std::move(received).value());
  } catch (const std::exception& e) {
    state->stopped.store(true);
    spdlog::error("nats: message handler of {} threw: {}; delivery stopped", state->description,
                  e.what());
  } catch (...) {
    state->stopped.store(true);
    spdlog::error("nats: message handler of {} threw; delivery stopped", state->description);
  }
}

void OnComplete(void* closure) noexcept { delete static_cast<Closure*>(closure); }

}  // namespace

Subscription::Subscription(std::shared_ptr<Connection> connection, std::shared_ptr<State> state)
    : connection_(std::move(connection)), state_(std::move(state)) {}

Subscription::~Subscription() {
  if (state_->delivery_thread.load() == std::this_thread::get_id()) {
    // Called from inside our own handler: the handler_mu is held further up this stack.
    state_->stopped.store(true);
  } else {
    std::lock_guard<std::mutex> lock(state_->handler_mu);
    state_->stopped.store(true);
    state_->handler = nullptr;  // release what the handler captured now, not at OnComplete
  }
  state_->sub.reset();  // unsubscribes; nats.c then calls OnComplete
}

Result<std::unique_ptr<Subscription>> JetStream::SubscribeOrdered(
    const OrderedSubscribeOptions& options, MessageHandler handler) {
  const std::string description =
      "stream '" + options.stream + "' subject '" + options.subject + "'";
  if (options.stream.empty() || options.subject.empty() || !handler) {
    return Status::InvalidArgument("subscribe to " + description +
                                   ": empty stream, subject or handler");
  }
  HARMONY_RETURN_IF_ERROR(CheckConnected("subscribe to " + description));
  auto state = std::make_shared<Subscription::State>();
  state->description = description;
  state->handler = std::move(handler);

  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = options.stream.c_str();
  so.Ordered = true;
  so.Config.Heartbeat = options.heartbeat.count() * int64_t{1000 * 1000};
  if (options.start_seq > 1) {
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = options.start_seq;
  } else {
    so.Config.DeliverPolicy = js_DeliverAll;
  }

  auto closure = std::make_unique<Closure>(state);
  natsSubscription* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_Subscribe(&raw, impl_->js.get(), options.subject.c_str(), OnMessage,
                              closure.get(), nullptr, &so, &code);
  if (s != NATS_OK) {
    return FromJetStream(
        s, code,
        "subscribe to " + description + " from sequence " + std::to_string(options.start_seq));
  }
  state->sub.reset(raw);
  s = natsSubscription_SetOnCompleteCB(raw, OnComplete, closure.get());
  if (s != NATS_OK) {
    Status error = FromNats(s, "subscribe to " + description + ": set completion callback");
    {
      std::lock_guard<std::mutex> lock(state->handler_mu);
      state->stopped.store(true);
    }
    state->sub.reset();
    // nats.c may still hold the closure; leak it rather than risk a use after free.
    closure.release();
    return error;
  }
  closure.release();  // owned by nats.c until OnComplete
  return std::make_unique<Subscription>(connection_, std::move(state));
}

}  // namespace harmony::nats
