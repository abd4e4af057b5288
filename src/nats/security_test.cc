// RedactUrl and NKeyPublicKeyFromSeedFile: no network.
#include "nats/security.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace harmony::nats {
namespace {

// The user NKEY pair of the NATS documentation's nkey examples (a public test fixture, never a
// real credential).
constexpr char kSeed[] = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
constexpr char kPublicKey[] = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

TEST(RedactUrlTest, HidesThePasswordButKeepsTheUser) {
  EXPECT_EQ(RedactUrl("nats://alice:s3cret@127.0.0.1:4222"), "nats://alice:***@127.0.0.1:4222");
  EXPECT_EQ(RedactUrl("tls://alice:s3cret@host"), "tls://alice:***@host");
}

TEST(RedactUrlTest, HidesATokenWhole) {
  EXPECT_EQ(RedactUrl("nats://t0ken@127.0.0.1:4222"), "nats://***@127.0.0.1:4222");
}

TEST(RedactUrlTest, APasswordWithAtAndColonIsHiddenWhole) {
  EXPECT_EQ(RedactUrl("nats://bob:p@ss:w@rd@host:4222/x"), "nats://bob:***@host:4222/x");
}

TEST(RedactUrlTest, LeavesUrlsWithoutUserInformationAlone) {
  EXPECT_EQ(RedactUrl("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
  EXPECT_EQ(RedactUrl("nats://host:4222/path@x"), "nats://host:4222/path@x");
  EXPECT_EQ(RedactUrl(""), "");
  EXPECT_EQ(RedactUrl("host:4222"), "host:4222");
}

TEST(RedactUrlTest, WorksWithoutAScheme) {
  EXPECT_EQ(RedactUrl("user:pw@host:4222"), "user:***@host:4222");
  EXPECT_EQ(RedactUrl("tok@host"), "***@host");
}

TEST(RedactUrlTest, RedactsEachOfAList) {
  EXPECT_EQ(RedactUrls({"nats://a:b@h1:1", "nats://h2:2", "nats://t@h3:3"}),
            "nats://a:***@h1:1,nats://h2:2,nats://***@h3:3");
}

class SeedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("harmony-nkey-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(SeedFileTest, DerivesThePublicKeyOfARawSeed) {
  auto key = NKeyPublicKeyFromSeedFile(Write("raw.nk", std::string(kSeed) + "\n"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(*key, kPublicKey);
}

TEST_F(SeedFileTest, FindsTheSeedInADecoratedFile) {
  auto key = NKeyPublicKeyFromSeedFile(
      Write("decorated.nk", "-----BEGIN USER NKEY SEED-----\n" + std::string(kSeed) +
                                "\n------END USER NKEY SEED------\n"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(*key, kPublicKey);
}

TEST_F(SeedFileTest, ACorruptSeedIsRejectedWithoutQuotingIt) {
  std::string corrupt = kSeed;
  corrupt[20] = corrupt[20] == 'A' ? 'B' : 'A';  // breaks the CRC
  auto key = NKeyPublicKeyFromSeedFile(Write("bad.nk", corrupt));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(key.status().message().find("bad.nk"), std::string::npos);
  EXPECT_EQ(key.status().message().find(corrupt.substr(0, 10)), std::string::npos);
}

TEST_F(SeedFileTest, AMissingFileIsNotFoundNamingThePath) {
  auto key = NKeyPublicKeyFromSeedFile((dir_ / "absent.nk").string());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), Status::Code::kNotFound);
  EXPECT_NE(key.status().message().find("absent.nk"), std::string::npos);
}

}  // namespace
}  // namespace harmony::nats
