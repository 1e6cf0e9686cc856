#include "pgwire/pg_session.h"

#include <random>

#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include "auth/scram.h"
#include "pgwire/pg_server.h"
#include "query/builtin_names.h"
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

// A statement that returns rows (the others end with a command tag alone).
bool returns_rows(duckdb_statement_type t) {
  return t == DUCKDB_STATEMENT_TYPE_SELECT || t == DUCKDB_STATEMENT_TYPE_EXPLAIN || t == DUCKDB_STATEMENT_TYPE_PRAGMA;
}

// A result's column under PostgreSQL's name (pg_column_names.h) where DuckDB's differs.
std::string pg_name(const std::vector<std::optional<std::string>>& names, size_t c, std::string duckdb_name) {
  return c < names.size() && names[c] ? *names[c] : duckdb_name;
}

} // namespace

// --- PgConnection ---------------------------------------------------------------------------

void PgConnection::send(const std::string& bytes) {
  if (tls) asio::write(*tls, asio::buffer(bytes));
  else asio::write(socket, asio::buffer(bytes));
}

void PgConnection::read_exact(char* to, size_t n) {
  if (read_timeout_ms > 0) deadline_ms = steady_ms() + read_timeout_ms;
  struct Clear {
    std::atomic<int64_t>& d;
    ~Clear() { d = 0; }
  } clear{deadline_ms};
  if (tls) asio::read(*tls, asio::buffer(to, n));
  else asio::read(socket, asio::buffer(to, n));
}

int64_t PgConnection::steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

char PgConnection::read_message() {
  char header[5];
  read_exact(header, 5);
  int32_t len = get_i32(header + 1);
  if (len < 4 || len > (64 << 20)) throw std::runtime_error("bad message length");
  in.resize(static_cast<size_t>(len - 4));
  read_exact(in.data(), in.size());
  return header[0];
}

void PgConnection::error(const char* severity, const char* code, const std::string& message) {
  send(Message('E').bytes("S").str(severity).bytes("V").str(severity).bytes("C").str(code).bytes("M").str(message).bytes(std::string(1, '\0')).done());
}

// --- Startup and login ----------------------------------------------------------------------

bool PgSession::Cursor::has_row() {
  if (ended) return false;
  if (!started || row >= rows->batch_size()) {
    started = true;
    row = 0;
    if (!rows->next()) {
      ended = true;
      lake.end(); // every row read: no file is read any more (a portal left open keeps none)
    }
  }
  return !ended;
}

void PgSession::run() {
  c_.socket.set_option(tcp::no_delay(true));
  // Until it has logged in, the client has startup_timeout_s for each read; afterwards,
  // idle_timeout_s between messages. A blocking read past it fails and ends the session.
  c_.read_timeout_ms = server_.limits_.startup_timeout_s * 1000;
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
  } started{server_};
  std::map<std::string, std::string> params;
  if (!startup(params) || !login(params)) return;
  started.now();
  c_.read_timeout_ms = server_.limits_.idle_timeout_s * 1000;
  for (auto [k, v] : std::initializer_list<std::pair<const char*, const char*>>{
           {"server_version", "15.0 (shopflow)"}, {"server_encoding", "UTF8"}, {"client_encoding", "UTF8"}, {"DateStyle", "ISO, MDY"},
           {"integer_datetimes", "on"}, {"standard_conforming_strings", "on"}, {"TimeZone", "UTC"}, {"is_superuser", "off"},
           {"application_name", ""}})
    c_.send(Message('S').str(k).str(v).done());
  int32_t pid = server_.next_pid_++, key = static_cast<int32_t>(std::random_device{}());
  c_.send(Message('K').i32(pid).i32(key).done());

  con_ = std::make_unique<DuckConnection>(server_.db_);
  column_names_ = std::make_unique<PgColumnNames>(*con_);
  server_.lake_views_.read_lake_now(*con_).end(); // the views' variables set before any statement binds them
  static const std::string version =
      sql_literal(std::string("PostgreSQL 15.0 (shopflow ") + SHOPFLOW_VERSION + ", DuckDB " + duckdb_library_version() + ")");
  for (const std::string& statement : pg_session_setup(sql_literal(client_->name), version)) con_->execute(statement);
  limits_ = server_.sql_.defaults;
  {
    std::lock_guard lock(server_.sessions_mutex_);
    server_.running_[{pid, key}] = con_.get();
  }
  ++server_.logins_;
  log::info("pg_session", {{"client", client_->name}, {"pid", std::to_string(pid)}});
  struct End { // unregisters the session's cancel key and logs its end
    PgServer& server;
    std::pair<int32_t, int32_t> id;
    std::string client;
    ~End() {
      {
        std::lock_guard lock(server.sessions_mutex_);
        server.running_.erase(id);
      }
      log::info("pg_session_end", {{"client", client}, {"pid", std::to_string(id.first)}});
    }
  } end{server_, {pid, key}, client_->name};
  serve_messages();
}

