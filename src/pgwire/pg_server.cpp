#include "pgwire/pg_server.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>
#include <optional>
#include <random>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include "auth/scram.h"
#include "pgwire/protocol/pg_codec.h"
#include "pgwire/pg_column_names.h"
#include "pgwire/protocol/pg_compat.h"
#include "core/timestamp.h"
#include "query/query_watchdog.h"
#include "query/policy/sql_policy.h"
#include "query/text_rows.h"

#include <fmt/format.h>

#include "util/log.h"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace shopflow {

namespace {

constexpr int32_t kProtocol3 = 196608, kSslRequest = 80877103, kGssRequest = 80877104, kCancelRequest = 80877102;

// A statement refused with its SQLSTATE (25006 read-only, 42501 not allowed, 57014 timeout...).
struct PgRefused : std::runtime_error {
  PgRefused(const char* code, const std::string& message) : std::runtime_error(message), sqlstate(code) {}
  const char* sqlstate;
};

// SQLSTATE for a DuckDB error message.
const char* sqlstate(const std::string& message) {
  auto starts = [&](const char* p) { return message.rfind(p, 0) == 0; };
  if (starts("Parser Error")) return "42601";
  if (starts("Catalog Error")) return "42P01";
  if (starts("Binder Error")) return "42703";
  if (starts("Conversion Error") || starts("Invalid Input Error")) return "22P02";
  if (starts("INTERRUPT") || message.find("Interrupted") != std::string::npos) return "57014";
  if (starts("Constraint Error")) return "23000";
  if (starts("Permission Error")) return "42501";
  if (starts("Out of Memory Error")) return "53200";
  return "XX000";
}

} // namespace

struct PgServer::Session {
  tcp::socket& socket;
  std::string in;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls; // after an accepted SSLRequest

  void send(const std::string& bytes) {
    if (tls) asio::write(*tls, asio::buffer(bytes));
    else asio::write(socket, asio::buffer(bytes));
  }
  // For each read: a client silent for longer has its socket shut down by the server's reaper
  // thread (which ends the session); 0: no limit. TLS hides what is buffered from poll(), so the
  // deadline is kept here rather than polled for.
  int read_timeout_ms = 0;
  std::atomic<int64_t> deadline_ms{0}; // steady-clock ms; 0 while not reading
  void read_exact(char* to, size_t n) {
    if (read_timeout_ms > 0) deadline_ms = steady_ms() + read_timeout_ms;
    struct Clear {
      std::atomic<int64_t>& d;
      ~Clear() { d = 0; }
    } clear{deadline_ms};
    if (tls) asio::read(*tls, asio::buffer(to, n));
    else asio::read(socket, asio::buffer(to, n));
  }
  static int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  // Reads one typed message: returns its type, body in `in`.
  char read_message() {
    char header[5];
    read_exact(header, 5);
    int32_t len = get_i32(header + 1);
    if (len < 4 || len > (64 << 20)) throw std::runtime_error("bad message length");
    in.resize(static_cast<size_t>(len - 4));
    read_exact(in.data(), in.size());
    return header[0];
  }
  void error(const char* severity, const char* code, const std::string& message) {
    send(Message('E').bytes("S").str(severity).bytes("V").str(severity).bytes("C").str(code).bytes("M").str(message).bytes(std::string(1, '\0')).done());
  }
};

PgServer::PgServer(std::string host, uint16_t port, DuckDatabase& warehouse, SqlEndpoint& lake_views, const ClientStore& clients,
                   SqlCeilings sql, PgLimits limits, const std::string& tls_cert_file, const std::string& tls_key_file)
    : host_(std::move(host)), port_(port), db_(warehouse), lake_views_(lake_views), clients_(clients), sql_(sql), limits_(limits),
      acceptor_(io_) {
  if (tls_cert_file.empty()) return;
  tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                    asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  tls_->use_certificate_chain_file(tls_cert_file, ec);
  if (!ec) tls_->use_private_key_file(tls_key_file, asio::ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot load the TLS certificate or key for --pg-listen: " + ec.message());
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
    int64_t now = Session::steady_ms();
    for (Session* s : live_) {
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
      try {
        serve(socket);
      } catch (...) { // the client went away
      }
      { // out of stop()'s reach before it is closed: stop() shuts down only what is in sockets_
        std::lock_guard lock(sessions_mutex_);
        sockets_.erase(socket);
      }
      boost::system::error_code ignored;
      socket->close(ignored);
      --threads_;
    }).detach();
  }
}

