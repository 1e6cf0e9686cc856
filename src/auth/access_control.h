// Everything `serve` needs to decide who may call what: shopflow's own issuer and client store,
// the verifier (own issuer plus --trust-issuer ones), and optional per-client rate limits.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/client_store.h"
#include "auth/rate_limiter.h"
#include "auth/token_issuer.h"
#include "auth/token_verifier.h"

namespace shopflow {

struct ExternalIssuer {
  std::string issuer;    // the tokens' "iss", e.g. https://cognito-idp.<region>.amazonaws.com/<pool>
  std::string jwks_file; // its JWKS document, saved locally
};

struct AccessOptions {
  std::vector<ExternalIssuer> trusted;
  int64_t token_ttl_s = 3600;
  int64_t clock_skew_s = 60;
  bool protect_metrics = false; // /metrics needs scope read
  double rate_limit = 0;        // requests/s per client; 0: no limit
  double rate_burst = 0;        // 0: twice the rate
  JwsAlg new_key_alg = JwsAlg::RS256; // for the key made at first start; a stored key keeps its own
};

class AccessControl {
public:
  // Opens (creating on first use) the data dir's key pair, issuer id and client store, and reads
  // every trusted issuer's JWKS. Throws naming the file that is wrong.
  AccessControl(const std::filesystem::path& data_dir, AccessOptions options);

  const TokenIssuer& issuer() const { return issuer_; }
  const ClientStore& clients() const { return clients_; }
  const AccessOptions& options() const { return options_; }
  // Verifies the value of an Authorization header ("Bearer <jwt>" or the raw "<jwt>").
  Principal authenticate(std::string_view authorization, int64_t now_s) const;
  // False (and the wait in seconds) when the client is over its rate.
  bool within_rate(const std::string& client_id, double& retry_after_s);

private:
  AccessOptions options_;
  TokenIssuer issuer_;
  ClientStore clients_;
  TokenVerifier verifier_;
  std::unique_ptr<RateLimiter> limiter_;
};

} // namespace shopflow
