// ObjectStore and KvLease against a real nats-server: round trips, listing, replacing and
// deleting objects, truncated objects, the stream layout, and lease exclusivity and expiry.
#include "nats/object_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "nats/connection.h"
#include "nats/jetstream.h"
#include "nats/kv_lease.h"
#include "tests/support/await.h"
#include "tests/support/nats_server_process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace harmony::nats {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::IsOk;
using Progress = std::vector<std::pair<uint64_t, uint64_t>>;

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

ProgressFn Recorder(Progress& calls) {
  return [&calls](uint64_t done, uint64_t total) { calls.emplace_back(done, total); };
}

class ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = test::NatsServerProcess::Start();
    ASSERT_TRUE(IsOk(server));
    server_ = std::move(server).value();
    conn_ = Connect();
    ASSERT_NE(conn_, nullptr);
  }

  std::shared_ptr<Connection> Connect() {
    ConnectionOptions options;
    options.urls = {server_->url()};
    options.connect_retries = 0;
    options.reconnect_wait_seconds = 1;
    options.name = "object-store-test";
    auto conn = Connection::Connect(options);
    EXPECT_TRUE(IsOk(conn));
    return conn.ok() ? conn.value() : nullptr;
  }

  std::unique_ptr<ObjectStore> OpenStore(milliseconds message_timeout = seconds(10)) {
    auto store = ObjectStore::Open(conn_, "snapshots", 1, message_timeout);
    EXPECT_TRUE(IsOk(store));
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Writes `data` to a file in the temp dir and stores it as object `name`.
  void Put(ObjectStore& store, const std::string& name, const std::string& data,
           const std::map<std::string, std::string>& headers = {}) {
    const std::string path = dir_.Sub("put-" + std::to_string(++files_));
    WriteFile(path, data);
    ASSERT_TRUE(IsOk(store.PutFile(name, path, headers, nullptr)));
  }

  ObjectInfo MustGet(ObjectStore& store, const std::string& name) {
    auto info = store.Get(name);
    EXPECT_TRUE(IsOk(info));
    EXPECT_TRUE(info.ok() && info->has_value()) << name;
    return info.ok() && info->has_value() ? **info : ObjectInfo{};
  }

  std::vector<std::string> ListNames(ObjectStore& store) {
    auto list = store.List();
    EXPECT_TRUE(IsOk(list));
    std::vector<std::string> names;
    if (list.ok()) {
      for (const auto& info : *list) names.push_back(info.name);
    }
    return names;
  }

  test::TempDir dir_;
  std::unique_ptr<test::NatsServerProcess> server_;
  std::shared_ptr<Connection> conn_;  // after server_: closed first
  int files_ = 0;
};

