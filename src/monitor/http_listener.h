#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/result.h"

namespace httplib {
class Server;
}

namespace harmony::monitor {

// One cpp-httplib server on its own thread, for the metrics and health endpoints. Stopping it
// (the destructor) takes milliseconds, so a node's shutdown stays within its bound (issue #11,
// item 7). Thread-safe to destroy from any thread once started.
class HttpListener {
 public:
  // Binds `bind` ("host:port", "[v6]:port", ":port" = every interface; port 0 picks one) and
  // serves what `setup` registered on the server. `key` names the config key in errors:
  // kInvalidArgument for a bind that is not host:port, kUnavailable when it cannot be bound.
  template <typename Setup>
  static Result<std::unique_ptr<HttpListener>> Start(const std::string& key,
                                                     const std::string& bind, Setup setup) {
    auto listener = std::unique_ptr<HttpListener>(new HttpListener());
    HARMONY_RETURN_IF_ERROR(listener->Create());
    setup(*listener->server_);
    HARMONY_RETURN_IF_ERROR(listener->Listen(key, bind));
    return listener;
  }
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;
  int port() const { return port_; }

 private:
  HttpListener() = default;
  Status Create();
  Status Listen(const std::string& key, const std::string& bind);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace harmony::monitor
