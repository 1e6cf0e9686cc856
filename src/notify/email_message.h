// E-mail for events: an RFC 5322 message with a plain-text and an HTML part (MIME
// multipart/alternative, UTF-8, base64), one event per message or a digest of many.
//   Subject: [shopflow] Order 536365 completed: 139.12 (United Kingdom)
//   Subject: [shopflow] 12 events: 10 order.completed, 2 order.cancelled        (a digest)
// Each event shows as its summary line and its body's fields ("amount: 139.120"); nested values
// as JSON. Header fields carry only ASCII (a non-ASCII subject is an RFC 2047 encoded word).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shopflow {

struct MailEvent {
  std::string id, type, body; // body: a JSON object
  int64_t created_ms = 0;
};

// One line saying what happened, for a subject or a digest's list: "Order 536365 completed: 139.12 (United Kingdom)".
std::string event_summary(const MailEvent& event);
// The subject of a message holding `events` (one: its summary; more: counts by type).
std::string email_subject(const std::vector<MailEvent>& events);
// The whole message, CRLF line ends. `from` and `to` are bare addresses (name@domain).
std::string compose_email(const std::string& from, const std::string& to, const std::vector<MailEvent>& events, int64_t now_ms);

} // namespace shopflow
