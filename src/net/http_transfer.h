// The one RAII layer over libcurl: an HTTP client session (one easy handle, so its connections
// are kept alive between requests), with AWS Signature Version 4 signing through libcurl's own
// CURLOPT_AWS_SIGV4.
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

class HttpTransfer {
public:
  HttpTransfer();
  ~HttpTransfer();
  HttpTransfer(const HttpTransfer&) = delete;
  HttpTransfer& operator=(const HttpTransfer&) = delete;
  // Throws HttpTransferError when no answer came; any status is an answer.
  TransferAnswer perform(const TransferRequest& request);

private:
  void* easy_; // CURL*
};

} // namespace shopflow
