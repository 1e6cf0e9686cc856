#include "client/http_client.h"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace shopflow {

struct HttpClient::Impl {
  std::string host;
  uint16_t port;
  int timeout;
  ClientTls tls;
  asio::io_context io;
  std::unique_ptr<asio::ssl::context> tls_context;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  bool connected() const { return plain || secure; }
  void reset() {
    plain.reset();
    secure.reset();
  }

  void connect() {
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, std::to_string(port));
    if (tls.enabled) {
      if (!tls_context) {
        tls_context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
        tls_context->set_verify_mode(asio::ssl::verify_peer);
        if (tls.ca_file.empty()) tls_context->set_default_verify_paths();
        else tls_context->load_verify_file(tls.ca_file);
      }
      secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, *tls_context);
      // The certificate must name the host (DNS name or IP address).
      secure->set_verify_callback(asio::ssl::host_name_verification(host));
      if (!SSL_set_tlsext_host_name(secure->native_handle(), host.c_str())) throw std::runtime_error("cannot set SNI");
    } else {
      plain = std::make_unique<beast::tcp_stream>(io);
    }
    tcp().expires_after(std::chrono::seconds(timeout));
    tcp().connect(results);
    tcp().socket().set_option(tcp::no_delay(true));
    if (secure) secure->handshake(asio::ssl::stream_base::client);
    buffer.clear();
  }

  template <class Stream> HttpResult exchange(Stream& stream, http::request<http::string_body>& req) {
    http::write(stream, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    http::read(stream, buffer, parser);
    auto& res = parser.get();
    HttpResult out;
    out.status = res.result_int();
    out.body = res.body();
    for (auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
    if (!res.keep_alive()) reset();
    return out;
  }
};

HttpClient::HttpClient(std::string host, uint16_t port, int timeout_seconds, ClientTls tls) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->timeout = timeout_seconds;
  impl_->tls = std::move(tls);
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  for (int attempt = 0;; ++attempt) {
    try {
      if (!impl_->connected()) impl_->connect();
      http::request<http::string_body> req(http::string_to_verb(method), target, 11);
      req.set(http::field::host, impl_->host);
      req.keep_alive(true);
      for (auto& [k, v] : headers) req.set(k, v);
      req.body() = body;
      req.prepare_payload();
      impl_->tcp().expires_after(std::chrono::seconds(impl_->timeout));
      return impl_->secure ? impl_->exchange(*impl_->secure, req) : impl_->exchange(*impl_->plain, req);
    } catch (const std::exception& e) {
      impl_->reset();
      // A kept-alive connection the server closed meanwhile: retry once on a fresh one.
      if (attempt == 0) continue;
      throw std::runtime_error("HTTP " + method + " " + impl_->host + ":" + std::to_string(impl_->port) + target + ": " + e.what());
    }
  }
}

ParsedUrl parse_url(const std::string& url) {
  ParsedUrl u;
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  } else if (rest.rfind("https://", 0) == 0) {
    rest = rest.substr(8);
    u.tls = true;
    u.port = 443;
  } else if (rest.find("://") != std::string::npos) {
    throw std::invalid_argument("only http:// and https:// URLs are supported: " + url);
  }
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
