// A small asynchronous HTTP/1.1 server on Boost.Beast: a few I/O threads serve every connection,
// keep-alive, a body limit (413), a header limit (431), a connection cap (503), and deadlines:
//   idle      - a kept-alive connection with no request in sight is closed;
//   request   - once a request's first byte arrives, all of it must within this (408), so a
//               slowloris client cannot hold the server;
//   write     - the answer must be taken by the client within this.
// The handler answers through a Reply it may call later from any thread (e.g. when the log has
// synced): I/O threads never wait for the disk.
// Each I/O thread runs its own io_context, and a connection lives on one of them from accept to
// close: its handlers never run concurrently, without strands or locks, and an answer given on
// the connection's own thread needs no wake-up.
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
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
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
  int request_timeout_seconds = 30;
  int write_timeout_seconds = 30;
  size_t max_connections = 1024;
  unsigned io_threads = 2;
  std::string tls_cert_file, tls_key_file; // both set: HTTPS only (TLS 1.2+)
};

class HttpSession;

class HttpServer {
public:
  // Sends the answer to one request. Call it exactly once, from any thread.
  class Reply {
  public:
    explicit Reply(std::shared_ptr<HttpSession> session) : session_(std::move(session)) {}
    void operator()(HttpResponse res) const;
    // The client's IP address ("" if the socket could not tell).
    const std::string& peer_address() const;

  private:
    std::shared_ptr<HttpSession> session_;
  };
  // Called on an I/O thread: must not block for long (hand slow work to another thread).
  using Handler = std::function<void(HttpRequest&& req, Reply reply)>;

  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();

  // Throws naming the file when a TLS certificate or key cannot be loaded.
  // Binds and starts the I/O threads. Throws with the address if it cannot bind.
  void start();
  // Stops accepting and closes every connection; requests in progress get their answer first.
  void stop();
  uint16_t port() const { return port_; }
  const HttpServerOptions& options() const { return options_; }

private:
  friend class HttpSession;
  void accept();
  void session_ended(HttpSession* s);

  using Work = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  HttpServerOptions options_;
  Handler handler_;
  std::vector<std::unique_ptr<boost::asio::io_context>> io_; // one per I/O thread; the first also accepts
  std::vector<Work> io_work_;                                 // keeps an idle thread's run() going
  size_t next_io_ = 0;                                        // where the next connection goes
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::mutex sessions_mutex_;
  std::set<HttpSession*> sessions_; // open connections
  std::condition_variable sessions_done_;
};

// Fills a JSON response.
void json_response(HttpResponse& res, unsigned status, std::string body);
// A request header's value, "" when it is absent.
std::string_view header_value(const HttpRequest& req, boost::beast::http::field name);

} // namespace shopflow
