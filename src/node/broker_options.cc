#include "node/broker_options.h"

#include <algorithm>
#include <string>

#include "node/node.h"

namespace harmony::node {
namespace {

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

Status SecureEmbeddedServer(const config::NatsConfig& nats, nats_server::EmbeddedServerOptions* options) {
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
  const uint64_t node_id = config.node_id ? config.node_id : DeriveNodeId(config.db_path);
  HARMONY_ASSIGN_OR_RETURN(
      bus::ConnectOptions connect,
      ConnectOptionsOf(config, "harmony-" + std::to_string(node_id) + "-" + tool));
  if (connect.urls.empty()) {
    HARMONY_ASSIGN_OR_RETURN(connect.urls, BrokerUrlsForTools(config));
  }
  return connect;
}

}  // namespace harmony::node
