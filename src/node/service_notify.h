#pragma once

#include <string>

namespace harmony::node {

// Tells systemd about the service's state (sd_notify(3)) for a unit with Type=notify, such as the
// harmony@.service this project installs. Each call does nothing when NOTIFY_SOCKET is not set
// (harmony not started by systemd, or by a unit of another Type), and a failure to reach the
// socket is ignored: it must never stop the node. Thread-safe (one datagram per call).

// READY=1 with STATUS=`status`: start-up finished, the node replicates (sent right after the log
// line "node N ready").
void NotifyReady(const std::string& status);

// STOPPING=1 with STATUS=`status`: shutdown began (a stop signal or an unrecoverable error).
void NotifyStopping(const std::string& status);

}  // namespace harmony::node
