// E-mail for events: subjects from the table in cases/email_subject.tsv, and the message's form
// (headers, CRLF lines of at most 78 characters, both parts, an encoded word for a subject beyond ASCII).
#include <gtest/gtest.h>

#include "case_table.h"
#include "notify/email_message.h"

using namespace shopflow;
using namespace shopflow::test;

namespace {
std::vector<MailEvent> events_of(const std::string& column) {
  std::vector<MailEvent> out;
  size_t at = 0;
  while (at <= column.size()) {
    size_t end = column.find(" | ", at);
    if (end == std::string::npos) end = column.size();
    std::string one = column.substr(at, end - at);
    size_t space = one.find(' ');
    out.push_back({"id-" + std::to_string(out.size()), one.substr(0, space), one.substr(space + 1), 0});
    at = end + 3;
  }
  return out;
}
} // namespace

TEST(EmailMessage, SubjectsFromTheTable) {
  int cases = 0;
  for (const CaseRow& row : read_case_table("email_subject.tsv")) {
    ASSERT_EQ(row.fields.size(), 2u) << "line " << row.line << " has not two columns";
    EXPECT_EQ(email_subject(events_of(row.fields[0])), row.fields[1]) << "line " << row.line;
    ++cases;
  }
  EXPECT_GE(cases, 15);
}

TEST(EmailMessage, IsWellFormed) {
  std::vector<MailEvent> events = {{"order.completed/1/1", "order.completed", R"({"invoice_no":"1","country":"Österreich","amount":"1.000","note":"<b>&</b>"})", 0}};
  const std::string m = compose_email("shop@example.com", "owner@example.com", events, 1'764'806'400'000);
  const size_t body = m.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  const std::string headers = m.substr(0, body + 2);
  EXPECT_NE(headers.find("From: shopflow <shop@example.com>\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("To: <owner@example.com>\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Date: Thu, 04 Dec 2025 00:00:00 +0000\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Subject: =?UTF-8?B?"), std::string::npos) << headers; // beyond ASCII: an encoded word
  EXPECT_NE(headers.find("Content-Type: multipart/alternative;\r\n boundary="), std::string::npos) << headers;
  size_t start = 0, lines = 0;
  while (start < m.size()) {
    size_t end = m.find("\r\n", start);
    ASSERT_NE(end, std::string::npos) << "the message ends without CRLF";
    EXPECT_LE(end - start, 78u) << m.substr(start, end - start);
    EXPECT_EQ(m.substr(start, end - start).find('\n'), std::string::npos) << "a bare LF";
    start = end + 2;
    ++lines;
  }
  EXPECT_GT(lines, 10u);
  EXPECT_NE(m.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: text/html; charset=UTF-8\r\n"), std::string::npos);
  // The same events: the same Message-ID (a repeated delivery is recognisably the same message).
  const std::string again = compose_email("shop@example.com", "owner@example.com", events, 1'764'806'500'000);
  auto message_id = [](const std::string& msg) { size_t at = msg.find("Message-ID: "); return msg.substr(at, msg.find("\r\n", at) - at); };
  EXPECT_EQ(message_id(m), message_id(again));
  EXPECT_THROW(compose_email("a@b.c", "d@e.f", {}, 0), std::logic_error);
}
