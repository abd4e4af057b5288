#include "node/broker_options.h"

#include <algorithm>
#include <filesystem>
#include <string>

#include "node/node_options.h"

namespace harmony::node {
namespace {

namespace fs = std::filesystem;

// Splits "host:port"; an empty host means every interface, "[v6]" loses its brackets, and port
// -1 asks for any free port (nats-server's convention, HarmonyLite's default ":-1").
Status ParseHostPort(const std::string& address, std::string* host, int* port) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("bind_address '" + address + "' is not host:port");
  }
  *host = address.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) *host = "0.0.0.0";
  try {
    *port = std::stoi(address.substr(colon + 1));
  } catch (...) {
    return Status::InvalidArgument("bind_address '" + address + "' has no valid port");
  }
  if ((*port <= 0 || *port > 65535) && *port != -1) {
    return Status::InvalidArgument("bind_address '" + address + "' port out of range");
  }
  return Status::Ok();
}

// What to check when the server says "Authorization Violation", in the config's own words.
std::string CredentialsHint(const config::NatsConfig& nats) {
  if (!nats.user_name.empty()) return "check [nats] user_name/user_password";
  if (!nats.token.empty()) return "check [nats] token";
  if (!nats.seed_file.empty()) return "check [nats] seed_file: is its public key a server user?";
  if (!nats.creds_file.empty()) return "check [nats] creds_file";
  const bool url_credentials = std::any_of(nats.urls.begin(), nats.urls.end(), [](const auto& u) {
    return u.find('@') != std::string::npos;
  });
  if (url_credentials) return "check the credentials in [nats] urls";
  return "the server requires credentials: set [nats] user_name/user_password, token, seed_file "
         "or creds_file";
}

}  // namespace

Result<bus::ConnectOptions> ConnectOptionsOf(const config::Config& config, std::string name) {
  const config::NatsConfig& nats = config.nats;
  HARMONY_RETURN_IF_ERROR(config::CheckNatsFiles(nats));
  bus::ConnectOptions connect;
  connect.urls = nats.urls;
  connect.connect_retries = nats.connect_retries;
  connect.reconnect_wait_seconds = nats.reconnect_wait_seconds;
  connect.name = std::move(name);
  connect.credentials = {.user = nats.user_name,
                         .password = nats.user_password,
                         .token = nats.token,
                         .nkey_seed_file = nats.seed_file,
                         .creds_file = nats.creds_file};
  connect.tls = {.ca_file = nats.ca_file,
                 .cert_file = nats.cert_file,
                 .key_file = nats.key_file,
                 .server_name = nats.tls_server_name};
  connect.hints = {.credentials = CredentialsHint(nats),
                   .client_certificate = "set [nats] cert_file/key_file"};
  return connect;
}

Status SecureEmbeddedServer(const config::NatsConfig& nats,
                            nats_server::EmbeddedServerOptions* options) {
  if (!nats.server_config.empty()) {
    options->config_file = nats.server_config;
    return Status::Ok();
  }
  if (!nats.ca_file.empty() || !nats.cert_file.empty() || !nats.tls_server_name.empty()) {
    return Status::InvalidArgument(
        "[nats] ca_file/cert_file/tls_server_name with the embedded broker (urls empty) need "
        "[nats] server_config with a tls block: harmony does not set up TLS for it by itself");
  }
  if (!nats.seed_file.empty() || !nats.creds_file.empty()) {
    return Status::InvalidArgument(
        "[nats] seed_file/creds_file with the embedded broker (urls empty) need [nats] "
        "server_config naming the users (nkeys or accounts) it accepts");
  }
  if (!nats.user_name.empty() || !nats.token.empty()) {
    options->client_auth = {
        .user = nats.user_name, .password = nats.user_password, .token = nats.token};
  }
  return Status::Ok();
}

bus::StreamOptions StreamOptionsOf(const config::Config& config) {
  bus::StreamOptions streams;
  streams.stream_prefix = config.nats.stream_prefix;
  streams.subject_prefix = config.nats.subject_prefix;
  streams.shards = config.replication_log.shards;
  streams.max_entries = config.replication_log.max_entries;
  streams.replicas = config.replication_log.replicas;
  streams.compress = config.replication_log.compress;
  streams.update_existing = config.replication_log.update_existing;
  return streams;
}

Result<bus::ConnectOptions> ToolConnectOptions(const config::Config& config,
                                               const std::string& tool) {
  const uint64_t node_id = NodeIdOf(config);
  HARMONY_ASSIGN_OR_RETURN(
      bus::ConnectOptions connect,
      ConnectOptionsOf(config, "harmony-" + std::to_string(node_id) + "-" + tool));
  if (connect.urls.empty()) {
    HARMONY_ASSIGN_OR_RETURN(connect.urls, BrokerUrlsForTools(config));
  }
  return connect;
}

Result<nats_server::EmbeddedServerOptions> EmbeddedServerOptionsOf(const config::Config& config,
                                                                   const ClusterFlags& flags,
                                                                   uint64_t node_id) {
  nats_server::EmbeddedServerOptions opts;
  HARMONY_RETURN_IF_ERROR(ParseHostPort(config.nats.bind_address, &opts.host, &opts.port)
                              .WithContext("[nats] bind_address"));
  opts.store_dir = EmbeddedStoreDir(config.db_path);
  opts.server_name = "harmony-" + std::to_string(node_id);
  opts.cluster_addr = flags.cluster_addr;
  opts.cluster_peers = flags.cluster_peers;
  opts.leaf = {.remotes = flags.leaf_servers, .hub_domain = flags.hub_domain};
  opts.log_file = opts.store_dir + "/nats-server.log";
  HARMONY_RETURN_IF_ERROR(SecureEmbeddedServer(config.nats, &opts));
  return opts;
}

std::string EmbeddedStoreDir(const std::string& db_path) {
  return fs::absolute(db_path).string() + "-harmony-nats";
}

Result<std::vector<std::string>> BrokerUrlsForTools(const config::Config& config) {
  if (!config.nats.urls.empty()) return config.nats.urls;
  // The embedded broker of the node running beside this database.
  std::string host;
  int port = 0;
  HARMONY_RETURN_IF_ERROR(
      ParseHostPort(config.nats.bind_address, &host, &port).WithContext("[nats] bind_address"));
  if (port == -1) {
    // A port the kernel picked: the running server's ports file in its store says which.
    HARMONY_ASSIGN_OR_RETURN(std::string url,
                             nats_server::RunningServerUrl(EmbeddedStoreDir(config.db_path)));
    return std::vector<std::string>{url};
  }
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::vector<std::string>{"nats://" + host + ":" + std::to_string(port)};
}

}  // namespace harmony::node
