#include "api/http_server.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace shopflow {

void json_response(HttpResponse& res, unsigned status, std::string body) {
  res.result(status);
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
}

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)), acceptor_(io_) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options_.host, ec);
  if (ec) throw std::runtime_error("bad listen address \"" + options_.host + "\": " + ec.message());
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint, ec);
  if (ec) throw std::runtime_error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " + ec.message());
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  accept_thread_ = std::thread([this] { accept_loop(); });
}

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  boost::system::error_code ec;
  acceptor_.close(ec);
  // Wake the blocking accept with a connection to ourselves.
  try {
    tcp::socket wake(io_);
    wake.connect(tcp::endpoint(asio::ip::make_address(options_.host == "0.0.0.0" ? "127.0.0.1" : options_.host), port_), ec);
  } catch (...) {
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  std::unique_lock lock(sessions_mutex_);
  for (auto& s : sockets_) s->shutdown(tcp::socket::shutdown_receive, ec);
  sessions_done_.wait(lock, [&] { return sockets_.empty(); });
}

void HttpServer::accept_loop() {
  while (!stopping_) {
    auto socket = std::make_shared<tcp::socket>(io_);
    boost::system::error_code ec;
    acceptor_.accept(*socket, ec);
    if (stopping_) break;
    if (ec) continue;
    if (active_ >= options_.max_connections) {
      HttpResponse res;
      json_response(res, 503, R"({"error":"too many connections"})");
      res.prepare_payload();
      http::write(*socket, res, ec);
      socket->close(ec);
      continue;
    }
    socket->set_option(tcp::no_delay(true), ec);
    timeval tv{options_.idle_timeout_seconds, 0};
    ::setsockopt(socket->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ++active_;
    {
      std::lock_guard lock(sessions_mutex_);
      sockets_.insert(socket);
    }
    std::thread([this, socket] { session(socket); }).detach(); // stop() waits for sockets_ to empty
  }
}

void HttpServer::session(std::shared_ptr<tcp::socket> socket) {
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  while (!stopping_) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    http::read(*socket, buffer, parser, ec);
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset || ec == asio::error::eof) break;
    HttpResponse res;
    res.version(11);
    res.set(http::field::server, "shopflow");
    bool keep_alive = false;
    if (ec == http::error::body_limit) {
      json_response(res, 413, "{\"error\":\"body larger than " + std::to_string(options_.max_body_bytes) + " bytes\"}");
    } else if (ec == http::error::header_limit) {
      json_response(res, 431, "{\"error\":\"headers larger than " + std::to_string(options_.max_header_bytes) + " bytes\"}");
    } else if (ec) {
      if (ec == asio::error::would_block || ec == asio::error::try_again || ec == asio::error::timed_out) break; // idle
      json_response(res, 400, "{\"error\":\"bad HTTP request: " + ec.message() + "\"}");
    } else {
      const HttpRequest& req = parser.get();
      keep_alive = req.keep_alive();
      try {
        handler_(req, res);
      } catch (const std::exception& e) {
        res = HttpResponse{};
        res.version(11);
        std::string msg = e.what();
        for (auto& c : msg)
          if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = ' ';
        json_response(res, 500, "{\"error\":\"" + msg + "\"}");
      }
    }
    res.keep_alive(keep_alive);
    res.prepare_payload();
    http::write(*socket, res, ec);
    if (ec || !keep_alive) break;
  }
  socket->shutdown(tcp::socket::shutdown_both, ec);
  socket->close(ec);
  --active_;
  std::lock_guard lock(sessions_mutex_);
  sockets_.erase(socket);
  sessions_done_.notify_all();
}

} // namespace shopflow
