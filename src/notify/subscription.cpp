#include "notify/subscription.h"

#include <algorithm>
#include <stdexcept>

#include <simdjson.h>

#include "notify/webhook.h"
#include "util/json_writer.h"

namespace shopflow {

bool event_type_matches(std::string_view pattern, std::string_view type) {
  if (pattern == "*") return true;
  if (pattern.ends_with(".*")) return type.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == type;
}

bool Subscription::wants(std::string_view type, std::string_view body) const {
  return event_type_matches(events, type) && compiled_.matches(body);
}

std::string Subscription::to_json(bool with_secret) const {
  JsonWriter w;
  w.begin_object().field("id", id).field("events", events).field("filter", filter);
  if (!webhook_url.empty()) {
    w.field("webhook_url", webhook_url);
    if (with_secret) w.field("secret", secret);
    else w.field("secret_set", !secret.empty());
  }
  if (!email.empty()) w.field("email", email).field("digest_minutes", digest_minutes);
  w.field("max_attempts", max_attempts).end_object();
  return w.take();
}

Subscription Subscription::from_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(json.data(), json.size()).get_object().get(o)) throw std::invalid_argument("a subscription is a JSON object");
  Subscription s;
  for (auto [key, value] : o) {
    std::string_view text;
    if (key == "max_attempts") {
      int64_t n = 0;
      if (value.get_int64().get(n) || n < 1 || n > 1000) throw std::invalid_argument("max_attempts is a whole number from 1 to 1000");
      s.max_attempts = static_cast<int>(n);
      continue;
    }
    if (key == "digest_minutes") {
      int64_t n = 0;
      if (value.get_int64().get(n) || n < 0 || n > 10080) throw std::invalid_argument("digest_minutes is a whole number from 0 (one message per event) to 10080 (a week)");
      s.digest_minutes = static_cast<int>(n);
      continue;
    }
    if (key == "secret_set") continue; // as listed: the secret itself is not
    if (value.get_string().get(text)) throw std::invalid_argument("\"" + std::string(key) + "\" is a string");
    if (key == "id") s.id = text;
    else if (key == "events") s.events = text;
    else if (key == "filter") s.filter = text;
    else if (key == "webhook_url") s.webhook_url = text;
    else if (key == "secret") s.secret = text;
    else if (key == "email") s.email = text;
    else throw std::invalid_argument("unknown field \"" + std::string(key) + "\" (id, events, filter, webhook_url, secret, email, digest_minutes, max_attempts)");
  }
  if (s.id.empty() || s.id.size() > 64 ||
      !std::all_of(s.id.begin(), s.id.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }))
    throw std::invalid_argument("id '" + s.id + "': 1 to 64 of a-z, 0-9 and -");
  bool pattern_ok = s.events == "*" || (!s.events.empty() && std::all_of(s.events.begin(), s.events.end(), [](char c) {
                                          return (c >= 'a' && c <= 'z') || c == '.' || c == '_' || c == '*';
                                        }) && s.events.find('*') == (s.events.ends_with(".*") ? s.events.size() - 1 : std::string::npos));
  if (!pattern_ok) throw std::invalid_argument("events '" + s.events + "': a type (order.completed), a prefix (order.*) or *");
  s.compiled_ = EventFilter::parse(s.filter); // throws EventFilterError, an invalid_argument naming where
  if (s.webhook_url.empty() == s.email.empty()) throw std::invalid_argument("give one of webhook_url and email");
  if (!s.webhook_url.empty()) {
    check_webhook_url(s.webhook_url);
    if (s.secret.size() < 16) throw std::invalid_argument("a webhook's secret is 16 characters at least (it signs every delivery)");
  }
  if (!s.email.empty()) check_email_address(s.email);
  else if (s.digest_minutes) throw std::invalid_argument("digest_minutes goes with an email subscription");
  return s;
}

void check_email_address(const std::string& a) {
  size_t at = a.find('@');
  bool ok = a.size() <= 254 && at != std::string::npos && at > 0 && at + 1 < a.size() && a.find('@', at + 1) == std::string::npos &&
            std::none_of(a.begin(), a.end(), [](char c) { return c <= ' ' || c == '<' || c == '>' || c == ',' || c == 0x7f; });
  if (!ok) throw std::invalid_argument("email '" + a + "' is not an address (name@domain)");
}

} // namespace shopflow
