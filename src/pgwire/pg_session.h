// One PostgreSQL-protocol session, on its own thread: the connection's bytes (PgConnection:
// framing, TLS after an SSLRequest, a read deadline the server's reaper enforces), then startup,
// SCRAM-SHA-256 login, and the simple and extended query protocols over a DuckDB connection of
// its own (PgSession). PgServer (pg_server.h) only listens, caps and reaps sessions, and routes
// CancelRequests.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "auth/client_store.h"
#include "db/duckdb.h"
#include "pgwire/pg_column_names.h"
#include "pgwire/protocol/pg_codec.h"
#include "pgwire/protocol/pg_compat.h"
#include "query/policy/sql_limits.h"
#include "query/policy/sql_policy.h"
#include "query/lake_views.h"
#include "query/query_watchdog.h"
#include "query/text_rows.h"

namespace shopflow {

class PgServer;

// A session's connection: typed messages in and out, over TLS once an SSLRequest was accepted.
struct PgConnection {
  using Socket = boost::asio::ip::tcp::socket;
  explicit PgConnection(Socket& s) : socket(s) {}
  Socket& socket;
  std::string in; // the body of the last message read
  std::unique_ptr<boost::asio::ssl::stream<Socket&>> tls;
  // For each read: a client silent for longer has its socket shut down by the server's reaper
  // thread (which ends the session); 0: no limit. TLS hides what is buffered from poll(), so the
  // deadline is kept here rather than polled for.
  int read_timeout_ms = 0;
  std::atomic<int64_t> deadline_ms{0}; // steady-clock ms; 0 while not reading

  void send(const std::string& bytes);
  void read_exact(char* to, size_t n);
  char read_message(); // one typed message: its type, its body in `in`
  void error(const char* severity, const char* code, const std::string& message);
  static int64_t steady_ms();
};

class PgSession {
public:
  PgSession(PgServer& server, PgConnection& connection) : server_(server), c_(connection) {}
  // The whole session, from the startup packet to Terminate or a failure; throws when the client
  // went away.
  void run();

private:
  // A portal's rows: the result, its position, and what was sent so far.
  struct Cursor {
    LakeHolds::Hold lake; // the lake's files the rows read stay until they are all read
    std::unique_ptr<TextRows> rows;
    size_t row = 0, sent = 0, bytes = 0;
    bool started = false, ended = false;
    bool has_row(); // true while a row is at `row` (fetching the next batch when one is done)
  };
  // The extended protocol's named (or unnamed: "") statements and portals.
  struct Statement {
    std::string word;
    ClassifiedStatement classified;
    std::optional<SessionStatement> session;       // answered here, not by DuckDB
    std::vector<int32_t> param_oids;
    std::unique_ptr<DuckPrepared> prepared;        // parameter and column types for Describe; bound and run at Bind
    std::vector<std::optional<std::string>> names; // pg_column_names.h
  };
  struct Portal {
    std::shared_ptr<Statement> statement;
    Cursor cursor; // rows empty: nothing to run (an empty query or a setting)
    std::vector<int16_t> formats;
  };

  // Startup packets until protocol 3's; false when the session ends there (a CancelRequest, an
  // unsupported protocol, a bad length).
  bool startup(std::map<std::string, std::string>& params);
  bool login(const std::map<std::string, std::string>& params); // SCRAM-SHA-256; false: refused
  void serve_messages();
  void simple_query(const std::string& query);
  void parse(Reader& in);
  void bind(Reader& in);
  void describe_message(Reader& in);
  void execute(Reader& in);

  void fail(const std::runtime_error& e); // ErrorResponse with its SQLSTATE
  void refuse_if_refused(const ClassifiedStatement& st, size_t index); // throws PgRefused
  void begin_statement(const ClassifiedStatement& st);               // counts it; a write checkpoints first
  template <class NameOf, class TypeOf>
  void describe(size_t cols, NameOf&& name, TypeOf&& type, const std::vector<int16_t>& formats);
  void describe_rows(const TextRows& r, const std::vector<std::optional<std::string>>& names, const std::vector<int16_t>& formats);
  void describe_setting(const SessionStatement& setting, const std::vector<int16_t>& formats);
  void answer_setting(SessionStatement setting);
  void finish(const TextRows& r, const std::string& word, size_t rows_sent);
  bool in_failed_block(const std::string& word);
  template <class Work> auto timed(Work&& work);
  bool send_rows(Cursor& cur, const std::vector<int16_t>& formats, size_t max, QueryWatchdog& watchdog);
  void ready() { c_.send(Message('Z').bytes(std::string(1, status_)).done()); }

  PgServer& server_;
  PgConnection& c_;
  std::optional<Client> client_;
  bool may_write_ = false;
  std::unique_ptr<DuckConnection> con_;
  std::unique_ptr<PgColumnNames> column_names_; // on con_
  char status_ = 'I';             // I idle, T in a transaction block, E failed transaction block
  bool skipping_to_sync_ = false; // after an error in the extended protocol, until Sync
  bool writing_ = false;          // the statement being run writes (or ends a transaction)
  SqlLimits limits_;              // statement_timeout: SET by the client up to the ceiling
  std::map<std::string, std::shared_ptr<Statement>> statements_;
  std::map<std::string, Portal> portals_;
};

} // namespace shopflow