TEST_F(ObjectStoreTest, PutAndGetRoundTripARandomFileAndAnEmptyFile) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string big = RandomBytes(1024 * 1024 + 123, 7);  // 9 chunks, the last one short
  WriteFile(dir_.Sub("big.bin"), big);
  WriteFile(dir_.Sub("empty.bin"), "");

  Progress put_big;
  ASSERT_TRUE(IsOk(store->PutFile("db/big", dir_.Sub("big.bin"),
                                  {{"db", "app.db"}, {"position", "42"}}, Recorder(put_big))));
  ASSERT_EQ(put_big.size(), 9u);
  EXPECT_EQ(put_big.front(),
            std::make_pair(uint64_t{ObjectStore::kChunkSize}, uint64_t{big.size()}));
  EXPECT_EQ(put_big.back(), std::make_pair(uint64_t{big.size()}, uint64_t{big.size()}));
  Progress put_empty;
  ASSERT_TRUE(IsOk(store->PutFile("db/empty", dir_.Sub("empty.bin"), {}, Recorder(put_empty))));
  EXPECT_EQ(put_empty, (Progress{{0, 0}}));

  auto list = store->List();
  ASSERT_TRUE(IsOk(list));
  ASSERT_EQ(list->size(), 2u);
  const ObjectInfo& big_info = (*list)[0];
  const ObjectInfo& empty_info = (*list)[1];
  EXPECT_EQ(big_info.name, "db/big");
  EXPECT_EQ(big_info.size, big.size());
  EXPECT_EQ(big_info.chunks, 9u);
  EXPECT_EQ(big_info.headers,
            (std::map<std::string, std::string>{{"db", "app.db"}, {"position", "42"}}));
  EXPECT_FALSE(big_info.deleted);
  EXPECT_TRUE(
      std::regex_match(big_info.mtime, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)")))
      << big_info.mtime;
  EXPECT_EQ(empty_info.name, "db/empty");
  EXPECT_EQ(empty_info.size, 0u);
  EXPECT_EQ(empty_info.chunks, 0u);

  Progress get_big;
  ASSERT_TRUE(IsOk(store->GetFile(big_info, dir_.Sub("big.out"), Recorder(get_big))));
  EXPECT_TRUE(ReadFile(dir_.Sub("big.out")) == big);
  EXPECT_FALSE(Exists(dir_.Sub("big.out.part")));
  ASSERT_EQ(get_big.size(), 9u);
  EXPECT_EQ(get_big.back(), std::make_pair(uint64_t{big.size()}, uint64_t{big.size()}));

  Progress get_empty;
  ASSERT_TRUE(IsOk(store->GetFile(empty_info, dir_.Sub("empty.out"), Recorder(get_empty))));
  EXPECT_TRUE(Exists(dir_.Sub("empty.out")));
  EXPECT_EQ(ReadFile(dir_.Sub("empty.out")), "");
  EXPECT_EQ(get_empty, (Progress{{0, 0}}));

  // Get reads the same metadata as List.
  ObjectInfo got = MustGet(*store, "db/big");
  EXPECT_EQ(got.nuid, big_info.nuid);
  EXPECT_EQ(got.headers, big_info.headers);
  EXPECT_EQ(got.mtime, big_info.mtime);  // both the server's timestamp of the metadata
  auto missing = store->Get("db/none");
  ASSERT_TRUE(IsOk(missing));
  EXPECT_FALSE(missing->has_value());
}

TEST_F(ObjectStoreTest, BucketIsAStandardObjectStoreStream) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto info = store->Info();
  ASSERT_TRUE(IsOk(info));
  EXPECT_EQ(info->stream, "OBJ_snapshots");
  EXPECT_EQ(info->subjects, (std::vector<std::string>{"$O.snapshots.C.>", "$O.snapshots.M.>"}));
  EXPECT_TRUE(info->file_storage);
  EXPECT_TRUE(info->allow_rollup);
  EXPECT_TRUE(info->discard_new);
  EXPECT_EQ(info->replicas, 1);

  auto js = JetStream::Create(conn_);
  ASSERT_TRUE(IsOk(js));
  auto stream = js.value()->GetStreamInfo("OBJ_snapshots");
  ASSERT_TRUE(IsOk(stream));
  EXPECT_EQ(stream->config.subject, "$O.snapshots.C.>");

  // Opening again binds to the existing stream.
  EXPECT_NE(OpenStore(), nullptr);
  EXPECT_TRUE(IsOk(store->List()));
  EXPECT_TRUE(store->List()->empty());
  EXPECT_EQ(ObjectStore::Open(conn_, "no.dots", 1).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(ObjectStoreTest, DeleteRemovesTheObjectAndItsChunks) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Put(*store, "a", RandomBytes(300 * 1024, 1));  // 3 chunks
  Put(*store, "b", RandomBytes(10, 2));          // 1 chunk
  ASSERT_EQ(ListNames(*store), (std::vector<std::string>{"a", "b"}));
  const ObjectInfo a = MustGet(*store, "a");

  ASSERT_TRUE(IsOk(store->Delete(a)));
  EXPECT_EQ(ListNames(*store), (std::vector<std::string>{"b"}));
  auto gone = store->Get("a");
  ASSERT_TRUE(IsOk(gone));
  EXPECT_FALSE(gone->has_value());
  // Left: b's chunk and the two metadata messages (b's, and a's deletion marker).
  EXPECT_EQ(store->Info()->messages, 3u);

  EXPECT_TRUE(IsOk(store->Delete(a)));  // already gone
  Status get = store->GetFile(a, dir_.Sub("a.out"), nullptr);
  EXPECT_EQ(get.code(), Status::Code::kNotFound) << get.ToString();
  EXPECT_FALSE(Exists(dir_.Sub("a.out")));
}

