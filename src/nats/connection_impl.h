// Connection::Impl, shared by the src/nats .cc files. Includes nats.h.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "nats/connection.h"
#include "nats/handles.h"
#include "nats/security.h"

namespace harmony::nats {

struct Connection::Impl {
  // Keeps closure state of nats.c callbacks alive until the connection itself is destroyed, for
  // callbacks that nats.c may still invoke after their owner is gone (e.g. the async-publish ack
  // handler of a destroyed jsCtx). Guarded by anchors_mu.
  void Anchor(std::shared_ptr<void> state) {
    std::lock_guard<std::mutex> lock(anchors_mu);
    anchors.push_back(std::move(state));
  }
  std::mutex anchors_mu;
  std::vector<std::shared_ptr<void>> anchors;

  // Declared last so it is destroyed first, before the anchored closure state.
  ConnectionPtr nc;
};

// Sets credentials and TLS on `opts` (security_options.cc). Errors name the file that could not
// be used, never a secret.
Status ApplySecurity(natsOptions* opts, const Credentials& credentials, const TlsOptions& tls);

}  // namespace harmony::nats
