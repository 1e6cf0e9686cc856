#include "api/http_client.h"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace shopflow {

struct HttpClient::Impl {
  std::string host;
  uint16_t port;
  int timeout;
  asio::io_context io;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  void connect() {
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, std::to_string(port));
    stream = std::make_unique<beast::tcp_stream>(io);
    stream->expires_after(std::chrono::seconds(timeout));
    stream->connect(results);
    stream->socket().set_option(tcp::no_delay(true));
    buffer.clear();
  }
};

HttpClient::HttpClient(std::string host, uint16_t port, int timeout_seconds) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->timeout = timeout_seconds;
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  for (int attempt = 0;; ++attempt) {
    try {
      if (!impl_->stream) impl_->connect();
      http::request<http::string_body> req(http::string_to_verb(method), target, 11);
      req.set(http::field::host, impl_->host);
      req.keep_alive(true);
      for (auto& [k, v] : headers) req.set(k, v);
      req.body() = body;
      req.prepare_payload();
      impl_->stream->expires_after(std::chrono::seconds(impl_->timeout));
      http::write(*impl_->stream, req);
      http::response_parser<http::string_body> parser;
      parser.body_limit(1ull << 30);
      http::read(*impl_->stream, impl_->buffer, parser);
      auto& res = parser.get();
      HttpResult out;
      out.status = res.result_int();
      out.body = res.body();
      for (auto& f : res) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
        out.headers[name] = std::string(f.value());
      }
      if (!res.keep_alive()) impl_->stream.reset();
      return out;
    } catch (const std::exception& e) {
      impl_->stream.reset();
      // A kept-alive connection the server closed meanwhile: retry once on a fresh one.
      if (attempt == 0) continue;
      throw std::runtime_error("HTTP " + method + " " + impl_->host + ":" + std::to_string(impl_->port) + target + ": " + e.what());
    }
  }
}

ParsedUrl parse_url(const std::string& url) {
  ParsedUrl u;
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.find("://") != std::string::npos) throw std::invalid_argument("only http:// URLs are supported: " + url);
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  u.host = hostport.substr(0, colon);
  if (colon != std::string::npos) {
    try {
      int p = std::stoi(hostport.substr(colon + 1));
      if (p < 1 || p > 65535) throw std::out_of_range("port");
      u.port = static_cast<uint16_t>(p);
    } catch (...) {
      throw std::invalid_argument("bad port in URL " + url);
    }
  }
  if (u.host.empty()) throw std::invalid_argument("no host in URL " + url);
  return u;
}

} // namespace shopflow
