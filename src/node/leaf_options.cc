#include "node/leaf_options.h"

#include "nats/security.h"

namespace harmony::node {

Status CheckLeafFlags(const config::Config& config, const ClusterFlags& flags) {
  if (flags.leaf_servers.empty()) {
    if (flags.hub_domain.empty()) return Status::Ok();
    return Status::InvalidArgument("-hub-domain is only used with -leaf-servers");
  }
  const std::string leaf = "-leaf-servers " + nats::RedactUrls(flags.leaf_servers);
  if (!config.nats.urls.empty()) {
    return Status::InvalidArgument(
        leaf +
        " needs the embedded broker, but [nats] urls is set: there is no embedded "
        "nats-server to link to the hub; remove [nats] urls or -leaf-servers");
  }
  if (!flags.cluster_addr.empty() || !flags.cluster_peers.empty()) {
    return Status::InvalidArgument(
        leaf +
        " cannot be combined with -cluster-addr / -cluster-peers: a leaf node runs "
        "without JetStream, so a cluster of them holds no streams; link each node to the "
        "hub instead");
  }
  if (flags.hub_domain.empty()) {
    return Status::InvalidArgument(
        leaf +
        " needs -hub-domain NAME: nats-server lets JetStream traffic through a leaf "
        "link only when it names the hub's JetStream domain; set jetstream { domain: "
        "NAME } on the hub servers");
  }
  return Status::Ok();
}

std::string DescribeLeaf(const nats_server::LeafOptions& leaf) {
  if (!leaf.enabled()) return "";
  return ", leaf node of " + nats::RedactUrls(leaf.remotes) +
         " without JetStream (hub JetStream domain " + leaf.hub_domain + ")";
}

}  // namespace harmony::node
