#include "api/http_server.h"

#include <array>
#include <optional>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "util/json_writer.h"
#include "util/thread_name.h"
#include "util/tls_server_context.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace shopflow {

std::string_view header_value(const HttpRequest& req, boost::beast::http::field name) {
  auto it = req.find(name);
  return it == req.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
}

void json_response(HttpResponse& res, unsigned status, std::string body) {
  res.result(status);
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
}

namespace {
// Appends a field's value with every control character but HTAB (CR and LF above all) written as
// a space: a value that quotes what a client sent (a token's claims in WWW-Authenticate) can never
// end its line and add fields or a body of its own.
void append_field_value(std::string_view value, std::string& out) {
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    out.push_back((byte < 0x20 && c != '\t') || byte == 0x7f ? ' ' : c);
  }
}

// An answer's status line and fields up to the blank line, as HTTP/1.1 sends them; its body
// follows in the same write (one string is cheaper to build than Beast's serializer is to walk).
// The body's framing is Content-Length, set by prepare_payload().
void write_head(const HttpResponse& res, std::string& out) {
  out.assign("HTTP/1.1 ");
  out += std::to_string(res.result_int());
  out += ' ';
  std::string_view reason(res.reason().data(), res.reason().size());
  if (reason.empty()) reason = http::obsolete_reason(res.result());
  out += reason;
  out += "\r\n";
  for (const auto& field : res) {
    out.append(field.name_string().data(), field.name_string().size());
    out += ": ";
    append_field_value(std::string_view(field.value().data(), field.value().size()), out);
    out += "\r\n";
  }
  out += "\r\n";
}
} // namespace

// One connection. At most one operation is in flight at a time: waiting for a request, the
// handler working on it, or writing its answer. All of them run on the connection's I/O thread.
// What the server and a Reply need of a connection, whatever its stream.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
  explicit HttpSession(HttpServer& server) : server_(server) {}
  virtual ~HttpSession() { server_.session_ended(this); }
  virtual void start(bool over_capacity) = 0;
  // Runs on the connection's thread: a connection waiting for a request is closed now; one whose
  // request is being handled is closed after its answer.
  virtual void close_when_idle() = 0;
  virtual void reply(HttpResponse res) = 0;
  virtual void post(std::function<void()> f) = 0;
  const std::string& peer_address() const { return peer_address_; }

protected:
  std::string peer_address_; // set by start()
  const HttpServerOptions& options() const { return server_.options_; }
  bool stopping() const { return server_.stopping_; }
  void handle(HttpRequest&& req, HttpServer::Reply reply) { server_.handler_(std::move(req), std::move(reply)); }

private:
  HttpServer& server_;
};

