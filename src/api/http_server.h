// A small HTTP/1.1 server on Boost.Beast: one thread per connection (blocking reads and writes),
// keep-alive, a body limit (413), a header limit, an idle timeout and a connection cap.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

namespace shopflow {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080; // 0: any free port
  size_t max_body_bytes = 8u << 20;
  size_t max_header_bytes = 16u << 10;
  int idle_timeout_seconds = 60;
  size_t max_connections = 1024;
};

class HttpServer {
public:
  using Handler = std::function<void(const HttpRequest&, HttpResponse&)>;
  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();

  // Binds and starts accepting on a background thread. Throws with the address if it cannot bind.
  void start();
  // Stops accepting and closes every connection (requests in progress finish their answer first).
  void stop();
  uint16_t port() const { return port_; }

private:
  void accept_loop();
  void session(std::shared_ptr<boost::asio::ip::tcp::socket> socket);

  HttpServerOptions options_;
  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> active_{0};
  std::mutex sessions_mutex_;
  std::set<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_; // open connections
  std::condition_variable sessions_done_;
};

// Fills a JSON response.
void json_response(HttpResponse& res, unsigned status, std::string body);

} // namespace shopflow
