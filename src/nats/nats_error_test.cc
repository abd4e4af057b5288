#include "nats/nats_error.h"

#include <gtest/gtest.h>

namespace harmony::nats {
namespace {

TEST(NatsErrorTest, OkStaysOk) {
  EXPECT_TRUE(FromNats(NATS_OK, "anything").ok());
  EXPECT_TRUE(FromJetStream(NATS_OK, static_cast<jsErrCode>(0), "anything").ok());
}

TEST(NatsErrorTest, BrokerTroubleIsUnavailable) {
  for (natsStatus s : {NATS_TIMEOUT, NATS_NO_SERVER, NATS_NO_RESPONDERS, NATS_IO_ERROR,
                       NATS_CONNECTION_DISCONNECTED, NATS_INSUFFICIENT_BUFFER}) {
    EXPECT_EQ(FromNats(s, "x").code(), Status::Code::kUnavailable) << natsStatus_GetText(s);
  }
}

TEST(NatsErrorTest, MessageCarriesContextAndStatusText) {
  Status s = FromNats(NATS_TIMEOUT, "get info of stream 'a'");
  EXPECT_EQ(s.message().rfind("get info of stream 'a': ", 0), 0u) << s.message();
  EXPECT_NE(s.message().find(natsStatus_GetText(NATS_TIMEOUT)), std::string::npos);
}

TEST(NatsErrorTest, JetStreamCodesRefineTheStatus) {
  EXPECT_EQ(FromJetStream(NATS_NOT_FOUND, JSStreamNotFoundErr, "x").code(),
            Status::Code::kNotFound);
  EXPECT_EQ(FromJetStream(NATS_ERR, JSClusterNotAvailErr, "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(FromJetStream(NATS_ERR, JSStreamSubjectOverlapErr, "x").code(),
            Status::Code::kInvalidArgument);
  Status s = FromJetStream(NATS_ERR, JSClusterNoPeersErr, "create stream 's'");
  EXPECT_NE(s.message().find("10005"), std::string::npos) << s.message();
}

TEST(NatsErrorTest, ClosedConnectionIsCancelled) {
  EXPECT_EQ(FromNats(NATS_CONNECTION_CLOSED, "publish").code(), Status::Code::kCancelled);
}

}  // namespace
}  // namespace harmony::nats