namespace {
// A TCP stream with deadlines on its I/O thread's executor (a concrete type: no polymorphic
// executor per operation).
using TcpStream = beast::basic_stream<tcp, asio::io_context::executor_type>;
using Socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;

template <class Stream> class Connection final : public HttpSession {
public:
  Connection(HttpServer& server, Socket socket) requires std::is_same_v<Stream, TcpStream>
      : HttpSession(server), stream_(std::move(socket)) {}
  Connection(HttpServer& server, Socket socket, asio::ssl::context& tls) requires(!std::is_same_v<Stream, TcpStream>)
      : HttpSession(server), stream_(std::move(socket), tls) {}

  void start(bool over_capacity) override {
    boost::system::error_code ec;
    tcp_layer().socket().set_option(tcp::no_delay(true), ec);
    auto peer = tcp_layer().socket().remote_endpoint(ec);
    if (!ec) peer_address_ = peer.address().to_string();
    if constexpr (kTls) {
      tcp_layer().expires_after(std::chrono::seconds(options().request_timeout_seconds));
      stream_.async_handshake(asio::ssl::stream_base::server, [self = self(), over_capacity](beast::error_code handshake) {
        if (handshake) return self->close(); // not TLS, or too slow
        self->begin(over_capacity);
      });
    } else {
      begin(over_capacity);
    }
  }

  void close_when_idle() override {
    if (waiting_) {
      boost::system::error_code ec;
      tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
      tcp_layer().cancel();
    }
  }

  void reply(HttpResponse res) override {
    if (replied_.exchange(true)) return; // a handler that threw after replying
    // A handler that answers at once (a lookup) is on the connection's thread: the write starts
    // here. An answer from elsewhere (a log syncer) is handed to that thread.
    if (stream_.get_executor().running_in_this_thread()) return send(std::move(res), keep_alive_);
    asio::post(stream_.get_executor(), [self = self(), res = std::move(res)]() mutable { self->send(std::move(res), self->keep_alive_); });
  }

  void post(std::function<void()> f) override { asio::post(stream_.get_executor(), std::move(f)); }

private:
  static constexpr bool kTls = !std::is_same_v<Stream, TcpStream>;
  TcpStream& tcp_layer() { return beast::get_lowest_layer(stream_); }
  std::shared_ptr<Connection> self() { return std::static_pointer_cast<Connection>(shared_from_this()); }

  void begin(bool over_capacity) {
    if (over_capacity) {
      HttpResponse res;
      json_response(res, 503, error_json("too many connections"));
      send(std::move(res), false);
      return;
    }
    wait_for_request();
  }


  // Idle wait for the first byte (unless a pipelined request is already buffered), then the
  // whole request under the request deadline.
  void wait_for_request() {
    if (stopping()) return close();
    waiting_ = true;
    if (buffer_.size() > 0) return read_request();
    tcp_layer().expires_after(std::chrono::seconds(options().idle_timeout_seconds));
    stream_.async_read_some(buffer_.prepare(4096), [self = self()](beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec) return self->close(); // idle timeout, client gone, or stop()
      self->read_request();
    });
  }

  void read_request() {
    parser_.emplace();
    parser_->body_limit(options().max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(options().max_header_bytes));
    tcp_layer().expires_after(std::chrono::seconds(options().request_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_, [self = self()](beast::error_code ec, size_t) { self->on_request(ec); });
  }

  void on_request(beast::error_code ec) {
    waiting_ = false;
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || stopping())
      return close();
    HttpResponse res;
    // Only chunked framing is taken: any other transfer coding (gzip, compress, a list) would
    // have the body stored still encoded. The connection closes, as its framing is unknown.
    auto coding = parser_->get().find(http::field::transfer_encoding);
    if (coding != parser_->get().end() && !beast::iequals(beast::string_view(coding->value()), "chunked")) {
      std::string_view coding_name(coding->value().data(), std::min<size_t>(coding->value().size(), 100));
      json_response(res, 501, error_json("Transfer-Encoding " + std::string(coding_name) +
                                         " is not supported: send the body as is with Content-Length, or chunked"));
      return send(std::move(res), false);
    }
    if (ec == http::error::body_limit) {
      json_response(res, 413, error_json("body larger than " + std::to_string(options().max_body_bytes) + " bytes"));
    } else if (ec == http::error::header_limit) {
      json_response(res, 431, error_json("headers larger than " + std::to_string(options().max_header_bytes) + " bytes"));
    } else if (ec == beast::error::timeout) {
      json_response(res, 408, error_json("the request did not arrive within " + std::to_string(options().request_timeout_seconds) + " s"));
    } else if (ec) {
      json_response(res, 400, error_json("bad HTTP request: " + ec.message()));
    }
    if (ec) return send(std::move(res), false);
    keep_alive_ = parser_->get().keep_alive();
    replied_ = false;
    tcp_layer().expires_never(); // the handler may wait for the disk; no deadline applies meanwhile
    HttpRequest req = parser_->release();
    try {
      handle(std::move(req), HttpServer::Reply(self()));
    } catch (const std::exception& e) {
      HttpResponse error;
      json_response(error, 500, error_json(e.what()));
      reply(std::move(error));
    }
  }

  void send(HttpResponse res, bool keep_alive) {
    response_ = std::move(res);
    response_.version(11);
    response_.set(http::field::server, "shopflow");
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    write_head(response_, head_);
    tcp_layer().expires_after(std::chrono::seconds(options().write_timeout_seconds));
    std::array<asio::const_buffer, 2> bytes{asio::buffer(head_), asio::buffer(response_.body())};
    asio::async_write(stream_, bytes, [self = self(), keep_alive](beast::error_code ec, size_t) {
      if (ec || !keep_alive) return self->close();
      self->wait_for_request();
    });
  }

