// SCRAM-SHA-256 (RFC 5802/7677) as PostgreSQL uses it: the verifier stored for a client, and the
// server's side of one exchange. The verifier is PostgreSQL's text form:
//   SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shopflow {

// A verifier for `secret` with a random salt and 4096 iterations.
std::string scram_verifier(std::string_view secret);

// The salt offered to a user name that is no client: HMAC-SHA-256(server_key, user), first 16
// bytes; the same for the same name on every attempt.
std::string scram_unknown_user_salt(std::string_view server_key, std::string_view user);

class ScramServer {
public:
  // `verifier` empty: the exchange is played out with a made-up one and always fails, so an
  // unknown user costs the same and learns nothing; its salt is `unknown_user_salt` (stable per
  // user name, as PostgreSQL does: a random one would tell unknown users from known ones).
  explicit ScramServer(std::string_view verifier, std::string_view unknown_user_salt = {});
  // The client-first-message ("n,,n=,r=<nonce>") -> server-first-message, or nullopt if malformed.
  std::optional<std::string> first(std::string_view client_first);
  // The client-final-message -> server-final-message ("v=...") if the proof is right, else nullopt.
  std::optional<std::string> final(std::string_view client_final);

private:
  bool known_ = false;
  int iterations_ = 4096;
  std::string salt_, stored_key_, server_key_;
  std::string client_first_bare_, server_first_, nonce_;
};

} // namespace shopflow
