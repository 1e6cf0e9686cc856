// The PostgreSQL wire protocol (v3) over the serving warehouse and the lake, for psql, psycopg2
// and BI tools. `serve --pg-listen HOST:PORT`; database `shopflow`; the user is a client id and
// the password its secret, checked with SCRAM-SHA-256 (the client needs scope sql; with admin it
// may also write). Supported: SSLRequest (TLS when serve has --tls-cert, else answered N), startup, the
// simple query protocol (several statements per query), the extended protocol (Parse, Bind,
// Describe, Execute with row limits, Close, Sync, Flush; named and unnamed statements and portals;
// text parameters; text or binary results for bool, int2/4/8, float4/8, numeric, date,
// timestamp, text, and lists as text[]), PostgreSQL type OIDs and column names, command tags,
// ErrorResponse with SQLSTATE codes, transaction status, CancelRequest, Terminate.
// One thread per session (BI clients are few; pg_session.h), at most PgLimits::max_connections
// of them and fewer still not logged in, each login with a deadline; each session has its own
// DuckDB connection. The server listens, caps, reaps silent sessions and routes CancelRequests.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "auth/client_store.h"
#include "db/duckdb.h"
#include "query/sql_service.h"

namespace shopflow {

struct PgConnection;

struct PgLimits {
  size_t max_connections = 64;          // sessions at once (--pg-max-connections)
  size_t max_starting_connections = 16; // of them, not logged in yet
  int startup_timeout_s = 10;           // to send each startup and login message
  int idle_timeout_s = 3600;            // between messages of a logged-in session (--pg-idle-timeout)
};

class PgServer {
public:
  // With a certificate and key, an SSLRequest is answered S and the session continues over TLS.
  PgServer(std::string host, uint16_t port, DuckDatabase& warehouse, SqlService& lake_views, const ClientStore& clients,
           SqlCeilings sql, PgLimits limits, const std::string& tls_cert_file = "", const std::string& tls_key_file = "");
  ~PgServer();
  void start(); // binds (throws naming the address) and accepts on a background thread
  void stop();  // closes the listener and every session
  uint16_t port() const { return port_; }
  // Prometheus lines: sessions logged in now, and totals of logins, connections refused (over
  // the caps), statements run and statements that failed.
  void render_metrics(std::string& out);

private:
  friend class PgSession; // a session reads the configuration and counts, and registers its cancel key
  void accept_loop();
  void reap_silent_sessions();
  void cancel(int32_t pid, int32_t key); // a CancelRequest: interrupts that session's statement

  std::string host_;
  uint16_t port_;
  DuckDatabase& db_;
  SqlService& lake_views_;
  const ClientStore& clients_;
  SqlCeilings sql_; // the session's defaults (statement_timeout) and what SET may raise them to
  PgLimits limits_;
  size_t starting_ = 0; // sessions not logged in yet (under sessions_mutex_)
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread accept_thread_, reaper_thread_;
  std::condition_variable reaper_cv_;
  std::set<PgConnection*> live_; // sessions being served (under sessions_mutex_), for the reaper
  std::atomic<bool> stopping_{false};
  std::mutex sessions_mutex_;
  std::map<std::pair<int32_t, int32_t>, DuckConnection*> running_; // (pid, key) -> connection, for CancelRequest
  std::set<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::atomic<int> threads_{0};
  std::atomic<int32_t> next_pid_{1000};
  std::atomic<uint64_t> logins_{0}, refused_{0}, statements_{0}, failed_statements_{0};
};

} // namespace shopflow
