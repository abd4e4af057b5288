// How a Connection proves who it is and protects its traffic: credentials (user/password, token,
// NKEY seed file, credentials file) and TLS (CA, client certificate, expected server name), plus
// RedactUrl, which every log line and error message that shows a server URL goes through. These
// are plain values without nats.c types; src/node maps the [nats] config keys onto them once
// (node.cc, ConnectOptionsOf). Secrets held here are never logged or put into a Status message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace harmony::nats {

// At most one way to authenticate should be set; if several are, nats.c sends them all and the
// server decides (a creds_file replaces an NKEY seed). Empty fields are unused. Credentials
// inside a URL ("nats://user:pass@host") still work and are overridden by these.
struct Credentials {
  std::string user;  // with `password`: natsOptions_SetUserInfo
  std::string password;
  std::string token;           // natsOptions_SetToken
  std::string nkey_seed_file;  // a user NKEY seed ("SU..."), raw or decorated; public key derived
  std::string creds_file;      // JWT + seed (.creds): natsOptions_SetUserCredentialsFromFiles

  bool empty() const {
    return user.empty() && password.empty() && token.empty() && nkey_seed_file.empty() &&
           creds_file.empty();
  }
};

// TLS towards the server. Any field set turns TLS on (natsOptions_SetSecure), whatever the URL
// scheme. Without ca_file the system's trusted CAs verify the server.
struct TlsOptions {
  std::string ca_file;      // PEM CA certificate(s) that signed the server's certificate
  std::string cert_file;    // PEM client certificate chain (mutual TLS); needs key_file
  std::string key_file;     // PEM private key of cert_file
  std::string server_name;  // name the server certificate must carry instead of the URL's host

  bool enabled() const {
    return !ca_file.empty() || !cert_file.empty() || !key_file.empty() || !server_name.empty();
  }
};

// What to tell the user when the server refuses the connection, in the words of whoever set the
// options up (src/node names the [nats] keys); an empty hint adds nothing.
struct RefusalHints {
  // After "Authorization Violation", e.g. "check [nats] user_name/user_password".
  std::string credentials;
  // When the server closes a TLS connection for which no client certificate was configured
  // (nats.c reports "Expected 'PONG', got ''"), e.g. "set [nats] cert_file/key_file".
  std::string client_certificate;
};

// `url` with the secret part of its user information replaced by "***", so it can be logged:
//   "nats://user:pass@host:4222" -> "nats://user:***@host:4222"
//   "nats://token@host:4222"     -> "nats://***@host:4222"
//   "nats://host:4222"           -> unchanged
// Works without a scheme ("user:pass@host") and on anything that is not a URL (returned as is
// unless it has an '@' before the first '/', '?' or '#'). Pure function, thread-safe.
std::string RedactUrl(std::string_view url);

// RedactUrl of each, joined with ",".
std::string RedactUrls(const std::vector<std::string>& urls);

// The public key ("U...", 56 characters) of the user NKEY seed in the file at `path`, which holds
// the seed alone or in a decorated block (as written by nsc/nk). Errors name the path but never
// quote the file: NotFound/IoError if unreadable, InvalidArgument if it holds no valid user
// seed. The seed is wiped from memory before returning. Thread-safe.
Result<std::string> NKeyPublicKeyFromSeedFile(const std::string& path);

// The text form of an NKEY (docs.nats.io, "NKeys"): base32 without padding of `prefix_and_key`
// (the prefix byte(s) — one for a public key, two for a seed — then the raw 32-byte Ed25519 key)
// followed by its CRC-16/XMODEM, little-endian. Used above; public for the tests that make keys.
// Thread-safe.
std::string EncodeNKey(std::string_view prefix_and_key);

}  // namespace harmony::nats
