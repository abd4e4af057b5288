#include <string>
#include <string_view>

#include "nats/security.h"

namespace harmony::nats {

std::string RedactUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  const size_t authority = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  size_t authority_end = url.find_first_of("/?#", authority);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  // The last '@' ends the user information: a password may itself contain '@'.
  const size_t at = url.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
  if (at == std::string_view::npos || at < authority) return std::string(url);
  const std::string_view userinfo = url.substr(authority, at - authority);
  const size_t colon = userinfo.find(':');
  std::string out(url.substr(0, authority));
  // "user:password" keeps the user (who connects is worth logging); a lone token is all secret.
  if (colon != std::string_view::npos) out.append(userinfo.substr(0, colon + 1));
  out += "***";
  out.append(url.substr(at));
  return out;
}

std::string RedactUrls(const std::vector<std::string>& urls) {
  std::string out;
  for (const std::string& url : urls) {
    if (!out.empty()) out += ",";
    out += RedactUrl(url);
  }
  return out;
}

}  // namespace harmony::nats