bool PgSession::startup(std::map<std::string, std::string>& params) {
  // Untyped messages (length, code, body) until the protocol 3 startup packet.
  for (;;) {
    char header[8];
    c_.read_exact(header, 8);
    int32_t len = get_i32(header), code = get_i32(header + 4);
    if (len < 8 || len > 10000) return false;
    std::string body(static_cast<size_t>(len - 8), '\0');
    c_.read_exact(body.data(), body.size());
    if (code == kSslRequest && server_.tls_ && !c_.tls) {
      c_.send("S");
      c_.tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(c_.socket, *server_.tls_);
      c_.deadline_ms = PgConnection::steady_ms() + c_.read_timeout_ms; // the handshake has the login's deadline too
      c_.tls->handshake(asio::ssl::stream_base::server);
      c_.deadline_ms = 0;
      continue;
    }
    if (code == kSslRequest || code == kGssRequest) {
      c_.send("N");
      continue;
    }
    if (code == kCancelRequest && body.size() >= 8) {
      server_.cancel(get_i32(body.data()), get_i32(body.data() + 4));
      return false;
    }
    if (code != kProtocol3) {
      c_.error("FATAL", "0A000", "unsupported frontend protocol " + std::to_string(code >> 16) + "." + std::to_string(code & 0xffff) +
                                      " (3.0 only)");
      return false;
    }
    for (size_t at = 0; at < body.size() && body[at];) {
      std::string key(body.c_str() + at);
      at += key.size() + 1;
      if (at >= body.size()) break;
      std::string value(body.c_str() + at);
      at += value.size() + 1;
      params[key] = value;
    }
    return true;
  }
}

bool PgSession::login(const std::map<std::string, std::string>& params) {
  auto param = [&](const char* name) { auto it = params.find(name); return it == params.end() ? std::string() : it->second; };
  std::string user = param("user"), database = params.count("database") ? param("database") : user;
  // Every refused login is logged at warn (written at once, never held with the info lines).
  auto refuse = [&](const char* sqlstate, const std::string& message, const std::string& reason) {
    log::warn("refused", {{"protocol", "pgwire"}, {"user", user}, {"reason", reason}});
    c_.error("FATAL", sqlstate, message);
    return false;
  };
  if (database != "shopflow")
    return refuse("3D000", "database \"" + database + "\" does not exist (use shopflow)", "no database " + database);
  // SCRAM-SHA-256: the user is a client id (or name), the password its secret.
  auto client = server_.clients_.find(user);
  ScramServer scram(client ? client->scram : std::string(), client ? std::string() : server_.clients_.unknown_user_salt(user));
  c_.send(Message('R').i32(10).str("SCRAM-SHA-256").bytes(std::string(1, '\0')).done());
  auto refuse_password = [&] {
    return refuse("28P01", "password authentication failed for user \"" + user + "\"", "password authentication failed");
  };
  if (c_.read_message() != 'p') return refuse_password();
  std::string mechanism(c_.in.c_str());
  if (mechanism != "SCRAM-SHA-256" || c_.in.size() < mechanism.size() + 5) return refuse_password();
  auto server_first = scram.first(std::string_view(c_.in).substr(mechanism.size() + 5));
  if (!server_first) return refuse_password();
  c_.send(Message('R').i32(11).bytes(*server_first).done());
  if (c_.read_message() != 'p') return refuse_password();
  auto server_final = scram.final(c_.in);
  if (!server_final || !client) return refuse_password();
  if (!(client->scopes & kScopeSql)) return refuse("42501", "client " + client->name + " lacks scope sql", "missing scope sql");
  client_ = client;
  may_write_ = client->scopes & kScopeAdmin;
  c_.send(Message('R').i32(12).bytes(*server_final).done());
  c_.send(Message('R').i32(0).done());
  return true;
}

// --- Answers --------------------------------------------------------------------------------

