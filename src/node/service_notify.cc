#include "node/service_notify.h"

#include <systemd/sd-daemon.h>

namespace harmony::node {
namespace {

void Notify(const std::string& state, const std::string& status) {
  // sd_notify returns 0 without NOTIFY_SOCKET and a negative errno on failure; neither matters
  // to the node. 0: keep NOTIFY_SOCKET, so that a later STOPPING=1 can still be sent.
  const std::string message = state + "\nSTATUS=" + status;
  (void)sd_notify(0, message.c_str());
}

}  // namespace

void NotifyReady(const std::string& status) { Notify("READY=1", status); }

void NotifyStopping(const std::string& status) { Notify("STOPPING=1", status); }

}  // namespace harmony::node
