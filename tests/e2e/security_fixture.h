#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/harmony_process.h"
#include "tests/support/nats_server_process.h"
#include "tests/support/temp_dir.h"

namespace harmony::test {

// Certificates made for one test with the openssl CLI: a CA, a server certificate for
// 127.0.0.1/localhost (subjectAltName; also usable as a client, for routes) and a client
// certificate, all signed by the CA.
struct TestPki {
  std::string ca, server_cert, server_key, client_cert, client_key;
};
// Writes them into `dir`; on failure adds a gtest failure and returns false.
bool MakeTestPki(const std::string& dir, TestPki* pki);

// The user NKEY pair of the NATS documentation's nkey examples: a public test fixture, never a
// real credential (nats.c cannot generate keys and no `nk` tool is installed).
inline constexpr char kTestNKeySeed[] =
    "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
inline constexpr char kTestNKeyPublic[] =
    "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

// Harmony nodes against a nats-server configured by the test (auth, TLS). Every node keeps
// everything harmony writes (database, log, embedded broker data) in its own directory
// dir_/node<i>; configs and server files are elsewhere. TearDown stops the nodes and checks that
// no secret registered with Secret() appears in any file of those directories, nor in any
// process's command line.
class SecurityTest : public ::testing::Test {
 protected:
  void TearDown() override;

  // Registers `value` as a secret and returns it.
  std::string Secret(std::string value);
  // Starts nats-server -js with `conf` as its config file (port and store from the fixture).
  void StartServer(const std::string& conf);
  std::string ServerUrl() const { return server_->url(); }

  std::string NodeDir(int i) const { return dir_.Sub("node" + std::to_string(i)); }
  std::string DbPath(int i) const { return NodeDir(i) + "/app.db"; }
  // Writes node i's config: its database (created with table t if absent), `nats` as the
  // body of [nats] (urls, credentials, ...), connect_retries = 0. Returns its path.
  std::string WriteConfig(int i, const std::string& nats);
  // Starts node i with `nats` (and command-line `extra_args`) and waits until it is ready.
  void StartNode(int i, const std::string& nats, std::vector<std::string> extra_args = {});
  // StartNode in two halves, for nodes that only get ready together (a clustered broker).
  void LaunchNode(int i, const std::string& nats, std::vector<std::string> extra_args = {});
  void AwaitReady(int i);
  // Runs node i with `nats` expecting it to fail at start; returns harmony's last stderr line
  // ("harmony: ...") after checking the exit status.
  std::string FailingStart(int i, const std::string& nats);
  // Inserts a row on node `from` and waits for it on node `to`.
  void ExpectReplicates(int from, int to, const std::string& value);

  TempDir dir_{"harmony-security"};
  std::unique_ptr<NatsServerProcess> server_;
  std::vector<std::unique_ptr<HarmonyProcess>> nodes_;
  std::vector<std::string> secrets_;
};

// SecurityTest with a fresh TestPki.
class TlsTest : public SecurityTest {
 protected:
  void SetUp() override { ASSERT_TRUE(MakeTestPki(dir_.Sub("pki"), &pki_)); }
  // A nats-server `tls` block with the server certificate, and `extra` settings.
  std::string ServerTls(const std::string& extra = "") const {
    return "tls { cert_file: \"" + pki_.server_cert + "\", key_file: \"" + pki_.server_key + "\"" +
           extra + " }\n";
  }
  TestPki pki_;
};

}  // namespace harmony::test