TEST_F(ObjectStoreTest, LastMetadataSequenceMovesWithEveryPutAndDelete) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto seq = [&] {
    auto s = store->LastMetadataSequence();
    EXPECT_TRUE(IsOk(s));
    return s.ok() ? *s : 0;
  };
  EXPECT_EQ(seq(), 0u) << "an empty bucket";
  Put(*store, "a", RandomBytes(300 * 1024, 1));
  const uint64_t after_a = seq();
  EXPECT_GT(after_a, 0u);
  EXPECT_EQ(seq(), after_a) << "nothing changed";
  Put(*store, "b", RandomBytes(10, 2));
  const uint64_t after_b = seq();
  EXPECT_GT(after_b, after_a);
  ASSERT_TRUE(IsOk(store->Delete(MustGet(*store, "a"))));
  EXPECT_GT(seq(), after_b);
}

TEST_F(ObjectStoreTest, PutOfTheSameNameReplacesTheObject) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string second = RandomBytes(200 * 1024, 4);
  Put(*store, "snap", RandomBytes(500 * 1024, 3));
  const ObjectInfo old = MustGet(*store, "snap");
  Put(*store, "snap", second);

  auto list = store->List();
  ASSERT_TRUE(IsOk(list));
  ASSERT_EQ(list->size(), 1u);
  EXPECT_NE((*list)[0].nuid, old.nuid);
  EXPECT_EQ((*list)[0].size, second.size());
  ASSERT_TRUE(IsOk(store->GetFile((*list)[0], dir_.Sub("snap.out"), nullptr)));
  EXPECT_TRUE(ReadFile(dir_.Sub("snap.out")) == second);
  // The old version's chunks were purged: the new one's 2 chunks and 1 metadata message remain.
  EXPECT_EQ(store->Info()->messages, 3u);
  Status stale = store->GetFile(old, dir_.Sub("old.out"), nullptr);
  EXPECT_EQ(stale.code(), Status::Code::kNotFound) << stale.ToString();
}

TEST_F(ObjectStoreTest, GetFileOfAnObjectWhoseChunksWerePurgedFailsAsCorruption) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Put(*store, "victim", RandomBytes(1024 * 1024, 5));
  const ObjectInfo victim = MustGet(*store, "victim");
  ASSERT_EQ(victim.chunks, 8u);
  // Purge its chunks behind its back: deleting an unrelated, absent name whose info carries
  // the victim's nuid purges those chunks and leaves the victim's metadata alone.
  ObjectInfo other = victim;
  other.name = "someone-else";
  ASSERT_TRUE(IsOk(store->Delete(other)));
  ASSERT_TRUE(MustGet(*store, "victim").nuid == victim.nuid);

  Progress progress;
  Status get = store->GetFile(victim, dir_.Sub("victim.out"), Recorder(progress));
  EXPECT_EQ(get.code(), Status::Code::kCorruption) << get.ToString();
  EXPECT_NE(get.message().find("0 of its 8 chunks"), std::string::npos) << get.message();
  EXPECT_NE(get.message().find("victim"), std::string::npos) << get.message();
  EXPECT_TRUE(progress.empty());
  EXPECT_FALSE(Exists(dir_.Sub("victim.out")));
  EXPECT_FALSE(Exists(dir_.Sub("victim.out.part")));
}

TEST_F(ObjectStoreTest, GetFileNeverLeavesAShortFileWhenTheServerStops) {
  auto store = OpenStore(seconds(1));
  ASSERT_NE(store, nullptr);
  const std::string data = RandomBytes(8 * 1024 * 1024, 6);  // 64 chunks
  Put(*store, "large", data);
  const ObjectInfo info = MustGet(*store, "large");

  bool stopped = false;
  Status get = store->GetFile(info, dir_.Sub("large.out"), [&](uint64_t, uint64_t) {
    if (!stopped) server_->Stop();
    stopped = true;
  });
  ASSERT_TRUE(stopped);
  // Chunks already buffered by the client may complete the transfer; otherwise it must fail
  // as broker trouble and leave nothing behind. Never a short file reported as success.
  if (get.ok()) {
    EXPECT_TRUE(ReadFile(dir_.Sub("large.out")) == data);
  } else {
    EXPECT_EQ(get.code(), Status::Code::kUnavailable) << get.ToString();
    EXPECT_FALSE(Exists(dir_.Sub("large.out")));
  }
  EXPECT_FALSE(Exists(dir_.Sub("large.out.part")));
}

TEST_F(ObjectStoreTest, PutFileOfAMissingFileIsAnIoError) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Status put = store->PutFile("x", dir_.Sub("does-not-exist"), {}, nullptr);
  EXPECT_EQ(put.code(), Status::Code::kIoError) << put.ToString();
  EXPECT_TRUE(ListNames(*store).empty());
}