  void close() {
    waiting_ = false;
    boost::system::error_code ec;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp_layer().close();
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpResponse response_;
  std::string head_; // response_'s status line and fields, as sent
  bool keep_alive_ = false;
  bool waiting_ = false; // waiting for a request (not handling one, not writing)
  std::atomic<bool> replied_{false};
};

} // namespace

void HttpServer::Reply::operator()(HttpResponse res) const { session_->reply(std::move(res)); }
const std::string& HttpServer::Reply::peer_address() const { return session_->peer_address(); }

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {
  for (unsigned i = 0; i < std::max(1u, options_.io_threads); ++i) {
    io_.push_back(std::make_unique<asio::io_context>(1)); // run by one thread
    io_work_.push_back(asio::make_work_guard(*io_.back()));
  }
  acceptor_ = std::make_unique<tcp::acceptor>(*io_.front()); // accept and close never overlap
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty())
    throw std::invalid_argument("give both --tls-cert and --tls-key, or neither");
  if (!options_.tls_cert_file.empty()) tls_ = make_tls_server_context(options_.tls_cert_file, options_.tls_key_file);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options_.host, ec);
  if (ec) throw std::runtime_error("bad listen address \"" + options_.host + "\": " + ec.message());
  tcp::endpoint endpoint(address, options_.port);
  acceptor_->open(endpoint.protocol());
  acceptor_->set_option(asio::socket_base::reuse_address(true));
  acceptor_->bind(endpoint, ec);
  if (ec) throw std::runtime_error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " + ec.message());
  acceptor_->listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_->local_endpoint().port();
  accept();
  for (size_t i = 0; i < io_.size(); ++i)
    threads_.emplace_back([this, i] {
      name_this_thread("sf-http-" + std::to_string(i));
      io_[i]->run();
    });
}

void HttpServer::accept() {
  asio::io_context& io = *io_[next_io_];
  next_io_ = (next_io_ + 1) % io_.size(); // round robin over the I/O threads
  acceptor_->async_accept(io.get_executor(), [this](beast::error_code ec, Socket socket) {
    if (stopping_ || !acceptor_->is_open()) return;
    if (!ec) {
      bool over_capacity = false;
      std::shared_ptr<HttpSession> session;
      if (tls_) session = std::make_shared<Connection<beast::ssl_stream<TcpStream>>>(*this, std::move(socket), *tls_);
      else session = std::make_shared<Connection<TcpStream>>(*this, std::move(socket));
      {
        std::lock_guard lock(sessions_mutex_);
        over_capacity = sessions_.size() >= options_.max_connections;
        sessions_.insert(session.get());
      }
      session->post([session, over_capacity] { session->start(over_capacity); });
    }
    accept();
  });
}

void HttpServer::session_ended(HttpSession* s) {
  std::lock_guard lock(sessions_mutex_);
  sessions_.erase(s);
  sessions_done_.notify_all();
}

void HttpServer::stop() {
  if (stopping_.exchange(true) || threads_.empty()) return;
  asio::post(acceptor_->get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_->close(ec);
  });
  std::vector<std::shared_ptr<HttpSession>> open;
  {
    std::lock_guard lock(sessions_mutex_);
    // A session removes itself under this lock before it is gone, so each pointer is valid here;
    // one already being destroyed yields null.
    for (HttpSession* s : sessions_)
      if (auto alive = s->weak_from_this().lock()) open.push_back(std::move(alive));
  }
  // Released outside the lock: dropping the last reference runs session_ended(), which locks.
  for (auto& s : open) s->post([s] { s->close_when_idle(); });
  open.clear();
  {
    std::unique_lock lock(sessions_mutex_);
    sessions_done_.wait(lock, [&] { return sessions_.empty(); });
  }
  io_work_.clear();
  for (auto& io : io_) io->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

} // namespace shopflow
