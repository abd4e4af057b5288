#include "nats/connection.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "common/stop.h"
#include "nats/connection_impl.h"
#include "nats/nats_error.h"

namespace harmony::nats {
namespace {

std::string UrlOf(natsConnection* nc) {
  char buf[256] = {0};
  if (natsConnection_GetConnectedUrl(nc, buf, sizeof(buf)) != NATS_OK) return "";
  return RedactUrl(buf);
}

// The connection callbacks get no closure: nats.c may run them on its own thread after
// natsConnection_Destroy returned, so they only use the (still retained) natsConnection.
void OnDisconnected(natsConnection* nc, void* /*closure*/) noexcept {
  try {
    const char* err = nullptr;
    natsConnection_GetLastError(nc, &err);
    if (natsConnection_IsClosed(nc)) return;  // our own close, not worth a warning
    spdlog::warn("nats: disconnected from server ({}); reconnecting",
                 err != nullptr && err[0] != '\0' ? err : "no error reported");
  } catch (...) {
  }
}

void OnReconnected(natsConnection* nc, void* /*closure*/) noexcept {
  try {
    spdlog::info("nats: reconnected to {}", UrlOf(nc));
  } catch (...) {
  }
}

void OnAsyncError(natsConnection* /*nc*/, natsSubscription* sub, natsStatus err,
                  void* /*closure*/) noexcept {
  try {
    // Missed heartbeats are how an ordered consumer notices an outage; it resets itself.
    spdlog::warn("nats: asynchronous error{}: {}", sub != nullptr ? " on a subscription" : "",
                 natsStatus_GetText(err));
  } catch (...) {
  }
}

// A server requiring a client certificate closes the connection right after the handshake,
// which nats.c reports as a protocol error ("Expected 'PONG', got ''").
bool IsMissingClientCertificate(natsStatus s, const TlsOptions& tls) {
  return s == NATS_PROTOCOL_ERROR && tls.enabled() && tls.cert_file.empty();
}

// The server (or the TLS handshake) refused us: a retry with the same options fails the same way.
bool IsRefusal(natsStatus s, const TlsOptions& tls) {
  return s == NATS_CONNECTION_AUTH_FAILED || s == NATS_SSL_ERROR ||
         s == NATS_SECURE_CONNECTION_WANTED || s == NATS_SECURE_CONNECTION_REQUIRED ||
         IsMissingClientCertificate(s, tls);
}

// `refused` with the hint that explains it, if any.
Status WithHint(Status refused, natsStatus s, const ConnectionOptions& options) {
  std::string hint;
  if (s == NATS_CONNECTION_AUTH_FAILED) {
    hint = options.hints.credentials;
  } else if (IsMissingClientCertificate(s, options.tls)) {
    hint = "the server closed the TLS connection: does it require a client certificate?";
    if (!options.hints.client_certificate.empty()) hint += " " + options.hints.client_certificate;
  }
  if (hint.empty()) return refused;
  return Status::InvalidArgument(refused.message() + " (" + hint + ")");
}

Result<OptionsPtr> BuildOptions(const ConnectionOptions& options) {
  natsOptions* raw = nullptr;
  natsStatus s = natsOptions_Create(&raw);
  if (s != NATS_OK) return FromNats(s, "create NATS options");
  OptionsPtr opts(raw);

  std::vector<const char*> servers;
  servers.reserve(options.urls.size());
  for (const auto& url : options.urls) servers.push_back(url.c_str());
  s = natsOptions_SetServers(opts.get(), servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts.get(), options.name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts.get(), options.connect_timeout.count());
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts.get(), true);
  // Negative means "forever" in nats.c: a sidecar must outlive any broker outage.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts.get(), -1);
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectWait(opts.get(), int64_t{options.reconnect_wait_seconds} * 1000);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectBufSize(opts.get(), options.reconnect_buffer_bytes);
  }
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts.get(), options.ping_interval.count());
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts.get(), options.max_pings_out);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts.get(), OnDisconnected, nullptr);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts.get(), OnReconnected, nullptr);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts.get(), OnAsyncError, nullptr);
  if (s != NATS_OK) return FromNats(s, "set NATS options");
  HARMONY_RETURN_IF_ERROR(ApplySecurity(opts.get(), options.credentials, options.tls));
  return opts;
}

}  // namespace

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::shared_ptr<Connection>> Connection::Connect(const ConnectionOptions& options) {
  if (options.urls.empty()) return Status::InvalidArgument("connect to NATS: no server URLs");
  if (options.connect_retries < 0 || options.reconnect_wait_seconds < 0) {
    return Status::InvalidArgument(
        "connect to NATS: connect_retries and reconnect_wait_seconds must be >= 0");
  }
  const std::string urls = RedactUrls(options.urls);
  auto built = BuildOptions(options);
  if (!built.ok()) return built.status().WithContext("connect to NATS at " + urls);
  OptionsPtr opts = std::move(built).value();

  Status last;
  // Retried by hand rather than with natsOptions_SetRetryOnFailedConnect: that option reuses
  // MaxReconnect, which must stay infinite for reconnects after the first success.
  for (int attempt = 0; attempt <= options.connect_retries; ++attempt) {
    if (options.stop.stop_requested()) {
      return Status::Cancelled("connect to NATS at " + urls + ": stopped");
    }
    natsConnection* raw = nullptr;
    natsStatus s = natsConnection_Connect(&raw, opts.get());
    if (s == NATS_OK) {
      auto impl = std::make_unique<Impl>();
      impl->nc.reset(raw);
      spdlog::info("nats: connected to {} as '{}'", UrlOf(raw), options.name);
      std::shared_ptr<Connection> connection(new Connection(std::move(impl)));
      if (options.stop.stop_possible()) {
        // natsConnection_Close is thread-safe; the handle stays valid until ~Connection. The
        // callback runs at once, here, if the stop came during the connect.
        connection->close_on_stop_ = std::make_unique<std::stop_callback<std::function<void()>>>(
            options.stop, [raw] { natsConnection_Close(raw); });
      }
      return connection;
    }
    last = FromNats(s, "connect to NATS at " + urls);
    // The server answered: retrying the same credentials cannot help.
    if (IsRefusal(s, options.tls)) return WithHint(std::move(last), s, options);
    if (attempt < options.connect_retries) {
      spdlog::info("nats: {}; retrying in {} s ({} of {})", last.message(),
                   options.reconnect_wait_seconds, attempt + 1, options.connect_retries);
      if (!WaitUnlessStopped(options.stop, std::chrono::seconds(options.reconnect_wait_seconds))) {
        return Status::Cancelled("connect to NATS at " + urls + ": stopped");
      }
    }
  }
  return last.WithContext("after " + std::to_string(options.connect_retries + 1) + " attempts");
}