// --- KvLease -------------------------------------------------------------------------------

class KvLeaseTest : public ObjectStoreTest {
 protected:
  std::unique_ptr<KvLease> OpenLease(const std::shared_ptr<Connection>& conn, seconds ttl) {
    auto lease = KvLease::Open(conn, "leases", ttl, 1);
    EXPECT_TRUE(IsOk(lease));
    return lease.ok() ? std::move(lease).value() : nullptr;
  }

  static bool Acquire(KvLease& lease, const std::string& holder) {
    auto acquired = lease.TryAcquire("snapshot", holder);
    EXPECT_TRUE(IsOk(acquired));
    return acquired.ok() && *acquired;
  }
};

TEST_F(KvLeaseTest, LeaseIsExclusiveRenewableAndReleasable) {
  auto a = OpenLease(conn_, seconds(30));
  auto other_conn = Connect();  // B as another node, on its own connection
  ASSERT_NE(other_conn, nullptr);
  auto b = OpenLease(other_conn, seconds(30));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);

  EXPECT_TRUE(Acquire(*a, "node-a"));
  EXPECT_FALSE(Acquire(*b, "node-b"));
  EXPECT_TRUE(Acquire(*a, "node-a"));  // renew
  EXPECT_FALSE(Acquire(*b, "node-b"));
  EXPECT_EQ(b->Holder("snapshot").value(), std::optional<std::string>("node-a"));

  EXPECT_TRUE(IsOk(b->Release("snapshot", "node-b")));  // not B's: no effect
  EXPECT_EQ(a->Holder("snapshot").value(), std::optional<std::string>("node-a"));

  EXPECT_TRUE(IsOk(a->Release("snapshot", "node-a")));
  EXPECT_EQ(a->Holder("snapshot").value(), std::nullopt);
  EXPECT_TRUE(IsOk(a->Release("snapshot", "node-a")));  // already free
  EXPECT_TRUE(Acquire(*b, "node-b"));
  EXPECT_FALSE(Acquire(*a, "node-a"));
}

TEST_F(KvLeaseTest, ReadShowsTheRevisionMoveWithEachRenewal) {
  auto lease = OpenLease(conn_, seconds(30));
  ASSERT_NE(lease, nullptr);
  EXPECT_EQ(lease->Read("snapshot").value(), std::nullopt);
  ASSERT_TRUE(Acquire(*lease, "node-a"));
  auto first = lease->Read("snapshot");
  ASSERT_TRUE(IsOk(first));
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->holder, "node-a");
  ASSERT_TRUE(Acquire(*lease, "node-a"));  // renew
  auto second = lease->Read("snapshot");
  ASSERT_TRUE(IsOk(second));
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->holder, "node-a");
  EXPECT_GT((*second)->revision, (*first)->revision);
}

TEST_F(KvLeaseTest, LeaseOfACrashedHolderExpiresAfterItsTtl) {
  auto a = OpenLease(conn_, seconds(1));
  auto b = OpenLease(conn_, seconds(1));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(Acquire(*a, "node-a"));
  const auto acquired_at = std::chrono::steady_clock::now();
  EXPECT_FALSE(Acquire(*b, "node-b"));
  // A "crashes": no renewal, no release.
  EXPECT_TRUE(
      test::PollUntil([&] { return Acquire(*b, "node-b"); }, seconds(10), milliseconds(100)));
  EXPECT_GE(std::chrono::steady_clock::now() - acquired_at, milliseconds(900));
  EXPECT_EQ(a->Holder("snapshot").value(), std::optional<std::string>("node-b"));
}

TEST_F(KvLeaseTest, ReopeningWithAnotherTtlUpdatesTheBucket) {
  ASSERT_NE(OpenLease(conn_, seconds(30)), nullptr);
  auto lease = OpenLease(conn_, seconds(1));
  ASSERT_NE(lease, nullptr);
  ASSERT_TRUE(Acquire(*lease, "node-a"));
  EXPECT_TRUE(test::PollUntil(
      [&] {
        auto holder = lease->Holder("snapshot");
        return holder.ok() && !holder->has_value();
      },
      seconds(10), milliseconds(100)));
  EXPECT_EQ(KvLease::Open(conn_, "leases", seconds(0), 1).status().code(),
            Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace harmony::nats
