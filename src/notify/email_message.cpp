#include "notify/email_message.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <stdexcept>

#include <openssl/evp.h>
#include <simdjson.h>

#include "util/sha256.h"

namespace shopflow {

namespace {

// The body's fields in order, each as display text (a string as is, anything else as JSON).
std::vector<std::pair<std::string, std::string>> fields_of(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> out;
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(body).get_object().get(o)) return {{"body", body}};
  for (auto [key, value] : o) {
    std::string_view text;
    if (value.get_string().get(text) == simdjson::SUCCESS) out.emplace_back(std::string(key), std::string(text));
    else out.emplace_back(std::string(key), simdjson::minify(value));
  }
  return out;
}

std::string field(const std::vector<std::pair<std::string, std::string>>& fields, std::string_view name) {
  for (const auto& [k, v] : fields)
    if (k == name) return v;
  return {};
}

// "139.120" -> "139.12": money shown with two decimals (the third is always 0 for prices in pence).
std::string money(std::string text) {
  size_t dot = text.find('.');
  if (dot != std::string::npos && text.size() > dot + 3 && text.find_first_not_of('0', dot + 3) == std::string::npos) text.resize(dot + 3);
  return text;
}

std::string base64_lines(std::string_view data) {
  std::string out;
  for (size_t at = 0; at < data.size(); at += 57) { // 57 bytes -> 76 characters a line
    size_t n = std::min<size_t>(57, data.size() - at);
    unsigned char line[80];
    int len = EVP_EncodeBlock(line, reinterpret_cast<const unsigned char*>(data.data() + at), static_cast<int>(n));
    out.append(reinterpret_cast<char*>(line), static_cast<size_t>(len)).append("\r\n");
  }
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

// A header value: as is when printable ASCII, else one RFC 2047 encoded word per 36 bytes (a line
// of 78 characters at most with its field name).
std::string header_text(std::string_view s) {
  bool ascii = true;
  for (unsigned char c : s) ascii &= c >= 0x20 && c < 0x7f;
  if (ascii) return std::string(s);
  std::string out;
  for (size_t at = 0; at < s.size();) {
    size_t n = std::min<size_t>(36, s.size() - at);
    while (at + n < s.size() && (static_cast<unsigned char>(s[at + n]) & 0xC0) == 0x80) --n; // whole UTF-8 characters
    std::string word = base64_lines(s.substr(at, n));
    word.resize(word.size() - 2);
    out += (out.empty() ? "" : "\r\n ") + std::string("=?UTF-8?B?") + word + "?=";
    at += n;
  }
  return out;
}

std::string rfc5322_date(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

} // namespace

std::string event_summary(const MailEvent& e) {
  auto f = fields_of(e.body);
  const std::string where = field(f, "country").empty() ? "" : " (" + field(f, "country") + ")";
  if (e.type == "order.completed") return "Order " + field(f, "invoice_no") + " completed: " + money(field(f, "amount")) + where;
  if (e.type == "order.cancelled") return "Order " + field(f, "invoice_no") + " cancelled: " + money(field(f, "amount")) + where;
  if (e.type == "order.updated")
    return "Order " + field(f, "invoice_no") + " updated (version " + field(f, "version") + "): " + money(field(f, "amount")) + where;
  if (e.type == "rows.rejected") {
    std::string from = field(f, "source") == "import" ? "import " + field(f, "job") + " of " + field(f, "file") : "the stream from " + field(f, "window_start");
    return field(f, "rejected") + " rows rejected (" + from + ")";
  }
  if (e.type == "import.finished")
    return "Import " + field(f, "job") + " finished: " + field(f, "file") + ", " + field(f, "rows_read") + " rows read, " + field(f, "rejected") +
           " rejected";
  if (e.type == "import.failed") return "Import of " + field(f, "file") + " failed: " + field(f, "error");
  if (e.type == "sink.lagging") return "Sink " + field(f, "sink") + " is lagging: " + field(f, "lag_records") + " records behind";
  if (e.type == "sink.recovered") return "Sink " + field(f, "sink") + " caught up";
  if (e.type == "report.daily")
    return "Daily report " + field(f, "day") + ": revenue " + money(field(f, "revenue")) + ", " + field(f, "orders") + " orders";
  if (e.type == "notify.test") return "Test notification";
  return e.type;
}

std::string email_subject(const std::vector<MailEvent>& events) {
  if (events.size() == 1) return "[shopflow] " + event_summary(events.front());
  std::map<std::string, size_t> by_type;
  for (const MailEvent& e : events) ++by_type[e.type];
  std::vector<std::pair<size_t, std::string>> counts; // the most frequent type first
  for (const auto& [type, n] : by_type) counts.emplace_back(n, type);
  std::stable_sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string s = "[shopflow] " + std::to_string(events.size()) + " events:";
  for (const auto& [n, type] : counts) {
    s += s.back() == ':' ? " " : ", ";
    s += std::to_string(n) + " " + type;
  }
  return s;
}

std::string compose_email(const std::string& from, const std::string& to, const std::vector<MailEvent>& events, int64_t now_ms) {
  if (events.empty()) throw std::logic_error("compose_email: no events");
  std::string text, html = "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\n";
  std::string ids;
  for (const MailEvent& e : events) {
    const std::string summary = event_summary(e);
    text += summary + "\n";
    html += "<h3>" + html_escape(summary) + "</h3>\n<table cellpadding=\"3\">\n";
    for (const auto& [k, v] : fields_of(e.body)) {
      text += "  " + k + ": " + v + "\n";
      html += "<tr><th align=\"left\">" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>\n";
    }
    text += "  event: " + e.id + "\n\n";
    html += "<tr><th align=\"left\">event</th><td><code>" + html_escape(e.id) + "</code></td></tr>\n</table>\n";
    ids += e.id;
    ids += '\n';
  }
  html += "</body></html>\n";
  // The same events give the same Message-ID (a resent message is recognisably the same one).
  const std::string digest = to_hex(sha256_bytes(ids)).substr(0, 32);
  const std::string boundary = "=_shopflow_" + digest;
  std::string m;
  m += "From: shopflow <" + from + ">\r\n";
  m += "To: <" + to + ">\r\n";
  m += "Subject: " + header_text(email_subject(events)) + "\r\n";
  m += "Date: " + rfc5322_date(now_ms) + "\r\n";
  m += "Message-ID: <" + digest + "@shopflow>\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n";
  m += "\r\n";
  for (auto [type, content] : {std::pair{"text/plain", &text}, std::pair{"text/html", &html}}) {
    m += "--" + boundary + "\r\n";
    m += std::string("Content-Type: ") + type + "; charset=UTF-8\r\n";
    m += "Content-Transfer-Encoding: base64\r\n\r\n";
    m += base64_lines(*content);
  }
  m += "--" + boundary + "--\r\n";
  return m;
}

} // namespace shopflow
