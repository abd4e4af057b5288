// NATS decentralized auth material made by a test, offline: NKEY pairs (operator, account,
// user), the JWTs that chain them (operator -> account -> user) and a .creds file. Neither nats.c
// nor nats-server can make these, and no `nsc` or `nk` tool is installed, so they are built here
// from the published formats: an NKEY is base32(prefix, Ed25519 key, CRC-16/XMODEM); a JWT is
// base64url(header).base64url(claims).base64url(Ed25519 signature of the first two parts), with
// "alg": "ed25519-nkey" (docs.nats.io, "JWTs" and "NKeys"; nats-io/jwt v2 claims).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace harmony::test {

struct NKeyPair {
  std::string seed;        // "S" + type letter ..., 58 characters: a secret
  std::string public_key;  // type letter ("O", "A", "U") ..., 56 characters
  std::string raw_seed;    // the 32 Ed25519 seed bytes
};

enum class NKeyType { kOperator, kAccount, kUser };

// A new random pair of `type` (OpenSSL RAND_bytes, Ed25519). Aborts the test binary's
// expectations (ADD_FAILURE) and returns an empty pair if OpenSSL fails.
NKeyPair MakeNKeyPair(NKeyType type);

// A JWT issued by `issuer` for `subject_public_key` with `nats` as the "nats" claim (it must
// hold "type" and "version"), named `name`, issued now.
std::string MakeJwt(const NKeyPair& issuer, const std::string& subject_public_key,
                    const std::string& name, const nlohmann::json& nats);

// The "nats" claims of an operator, of an account with JetStream and no limits, and of a user
// with no limits.
nlohmann::json OperatorClaims();
nlohmann::json AccountClaimsWithJetStream();
nlohmann::json UserClaims();

// The text of a .creds file as `nsc` writes it: the user JWT, then the user seed.
std::string CredsFileText(const std::string& user_jwt, const std::string& user_seed);

}  // namespace harmony::test
