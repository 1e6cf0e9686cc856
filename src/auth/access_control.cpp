#include "auth/access_control.h"

#include "util/read_file.h"

namespace shopflow {

AccessControl::AccessControl(const std::filesystem::path& data_dir, AccessOptions options)
    : options_(std::move(options)), issuer_(data_dir, options_.new_key_alg), clients_(data_dir), verifier_(kAudience, options_.clock_skew_s) {
  verifier_.trust({issuer_.issuer(), {{issuer_.kid(), issuer_.key()}}, true});
  for (const ExternalIssuer& e : options_.trusted) {
    std::optional<std::string> text = read_file(e.jwks_file);
    if (!text) throw std::runtime_error("cannot read JWKS file " + e.jwks_file);
    try {
      verifier_.trust(trusted_issuer_from_jwks(e.issuer, *text));
    } catch (const std::exception& err) {
      throw std::runtime_error(e.jwks_file + ": " + err.what());
    }
  }
  if (options_.rate_limit > 0)
    limiter_ = std::make_unique<RateLimiter>(options_.rate_limit, options_.rate_burst > 0 ? options_.rate_burst : 2 * options_.rate_limit);
}

Principal AccessControl::authenticate(std::string_view authorization, int64_t now_s) const {
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  if (authorization.empty()) throw AuthError("no access token (send Authorization: Bearer <token>)");
  if (authorization.size() > 7 && (authorization.substr(0, 7) == "Bearer " || authorization.substr(0, 7) == "bearer "))
    authorization.remove_prefix(7);
  while (!authorization.empty() && authorization.back() == ' ') authorization.remove_suffix(1);
  return verifier_.verify(authorization, now_s);
}

bool AccessControl::within_rate(const std::string& client_id, double& retry_after_s) {
  return !limiter_ || limiter_->allow(client_id, retry_after_s);
}

} // namespace shopflow
