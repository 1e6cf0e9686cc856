#include "pgwire/pg_server.h"

#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>

#include <fmt/format.h>

#include "pgwire/pg_session.h"
#include "pgwire/protocol/pg_codec.h"
#include "util/log.h"
#include "util/tls_server_context.h"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace shopflow {

PgServer::PgServer(std::string host, uint16_t port, DuckDatabase& warehouse, SqlService& lake_views, const ClientStore& clients,
                   SqlCeilings sql, PgLimits limits, const std::string& tls_cert_file, const std::string& tls_key_file)
    : host_(std::move(host)), port_(port), db_(warehouse), lake_views_(lake_views), clients_(clients), sql_(sql), limits_(limits),
      acceptor_(io_) {
  if (!tls_cert_file.empty()) tls_ = make_tls_server_context(tls_cert_file, tls_key_file);
}

void PgServer::render_metrics(std::string& out) {
  size_t sessions;
  {
    std::lock_guard lock(sessions_mutex_);
    sessions = running_.size();
  }
  out += fmt::format("# HELP shopflow_pg_sessions PostgreSQL-protocol sessions logged in now.\n# TYPE shopflow_pg_sessions gauge\n"
                     "shopflow_pg_sessions {}\n"
                     "# HELP shopflow_pg_logins_total PostgreSQL-protocol logins.\n# TYPE shopflow_pg_logins_total counter\n"
                     "shopflow_pg_logins_total {}\n"
                     "# HELP shopflow_pg_refused_connections_total Connections refused over --pg-max-connections.\n"
                     "# TYPE shopflow_pg_refused_connections_total counter\nshopflow_pg_refused_connections_total {}\n"
                     "# HELP shopflow_pg_statements_total Statements run over the PostgreSQL protocol, and those that failed.\n"
                     "# TYPE shopflow_pg_statements_total counter\nshopflow_pg_statements_total{{outcome=\"run\"}} {}\n"
                     "shopflow_pg_statements_total{{outcome=\"failed\"}} {}\n",
                     sessions, logins_.load(), refused_.load(), statements_.load(), failed_statements_.load());
}

PgServer::~PgServer() { stop(); }

void PgServer::start() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host_, ec);
  if (ec) throw std::runtime_error("bad --pg-listen address \"" + host_ + "\"");
  tcp::endpoint endpoint(address, port_);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint, ec);
  if (ec) throw std::runtime_error("cannot listen on " + host_ + ":" + std::to_string(port_) + " (--pg-listen): " + ec.message());
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  accept_thread_ = std::thread([this] { accept_loop(); });
  reaper_thread_ = std::thread([this] { reap_silent_sessions(); });
}

// Shuts down the socket of every session whose read deadline has passed (its blocking read then
// fails and the session ends), every 200 ms.
void PgServer::reap_silent_sessions() {
  std::unique_lock lock(sessions_mutex_);
  while (!stopping_) {
    reaper_cv_.wait_for(lock, std::chrono::milliseconds(200));
    int64_t now = PgConnection::steady_ms();
    for (PgConnection* s : live_) {
      int64_t deadline = s->deadline_ms;
      if (deadline && deadline < now) ::shutdown(s->socket.native_handle(), SHUT_RDWR);
    }
  }
}

void PgServer::stop() {
  if (stopping_.exchange(true)) return;
  // Wakes the blocking accept (on Linux, shutting a listening socket down makes accept fail at
  // once). The acceptor is closed only after its thread is done with it: asio's objects are not
  // for two threads at once.
  ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  reaper_cv_.notify_all();
  if (reaper_thread_.joinable()) reaper_thread_.join();
  boost::system::error_code ec;
  acceptor_.close(ec);
  {
    std::lock_guard lock(sessions_mutex_);
    for (auto& [id, con] : running_) con->interrupt();
    for (auto& s : sockets_) s->shutdown(tcp::socket::shutdown_both, ec);
  }
  while (threads_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void PgServer::accept_loop() {
  while (!stopping_) {
    auto socket = std::make_shared<tcp::socket>(io_);
    boost::system::error_code ec;
    acceptor_.accept(*socket, ec);
    if (stopping_) break;
    if (ec) { // out of descriptors, say: not a reason to spin
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    {
      std::lock_guard lock(sessions_mutex_);
      // Over the cap: refused at once, without a thread (a flood of idle sockets must not take
      // the server's threads or descriptors). Unauthenticated sockets have a smaller cap of their own.
      const char* full = sockets_.size() >= limits_.max_connections      ? "too many connections"
                         : starting_ >= std::min<size_t>(limits_.max_starting_connections, limits_.max_connections) ? "too many connections are logging in"
                                                                         : nullptr;
      if (full) {
        ++refused_;
        log::warn("refused", {{"protocol", "pgwire"}, {"reason", full}});
        boost::system::error_code ignored;
        std::string refusal = Message('E').bytes("S").str("FATAL").bytes("V").str("FATAL").bytes("C").str("53300").bytes("M")
                                  .str(std::string(full) + " (at most " + std::to_string(limits_.max_connections) + ")")
                                  .bytes(std::string(1, '\0')).done();
        socket->non_blocking(true, ignored);
        socket->write_some(asio::buffer(refusal), ignored);
        socket->close(ignored);
        continue;
      }
      sockets_.insert(socket);
      ++starting_;
    }
    ++threads_;
    std::thread([this, socket] {
      PgConnection connection(*socket);
      {
        std::lock_guard lock(sessions_mutex_);
        live_.insert(&connection);
      }
      try {
        PgSession(*this, connection).run();
      } catch (...) { // the client went away
      }
      { // out of the reaper's and stop()'s reach before it is closed: they shut down only what is listed
        std::lock_guard lock(sessions_mutex_);
        live_.erase(&connection);
        sockets_.erase(socket);
      }
      boost::system::error_code ignored;
      socket->close(ignored);
      --threads_;
    }).detach();
  }
}

void PgServer::cancel(int32_t pid, int32_t key) {
  std::lock_guard lock(sessions_mutex_);
  if (auto it = running_.find({pid, key}); it != running_.end()) it->second->interrupt();
}

} // namespace shopflow
