// Delivering events by e-mail: the node's SMTP relay (serve --smtp) and one submission of a
// message (compose_email's) per event or per digest.
//   smtp://[USER@]HOST[:PORT]?from=ADDRESS[&cafile=PATH][&tls=none]
//     smtp://   plain SMTP upgraded with STARTTLS, which is required (port 587 by default)
//     smtps://  TLS from the start (port 465 by default)
//     USER      AUTH as USER, the password from the environment (SHOPFLOW_SMTP_PASSWORD), never
//               from the URL
//     from      the sender's address (required)
//     cafile    trusted CAs in PEM instead of the system's (a relay with a private CA)
//     tls=none  no TLS: accepted for a relay on this machine only (127.0.0.1, [::1], localhost)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/http_transfer.h"
#include "notify/email_message.h"

namespace shopflow {

struct SmtpRelay {
  std::string url; // smtp://HOST:PORT or smtps://HOST:PORT, for libcurl
  std::string username, password, from, ca_file;
  bool require_tls = true;
  std::string text() const; // as given, without a password: for logs and the dashboard
};

// Throws std::invalid_argument naming what is wrong. `password` is SHOPFLOW_SMTP_PASSWORD's value.
SmtpRelay parse_smtp_relay(const std::string& url, const std::string& password);

// Sends `events` to `to` as one message. Returns "" when the relay took it, else why not.
std::string deliver_email(HttpTransfer& session, const SmtpRelay& relay, const std::string& to, const std::vector<MailEvent>& events,
                          int64_t now_ms, long timeout_ms = 30'000);

} // namespace shopflow
