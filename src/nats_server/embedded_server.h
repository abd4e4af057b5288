#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/status.h"

// The nats-server process supervisor: starts, watches and stops a `nats-server` child. It speaks
// no NATS protocol beyond reading the server's INFO line, so it does not use nats.c (src/nats is
// the only place nats.h is included); src/node maps the [nats] config keys onto these options.
namespace harmony::nats_server {

// The credentials the embedded broker requires of its clients (a user and password, or a
// token). Empty fields are unused.
struct ClientAuth {
  std::string user;
  std::string password;
  std::string token;

  bool empty() const { return user.empty() && password.empty() && token.empty(); }
};

// Leaf-node mode (HarmonyLite's -leaf-servers): the embedded server runs WITHOUT JetStream and
// connects as a leaf node to a hub NATS system, whose JetStream holds the streams. The server
// maps this node's JetStream API, KV and object-store subjects onto the hub's domain
// ("$JS.API.>" -> "$JS.<hub_domain>.API.>", "$KV.>" / "$OBJ.>" -> "$JS.<hub_domain>.API.$KV.>" /
// "...$OBJ.>"): since nats-server 2.7 a leaf link carries "$JS.API.>", "$KV.>" and "$OBJ.>" only
// between servers sharing a system account and a domain (nats-server PR #2693; its log says
// "JetStream Not Extended, adding deny"), but the hub answers its domain's prefix from any
// leaf. While the link is down nothing answers: requests and stream publishes fail with "no
// responders", and the node keeps its changes until they are acknowledged. A leaf with a
// JetStream of its own (its own domain) would acknowledge them locally and keep them from the
// hub's streams; so JetStream stays off here and a server_config enabling it is refused.
struct LeafOptions {
  // Leaf remote URLs of the hub ("nats-leaf://user:password@host:7422", "tls://...",
  // "ws://..."). They may carry credentials: they reach the child only through its environment
  // (a generated 0600 config file refers to $HARMONY_LEAF_URL_<n>), never its command line, the
  // config file or our log lines.
  std::vector<std::string> remotes;
  // The hub's JetStream domain (`jetstream { domain: NAME }` in the hub servers' config):
  // letters, digits, '-' and '_'. Required with remotes.
  std::string hub_domain;

