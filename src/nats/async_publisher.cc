#include "nats/async_publisher.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>

#include "nats/connection_impl.h"
#include "nats/handles.h"
#include "nats/nats_error.h"

namespace harmony::nats {

struct AsyncPublisher::State {
  mutable std::mutex mu;
  std::condition_variable acked;  // notified when `outstanding` becomes empty

  // Guarded by mu. Messages published in the current group and not yet acknowledged, by the
  // natsMsg address nats.c hands back to the ack handler. An address cannot be reused while its
  // message is alive, and the ack handler destroys it only after looking it up, so an ack for a
  // message abandoned by an earlier WaitForAcks (not in the set) is recognised and ignored.
  std::unordered_set<const natsMsg*> outstanding;
  uint64_t group_size = 0;
  std::map<std::string, uint64_t> group_seqs;  // stream -> highest sequence acked in the group
  std::map<std::string, uint64_t> last_seqs;   // group_seqs of the last complete group
  Status first_error;
  PublishCounters counters;
  bool closed = false;  // set by ~AsyncPublisher; late acks are then only freed

  JsCtxPtr js;  // written once before any publish
};

namespace {

std::string MsgIdOf(natsMsg* msg) {
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK || id == nullptr) return "";
  return id;
}

Status AckError(natsMsg* msg, const jsPubAckErr& pae) {
  const char* subject = natsMsg_GetSubject(msg);
  std::string context = "publish to '" + std::string(subject != nullptr ? subject : "") + "'";
  if (std::string id = MsgIdOf(msg); !id.empty()) context += " (msg id '" + id + "')";
  if (pae.Err == NATS_NO_RESPONDERS) {
    return Status::NotFound(context +
                            ": no responders (no JetStream stream captures this subject, or a "
                            "leaf node's link to the hub is down)");
  }
  if (pae.Err == NATS_TIMEOUT) return Status::Unavailable(context + ": ack timed out");
  std::string detail = pae.ErrText != nullptr ? pae.ErrText : natsStatus_GetText(pae.Err);
  if (pae.ErrCode != 0) {
    detail += " [JetStream error " + std::to_string(static_cast<int>(pae.ErrCode)) + "]";
  }
  return Status::Unavailable(context + ": " + detail);
}

// nats.c calls this for every ack, positive or not, on the reply subscription's thread, and
// hands the message back for us to destroy.
void OnAck(jsCtx* /*js*/, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) noexcept {
  MsgPtr owned(msg);
  try {
    auto* state = static_cast<AsyncPublisher::State*>(closure);
    std::lock_guard<std::mutex> lock(state->mu);
    if (state->closed) return;
    auto it = state->outstanding.find(msg);
    if (it == state->outstanding.end()) return;  // abandoned by an earlier WaitForAcks
    state->outstanding.erase(it);
    if (pae != nullptr) {
      ++state->counters.failed;
      if (state->first_error.ok()) state->first_error = AckError(msg, *pae);
    } else if (pa != nullptr && pa->Duplicate) {
      ++state->counters.duplicates;
    } else {
      ++state->counters.stored;
    }
    if (pae == nullptr && pa != nullptr && pa->Stream != nullptr) {
      // For a duplicate, Sequence is where the original was stored.
      uint64_t& seq = state->group_seqs[pa->Stream];
      seq = std::max<uint64_t>(seq, pa->Sequence);
    }
    if (state->outstanding.empty()) state->acked.notify_all();
  } catch (...) {
    // Only allocation can throw here; the waiter then times out and reports it.
  }
}

}  // namespace

AsyncPublisher::AsyncPublisher(std::shared_ptr<Connection> connection, std::shared_ptr<State> state)
    : connection_(std::move(connection)), state_(std::move(state)) {}

Result<std::unique_ptr<AsyncPublisher>> AsyncPublisher::Create(
    std::shared_ptr<Connection> connection, const AsyncPublisherOptions& options) {
  auto state = std::make_shared<State>();
  jsOptions o;
  jsOptions_Init(&o);
  o.PublishAsync.MaxPending = options.max_pending;
  o.PublishAsync.StallWait = options.stall_wait.count();
  o.PublishAsync.AckHandler = OnAck;
  o.PublishAsync.AckHandlerClosure = state.get();
  jsCtx* raw = nullptr;
  natsStatus s = natsConnection_JetStream(&raw, connection->impl().nc.get(), &o);
  if (s != NATS_OK) return FromNats(s, "create JetStream publish context");
  state->js.reset(raw);
  // nats.c offers no "last ack handler call returned" notification for a jsCtx; keep the state
  // (which OnAck dereferences) alive as long as the connection.
  connection->impl().Anchor(state);
  return std::unique_ptr<AsyncPublisher>(new AsyncPublisher(std::move(connection), state));
}

AsyncPublisher::~AsyncPublisher() {
  JsCtxPtr js;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->closed = true;
    state_->outstanding.clear();
    js = std::move(state_->js);
  }
  js.reset();  // outside mu: destroying frees pending messages and may wait on the ack thread
}

Status AsyncPublisher::Publish(const std::string& subject, const std::string& msg_id,
                               std::string_view payload) {
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, payload.data(),
                                static_cast<int>(payload.size()));
  if (s != NATS_OK) return FromNats(s, "create message for '" + subject + "'");
  MsgPtr msg(raw);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();

  {
    // Registered before sending: the ack can arrive before js_PublishMsgAsync returns.
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->outstanding.insert(raw);
    ++state_->group_size;
  }
  natsMsg* handed = raw;
  s = js_PublishMsgAsync(state_->js.get(), &handed, &po);
  if (handed == nullptr) {
    msg.release();  // nats.c owns it now and gives it back to OnAck
  } else {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->outstanding.erase(raw);
    --state_->group_size;
  }
  if (s != NATS_OK) {
    return FromNats(s, "queue publish to '" + subject + "' (msg id '" + msg_id + "')");
  }
  return Status::Ok();
}

Status AsyncPublisher::WaitForAcks(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(state_->mu);
  const bool all =
      state_->acked.wait_for(lock, timeout, [&] { return state_->outstanding.empty(); });
  Status result = state_->first_error;
  const size_t missing = state_->outstanding.size();
  const uint64_t total = state_->group_size;
  state_->last_seqs.clear();
  if (all && result.ok()) state_->last_seqs.swap(state_->group_seqs);
  state_->group_seqs.clear();
  state_->outstanding.clear();
  state_->group_size = 0;
  state_->first_error = Status::Ok();
  lock.unlock();

  if (!all) {
    // Take the unacknowledged messages back from nats.c (and free them), so that its pending
    // count and MaxPending accounting start from zero again.
    MsgList abandoned;
    (void)js_PublishAsyncGetPendingList(abandoned.get(), state_->js.get());
    std::string what = std::to_string(missing) + " of " + std::to_string(total) +
                       " JetStream publish acks missing after " + std::to_string(timeout.count()) +
                       " ms";
    if (!connection_->IsConnected()) what += " (disconnected from NATS)";
    if (result.ok()) return Status::Unavailable(what);
    return result.WithContext(what + "; first failure");
  }
  return result;
}

std::map<std::string, uint64_t> AsyncPublisher::AckedSequences() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->last_seqs;
}

size_t AsyncPublisher::Pending() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->outstanding.size();
}

PublishCounters AsyncPublisher::counters() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->counters;
}

}  // namespace harmony::nats
