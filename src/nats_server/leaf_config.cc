#include "nats_server/leaf_config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace harmony::nats_server::internal {
namespace {

// The first of `keys` that a line of the nats-server config `text` starts with (outside
// comments; keys are case-insensitive), or "" for none.
std::string FirstKeySet(const std::string& text, std::initializer_list<const char*> keys) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    size_t at = line.find_first_not_of(" \t");
    if (at == std::string::npos) continue;
    std::string rest = line.substr(at);
    std::transform(rest.begin(), rest.end(), rest.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const char* key : keys) {
      const std::string k = key;
      if (rest.compare(0, k.size(), k) != 0) continue;
      if (rest.size() == k.size() ||
          std::string(" \t:={").find(rest[k.size()]) != std::string::npos) {
        return k;
      }
    }
  }
  return "";
}

bool ValidDomain(const std::string& domain) {
  return !domain.empty() && std::all_of(domain.begin(), domain.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
}

}  // namespace

Status CheckLeafSetup(const EmbeddedServerOptions& o) {
  if (!o.leaf.enabled()) return Status::Ok();
  if (!ValidDomain(o.leaf.hub_domain)) {
    return Status::InvalidArgument(
        "leaf mode needs the hub's JetStream domain (letters, digits, '-', '_'; got \"" +
        o.leaf.hub_domain +
        "\"): nats-server passes JetStream traffic over a leaf link only when it names the "
        "hub's domain; set jetstream { domain: NAME } on the hub servers and pass NAME");
  }
  if (!o.cluster_addr.empty()) {
    return Status::InvalidArgument(
        "leaf mode cannot be combined with a cluster of embedded servers: without JetStream "
        "they hold no streams and would only relay; connect each node to the hub instead");
  }
  if (o.config_file.empty()) return Status::Ok();
  std::ifstream in(o.config_file);
  if (!in) return Status::IoError("read " + o.config_file + " (server_config)");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string key = FirstKeySet(text, {"jetstream", "leafnodes", "mappings", "accounts"});
  if (key == "jetstream") {
    return Status::InvalidArgument(
        o.config_file +
        " enables JetStream on a leaf node: its own JetStream domain would accept the writes "
        "made while the link to the hub is down and keep them from the hub's streams; remove "
        "the jetstream block (the hub's JetStream holds the streams)");
  }
  if (!key.empty()) {
    return Status::InvalidArgument(o.config_file + " sets `" + key +
                                   "`, which harmony's leaf mode sets up itself; remove it");
  }
  return Status::Ok();
}

Result<AuthConfig> WriteLeafConfig(const std::string& dir, const LeafOptions& leaf,
                                   const ClientAuth& auth, const std::string& config_file) {
  AuthConfig config{dir + "/harmony-leaf.conf", {}};
  std::string text =
      "# Written by harmony at every start: this embedded nats-server runs without JetStream\n"
      "# as a leaf node of the hub, whose JetStream (domain " +
      leaf.hub_domain +
      ") holds the streams. The remote\n"
      "# URLs and any credentials are not in this file: nats-server reads them from the\n"
      "# environment harmony starts it with.\n";
  if (!config_file.empty()) {
    // nats-server resolves an include relative to the including file, even an absolute path.
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(config_file, ec);
    const auto relative = std::filesystem::relative(absolute, std::filesystem::absolute(dir), ec);
    if (ec || relative.empty()) {
      return Status::IoError("server_config " + config_file + ": no path relative to " + dir);
    }
    text += "include " + QuoteConfigString(relative.string()) + "\n";
  }
  if (!auth.empty()) text += AuthorizationBlock(auth, &config.env);
  text += "leafnodes {\n  remotes = [\n";
  for (size_t i = 0; i < leaf.remotes.size(); ++i) {
    const std::string name = "HARMONY_LEAF_URL_" + std::to_string(i + 1);
    text += "    { url: $" + name + " }\n";
    config.env.push_back(name + "=" + QuoteConfigString(leaf.remotes[i]));
  }
  const std::string hub = "$JS." + leaf.hub_domain + ".API";
  text +=
      "  ]\n}\n"
      "# This node's JetStream API, KV and object-store traffic goes to the hub's domain.\n"
      "mappings = {\n"
      "  \"$JS.API.>\": \"" +
      hub +
      ".>\"\n"
      "  \"$KV.>\": \"" +
      hub +
      ".$KV.>\"\n"
      "  \"$OBJ.>\": \"" +
      hub +
      ".$OBJ.>\"\n"
      "}\n";
  HARMONY_RETURN_IF_ERROR(WritePrivateFile(config.path, text));
  return config;
}

}  // namespace harmony::nats_server::internal