  bool enabled() const { return !remotes.empty(); }
};

struct EmbeddedServerOptions {
  std::string binary = "nats-server";  // a path, or a name looked up on PATH
  // Client listen address: a host name, an IPv4 address or an IPv6 address without brackets
  // ("::1"); "0.0.0.0" / "::" listen on every interface.
  std::string host = "127.0.0.1";
  // Client port, 1..65535, or -1 for one the kernel picks (nats-server's convention): Start()
  // learns it from the ports file nats-server writes, and restarts keep it.
  int port = 4222;
  // JetStream store; required, created if missing. In leaf mode (no JetStream) it still holds the
  // log, the ports file and the generated config.
  std::string store_dir;
  std::string server_name;             // empty: "harmony-<port>". Must be stable per store_dir.
  std::string cluster_name = "harmony";
  std::string cluster_addr;                // "host:port" to listen for routes; empty: no cluster
  std::vector<std::string> cluster_peers;  // route URLs "nats://host:port" (may include our own)
  std::string log_file;                    // empty: "<store_dir>/nats-server.log" (appended to)
  std::chrono::milliseconds ready_timeout{10000};
  // A stop requested here while Start() waits for the server ends the wait (kCancelled; the
  // child is stopped). Default: never stops.
  std::stop_token stop;
  // A nats-server config file, passed as -c, for what the fields above do not set:
  // authorization, tls, accounts, cluster authorization/tls/routes, limits. The fields above are
  // passed as flags too and win over the file (nats-server lets flags override it): the client
  // listen address and port, the store dir, the server name, the log file and, when
  // cluster_addr is set, the cluster listen address, name and routes. So the readiness check
  // (which looks for our server name on host:port) keeps working whatever the file says.
  std::string config_file;
  // Clients must authenticate with this user/password or token. Exclusive with config_file:
  // a generated config file (internal::WriteAuthConfig, 0600 in store_dir) refers to the
  // secrets, which reach the child through its environment, never its command line.
  ClientAuth client_auth;
  // Leaf-node mode when leaf.remotes is set; see LeafOptions. InvalidArgument from Start() when
  // hub_domain is missing or malformed, with cluster_addr (embedded servers without JetStream
  // would only relay), or when config_file sets `jetstream`, `leafnodes`, `mappings` or
  // `accounts` (harmony sets the first three itself; with accounts the mappings would not apply
  // to the account its client uses). config_file is then included by the generated config
  // (harmony-leaf.conf, 0600 in store_dir) together with client_auth's authorization block.
  LeafOptions leaf;
};

// A supervised `nats-server -js` child process (without -js in leaf mode).
//
// Start() spawns it and returns once its client port answers with an INFO carrying our server
// name (so a different process already listening there is not mistaken for ours), or fails
// with the child's exit status and the tail of its log (e.g. "address already in use"). A
// supervisor thread restarts the child with back-off if it exits unexpectedly. The child gets
// PR_SET_PDEATHSIG (SIGTERM), tied to the supervisor thread that forks it, so it does not
// outlive this process even on a crash; it runs in its own process group, so a terminal's ^C
// reaches only us and we stop it in order.
//
// Thread-safe accessors. The destructor sends SIGTERM, waits up to 5 s, then SIGKILLs.
class EmbeddedServer {
 public:
  static Result<std::unique_ptr<EmbeddedServer>> Start(EmbeddedServerOptions options);
  EmbeddedServer(const EmbeddedServer&) = delete;
  EmbeddedServer& operator=(const EmbeddedServer&) = delete;
  ~EmbeddedServer();

  // "nats://host:port" with the actual port ("nats://[::1]:port" for IPv6); a wildcard host
  // becomes the loopback address of its family.
  std::string ClientUrl() const;
  int port() const { return port_.load(); }  // the actual client port once Start() returned
  pid_t pid() const;              // the current child; 0 between an exit and its restart
  int restarts() const;           // unexpected exits that were restarted
  const EmbeddedServerOptions& options() const { return options_; }

 private:
  EmbeddedServer(EmbeddedServerOptions options, std::string binary_path,
                 std::string config_file, std::vector<std::string> env, int log_fd);
  void Supervise();
  Status AwaitReady();

  const EmbeddedServerOptions options_;  // defaults filled in
  const std::string binary_path_;
  const std::string config_file_;        // passed as -c ("" for none)
  const std::vector<std::string> env_;   // added to the child's environment (secrets)
  const int log_fd_;                     // O_APPEND, shared by every child as stdout/stderr
  std::atomic<int> port_;  // options_.port, or the learned one when that is -1

  mutable std::mutex mu_;
  std::condition_variable changed_;  // any field below changed
  // Guarded by mu_.
  pid_t pid_ = 0;          // unreaped child, so signalling it cannot hit a recycled pid
  bool ready_ = false;     // Start succeeded: exits from now on are restarted
  bool stopping_ = false;  // destructor running: do not restart
  bool supervisor_done_ = false;
  Status start_error_;  // first spawn failed, or the child exited before it was ready
  std::vector<std::string> args_;  // the port in them is the learned one after Start()
  int restarts_ = 0;

  std::thread supervisor_;  // last: started after everything above exists
};

// The client URL of the nats-server that a running EmbeddedServer started with this `store_dir`
// (from the ports file nats-server keeps there while it runs), e.g. for a command-line tool
// reaching the broker of the node beside it when bind_address has port -1. kNotFound when no
// running server left one.
Result<std::string> RunningServerUrl(const std::string& store_dir);

}  // namespace harmony::nats_server
