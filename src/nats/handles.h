// Move-only RAII owners of the nats.c handles. Includes nats.h: for src/nats .cc files only.
#pragma once

#include <nats/nats.h>

#include <memory>

namespace harmony::nats {

struct OptionsDeleter {
  void operator()(natsOptions* p) const noexcept { natsOptions_Destroy(p); }
};
struct ConnectionDeleter {
  // natsConnection_Destroy closes the connection first if it is still open.
  void operator()(natsConnection* p) const noexcept { natsConnection_Destroy(p); }
};
struct JsCtxDeleter {
  // Destroying a jsCtx drops (and frees) the async publishes still waiting for an ack.
  void operator()(jsCtx* p) const noexcept { jsCtx_Destroy(p); }
};
struct SubscriptionDeleter {
  // Since nats.c 3.4.0 this no longer deletes the JetStream consumer the subscription created;
  // ephemeral consumers are removed by the server after their inactivity threshold.
  void operator()(natsSubscription* p) const noexcept { natsSubscription_Destroy(p); }
};
struct MsgDeleter {
  void operator()(natsMsg* p) const noexcept { natsMsg_Destroy(p); }
};
struct StreamInfoDeleter {
  void operator()(jsStreamInfo* p) const noexcept { jsStreamInfo_Destroy(p); }
};
struct MetaDataDeleter {
  void operator()(jsMsgMetaData* p) const noexcept { jsMsgMetaData_Destroy(p); }
};

using OptionsPtr = std::unique_ptr<natsOptions, OptionsDeleter>;
using ConnectionPtr = std::unique_ptr<natsConnection, ConnectionDeleter>;
using JsCtxPtr = std::unique_ptr<jsCtx, JsCtxDeleter>;
using SubscriptionPtr = std::unique_ptr<natsSubscription, SubscriptionDeleter>;
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;
using StreamInfoPtr = std::unique_ptr<jsStreamInfo, StreamInfoDeleter>;
using MetaDataPtr = std::unique_ptr<jsMsgMetaData, MetaDataDeleter>;

// Owns a natsMsgList filled by nats.c (e.g. js_PublishAsyncGetPendingList): destroys the array
// and every message still in it.
class MsgList {
 public:
  MsgList() = default;
  MsgList(const MsgList&) = delete;
  MsgList& operator=(const MsgList&) = delete;
  ~MsgList() {
    if (list_.Msgs != nullptr) natsMsgList_Destroy(&list_);
  }
  natsMsgList* get() { return &list_; }
  int size() const { return list_.Count; }

 private:
  natsMsgList list_{};
};

}  // namespace harmony::nats
