#include "notify/email_delivery.h"

#include <stdexcept>

#include <boost/url/parse.hpp>

#include "notify/subscription.h"
#include "notify/webhook.h"

namespace shopflow {

std::string SmtpRelay::text() const {
  return url + (username.empty() ? "" : " as " + username) + " from " + from + (require_tls ? "" : " (no TLS)");
}

SmtpRelay parse_smtp_relay(const std::string& text, const std::string& password) {
  auto u = boost::urls::parse_absolute_uri(text);
  if (!u) throw std::invalid_argument("--smtp '" + text + "' is not a URL (smtp://[USER@]HOST[:PORT]?from=ADDRESS)");
  const std::string scheme = u->scheme();
  if (scheme != "smtp" && scheme != "smtps") throw std::invalid_argument("--smtp '" + text + "': the scheme is smtp:// (STARTTLS) or smtps://");
  if (u->host().empty()) throw std::invalid_argument("--smtp '" + text + "': no host");
  if (u->has_password()) throw std::invalid_argument("--smtp: no password in the URL (give it in SHOPFLOW_SMTP_PASSWORD)");
  if (!u->encoded_path().empty() && u->encoded_path() != "/") throw std::invalid_argument("--smtp '" + text + "': no path after the host");
  SmtpRelay r;
  const std::string host(u->encoded_host_and_port());
  r.url = scheme + "://" + host + (u->has_port() ? "" : scheme == "smtps" ? ":465" : ":587");
  r.username = u->user();
  r.password = password;
  if (!r.username.empty() && r.password.empty()) throw std::invalid_argument("--smtp: user " + r.username + " has no password: set SHOPFLOW_SMTP_PASSWORD");
  bool no_tls = false;
  for (auto param : u->params()) {
    if (param.key == "from") r.from = param.value;
    else if (param.key == "cafile") r.ca_file = param.value;
    else if (param.key == "tls" && param.value == "none") no_tls = true;
    else throw std::invalid_argument("--smtp: unknown parameter '" + std::string(param.key) + "' (from, cafile, tls=none)");
  }
  if (r.from.empty()) throw std::invalid_argument("--smtp '" + text + "': give the sender as ?from=ADDRESS");
  check_email_address(r.from);
  if (no_tls) {
    if (scheme == "smtps") throw std::invalid_argument("--smtp: smtps:// is TLS; tls=none goes with smtp://");
    if (!is_loopback_host(u->host()))
      throw std::invalid_argument("--smtp: tls=none sends the mail and the password in clear: only to a relay on this machine (127.0.0.1, [::1], localhost)");
    r.require_tls = false;
  }
  return r;
}

std::string deliver_email(HttpTransfer& session, const SmtpRelay& relay, const std::string& to, const std::vector<MailEvent>& events,
                          int64_t now_ms, long timeout_ms) {
  const std::string message = compose_email(relay.from, to, events, now_ms);
  MailRequest r;
  r.url = relay.url;
  r.username = relay.username;
  r.password = relay.password;
  r.require_tls = relay.require_tls;
  r.ca_file = relay.ca_file;
  r.from = relay.from;
  r.to = {to};
  r.message = message;
  r.timeout_ms = timeout_ms;
  try {
    session.send_mail(r);
    return "";
  } catch (const HttpTransferError& e) {
    return e.what();
  }
}

} // namespace shopflow