Connection::~Connection() {
  close_on_stop_.reset();  // waits for a close running on another thread
  natsConnection* nc = impl_->nc.get();
  if (nc != nullptr && natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED) {
    natsStatus s = natsConnection_FlushTimeout(nc, 1000);
    if (s != NATS_OK) {
      spdlog::warn("nats: {}", FromNats(s, "flush before close").message());
    }
  }
  impl_->nc.reset();  // closes, then the anchored callback state goes with impl_
}

bool Connection::IsConnected() const {
  return natsConnection_Status(impl_->nc.get()) == NATS_CONN_STATUS_CONNECTED;
}

std::string Connection::ConnectedUrl() const {
  if (!IsConnected()) return "";
  return UrlOf(impl_->nc.get());
}

size_t Connection::MaxPayload() const {
  const int64_t max = natsConnection_GetMaxPayload(impl_->nc.get());
  return max > 0 ? static_cast<size_t>(max) : 0;
}

void Connection::Close() { natsConnection_Close(impl_->nc.get()); }

Status Connection::Flush(std::chrono::milliseconds timeout) {
  return FromNats(natsConnection_FlushTimeout(impl_->nc.get(), timeout.count()), "flush");
}

Status Connection::Drain(std::chrono::milliseconds timeout) {
  natsConnection* nc = impl_->nc.get();
  natsStatus s = natsConnection_DrainTimeout(nc, timeout.count());
  if (s == NATS_CONNECTION_CLOSED) return Status::Ok();
  if (s != NATS_OK) return FromNats(s, "drain connection");
  // nats.c drains asynchronously and offers no blocking wait for a connection; poll its state.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!natsConnection_IsClosed(nc)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      natsConnection_Close(nc);
      return Status::Unavailable("drain connection: not finished after " +
                                 std::to_string(timeout.count()) + " ms; closed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::Ok();
}

Result<Library> Library::Open() {
  natsStatus s = nats_Open(-1);
  if (s != NATS_OK) return FromNats(s, "initialise nats.c");
  Library lib;
  lib.open_ = true;
  return lib;
}

Library::~Library() {
  if (!open_) return;
  natsStatus s = nats_CloseAndWait(5000);
  if (s != NATS_OK) {
    spdlog::warn("nats: {}", FromNats(s, "library teardown").message());
  }
}

}  // namespace harmony::nats
