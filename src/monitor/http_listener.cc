#include "monitor/http_listener.h"

#include <httplib.h>

#include <charconv>

namespace harmony::monitor {

Status HttpListener::Create() {
  server_ = std::make_unique<httplib::Server>();
  // cpp-httplib's default also sets SO_REUSEPORT, which lets a second process bind the same
  // port and silently share it: a port in use must fail the start instead.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<void*>(&yes), sizeof(yes));
  });
  return Status::Ok();
}

Status HttpListener::Listen(const std::string& key, const std::string& bind) {
  const size_t colon = bind.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    const std::string digits = bind.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) port = -1;
  }
  if (port < 0 || port > 65535) {
    return Status::InvalidArgument(key + " '" + bind + "' is not host:port");
  }
  std::string host = bind.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (port == 0) {
    port = server_->bind_to_any_port(host);
    if (port <= 0) return Status::Unavailable(key + " " + bind + ": cannot listen");
  } else if (!server_->bind_to_port(host, port)) {
    return Status::Unavailable(key + " " + bind + ": cannot listen (address in use?)");
  }
  port_ = port;
  thread_ = std::thread([s = server_.get()] { s->listen_after_bind(); });
  return Status::Ok();
}

HttpListener::~HttpListener() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace harmony::monitor
