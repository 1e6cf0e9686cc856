// A subscription: which events (a type pattern and a filter on the body) go where (a webhook, or
// an e-mail address), and how hard to try.
//   events   "order.completed", "order.*" (a prefix before ".*"), or "*"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "notify/event_filter.h"

namespace shopflow {

struct Subscription {
  std::string id;                 // [a-z0-9-], chosen by its maker
  std::string events = "*";       // a type pattern
  std::string filter;             // EventFilter text; empty: every event of the types
  std::string webhook_url, secret; // a webhook (check_webhook_url) and its signing secret...
  std::string email;               // ...or an e-mail address
  int digest_minutes = 0;          // e-mail: 0 one message per event, else a digest of what came in N minutes
  int max_attempts = 10;           // then the delivery is dead-lettered
  // The JSON stored and listed (the secret is listed only as "secret_set").
  std::string to_json(bool with_secret) const;
  // Throws std::invalid_argument naming what is wrong (a bad id, pattern, filter, URL, address).
  static Subscription from_json(std::string_view json);
  bool wants(std::string_view type, std::string_view body) const;

private:
  EventFilter compiled_; // `filter` parsed once, by from_json
};

// Throws std::invalid_argument unless `address` is one address (name@domain, no spaces, <>, or commas).
void check_email_address(const std::string& address);

// Whether `type` matches a pattern: "*", "order.*" (any type starting "order."), or exactly.
bool event_type_matches(std::string_view pattern, std::string_view type);

} // namespace shopflow
