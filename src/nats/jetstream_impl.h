// JetStream::Impl, shared by the src/nats .cc files. Includes nats.h.
#pragma once

#include "nats/handles.h"
#include "nats/jetstream.h"

namespace harmony::nats {

struct JetStream::Impl {
  JsCtxPtr js;
};

}  // namespace harmony::nats
