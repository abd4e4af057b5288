// natsStatus (and JetStream error codes) -> Status. Includes nats.h: for src/nats .cc files only.
#pragma once

#include <nats/nats.h>

#include <string_view>

#include "common/status.h"

namespace harmony::nats {

// The Status code a natsStatus maps to: broker trouble is kUnavailable (retrying may help),
// NATS_NOT_FOUND is kNotFound, bad arguments are kInvalidArgument, a closed connection is
// kCancelled.
Status::Code CodeOf(natsStatus s);

// "context: <nats.c detail> (<status text>)". The detail comes from nats_GetLastError when it
// belongs to the same status on this thread, so call this right after the failing nats.c call.
Status FromNats(natsStatus s, std::string_view context);

// Like FromNats, for JetStream API calls that also report a server error code (jsErrCode).
// "Cluster not available / not leader / no suitable peers" and "JetStream not enabled" are
// kUnavailable: a clustered server reports them until its meta leader is elected.
Status FromJetStream(natsStatus s, jsErrCode code, std::string_view context);

}  // namespace harmony::nats
