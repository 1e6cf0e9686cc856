// The one RAII layer over libcurl: a client session (one easy handle, so its connections are kept
// alive between requests) for HTTP, with AWS Signature Version 4 signing through libcurl's own
// CURLOPT_AWS_SIGV4, and for submitting mail over SMTP.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace shopflow {

// The request could not be made or had no answer (refused connection, timeout, TLS): no status.
struct HttpTransferError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct AwsSigning {
  std::string region, service; // "us-east-1", "s3"
  std::string access_key, secret_key;
};

struct TransferRequest {
  std::string method = "GET";
  std::string url;                  // percent-encoded as it goes on the wire
  std::vector<std::string> headers; // "Name: value"
  std::string_view body;            // sent as is (its Content-Length); may be empty
  const AwsSigning* sign = nullptr; // signs the request (x-amz-date, Authorization) when set
  long timeout_ms = 60'000;         // for the whole exchange
};

struct TransferAnswer {
  long status = 0;
  std::map<std::string, std::string> headers; // names in lower case
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A message submitted over SMTP: smtp://HOST[:PORT] upgraded with STARTTLS (required unless
// `require_tls` is off), or smtps:// (TLS from the start).
struct MailRequest {
  std::string url;
  std::string username, password; // AUTH (PLAIN/LOGIN, as the server offers), when username is set
  bool require_tls = true;
  std::string ca_file;             // trusted CAs in PEM instead of the system's (a private relay)
  std::string from;                // the envelope sender (MAIL FROM)
  std::vector<std::string> to;     // the envelope recipients (RCPT TO)
  std::string_view message;        // the RFC 5322 message, CRLF line ends
  long timeout_ms = 30'000;
};

class HttpTransfer {
public:
  HttpTransfer();
  ~HttpTransfer();
  HttpTransfer(const HttpTransfer&) = delete;
  HttpTransfer& operator=(const HttpTransfer&) = delete;
  // Throws HttpTransferError when no answer came; any status is an answer.
  TransferAnswer perform(const TransferRequest& request);
  // Throws HttpTransferError naming the step that failed (connection, TLS, AUTH, a refused
  // recipient: the server's reply in the message).
  void send_mail(const MailRequest& request);

private:
  void* easy_; // CURL*
};

} // namespace shopflow
