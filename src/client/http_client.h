// A blocking HTTP/1.1 client with one keep-alive connection (reconnects when it drops), over
// plain TCP or TLS (the server's certificate checked against a CA file or the system's CAs).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace shopflow {

struct HttpResult {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers; // lower-case names
};

struct ClientTls {
  bool enabled = false;
  std::string ca_file; // empty: the system's CA certificates
};

class HttpClient {
public:
  HttpClient(std::string host, uint16_t port, int timeout_seconds = 30, ClientTls tls = {});
  ~HttpClient();
  // Throws std::runtime_error when the server cannot be reached or the connection fails.
  HttpResult request(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "http://127.0.0.1:8080/x" -> host, port, path ("/x"); https:// sets tls (port 443 by default).
// Throws std::invalid_argument.
struct ParsedUrl {
  std::string host, path;
  uint16_t port = 80;
  bool tls = false;
};
ParsedUrl parse_url(const std::string& url);

} // namespace shopflow