void PgSession::fail(const std::runtime_error& e) {
  const char* code = dynamic_cast<const PgRefused*>(&e)       ? static_cast<const PgRefused&>(e).sqlstate
                     : dynamic_cast<const SqlLimitExceeded*>(&e) ? "54000"
                                                                 : sqlstate(e.what());
  c_.error("ERROR", code, e.what());
  ++server_.failed_statements_;
  if (status_ == 'T') status_ = 'E';
  if (writing_) server_.db_.write_failed(); // a write that failed may have torn the WAL
}

// The one policy (query/policy/sql_policy.h, and the names DuckDB keeps: builtin_names.h): a
// refused statement never reaches DuckDB.
void PgSession::refuse_if_refused(const ClassifiedStatement& st, size_t index) {
  if (std::optional<SqlRefusal> refusal = statement_refusal(*con_, st, index, may_write_)) {
    log::warn("refused", {{"protocol", "pgwire"}, {"user", client_->name}, {"reason", refusal->message}}); // as refused logins
    throw PgRefused(refusal->sqlstate, refusal->message + (st.access == SqlAccess::Write ? " (client " + client_->name + ")" : std::string()));
  }
}

void PgSession::begin_statement(const ClassifiedStatement& st) {
  ++server_.statements_;
  writing_ = st.access == SqlAccess::Write || st.access == SqlAccess::Transaction;
  if (writing_ && status_ == 'I') server_.db_.checkpoint_if_due(*con_);
}

// RowDescription for columns given by name and type, each in text (0) or binary (1).
template <class NameOf, class TypeOf>
void PgSession::describe(size_t cols, NameOf&& name, TypeOf&& type, const std::vector<int16_t>& formats) {
  Message desc('T');
  desc.i16(static_cast<int16_t>(cols));
  for (size_t c = 0; c < cols; ++c) {
    auto [oid, size] = pg_type(type(c));
    desc.str(name(c)).i32(0).i16(0).i32(oid).i16(size).i32(-1).i16(format_of(formats, c));
  }
  c_.send(desc.done());
}

void PgSession::describe_rows(const TextRows& r, const std::vector<std::optional<std::string>>& names, const std::vector<int16_t>& formats) {
  describe(r.column_count(), [&](size_t c) { return pg_name(names, c, r.column_name(c)); }, [&](size_t c) { return r.column_type(c); }, formats);
}

// A SHOW of a session setting: one text column named after it.
void PgSession::describe_setting(const SessionStatement& setting, const std::vector<int16_t>& formats) {
  describe(1, [&](size_t) { return setting.name; }, [](size_t) { return DUCKDB_TYPE_VARCHAR; }, formats);
}

// A SET or SHOW of a session setting answered: SHOW's one row, then the command tag.
// statement_timeout is the one that changes something: this session's query time limit.
void PgSession::answer_setting(SessionStatement setting) {
  if (setting.name == "statement_timeout") {
    if (setting.is_set) {
      std::optional<int64_t> ms = parse_pg_duration_ms(setting.set_value);
      if (!ms) throw PgRefused("22023", "invalid value for parameter \"statement_timeout\": \"" + setting.set_value + "\"");
      limits_.timeout_ms = *ms == 0 ? server_.sql_.ceiling.timeout_ms : std::min(*ms, server_.sql_.ceiling.timeout_ms);
    }
    setting.value = std::to_string(limits_.timeout_ms) + "ms";
  }
  if (!setting.is_set) c_.send(Message('D').i16(1).i32(static_cast<int32_t>(setting.value.size())).bytes(setting.value).done());
  c_.send(Message('C').str(setting.is_set ? "SET" : "SHOW").done());
}

// The CommandComplete tag after a statement ran; updates the transaction status.
void PgSession::finish(const TextRows& r, const std::string& word, size_t rows_sent) {
  std::string tag;
  duckdb_statement_type t = r.statement_type();
  if (t == DUCKDB_STATEMENT_TYPE_SELECT) tag = "SELECT " + std::to_string(rows_sent);
  else if (t == DUCKDB_STATEMENT_TYPE_INSERT || t == DUCKDB_STATEMENT_TYPE_UPDATE || t == DUCKDB_STATEMENT_TYPE_DELETE)
    tag = std::string(t == DUCKDB_STATEMENT_TYPE_INSERT ? "INSERT 0 " : t == DUCKDB_STATEMENT_TYPE_UPDATE ? "UPDATE " : "DELETE ") +
          std::to_string(r.changed_rows());
  else if (t == DUCKDB_STATEMENT_TYPE_TRANSACTION) {
    tag = word == "START" ? "BEGIN" : word == "END" ? "COMMIT" : word == "ABORT" ? "ROLLBACK" : word;
    status_ = (word == "BEGIN" || word == "START") ? 'T' : 'I';
  } else tag = word;
  c_.send(Message('C').str(tag).done());
}

