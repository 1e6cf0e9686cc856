// Delivering an event to a webhook: a POST of its JSON body with
//   Content-Type: application/json
//   Shopflow-Event: <type>
//   Idempotency-Key: <event id>          (the same on every attempt: receivers drop repeats)
//   Shopflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>
// A receiver recomputes v1 with the subscription's secret and refuses a t older than it
// tolerates (a replayed request). Delivery is at least once: any answer but 2xx, or none, is
// retried later (retry_delay_ms), so the receiver may see an event more than once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "net/http_transfer.h"

namespace shopflow {

struct WebhookEvent {
  std::string id, type, body; // body: a JSON object
};

// The Shopflow-Signature header's value for `body` signed at `unix_s`.
std::string webhook_signature(std::string_view secret, int64_t unix_s, std::string_view body);
// Whether a Shopflow-Signature value is `secret`'s for `body`, signed no more than `tolerance_s`
// before (or after) `now_s`. Compares in constant time.
bool webhook_signature_valid(std::string_view header, std::string_view secret, std::string_view body, int64_t now_s,
                             int64_t tolerance_s = 300);

// Whether a URL's host (as Boost.URL gives it: "[::1]" bracketed) is this machine: 127.0.0.1, [::1], localhost.
bool is_loopback_host(std::string_view host);

// A subscriber's URL: https://, or http:// to this machine (127.0.0.1, ::1, localhost) only.
// Throws std::invalid_argument saying what is wrong.
void check_webhook_url(const std::string& url);

struct DeliveryOutcome {
  bool delivered = false;
  long status = 0;            // the HTTP status; 0: no answer
  std::string detail;         // why not, for the delivery log
  int64_t retry_after_ms = -1; // the receiver's Retry-After (seconds), else -1
};
DeliveryOutcome deliver_webhook(HttpTransfer& http, const std::string& url, std::string_view secret, const WebhookEvent& event,
                                int64_t now_s, long timeout_ms = 10'000);

// The wait before retry `attempt` (1 for the first): exponential from base_ms, capped at cap_ms,
// with full jitter (uniform in [0, that] from `random_bits`), so that a subscriber back from
// an outage is not hit by every retry at once.
int64_t retry_delay_ms(int attempt, uint64_t random_bits, int64_t base_ms = 1000, int64_t cap_ms = 600'000);

} // namespace shopflow
