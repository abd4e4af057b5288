// Responder and Request against a real nats-server: answers, "no responders", and a destroyed
// Responder never calling its handler again.
#include "nats/request_reply.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "nats/connection.h"
#include "tests/support/nats_server_process.h"
#include "tests/support/status_matchers.h"

namespace harmony::nats {
namespace {

using std::chrono::milliseconds;
using test::IsOk;

class RequestReplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = test::NatsServerProcess::Start();
    ASSERT_TRUE(IsOk(server));
    server_ = std::move(server).value();
    ConnectionOptions options;
    options.urls = {server_->url()};
    options.connect_retries = 0;
    options.name = "request-reply-test";
    auto conn = Connection::Connect(options);
    ASSERT_TRUE(IsOk(conn));
    conn_ = conn.value();
  }

  std::unique_ptr<test::NatsServerProcess> server_;
  std::shared_ptr<Connection> conn_;
};

TEST_F(RequestReplyTest, ResponderAnswersEachRequestWithItsHandlersResult) {
  auto responder = Responder::Start(conn_, "svc.echo", [](const std::string& request) {
    return "echo:" + request;
  });
  ASSERT_TRUE(IsOk(responder));
  auto reply = Request(*conn_, "svc.echo", "hello", milliseconds(2000));
  ASSERT_TRUE(IsOk(reply));
  EXPECT_EQ(*reply, "echo:hello");
  auto empty = Request(*conn_, "svc.echo", "", milliseconds(2000));
  ASSERT_TRUE(IsOk(empty));
  EXPECT_EQ(*empty, "echo:");
}

TEST_F(RequestReplyTest, RequestWithNoResponderFailsUnavailableAtOnce) {
  const auto start = std::chrono::steady_clock::now();
  auto reply = Request(*conn_, "svc.nobody", "x", milliseconds(10000));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Status::Code::kUnavailable) << reply.status().ToString();
  // "No responders" comes back from the server rather than after the 10 s timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(RequestReplyTest, DestroyedResponderNoLongerAnswersNorCallsItsHandler) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto responder = Responder::Start(conn_, "svc.gone", [calls](const std::string&) {
    calls->fetch_add(1);
    return std::string("ok");
  });
  ASSERT_TRUE(IsOk(responder));
  ASSERT_TRUE(IsOk(Request(*conn_, "svc.gone", "1", milliseconds(2000))));
  responder->reset();
  auto reply = Request(*conn_, "svc.gone", "2", milliseconds(2000));
  EXPECT_FALSE(reply.ok());
  EXPECT_EQ(calls->load(), 1);
}

TEST_F(RequestReplyTest, BadSubjectIsRefused) {
  auto responder = Responder::Start(conn_, "", [](const std::string&) { return std::string(); });
  ASSERT_FALSE(responder.ok());
  EXPECT_EQ(responder.status().code(), Status::Code::kInvalidArgument);
}

// RequestAll (-schema-status-cluster): one request, every responder's answer.
TEST_F(RequestReplyTest, RequestAllCollectsTheAnswerOfEveryResponder) {
  std::vector<std::unique_ptr<Responder>> responders;
  for (const char* name : {"a", "b", "c"}) {
    auto r = Responder::Start(conn_, "svc.all", [name](const std::string& request) {
      return std::string(name) + ":" + request;
    });
    ASSERT_TRUE(IsOk(r));
    responders.push_back(std::move(r).value());
  }
  ASSERT_TRUE(IsOk(conn_->Flush(milliseconds(2000))));  // the subscriptions reached the server
  auto replies = RequestAll(*conn_, "svc.all", "x", milliseconds(500));
  ASSERT_TRUE(IsOk(replies));
  std::vector<std::string> got = *replies;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"a:x", "b:x", "c:x"}));
  auto none = RequestAll(*conn_, "svc.nobody", "x", milliseconds(100));
  ASSERT_TRUE(IsOk(none));
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace harmony::nats