// A statement of a failed transaction block: only its end is accepted, and it rolls back.
bool PgSession::in_failed_block(const std::string& word) {
  if (status_ != 'E') return false;
  if (word != "ROLLBACK" && word != "ABORT" && word != "COMMIT" && word != "END")
    throw DuckError("current transaction is aborted, commands ignored until end of transaction block");
  con_->query("ROLLBACK");
  status_ = 'I';
  c_.send(Message('C').str("ROLLBACK").done());
  return true;
}

// Runs `work` under this session's limits: the watchdog stops it at the deadline or when the
// client hangs up.
template <class Work> auto PgSession::timed(Work&& work) {
  QueryWatchdog watchdog(*con_, limits_.timeout_ms, c_.socket.native_handle());
  try {
    return work(watchdog);
  } catch (const DuckError&) {
    if (watchdog.fired() == QueryWatchdog::Fired::Timeout || watchdog.past_deadline())
      throw PgRefused("57014", "canceling statement due to statement timeout (" + time_over_limit(limits_.timeout_ms) + ")");
    throw;
  }
}

// DataRows from the cursor, up to `max` (0: all); true if rows remain (the portal is suspended).
bool PgSession::send_rows(Cursor& cur, const std::vector<int16_t>& formats, size_t max, QueryWatchdog& watchdog) {
  TextRows& r = *cur.rows;
  size_t cols = r.column_count(), sent_now = 0;
  std::vector<int32_t> oids(cols);
  for (size_t c = 0; c < cols; ++c) oids[c] = pg_type(r.column_type(c)).first;
  std::string batch;
  while ((max == 0 || sent_now < max) && cur.has_row()) {
    if (cur.row == 0 && watchdog.past_deadline()) throw DuckError("Interrupted");
    if (cur.sent >= limits_.max_rows) throw SqlLimitExceeded(rows_over_limit(limits_.max_rows));
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
    if (cur.bytes > limits_.max_bytes) throw SqlLimitExceeded(bytes_over_limit(limits_.max_bytes));
    batch += row;
    ++cur.row, ++cur.sent, ++sent_now;
    if (batch.size() > (1 << 16)) {
      c_.send(batch);
      batch.clear();
    }
  }
  c_.send(batch);
  return (max != 0 && sent_now == max) && cur.has_row();
}

// --- Messages -------------------------------------------------------------------------------

void PgSession::serve_messages() {
  ready();
  for (;;) {
    char type = c_.read_message();
    Reader in{c_.in};
    if (type == 'X') return;
    if (type == 'S') { // Sync
      skipping_to_sync_ = false;
      portals_.erase("");
      ready();
      continue;
    }
    if (type == 'H') continue; // Flush: every message is sent at once anyway
    if (type == 'Q') {
      simple_query(in.str());
      ready();
      continue;
    }
    if (skipping_to_sync_) continue;
    try {
      switch (type) {
      case 'P': parse(in); break;
      case 'B': bind(in); break;
      case 'D': describe_message(in); break;
      case 'E': execute(in); break;
      case 'C': { // Close a statement or a portal
        char what = in.byte();
        std::string name = in.str();
        if (what == 'S') statements_.erase(name);
        else portals_.erase(name);
        c_.send(Message('3').done());
        break;
      }
      default:
        throw DuckError(std::string("unsupported message type '") + type + "'");
      }
    } catch (const std::runtime_error& e) {
      fail(e);
      skipping_to_sync_ = true;
    }
  }
}

