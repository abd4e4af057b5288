#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "nats/connection.h"

namespace harmony::nats {

// Core NATS request/reply (not JetStream): a Responder answers requests sent to one subject; any
// node sends one with Request. Messages are not stored: a request nobody listens to fails at
// once with "no responders" (NATS 2.2+), and one sent while every responder is away is lost.

struct ResponderState;  // request_reply.cc

// Answers every request on `subject` with what `handler` returns for the request's payload.
// `handler` runs on a nats.c delivery thread, one request at a time; it must be quick (hand
// long work to another thread) and must not throw (anything thrown is logged and the request
// gets no answer). Requests without a reply subject are passed to `handler` and not answered.
// Destroying the Responder unsubscribes; `handler` is not called after the destructor returns.
class Responder {
 public:
  using Handler = std::function<std::string(const std::string& request)>;
  // Errors: kInvalidArgument for an empty or invalid subject; kUnavailable when the connection
  // cannot subscribe now.
  static Result<std::unique_ptr<Responder>> Start(std::shared_ptr<Connection> connection,
                                                  const std::string& subject, Handler handler);
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  struct Impl;  // for request_reply.cc only

 private:
  explicit Responder(std::unique_ptr<ResponderState> state);
  std::unique_ptr<ResponderState> state_;
};

// Sends `payload` to `subject` and returns the first reply's payload. Errors: kUnavailable when
// no one listens on `subject` ("no responders") or no reply came within `timeout`, or the
// connection is down; kInvalidArgument for a bad subject. Thread-safe.
Result<std::string> Request(Connection& connection, const std::string& subject,
                            const std::string& payload, std::chrono::milliseconds timeout);

// Sends `payload` to `subject` once and collects every reply that arrives within `wait` (one per
// responder: each node answers for itself), in arrival order; none is not an error. Errors:
// kUnavailable when the connection is down; kInvalidArgument for a bad subject. Thread-safe.
Result<std::vector<std::string>> RequestAll(Connection& connection, const std::string& subject,
                                            const std::string& payload,
                                            std::chrono::milliseconds wait);

}  // namespace harmony::nats
