#include "tests/e2e/nats_jwt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>

#include "nats/security.h"

namespace harmony::test {
namespace {

constexpr uint8_t kPrefixSeed = 18 << 3;  // 'S'

uint8_t PrefixOf(NKeyType type) {
  switch (type) {
    case NKeyType::kOperator:
      return 14 << 3;  // 'O'
    case NKeyType::kAccount:
      return 0;  // 'A'
    case NKeyType::kUser:
      return 20 << 3;  // 'U'
  }
  return 0;
}

// Lower-case hex, for the JWT id.
std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string Base64Url(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(n);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

Key PrivateKey(const std::string& raw_seed) {
  return Key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const unsigned char*>(raw_seed.data()),
                                          raw_seed.size()),
             EVP_PKEY_free);
}

std::string Sign(const NKeyPair& key, const std::string& message) {
  Key pkey = PrivateKey(key.raw_seed);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string signature(64, '\0');
  size_t size = signature.size();
  if (!pkey || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    ADD_FAILURE() << "OpenSSL could not sign with an Ed25519 key";
    return "";
  }
  signature.resize(size);
  return signature;
}

}  // namespace

NKeyPair MakeNKeyPair(NKeyType type) {
  NKeyPair pair;
  pair.raw_seed.resize(32);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(pair.raw_seed.data()), 32) != 1) {
    ADD_FAILURE() << "OpenSSL RAND_bytes failed";
    return {};
  }
  Key key = PrivateKey(pair.raw_seed);
  std::string raw_public(32, '\0');
  size_t size = raw_public.size();
  if (!key || EVP_PKEY_get_raw_public_key(
                  key.get(), reinterpret_cast<unsigned char*>(raw_public.data()), &size) != 1) {
    ADD_FAILURE() << "OpenSSL could not derive an Ed25519 public key";
    return {};
  }
  const uint8_t prefix = PrefixOf(type);
  std::string seed;
  seed += static_cast<char>(kPrefixSeed | (prefix >> 5));
  seed += static_cast<char>((prefix & 31) << 3);
  pair.seed = nats::EncodeNKey(seed + pair.raw_seed);
  pair.public_key = nats::EncodeNKey(std::string(1, static_cast<char>(prefix)) + raw_public);
  return pair;
}

std::string MakeJwt(const NKeyPair& issuer, const std::string& subject_public_key,
                    const std::string& name, const nlohmann::json& nats) {
  nlohmann::json claims = {
      {"iat", std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count()},
      {"iss", issuer.public_key},
      {"name", name},
      {"sub", subject_public_key},
      {"nats", nats},
  };
  // The JWT id is a hash of the claims without it (nats-io/jwt uses SHA-512/256; the server
  // does not check it).
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  const std::string unhashed = claims.dump();
  SHA256(reinterpret_cast<const unsigned char*>(unhashed.data()), unhashed.size(), digest.data());
  claims["jti"] = Hex(digest.data(), digest.size());
  const std::string signed_part =
      Base64Url(R"({"typ":"JWT","alg":"ed25519-nkey"})") + "." + Base64Url(claims.dump());
  return signed_part + "." + Base64Url(Sign(issuer, signed_part));
}

nlohmann::json OperatorClaims() { return {{"type", "operator"}, {"version", 2}}; }

nlohmann::json AccountClaimsWithJetStream() {
  return {{"limits",
           {{"subs", -1},
            {"data", -1},
            {"payload", -1},
            {"imports", -1},
            {"exports", -1},
            {"wildcards", true},
            {"conn", -1},
            {"leaf", -1},
            {"mem_storage", -1},
            {"disk_storage", -1},
            {"streams", -1},
            {"consumer", -1}}},
          {"default_permissions",
           {{"pub", nlohmann::json::object()}, {"sub", nlohmann::json::object()}}},
          {"type", "account"},
          {"version", 2}};
}

nlohmann::json UserClaims() {
  return {{"pub", nlohmann::json::object()},
          {"sub", nlohmann::json::object()},
          {"subs", -1},
          {"data", -1},
          {"payload", -1},
          {"type", "user"},
          {"version", 2}};
}

std::string CredsFileText(const std::string& user_jwt, const std::string& user_seed) {
  return "-----BEGIN NATS USER JWT-----\n" + user_jwt +
         "\n------END NATS USER JWT------\n\n"
         "************************* IMPORTANT *************************\n"
         "NKEY Seed printed below can be used to sign and prove identity.\n"
         "NKEYs are sensitive and should be treated as secrets.\n\n"
         "-----BEGIN USER NKEY SEED-----\n" +
         user_seed +
         "\n------END USER NKEY SEED------\n\n"
         "*************************************************************\n";
}

}  // namespace harmony::test
