// ApplySecurity: Credentials and TlsOptions -> natsOptions.
#include <string>

#include "nats/connection_impl.h"
#include "nats/nats_error.h"
#include "nats/security.h"

namespace harmony::nats {
namespace {

Status ApplyCredentials(natsOptions* opts, const Credentials& c) {
  if (!c.user.empty() || !c.password.empty()) {
    natsStatus s = natsOptions_SetUserInfo(opts, c.user.c_str(), c.password.c_str());
    if (s != NATS_OK) return FromNats(s, "set the NATS user and password");
  }
  if (!c.token.empty()) {
    natsStatus s = natsOptions_SetToken(opts, c.token.c_str());
    if (s != NATS_OK) return FromNats(s, "set the NATS token");
  }
  if (!c.nkey_seed_file.empty()) {
    HARMONY_ASSIGN_OR_RETURN(std::string public_key, NKeyPublicKeyFromSeedFile(c.nkey_seed_file));
    // nats.c reads the seed from the file again for each signature and wipes it after use.
    natsStatus s = natsOptions_SetNKeyFromSeed(opts, public_key.c_str(), c.nkey_seed_file.c_str());
    if (s != NATS_OK) return FromNats(s, "use NKEY seed file " + c.nkey_seed_file);
  }
  if (!c.creds_file.empty()) {
    natsStatus s = natsOptions_SetUserCredentialsFromFiles(opts, c.creds_file.c_str(), nullptr);
    if (s != NATS_OK) return FromNats(s, "use credentials file " + c.creds_file);
  }
  return Status::Ok();
}

Status ApplyTls(natsOptions* opts, const TlsOptions& tls) {
  if (!tls.enabled()) return Status::Ok();
  natsStatus s = natsOptions_SetSecure(opts, true);
  if (s != NATS_OK) return FromNats(s, "turn on TLS (is nats.c built with TLS?)");
  if (!tls.ca_file.empty()) {
    s = natsOptions_LoadCATrustedCertificates(opts, tls.ca_file.c_str());
    if (s != NATS_OK) return FromNats(s, "load CA certificates from " + tls.ca_file);
  }
  if (!tls.cert_file.empty() || !tls.key_file.empty()) {
    s = natsOptions_LoadCertificatesChain(opts, tls.cert_file.c_str(), tls.key_file.c_str());
    if (s != NATS_OK) {
      return FromNats(s, "load client certificate " + tls.cert_file + " with key " + tls.key_file);
    }
  }
  if (!tls.server_name.empty()) {
    s = natsOptions_SetExpectedHostname(opts, tls.server_name.c_str());
    if (s != NATS_OK) return FromNats(s, "set the expected TLS server name");
  }
  return Status::Ok();
}

}  // namespace

Status ApplySecurity(natsOptions* opts, const Credentials& credentials, const TlsOptions& tls) {
  HARMONY_RETURN_IF_ERROR(ApplyCredentials(opts, credentials));
  return ApplyTls(opts, tls);
}

}  // namespace harmony::nats
