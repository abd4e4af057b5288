#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "common/result.h"
#include "common/status.h"
#include "nats/security.h"

namespace harmony::nats {
class Connection;
class JetStream;
}  // namespace harmony::nats

namespace harmony::bus {

struct ConnectOptions {
  std::vector<std::string> urls;  // "nats://host:port" (may hold credentials; logged redacted)
  nats::Credentials credentials;  // how to authenticate, see nats/security.h
  nats::TlsOptions tls;
  nats::RefusalHints hints;  // what to check when the server refuses us
  // Failed initial connects are retried this many times, `reconnect_wait_seconds` apart; once
  // connected, the connection reconnects forever.
  int connect_retries = 5;
  int reconnect_wait_seconds = 2;
  std::string name = "harmony";  // client connection name, visible in server monitoring
  // A stop requested here (a shutdown during start-up) ends connect retries and EnsureStreams'
  // waiting at once and closes the connection (nats::ConnectionOptions::stop).
  std::stop_token stop;
};

// The JetStream implementation of the bus: one stream per shard ("<stream_prefix>-<s>", subject
// "<subject_prefix>-<s>", limits retention, file storage, discard old, MaxMsgs = max_entries,
// 2 min de-duplication window on Nats-Msg-Id).
//
// Owns the NATS connection and a JetStream context. Thread-safe: any thread may call its methods
// and create publishers and subscribers, each of which keeps the connection alive for as long as
// it exists (so they may outlive the bus). The connection survives broker restarts.
class JetStreamBus {
 public:
  // Connects (with retries); does not touch the streams: call EnsureStreams.
  static Result<std::unique_ptr<JetStreamBus>> Connect(const ConnectOptions& connect,
                                                       const StreamOptions& streams);
  JetStreamBus(const JetStreamBus&) = delete;
  JetStreamBus& operator=(const JetStreamBus&) = delete;
  ~JetStreamBus();

  // Creates every shard stream that is absent, recording the shared settings with it
  // (stream_settings.h). An existing stream whose max_entries, replicas or compress differ from
  // this node's fails with kInvalidArgument naming the stream, the key and both values, unless
  // update_existing is set, in which case the stream is changed (and the change logged). A
  // different shard count (recorded, or a stream beyond this node's last shard) always fails:
  // rows hash to shards, so nodes with different counts would diverge (issue #11, item 6).
  // Idempotent; safe for several nodes at once (JetStream create is atomic per name). While
  // JetStream cannot answer (a clustered server electing its meta leader, which takes a few
  // seconds after start; a restarting broker) it retries until `timeout`, then fails with the
  // last error (kUnavailable), or until ConnectOptions::stop (kCancelled).
  Status EnsureStreams(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // kNotFound if the shard's stream does not exist; kInvalidArgument for a shard outside 1..N.
  Result<StreamState> State(uint32_t shard);

  // When JetStream stored message `seq` of the shard's stream, ns since the Unix epoch.
  // kNotFound when it does not exist (any more); kUnavailable on broker trouble.
  Result<int64_t> StoredTimeNs(uint32_t shard, uint64_t seq);

  // Pipelined async publishing; see Publisher. One per publishing thread.
  std::unique_ptr<Publisher> NewPublisher();
  std::unique_ptr<Subscriber> NewSubscriber();

  const StreamOptions& stream_options() const { return streams_; }
  bool IsConnected() const;
  // The NATS connection, for other JetStream users on it (the snapshot store).
  const std::shared_ptr<nats::Connection>& connection() const { return connection_; }
  // The broker's max_payload (see nats::Connection::MaxPayload); publishers leave room below it
  // for headers (Publisher::MaxMessageBytes).
  size_t MaxPayload() const;

 private:
  JetStreamBus(StreamOptions streams, std::shared_ptr<nats::Connection> connection,
               std::shared_ptr<nats::JetStream> jetstream, std::stop_token stop);
  // Stream 1 records no settings: refuses when this node's last shard stream is missing.
  template <typename Retrying>
  Status CheckLegacyShards(Retrying& retrying);

  const StreamOptions streams_;
  const std::stop_token stop_;
  std::shared_ptr<nats::Connection> connection_;
  std::shared_ptr<nats::JetStream> jetstream_;  // after connection_: destroyed first
};

// Checks names, counts and limits; used by JetStreamBus::Connect.
Status ValidateStreamOptions(const StreamOptions& options);

}  // namespace harmony::bus
