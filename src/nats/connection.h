// nats: the NATS side of Harmony, and the only folder that includes nats.h (nats.c 3.4). It owns
// every nats.c handle in a move-only RAII type (handles.h), turns natsStatus into Status
// (nats_error.h), and offers a small C++ surface that exposes no nats.c type: Connection
// (this file), JetStream stream management and ordered subscriptions (jetstream.h,
// subscription.h), pipelined publishing with acks (async_publisher.h), and a supervised
// nats-server child process (embedded_server.h). Callers above this folder (bus, snapshot, node)
// never see nats.c; callbacks handed to nats.c are noexcept and catch everything.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "nats/security.h"

namespace harmony::nats {

struct ConnectionOptions {
  // "nats://host:port" or "tls://host:port", tried in random order. May carry credentials
  // ("nats://user:pass@host"); every URL that is logged or put in an error goes through RedactUrl.
  std::vector<std::string> urls;
  Credentials credentials;  // see security.h
  TlsOptions tls;
  RefusalHints hints;            // added to the error when the server refuses us
  std::string name = "harmony";  // shown by the server's monitoring endpoints
  // Failed initial connects are retried this many times, `reconnect_wait_seconds` apart. Once
  // connected, the connection reconnects forever (until destroyed).
  int connect_retries = 5;
  int reconnect_wait_seconds = 2;
  std::chrono::milliseconds connect_timeout{2000};  // per TCP connect attempt
  // Outbound bytes buffered while reconnecting; publishing fails once it is full.
  int reconnect_buffer_bytes = 8 * 1024 * 1024;
  // Client PINGs detect a half-open connection after about interval * (max_pings_out + 1).
  std::chrono::milliseconds ping_interval{10000};
  int max_pings_out = 2;
  // A stop requested here (a shutdown during start-up) ends the connect retries at once
  // (kCancelled) and closes an established connection, so that every call blocked on it (a
  // request waiting for its timeout) returns at once with an error. Default: never stops.
  std::stop_token stop;
};

// A connection to a NATS server (cluster). Thread-safe: nats.c serialises access internally.
// Disconnects and reconnects are logged through spdlog. Everything created from a Connection
// (JetStream, AsyncPublisher, Subscription) holds a shared_ptr to it, so it is closed only after
// the last of them is gone.
class Connection {
 public:
  // Connects with up to `connect_retries` retries. Errors are one line naming the redacted URLs,
  // "connect to NATS at nats://u:***@127.0.0.1:4222: <nats.c detail>". An unusable seed, CA or
  // certificate file fails before any attempt. A server that refuses the credentials, the TLS
  // handshake or our missing client certificate is not retried (retrying cannot help), and the
  // error ends with the matching RefusalHints text in parentheses. kInvalidArgument for bad
  // options; kCancelled when options.stop was requested.
  static Result<std::shared_ptr<Connection>> Connect(const ConnectionOptions& options);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  // Flushes (if connected, up to 1 s) and closes. Does not call nats_Close (see Library).
  ~Connection();

  bool IsConnected() const;
  // URL of the server currently connected to, redacted (RedactUrl); empty while disconnected.
  std::string ConnectedUrl() const;
  // Largest message (headers and payload) the server accepts, from the INFO of the server last
  // connected to (nats-server's max_payload, 1 MiB by default). A reconnect to a server with a
  // different limit updates it.
  size_t MaxPayload() const;
  // Round-trips a PING so that everything published before has reached the server.
  Status Flush(std::chrono::milliseconds timeout);
  // Closes the connection now, without flushing: every call blocked on it (a request waiting for
  // its timeout) returns at once with an error, and later calls fail. Thread-safe; for bounding
  // a shutdown. The object stays valid until destroyed.
  void Close();
  // Graceful shutdown: stops subscriptions after their queued messages were handled, flushes
  // publishes, then closes. Waits up to `timeout`. The connection is unusable afterwards.
  Status Drain(std::chrono::milliseconds timeout);

  // For src/nats internals only: holds the natsConnection.
  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  // Closes the connection when ConnectionOptions::stop is requested; reset before impl_ goes.
  std::unique_ptr<std::stop_callback<std::function<void()>>> close_on_stop_;
};

// Process-wide nats.c teardown (nats_CloseAndWait). Optional: hold one in main(), created before
// and therefore destroyed after every other nats object; destroying it while connections or
// subscriptions are alive blocks for up to the timeout. Never tie it to any other object's
// lifetime: nats.c is global state.
class Library {
 public:
  static Result<Library> Open();
  Library(Library&& other) noexcept : open_(other.open_) { other.open_ = false; }
  Library& operator=(Library&&) = delete;
  Library(const Library&) = delete;
  ~Library();

 private:
  Library() = default;
  bool open_ = false;
};

}  // namespace harmony::nats
