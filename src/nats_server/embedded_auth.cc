#include "nats_server/embedded_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace harmony::nats_server::internal {

std::string QuoteConfigString(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string AuthorizationBlock(const ClientAuth& auth, std::vector<std::string>* env) {
  std::string text = "authorization {\n";
  if (!auth.token.empty()) {
    text += "  token: $HARMONY_NATS_AUTH_TOKEN\n";
    env->push_back("HARMONY_NATS_AUTH_TOKEN=" + QuoteConfigString(auth.token));
  } else {
    text += "  user: $HARMONY_NATS_AUTH_USER\n  password: $HARMONY_NATS_AUTH_PASSWORD\n";
    env->push_back("HARMONY_NATS_AUTH_USER=" + QuoteConfigString(auth.user));
    env->push_back("HARMONY_NATS_AUTH_PASSWORD=" + QuoteConfigString(auth.password));
  }
  return text + "}\n";
}

Status WritePrivateFile(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("write " + path + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0;  // in case an older file had another mode
  ok = ok && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int err = errno;
  ::close(fd);
  if (!ok) return Status::IoError("write " + path + ": " + std::strerror(err));
  return Status::Ok();
}

Result<AuthConfig> WriteAuthConfig(const std::string& dir, const ClientAuth& auth) {
  if (auth.user.empty() && auth.token.empty()) {
    return Status::InvalidArgument("nats-server: client_auth has neither a user nor a token");
  }
  AuthConfig config{dir + "/harmony-auth.conf", {}};
  const std::string text =
      "# Written by harmony at every start: clients of this embedded nats-server must\n"
      "# authenticate. The secrets are not in this file: nats-server reads them from the\n"
      "# environment harmony starts it with.\n" +
      AuthorizationBlock(auth, &config.env);
  HARMONY_RETURN_IF_ERROR(WritePrivateFile(config.path, text));
  return config;
}

}  // namespace harmony::nats_server::internal
