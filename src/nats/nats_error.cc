#include "nats/nats_error.h"

#include <string>

namespace harmony::nats {
namespace {

Status Make(Status::Code code, std::string msg) {
  switch (code) {
    case Status::Code::kOk:
      return Status::Internal(std::move(msg));  // Never called with kOk; keep it an error.
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(std::move(msg));
    case Status::Code::kNotFound:
      return Status::NotFound(std::move(msg));
    case Status::Code::kCorruption:
      return Status::Corruption(std::move(msg));
    case Status::Code::kUnavailable:
      return Status::Unavailable(std::move(msg));
    case Status::Code::kIoError:
      return Status::IoError(std::move(msg));
    case Status::Code::kInternal:
      return Status::Internal(std::move(msg));
    case Status::Code::kCancelled:
      return Status::Cancelled(std::move(msg));
    case Status::Code::kRejected:
      return Status::Rejected(std::move(msg));
  }
  return Status::Internal(std::move(msg));
}

std::string Describe(natsStatus s, std::string_view context) {
  natsStatus last_status = NATS_OK;
  const char* last = nats_GetLastError(&last_status);
  const char* text = natsStatus_GetText(s);
  std::string msg(context);
  msg += ": ";
  if (last != nullptr && last[0] != '\0' && last_status == s && std::string_view(last) != text) {
    msg += last;
    msg += " (";
    msg += text;
    msg += ")";
  } else {
    msg += text;
  }
  return msg;
}

}  // namespace

Status::Code CodeOf(natsStatus s) {
  switch (s) {
    case NATS_OK:
      return Status::Code::kOk;
    case NATS_NOT_FOUND:
      return Status::Code::kNotFound;
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_INVALID_TIMEOUT:
    case NATS_INVALID_QUEUE_NAME:
    case NATS_ADDRESS_MISSING:
    case NATS_MAX_PAYLOAD:
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_NOT_PERMITTED:
    case NATS_SECURE_CONNECTION_WANTED:
    case NATS_SECURE_CONNECTION_REQUIRED:
      return Status::Code::kInvalidArgument;
    case NATS_IO_ERROR:
    case NATS_NO_SERVER:
    case NATS_STALE_CONNECTION:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_NOT_YET_CONNECTED:
    case NATS_SLOW_CONSUMER:
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_DRAINING:
    case NATS_MISSED_HEARTBEAT:
    case NATS_MISMATCH:
      return Status::Code::kUnavailable;
    case NATS_SYS_ERROR:
      // A system call inside nats.c (socket, poll, thread) failed: trouble reaching the broker,
      // worth retrying. kIoError is kept for storage errors, which stop a node (IsUnrecoverable).
      return Status::Code::kUnavailable;
    case NATS_CONNECTION_CLOSED:
      return Status::Code::kCancelled;
    default:
      return Status::Code::kInternal;
  }
}

Status FromNats(natsStatus s, std::string_view context) {
  if (s == NATS_OK) return Status::Ok();
  return Make(CodeOf(s), Describe(s, context));
}

Status FromJetStream(natsStatus s, jsErrCode code, std::string_view context) {
  if (s == NATS_OK) return Status::Ok();
  std::string msg = Describe(s, context);
  if (s == NATS_TIMEOUT)
    msg += " (no answer from JetStream: not enabled, or no cluster leader yet?)";
  Status::Code status_code = CodeOf(s);
  if (code != 0) {
    msg += " [JetStream error " + std::to_string(static_cast<int>(code)) + "]";
    switch (code) {
      case JSClusterNotAvailErr:
      case JSClusterNotLeaderErr:
      case JSClusterNoPeersErr:
      case JSClusterNotAssignedErr:
      case JSClusterIncompleteErr:
      case JSNotEnabledErr:
      case JSNotEnabledForAccountErr:
      case JSInsufficientResourcesErr:
        status_code = Status::Code::kUnavailable;
        break;
      case JSStreamNotFoundErr:
      case JSConsumerNotFoundErr:
        status_code = Status::Code::kNotFound;
        break;
      case JSStreamInvalidConfig:
      case JSStreamNameExistErr:
      case JSStreamSubjectOverlapErr:
      case JSStreamReplicasNotSupportedErr:
      case JSStreamReplicasNotUpdatableErr:
      case JSBadRequestErr:
        status_code = Status::Code::kInvalidArgument;
        break;
      default:
        if (status_code == Status::Code::kOk) status_code = Status::Code::kInternal;
        break;
    }
  }
  return Make(status_code, std::move(msg));
}

}  // namespace harmony::nats