// Each statement of the query in turn; the first that fails ends the query.
void PgSession::simple_query(const std::string& text) {
  std::string query = text;
  if (auto answer = describe_table_query(query)) query = *answer;
  std::vector<ClassifiedStatement> texts = classify_sql(pg_compat(query));
  if (texts.empty()) c_.send(Message('I').done());
  // A refused statement stops the query before any of its statements runs: as PostgreSQL runs a
  // query of several statements as one transaction, none of it stays.
  try {
    for (size_t i = 0; i < texts.size(); ++i)
      if (!session_statement(texts[i].text)) refuse_if_refused(texts[i], i + 1);
  } catch (const std::runtime_error& e) {
    fail(e);
    return;
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    const ClassifiedStatement& st = texts[i];
    try {
      if (in_failed_block(st.keyword)) continue;
      if (auto setting = session_statement(st.text)) {
        if (!setting->is_set) describe_setting(*setting, {});
        answer_setting(*setting);
        continue;
      }
      begin_statement(st);
      timed([&](QueryWatchdog& watchdog) {
        Cursor cur;
        cur.lake = server_.lake_views_.read_lake_now(*con_);
        auto names = column_names_->of(st.text); // before the rows stream: one query at a time per connection
        cur.rows = std::make_unique<TextRows>(*con_, st);
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
}

// Parse: name, query, parameter type OIDs (0: let DuckDB infer).
void PgSession::parse(Reader& in) {
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
      refuse_if_refused(texts[0], 1);
      begin_statement(texts[0]);
      LakeHolds::Hold lake; // preparing binds the lake's views: reads their files' schema
      if (status_ != 'E') lake = server_.lake_views_.read_lake_now(*con_);
      st->prepared = std::make_unique<DuckPrepared>(*con_, st->classified.text);
      if (returns_rows(st->prepared->statement_type())) st->names = column_names_->of(st->classified.text);
    }
  }
  statements_[name] = st;
  c_.send(Message('1').done());
}

// Bind: portal, statement, parameter formats, values, result formats.
void PgSession::bind(Reader& in) {
  std::string portal_name = in.str(), name = in.str();
  auto it = statements_.find(name);
  if (it == statements_.end()) throw DuckError("prepared statement \"" + name + "\" does not exist");
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
  if (p && !in_failed_block(portal.statement->word)) {
    portal.cursor.lake = server_.lake_views_.read_lake_now(*con_);
    portal.cursor.rows = timed([&](QueryWatchdog&) { return std::make_unique<TextRows>(*con_, portal.statement->classified, *p, values); });
  }
  portals_[portal_name] = std::move(portal);
  c_.send(Message('2').done());
}

// Describe a statement ('S': its parameters' and columns' types) or a portal ('P': its columns).
void PgSession::describe_message(Reader& in) {
  char what = in.byte();
  std::string name = in.str();
  if (what == 'S') {
    auto it = statements_.find(name);
    if (it == statements_.end()) throw DuckError("prepared statement \"" + name + "\" does not exist");
    DuckPrepared* p = it->second->prepared.get();
    auto& session = it->second->session;
    Message param_types('t');
    param_types.i16(static_cast<int16_t>(p ? p->param_count() : 0));
    for (size_t i = 0; p && i < p->param_count(); ++i) param_types.i32(pg_type(p->param_type(i)).first);
    c_.send(param_types.done());
    if (session && !session->is_set)
      describe_setting(*session, {});
    else if (p && p->column_count() && returns_rows(p->statement_type()))
      describe(p->column_count(), [&](size_t c) { return pg_name(it->second->names, c, p->column_name(c)); },
               [&](size_t c) { return p->column_type(c); }, {});
    else
      c_.send(Message('n').done());
    return;
  }
  auto it = portals_.find(name);
  if (it == portals_.end()) throw DuckError("portal \"" + name + "\" does not exist");
  TextRows* r = it->second.cursor.rows.get();
  auto& session = it->second.statement->session;
  if (session && !session->is_set)
    describe_setting(*session, it->second.formats);
  else if (r && returns_rows(r->statement_type()))
    describe_rows(*r, it->second.statement->names, it->second.formats);
  else
    c_.send(Message('n').done());
}

// Execute a portal, up to max rows (0: all).
void PgSession::execute(Reader& in) {
  std::string name = in.str();
  size_t max = static_cast<size_t>(std::max(0, in.i32()));
  auto it = portals_.find(name);
  if (it == portals_.end()) throw DuckError("portal \"" + name + "\" does not exist");
  Portal& portal = it->second;
  if (auto& setting = portal.statement->session) return answer_setting(*setting);
  if (!portal.statement->prepared) return c_.send(Message('I').done());
  if (!portal.cursor.rows) return; // its statement ended a failed block: answered at Bind
  Cursor& cur = portal.cursor;
  bool suspended = timed([&](QueryWatchdog& watchdog) {
    return returns_rows(cur.rows->statement_type()) && send_rows(cur, portal.formats, max, watchdog);
  });
  if (suspended) c_.send(Message('s').done()); // PortalSuspended
  else finish(*cur.rows, portal.statement->word, cur.sent);
}

} // namespace shopflow
