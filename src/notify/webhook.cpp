#include "notify/webhook.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <boost/url/parse.hpp>
#include <openssl/crypto.h>

#include "util/sha256.h"

namespace shopflow {

std::string webhook_signature(std::string_view secret, int64_t unix_s, std::string_view body) {
  std::string signed_text = std::to_string(unix_s);
  signed_text += '.';
  signed_text += body;
  return "t=" + std::to_string(unix_s) + ",v1=" + to_hex(hmac_sha256(secret, signed_text));
}

bool webhook_signature_valid(std::string_view header, std::string_view secret, std::string_view body, int64_t now_s, int64_t tolerance_s) {
  if (!header.starts_with("t=")) return false;
  size_t comma = header.find(",v1=");
  if (comma == std::string_view::npos) return false;
  std::string_view t = header.substr(2, comma - 2);
  int64_t signed_at = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), signed_at);
  if (ec != std::errc() || end != t.data() + t.size()) return false;
  if (signed_at < now_s - tolerance_s || signed_at > now_s + tolerance_s) return false;
  const std::string expected = webhook_signature(secret, signed_at, body);
  return expected.size() == header.size() && CRYPTO_memcmp(expected.data(), header.data(), header.size()) == 0;
}

bool is_loopback_host(std::string_view host) { return host == "127.0.0.1" || host == "localhost" || host == "[::1]"; }

void check_webhook_url(const std::string& url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) throw std::invalid_argument("webhook '" + url + "' is not a URL");
  if (u->has_userinfo()) throw std::invalid_argument("webhook '" + url + "': no user or password in the URL (the body is signed instead)");
  if (u->scheme() == "https" && !u->host().empty()) return;
  if (u->scheme() == "http" && is_loopback_host(u->host())) return;
  throw std::invalid_argument("webhook '" + url + "': give an https:// URL (http:// only to this machine: 127.0.0.1, [::1], localhost)");
}

DeliveryOutcome deliver_webhook(HttpTransfer& http, const std::string& url, std::string_view secret, const WebhookEvent& event,
                                int64_t now_s, long timeout_ms) {
  TransferRequest r;
  r.method = "POST";
  r.url = url;
  r.body = event.body;
  r.timeout_ms = timeout_ms;
  r.headers = {"Content-Type: application/json", "Shopflow-Event: " + event.type, "Idempotency-Key: " + event.id,
               "Shopflow-Signature: " + webhook_signature(secret, now_s, event.body), "User-Agent: shopflow-notify"};
  DeliveryOutcome out;
  try {
    TransferAnswer a = http.perform(r);
    out.status = a.status;
    out.delivered = a.status >= 200 && a.status < 300;
    if (!out.delivered) {
      out.detail = "answered " + std::to_string(a.status) + (a.body.empty() ? "" : ": " + a.body.substr(0, 200));
      std::string after = a.header("retry-after");
      int64_t seconds = 0;
      auto [end, ec] = std::from_chars(after.data(), after.data() + after.size(), seconds);
      if (!after.empty() && ec == std::errc() && end == after.data() + after.size() && seconds >= 0)
        out.retry_after_ms = std::min<int64_t>(seconds, 86'400) * 1000;
    }
  } catch (const HttpTransferError& e) {
    out.detail = e.what();
  }
  return out;
}

int64_t retry_delay_ms(int attempt, uint64_t random_bits, int64_t base_ms, int64_t cap_ms) {
  int64_t ceiling = base_ms;
  for (int i = 1; i < attempt && ceiling < cap_ms; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap_ms);
  return static_cast<int64_t>(random_bits % static_cast<uint64_t>(ceiling + 1));
}

} // namespace shopflow