void PgServer::serve(std::shared_ptr<tcp::socket> socket) {
  Session s{*socket, {}, nullptr};
  {
    std::lock_guard lock(sessions_mutex_);
    live_.insert(&s);
  }
  struct Leave {
    PgServer& server;
    Session* session;
    ~Leave() {
      std::lock_guard lock(server.sessions_mutex_);
      server.live_.erase(session);
    }
  } leave{*this, &s};
  socket->set_option(tcp::no_delay(true));
  // Until it has logged in, the client has limits.startup_timeout_s for each read; afterwards,
  // limits.idle_timeout_s between messages. A blocking read past it fails and ends the session.
  auto read_timeout = [&](int seconds) { s.read_timeout_ms = seconds * 1000; };
  read_timeout(limits_.startup_timeout_s);
  struct Started { // leaves the unauthenticated count once, however the session ends
    PgServer& server;
    bool done = false;
    void now() {
      if (done) return;
      done = true;
      std::lock_guard lock(server.sessions_mutex_);
      --server.starting_;
    }
    ~Started() { now(); }
  } started{*this};
  // Startup: untyped messages (length, code, body) until the protocol 3 startup packet.
  std::map<std::string, std::string> params;
  for (;;) {
    char header[8];
    s.read_exact(header, 8);
    int32_t len = get_i32(header), code = get_i32(header + 4);
    if (len < 8 || len > 10000) return;
    std::string body(static_cast<size_t>(len - 8), '\0');
    s.read_exact(body.data(), body.size());
    if (code == kSslRequest && tls_ && !s.tls) {
      s.send("S");
      s.tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(*socket, *tls_);
      s.deadline_ms = Session::steady_ms() + s.read_timeout_ms; // the handshake has the login's deadline too
      s.tls->handshake(asio::ssl::stream_base::server);
      s.deadline_ms = 0;
      continue;
    }
    if (code == kSslRequest || code == kGssRequest) {
      s.send("N");
      continue;
    }
    if (code == kCancelRequest && body.size() >= 8) {
      std::lock_guard lock(sessions_mutex_);
      if (auto it = running_.find({get_i32(body.data()), get_i32(body.data() + 4)}); it != running_.end()) it->second->interrupt();
      return;
    }
    if (code != kProtocol3) {
      s.error("FATAL", "0A000", "unsupported frontend protocol " + std::to_string(code >> 16) + "." + std::to_string(code & 0xffff) +
                                     " (3.0 only)");
      return;
    }
    for (size_t at = 0; at < body.size() && body[at];) {
      std::string key(body.c_str() + at);
      at += key.size() + 1;
      if (at >= body.size()) break;
      std::string value(body.c_str() + at);
      at += value.size() + 1;
      params[key] = value;
    }
    break;
  }
  std::string user = params["user"], database = params.count("database") ? params["database"] : user;
  if (database != "shopflow") {
    s.error("FATAL", "3D000", "database \"" + database + "\" does not exist (use shopflow)");
    return;
  }
  // SCRAM-SHA-256: the user is a client id (or name), the password its secret.
  auto client = clients_.find(user);
  ScramServer scram(client ? client->scram : std::string(), client ? std::string() : clients_.unknown_user_salt(user));
  s.send(Message('R').i32(10).str("SCRAM-SHA-256").bytes(std::string(1, '\0')).done());
  auto fail_auth = [&] { s.error("FATAL", "28P01", "password authentication failed for user \"" + user + "\""); };
  if (s.read_message() != 'p') return fail_auth();
  std::string mechanism(s.in.c_str());
  if (mechanism != "SCRAM-SHA-256" || s.in.size() < mechanism.size() + 5) return fail_auth();
  auto server_first = scram.first(std::string_view(s.in).substr(mechanism.size() + 5));
  if (!server_first) return fail_auth();
  s.send(Message('R').i32(11).bytes(*server_first).done());
  if (s.read_message() != 'p') return fail_auth();
  auto server_final = scram.final(s.in);
  if (!server_final || !client) return fail_auth();
  if (!(client->scopes & kScopeSql)) {
    s.error("FATAL", "42501", "client " + client->name + " lacks scope sql");
    return;
  }
  const bool may_write = client->scopes & kScopeAdmin;
  started.now();
  read_timeout(limits_.idle_timeout_s);
  s.send(Message('R').i32(12).bytes(*server_final).done());
  s.send(Message('R').i32(0).done());
  for (auto [k, v] : std::initializer_list<std::pair<const char*, const char*>>{
           {"server_version", "15.0 (shopflow)"}, {"server_encoding", "UTF8"}, {"client_encoding", "UTF8"}, {"DateStyle", "ISO, MDY"},
           {"integer_datetimes", "on"}, {"standard_conforming_strings", "on"}, {"TimeZone", "UTC"}, {"is_superuser", "off"},
           {"application_name", ""}})
    s.send(Message('S').str(k).str(v).done());
  int32_t pid = next_pid_++, key = static_cast<int32_t>(std::random_device{}());
  s.send(Message('K').i32(pid).i32(key).done());

  DuckConnection con(db_);
  lake_views_.refresh_lake_views(con);
  static const std::string version =
      sql_literal(std::string("PostgreSQL 15.0 (shopflow ") + SHOPFLOW_VERSION + ", DuckDB " + duckdb_library_version() + ")");
  for (const std::string& statement : pg_session_setup(sql_literal(client->name), version)) con.execute(statement);
  {
    std::lock_guard lock(sessions_mutex_);
    running_[{pid, key}] = &con;
  }
  ++logins_;
  log::info("pg_session", {{"client", client->name}, {"pid", std::to_string(pid)}});
  struct LogEnd {
    std::string client;
    int32_t pid;
    ~LogEnd() { log::info("pg_session_end", {{"client", client}, {"pid", std::to_string(pid)}}); }
  } log_end{client->name, pid};
  struct Unregister {
    PgServer& server;
    std::pair<int32_t, int32_t> id;
    ~Unregister() {
      std::lock_guard lock(server.sessions_mutex_);
      server.running_.erase(id);
    }
  } unregister{*this, {pid, key}};

  char status = 'I'; // I idle, T in a transaction block, E failed transaction block
  bool skipping_to_sync = false; // after an error in the extended protocol, until Sync
  bool writing = false;          // the statement being run writes (or ends a transaction)
  SqlLimits limits = sql_.defaults; // statement_timeout: SET by the client up to the ceiling
  const int fd = socket->native_handle();
  auto fail = [&](const std::runtime_error& e) {
    const char* code = dynamic_cast<const PgRefused*>(&e)       ? static_cast<const PgRefused&>(e).sqlstate
                       : dynamic_cast<const SqlLimitExceeded*>(&e) ? "54000"
                                                                   : sqlstate(e.what());
    s.error("ERROR", code, e.what());
    ++failed_statements_;
    if (status == 'T') status = 'E';
    if (writing) db_.write_failed(); // a write that failed may have torn the WAL
  };
  // The one policy (query/policy/sql_policy.h): a refused statement never reaches DuckDB.
  auto check_policy = [&](const ClassifiedStatement& st, size_t index) {
    if (auto refusal = sql_refusal(st, index, may_write))
      throw PgRefused(refusal->sqlstate, refusal->message + (st.access == SqlAccess::Write ? " (client " + client->name + ")" : std::string()));
    ++statements_;
    writing = st.access == SqlAccess::Write || st.access == SqlAccess::Transaction;
    if (writing && status == 'I') db_.checkpoint_if_due(con);
  };
  // RowDescription for columns given by name and type, each in text (0) or binary (1).
  auto describe = [&](size_t cols, auto&& name, auto&& type, const std::vector<int16_t>& formats) {
    Message desc('T');
    desc.i16(static_cast<int16_t>(cols));
    for (size_t c = 0; c < cols; ++c) {
      auto [oid, size] = pg_type(type(c));
      desc.str(name(c)).i32(0).i16(0).i32(oid).i16(size).i32(-1).i16(format_of(formats, c));
    }
    s.send(desc.done());
  };
  // A result's columns under PostgreSQL's names (pg_column_names.h) where DuckDB's differ.
  auto pg_name = [](const std::vector<std::optional<std::string>>& names, size_t c, std::string duckdb_name) {
    return c < names.size() && names[c] ? *names[c] : duckdb_name;
  };
  auto describe_rows = [&](const TextRows& r, const std::vector<std::optional<std::string>>& names, const std::vector<int16_t>& formats) {
    describe(r.column_count(), [&](size_t c) { return pg_name(names, c, r.column_name(c)); }, [&](size_t c) { return r.column_type(c); }, formats);
  };
  // The CommandComplete tag after a statement ran; updates the transaction status.
  auto finish = [&](const TextRows& r, const std::string& word, size_t rows_sent) {
    std::string tag;
    duckdb_statement_type t = r.statement_type();
    if (t == DUCKDB_STATEMENT_TYPE_SELECT) tag = "SELECT " + std::to_string(rows_sent);
    else if (t == DUCKDB_STATEMENT_TYPE_INSERT || t == DUCKDB_STATEMENT_TYPE_UPDATE || t == DUCKDB_STATEMENT_TYPE_DELETE)
      tag = std::string(t == DUCKDB_STATEMENT_TYPE_INSERT ? "INSERT 0 " : t == DUCKDB_STATEMENT_TYPE_UPDATE ? "UPDATE " : "DELETE ") +
            std::to_string(r.changed_rows());
    else if (t == DUCKDB_STATEMENT_TYPE_TRANSACTION) {
      tag = word == "START" ? "BEGIN" : word == "END" ? "COMMIT" : word == "ABORT" ? "ROLLBACK" : word;
      status = (word == "BEGIN" || word == "START") ? 'T' : 'I';
    } else tag = word;
    s.send(Message('C').str(tag).done());
  };
  // A SHOW of a session setting: one text column named after it.
  auto describe_setting = [&](const SessionStatement& setting, const std::vector<int16_t>& formats) {
    describe(1, [&](size_t) { return setting.name; }, [](size_t) { return DUCKDB_TYPE_VARCHAR; }, formats);
  };
  // A SET or SHOW of a session setting answered: SHOW's one row, then the command tag.
  // statement_timeout is the one that changes something: this session's query time limit.
  auto answer_setting = [&](SessionStatement setting) {
    if (setting.name == "statement_timeout") {
      if (setting.is_set) {
        std::optional<int64_t> ms = parse_pg_duration_ms(setting.set_value);
        if (!ms) throw PgRefused("22023", "invalid value for parameter \"statement_timeout\": \"" + setting.set_value + "\"");
        limits.timeout_ms = *ms == 0 ? sql_.ceiling.timeout_ms : std::min(*ms, sql_.ceiling.timeout_ms);
      }
      setting.value = std::to_string(limits.timeout_ms) + "ms";
    }
    if (!setting.is_set) s.send(Message('D').i16(1).i32(static_cast<int32_t>(setting.value.size())).bytes(setting.value).done());
    s.send(Message('C').str(setting.is_set ? "SET" : "SHOW").done());
  };
  // A statement that returns rows (the others end with a command tag alone).
  auto returns_rows = [](duckdb_statement_type t) {
    return t == DUCKDB_STATEMENT_TYPE_SELECT || t == DUCKDB_STATEMENT_TYPE_EXPLAIN || t == DUCKDB_STATEMENT_TYPE_PRAGMA;
  };
  // A statement of a failed transaction block: only its end is accepted, and it rolls back.
  auto in_failed_block = [&](const std::string& word) {
    if (status != 'E') return false;
    if (word != "ROLLBACK" && word != "ABORT" && word != "COMMIT" && word != "END")
      throw DuckError("current transaction is aborted, commands ignored until end of transaction block");
    con.query("ROLLBACK");
    status = 'I';
    s.send(Message('C').str("ROLLBACK").done());
    return true;
  };
  // Runs `sql` under this session's limits: the watchdog stops it at the deadline or when the
  // client hangs up.
  auto timed = [&](auto&& work) {
    QueryWatchdog watchdog(con, limits.timeout_ms, fd);
    try {
      return work(watchdog);
    } catch (const DuckError&) {
      if (watchdog.fired() == QueryWatchdog::Fired::Timeout || watchdog.past_deadline())
        throw PgRefused("57014", "canceling statement due to statement timeout (" + time_over_limit(limits.timeout_ms) + ")");
      throw;
    }
  };

  // A portal's rows: the result, its position, and what was sent so far.
  struct Cursor {
    std::unique_ptr<TextRows> rows;
    size_t row = 0, sent = 0, bytes = 0;
    bool started = false, ended = false;
    // True while a row is at `row` (fetching the next batch when the current one is done).
    bool has_row() {
      if (ended) return false;
      if (!started || row >= rows->batch_size()) {
        started = true;
        row = 0;
        if (!rows->next()) ended = true;
      }
      return !ended;
    }
  };
  // DataRows from the cursor, up to `max` (0: all); true if rows remain (the portal is suspended).
  auto send_rows = [&](Cursor& cur, const std::vector<int16_t>& formats, size_t max, QueryWatchdog& watchdog) {
    TextRows& r = *cur.rows;
    size_t cols = r.column_count(), sent_now = 0;
    std::vector<int32_t> oids(cols);
    for (size_t c = 0; c < cols; ++c) oids[c] = pg_type(r.column_type(c)).first;
    std::string batch;
    while ((max == 0 || sent_now < max) && cur.has_row()) {
      if (cur.row == 0 && watchdog.past_deadline()) throw DuckError("Interrupted");
      if (cur.sent >= limits.max_rows) throw SqlLimitExceeded(rows_over_limit(limits.max_rows));
      Message data('D');
      data.i16(static_cast<int16_t>(cols));
      for (size_t c = 0; c < cols; ++c) {
        auto v = r.value(c, cur.row);
        if (!v) {
          data.i32(-1);
          continue;
        }
        std::string e = encode_value(std::string(*v), oids[c], format_of(formats, c) == 1);
        data.i32(static_cast<int32_t>(e.size())).bytes(e);
      }
      std::string row = data.done();
      cur.bytes += row.size();
      if (cur.bytes > limits.max_bytes) throw SqlLimitExceeded(bytes_over_limit(limits.max_bytes));
      batch += row;
      ++cur.row, ++cur.sent, ++sent_now;
      if (batch.size() > (1 << 16)) {
        s.send(batch);
        batch.clear();
      }
    }
    s.send(batch);
    return (max != 0 && sent_now == max) && cur.has_row();
  };

  // The extended protocol's named (or unnamed: "") statements and portals.
  struct Statement {
    std::string word;
    ClassifiedStatement classified;
    std::optional<SessionStatement> session; // answered here, not by DuckDB
    std::vector<int32_t> param_oids;
    std::unique_ptr<DuckPrepared> prepared;  // parameter and column types for Describe; bound and run at Bind
    std::vector<std::optional<std::string>> names; // pg_column_names.h
  };
  struct Portal {
    std::shared_ptr<Statement> statement;
    Cursor cursor; // rows empty: nothing to run (an empty query or a setting)
    std::vector<int16_t> formats;
  };
  std::map<std::string, std::shared_ptr<Statement>> statements;
  std::map<std::string, Portal> portals;

  s.send(Message('Z').bytes(std::string(1, status)).done());
  for (;;) {
    char type = s.read_message();
    Reader in{s.in};
    if (type == 'X') return;
    if (type == 'S') { // Sync
      skipping_to_sync = false;
      portals.erase("");
      s.send(Message('Z').bytes(std::string(1, status)).done());
      continue;
    }
    if (type == 'H') continue; // Flush: every message is sent at once anyway
    if (type == 'Q') {
      std::string query = in.str();
      if (auto answer = describe_table_query(query)) query = *answer;
      std::vector<ClassifiedStatement> texts = classify_sql(pg_compat(query));
      if (texts.empty()) s.send(Message('I').done());
      for (size_t i = 0; i < texts.size(); ++i) {
        const ClassifiedStatement& st = texts[i];
        try {
          if (in_failed_block(st.keyword)) continue;
          if (auto setting = session_statement(st.text)) {
            if (!setting->is_set) describe_setting(*setting, {});
            answer_setting(*setting);
            continue;
          }
          check_policy(st, i + 1);
          timed([&](QueryWatchdog& watchdog) {
            auto names = pg_column_names(con, st.text); // before the rows stream: one query at a time per connection
            Cursor cur{std::make_unique<TextRows>(con, st)};
            if (returns_rows(cur.rows->statement_type())) {
              describe_rows(*cur.rows, names, {});
              send_rows(cur, {}, 0, watchdog);
            }
            finish(*cur.rows, st.keyword, cur.sent);
            return 0;
          });
        } catch (const std::runtime_error& e) {
          fail(e);
          break;
        }
      }
      s.send(Message('Z').bytes(std::string(1, status)).done());
      continue;
    }
    if (skipping_to_sync) continue;
    try {
      switch (type) {
      case 'P': { // Parse: name, query, parameter type OIDs (0: let DuckDB infer)
        std::string name = in.str();
        std::vector<ClassifiedStatement> texts = classify_sql(pg_compat(in.str()));
        if (texts.size() > 1) throw PgRefused("42601", "cannot insert multiple commands into a prepared statement");
        auto st = std::make_shared<Statement>();
        st->param_oids.resize(static_cast<size_t>(std::max<int16_t>(0, in.i16())));
        for (auto& oid : st->param_oids) oid = in.i32();
        if (!texts.empty()) {
          st->word = texts[0].keyword;
          st->classified = texts[0];
          st->session = session_statement(st->classified.text);
          if (!st->session) {
            check_policy(texts[0], 1);
            st->prepared = std::make_unique<DuckPrepared>(con, st->classified.text);
            if (returns_rows(st->prepared->statement_type())) st->names = pg_column_names(con, st->classified.text);
          }
        }
        statements[name] = st;
        s.send(Message('1').done());
        break;
      }
      case 'B': { // Bind: portal, statement, parameter formats, values, result formats
        std::string portal_name = in.str(), name = in.str();
        auto it = statements.find(name);
        if (it == statements.end()) throw DuckError("prepared statement \"" + name + "\" does not exist");
        std::vector<int16_t> param_formats(static_cast<size_t>(in.i16()));
        for (auto& f : param_formats) f = in.i16();
        size_t n = static_cast<size_t>(in.i16());
        Portal portal{it->second, {}, {}};
        DuckPrepared* p = portal.statement->prepared.get();
        if (p && n != p->param_count())
          throw DuckError("bind message supplies " + std::to_string(n) + " parameters, but the statement needs " + std::to_string(p->param_count()));
        std::vector<std::optional<std::string>> values(n);
        for (size_t i = 0; i < n; ++i) {
          int32_t len = in.i32();
          if (len < 0) continue;
          std::string_view value = in.bytes(static_cast<size_t>(len));
          if (format_of(param_formats, i) == 1) {
            auto& oids = portal.statement->param_oids;
            int32_t oid = i < oids.size() && oids[i] ? oids[i] : pg_type(p->param_type(i)).first;
            values[i] = decode_binary(value, oid);
          } else {
            values[i] = std::string(value);
          }
        }
        portal.formats.resize(static_cast<size_t>(in.i16()));
        for (auto& f : portal.formats) f = in.i16();
        if (!in.ok) throw DuckError("malformed Bind message");
        if (p && !in_failed_block(portal.statement->word))
          portal.cursor.rows = timed([&](QueryWatchdog&) { return std::make_unique<TextRows>(con, portal.statement->classified, *p, values); });
        portals[portal_name] = std::move(portal);
        s.send(Message('2').done());
        break;
      }
      case 'D': { // Describe a statement ('S') or a portal ('P')
        char what = in.byte();
        std::string name = in.str();
        if (what == 'S') {
          auto it = statements.find(name);
          if (it == statements.end()) throw DuckError("prepared statement \"" + name + "\" does not exist");
          DuckPrepared* p = it->second->prepared.get();
          auto& session = it->second->session;
          Message params('t');
          params.i16(static_cast<int16_t>(p ? p->param_count() : 0));
          for (size_t i = 0; p && i < p->param_count(); ++i) params.i32(pg_type(p->param_type(i)).first);
          s.send(params.done());
          if (session && !session->is_set)
            describe_setting(*session, {});
          else if (p && p->column_count() && returns_rows(p->statement_type()))
            describe(p->column_count(), [&](size_t c) { return pg_name(it->second->names, c, p->column_name(c)); },
                     [&](size_t c) { return p->column_type(c); }, {});
          else
            s.send(Message('n').done());
        } else {
          auto it = portals.find(name);
          if (it == portals.end()) throw DuckError("portal \"" + name + "\" does not exist");
          TextRows* r = it->second.cursor.rows.get();
          auto& session = it->second.statement->session;
          if (session && !session->is_set)
            describe_setting(*session, it->second.formats);
          else if (r && returns_rows(r->statement_type()))
            describe_rows(*r, it->second.statement->names, it->second.formats);
          else
            s.send(Message('n').done());
        }
        break;
      }
      case 'E': { // Execute a portal, up to max rows (0: all)
        std::string name = in.str();
        size_t max = static_cast<size_t>(std::max(0, in.i32()));
        auto it = portals.find(name);
        if (it == portals.end()) throw DuckError("portal \"" + name + "\" does not exist");
        Portal& portal = it->second;
        if (auto& setting = portal.statement->session) {
          answer_setting(*setting);
          break;
        }
        if (!portal.statement->prepared) {
          s.send(Message('I').done());
          break;
        }
        if (!portal.cursor.rows) break; // its statement ended a failed block: answered at Bind
        Cursor& cur = portal.cursor;
        bool suspended = timed([&](QueryWatchdog& watchdog) {
          return returns_rows(cur.rows->statement_type()) && send_rows(cur, portal.formats, max, watchdog);
        });
        if (suspended) s.send(Message('s').done()); // PortalSuspended
        else finish(*cur.rows, portal.statement->word, cur.sent);
        break;
      }
      case 'C': { // Close a statement or a portal
        char what = in.byte();
        std::string name = in.str();
        if (what == 'S') statements.erase(name);
        else portals.erase(name);
        s.send(Message('3').done());
        break;
      }
      default:
        throw DuckError(std::string("unsupported message type '") + type + "'");
      }
    } catch (const std::runtime_error& e) {
      fail(e);
      skipping_to_sync = true;
    }
  }
}

} // namespace shopflow
