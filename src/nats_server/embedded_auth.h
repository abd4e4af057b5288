// Internal to src/nats_server: the nats-server config file that makes an embedded broker require
// client credentials (EmbeddedServerOptions::client_auth).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "nats_server/embedded_server.h"

namespace harmony::nats_server::internal {

struct AuthConfig {
  std::string path;              // the file to pass with -c
  std::vector<std::string> env;  // "NAME=value" for the child: the secrets themselves
};

// Writes "<dir>/harmony-auth.conf" (mode 0600, replaced if present) with an `authorization`
// block requiring `auth`'s user/password or token. The file holds no secret: it refers to
// environment variables ($HARMONY_NATS_AUTH_*), which nats-server resolves from its environment
// and which `env` sets, quoted as nats-server config strings. InvalidArgument if `auth` has
// neither a user nor a token; IoError naming the path if it cannot be written.
Result<AuthConfig> WriteAuthConfig(const std::string& dir, const ClientAuth& auth);

// The `authorization` block requiring `auth`'s token, else its user and password, referring to
// $HARMONY_NATS_AUTH_* variables whose "NAME=value" settings are appended to `env`.
std::string AuthorizationBlock(const ClientAuth& auth, std::vector<std::string>* env);

// Writes `text` to `path` with mode 0600 (also when the file existed with another mode).
// IoError naming the path.
Status WritePrivateFile(const std::string& path, const std::string& text);

// `value` as a double-quoted nats-server config string ("a\"b" for a"b). Control characters are
// passed as they are.
std::string QuoteConfigString(const std::string& value);

}  // namespace harmony::nats_server::internal
