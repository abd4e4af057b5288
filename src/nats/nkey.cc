// NKeyPublicKeyFromSeedFile: nats.c signs the server's nonce with a seed file but needs the
// public key beside it (natsOptions_SetNKeyFromSeed), and offers nothing to derive it. HarmonyLite
// configures only the seed file, so the public key is derived here: an NKEY is the base32 of
// prefix byte(s), the raw Ed25519 key and a CRC-16/XMODEM; the public key comes from the seed
// through OpenSSL's Ed25519 (already linked by nats.c for TLS).
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "nats/security.h"

namespace harmony::nats {
namespace {

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr uint8_t kPrefixSeed = 18 << 3;  // 'S'
constexpr uint8_t kPrefixUser = 20 << 3;  // 'U'
constexpr size_t kSeedChars = 58;         // base32 of 2 prefix + 32 key + 2 CRC bytes

// Wipes a buffer holding key material when it goes out of scope.
template <typename Buffer>
struct Wiper {
  Buffer& buffer;
  ~Wiper() { OPENSSL_cleanse(buffer.data(), buffer.size()); }
};

uint16_t Crc16(const uint8_t* data, size_t size) {
  uint16_t crc = 0;
  for (size_t i = 0; i < size; ++i) {
    crc ^= static_cast<uint16_t>(data[i]) << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

bool Base32Decode(const std::string& text, std::string* out) {
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* pos = std::strchr(kBase32, c);
    if (c == '\0' || pos == nullptr) return false;
    buffer = (buffer << 5) | static_cast<uint32_t>(pos - kBase32);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return true;
}

std::string Base32Encode(const uint8_t* data, size_t size) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kBase32[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

}  // namespace

Result<std::string> NKeyPublicKeyFromSeedFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    std::string msg = "cannot read NKEY seed file " + path + ": " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(msg) : Status::IoError(msg);
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Wiper<std::string> wipe_text{text};
  // The seed is the first whitespace-separated word starting "SU" (a decorated file has the
  // "-----BEGIN USER NKEY SEED-----" line around it).
  std::string seed;
  Wiper<std::string> wipe_seed{seed};
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    if (word.size() == kSeedChars && word.rfind("SU", 0) == 0) {
      seed = word;
      OPENSSL_cleanse(word.data(), word.size());
      break;
    }
    OPENSSL_cleanse(word.data(), word.size());
  }
  const Status invalid = Status::InvalidArgument(
      "NKEY seed file " + path + " holds no valid user seed (a 58-character word starting 'SU')");
  if (seed.empty()) return invalid;
  std::string raw;
  Wiper<std::string> wipe_raw{raw};
  if (!Base32Decode(seed, &raw) || raw.size() != 36) return invalid;
  const auto* bytes = reinterpret_cast<const uint8_t*>(raw.data());
  const uint16_t crc = static_cast<uint16_t>(bytes[34] | (bytes[35] << 8));
  const uint8_t type = static_cast<uint8_t>(((bytes[0] & 7) << 5) | ((bytes[1] & 0xf8) >> 3));
  if ((bytes[0] & 0xf8) != kPrefixSeed || type != kPrefixUser || Crc16(bytes, 34) != crc) {
    return invalid;
  }

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes + 2, 32), EVP_PKEY_free);
  std::array<uint8_t, 33> pub{};
  size_t pub_size = 32;
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), pub.data() + 1, &pub_size) != 1 ||
      pub_size != 32) {
    return Status::Internal("derive the public key of NKEY seed file " + path + ": OpenSSL failed");
  }
  pub[0] = kPrefixUser;
  return EncodeNKey(std::string_view(reinterpret_cast<const char*>(pub.data()), pub.size()));
}

std::string EncodeNKey(std::string_view prefix_and_key) {
  std::string bytes(prefix_and_key);
  const uint16_t crc = Crc16(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  bytes += static_cast<char>(crc & 0xff);
  bytes += static_cast<char>(crc >> 8);
  return Base32Encode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace harmony::nats
