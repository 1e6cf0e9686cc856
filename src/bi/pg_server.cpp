#include "bi/pg_server.h"

#include <arpa/inet.h>

#include <cstring>
#include <random>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "auth/scram.h"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace shopflow {

namespace {

constexpr int32_t kProtocol3 = 196608, kSslRequest = 80877103, kGssRequest = 80877104, kCancelRequest = 80877102;

// An outgoing message: type byte, then a length that counts itself, then the body.
class Message {
public:
  explicit Message(char type) : data_(1, type) { data_.append(4, '\0'); }
  Message& i32(int32_t v) {
    uint32_t n = htonl(static_cast<uint32_t>(v));
    data_.append(reinterpret_cast<const char*>(&n), 4);
    return *this;
  }
  Message& i16(int16_t v) {
    uint16_t n = htons(static_cast<uint16_t>(v));
    data_.append(reinterpret_cast<const char*>(&n), 2);
    return *this;
  }
  Message& str(std::string_view s) { // NUL-terminated
    data_.append(s);
    data_.push_back('\0');
    return *this;
  }
  Message& bytes(std::string_view s) {
    data_.append(s);
    return *this;
  }
  const std::string& done() {
    uint32_t n = htonl(static_cast<uint32_t>(data_.size() - 1));
    std::memcpy(data_.data() + 1, &n, 4);
    return data_;
  }

private:
  std::string data_;
};

int32_t get_i32(const char* p) {
  uint32_t n;
  std::memcpy(&n, p, 4);
  return static_cast<int32_t>(ntohl(n));
}

// PostgreSQL type OID and size for a DuckDB column type.
std::pair<int32_t, int16_t> pg_type(duckdb_type t) {
  switch (t) {
  case DUCKDB_TYPE_BOOLEAN: return {16, 1};
  case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_UTINYINT: return {21, 2};
  case DUCKDB_TYPE_INTEGER: case DUCKDB_TYPE_USMALLINT: return {23, 4};
  case DUCKDB_TYPE_BIGINT: case DUCKDB_TYPE_UINTEGER: return {20, 8};
  case DUCKDB_TYPE_HUGEINT: case DUCKDB_TYPE_UBIGINT: case DUCKDB_TYPE_DECIMAL: return {1700, -1};
  case DUCKDB_TYPE_FLOAT: return {700, 4};
  case DUCKDB_TYPE_DOUBLE: return {701, 8};
  case DUCKDB_TYPE_DATE: return {1082, 4};
  case DUCKDB_TYPE_TIME: return {1083, 8};
  case DUCKDB_TYPE_TIMESTAMP: return {1114, 8};
  case DUCKDB_TYPE_TIMESTAMP_TZ: return {1184, 8};
  case DUCKDB_TYPE_INTERVAL: return {1186, 16};
  case DUCKDB_TYPE_BLOB: return {17, -1};
  default: return {25, -1}; // text
  }
}

// A write refused in a read-only session (SQLSTATE 25006).
struct ReadOnly : std::runtime_error {
  using std::runtime_error::runtime_error;
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
  return "XX000";
}

// Splits a query string into statements at top-level semicolons (quotes, identifiers, comments
// and dollar-quoted strings respected).
std::vector<std::string> split_statements(std::string_view sql) {
  std::vector<std::string> out;
  std::string current;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      size_t end = i + 1;
      while (end < sql.size() && !(sql[end] == c && (end + 1 >= sql.size() || sql[end + 1] != c))) end += (sql[end] == c) ? 2 : 1;
      current.append(sql.substr(i, end - i + 1));
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t nl = sql.find('\n', i);
      i = nl == std::string_view::npos ? sql.size() : nl;
      current.push_back('\n');
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 1;
      current.push_back(' ');
    } else if (c == '$' && i + 1 < sql.size() && sql[i + 1] == '$') {
      size_t end = sql.find("$$", i + 2);
      end = end == std::string_view::npos ? sql.size() : end + 2;
      current.append(sql.substr(i, end - i));
      i = end - 1;
    } else if (c == ';') {
      out.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  out.push_back(std::move(current));
  std::erase_if(out, [](const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; });
  return out;
}

std::string first_word(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n(");
  if (b == std::string::npos) return {};
  size_t e = s.find_first_of(" \t\r\n;(", b);
  std::string w = s.substr(b, e == std::string::npos ? std::string::npos : e - b);
  for (auto& c : w) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return w;
}

} // namespace

struct PgServer::Session {
  tcp::socket& socket;
  std::string in;

  void send(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
  // Reads one typed message: returns its type, body in `in`.
  char read_message() {
    char header[5];
    asio::read(socket, asio::buffer(header, 5));
    int32_t len = get_i32(header + 1);
    if (len < 4 || len > (64 << 20)) throw std::runtime_error("bad message length");
    in.resize(static_cast<size_t>(len - 4));
    asio::read(socket, asio::buffer(in.data(), in.size()));
    return header[0];
  }
  void error(const char* severity, const char* code, const std::string& message) {
    send(Message('E').bytes("S").str(severity).bytes("V").str(severity).bytes("C").str(code).bytes("M").str(message).bytes(std::string(1, '\0')).done());
  }
};

PgServer::PgServer(std::string host, uint16_t port, DuckDatabase& warehouse, SqlEndpoint& lake_views, const ClientStore& clients)
    : host_(std::move(host)), port_(port), db_(warehouse), lake_views_(lake_views), clients_(clients), acceptor_(io_) {}

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
}

void PgServer::stop() {
  if (stopping_.exchange(true)) return;
  boost::system::error_code ec;
  acceptor_.close(ec);
  try { // wake the blocking accept
    tcp::socket wake(io_);
    wake.connect(tcp::endpoint(asio::ip::make_address(host_ == "0.0.0.0" ? "127.0.0.1" : host_), port_), ec);
  } catch (...) {
  }
  if (accept_thread_.joinable()) accept_thread_.join();
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
    if (ec) continue;
    {
      std::lock_guard lock(sessions_mutex_);
      sockets_.insert(socket);
    }
    ++threads_;
    std::thread([this, socket] {
      try {
        serve(socket);
      } catch (...) { // the client went away
      }
      boost::system::error_code ignored;
      socket->close(ignored);
      {
        std::lock_guard lock(sessions_mutex_);
        sockets_.erase(socket);
      }
      --threads_;
    }).detach();
  }
}

void PgServer::serve(std::shared_ptr<tcp::socket> socket) {
  Session s{*socket, {}};
  socket->set_option(tcp::no_delay(true));
  // Startup: untyped messages (length, code, body) until the protocol 3 startup packet.
  std::map<std::string, std::string> params;
  for (;;) {
    char header[8];
    asio::read(*socket, asio::buffer(header, 8));
    int32_t len = get_i32(header), code = get_i32(header + 4);
    if (len < 8 || len > 10000) return;
    std::string body(static_cast<size_t>(len - 8), '\0');
    asio::read(*socket, asio::buffer(body.data(), body.size()));
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
  ScramServer scram(client ? client->scram : std::string());
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
  {
    std::lock_guard lock(sessions_mutex_);
    running_[{pid, key}] = &con;
  }
  struct Unregister {
    PgServer& server;
    std::pair<int32_t, int32_t> id;
    ~Unregister() {
      std::lock_guard lock(server.sessions_mutex_);
      server.running_.erase(id);
    }
  } unregister{*this, {pid, key}};

  char status = 'I'; // I idle, T in a transaction block, E failed transaction block
  bool skipping_to_sync = false;
  s.send(Message('Z').bytes(std::string(1, status)).done());
  for (;;) {
    char type = s.read_message();
    if (type == 'X') return;
    if (type == 'S') { // Sync ends an (unsupported) extended-protocol exchange
      skipping_to_sync = false;
      s.send(Message('Z').bytes(std::string(1, status)).done());
      continue;
    }
    if (type != 'Q') {
      if (!skipping_to_sync) s.error("ERROR", "0A000", "the extended query protocol is not supported yet; use simple queries");
      skipping_to_sync = true;
      continue;
    }
    std::vector<std::string> statements = split_statements(std::string_view(s.in.c_str()));
    if (statements.empty()) s.send(Message('I').done());
    for (const std::string& sql : statements) {
      std::string word = first_word(sql);
      try {
        if (status == 'E' && word != "ROLLBACK" && word != "ABORT" && word != "COMMIT" && word != "END")
          throw DuckError("current transaction is aborted, commands ignored until end of transaction block");
        auto types = con.statement_types(sql);
        if (!may_write)
          for (auto t : types)
            if (t != DUCKDB_STATEMENT_TYPE_SELECT && t != DUCKDB_STATEMENT_TYPE_EXPLAIN && t != DUCKDB_STATEMENT_TYPE_TRANSACTION &&
                t != DUCKDB_STATEMENT_TYPE_VARIABLE_SET)
              throw ReadOnly(std::string("cannot execute ") + statement_type_name(t) + " in a read-only session (client " +
                             client->name + " lacks scope admin)");
        if (status == 'E') { // COMMIT or ROLLBACK of a failed block: roll back
          con.query("ROLLBACK");
          status = 'I';
          s.send(Message('C').str("ROLLBACK").done());
          continue;
        }
        DuckResult r = con.query(sql);
        duckdb_statement_type t = types.empty() ? DUCKDB_STATEMENT_TYPE_SELECT : types.back();
        std::string tag;
        if (t == DUCKDB_STATEMENT_TYPE_SELECT || t == DUCKDB_STATEMENT_TYPE_EXPLAIN) {
          size_t cols = r.column_count(), rows = r.row_count();
          Message desc('T');
          desc.i16(static_cast<int16_t>(cols));
          std::vector<bool> boolean(cols);
          for (size_t c = 0; c < cols; ++c) {
            auto [oid, size] = pg_type(r.column_type(c));
            boolean[c] = oid == 16;
            desc.str(r.column_name(c)).i32(0).i16(0).i32(oid).i16(size).i32(-1).i16(0);
          }
          s.send(desc.done());
          std::string batch;
          for (size_t row = 0; row < rows; ++row) {
            Message data('D');
            data.i16(static_cast<int16_t>(cols));
            for (size_t c = 0; c < cols; ++c) {
              if (r.is_null(c, row)) {
                data.i32(-1);
                continue;
              }
              std::string v = r.text(c, row);
              if (boolean[c]) v = v == "true" ? "t" : "f";
              data.i32(static_cast<int32_t>(v.size())).bytes(v);
            }
            batch += data.done();
            if (batch.size() > (1 << 16)) {
              s.send(batch);
              batch.clear();
            }
          }
          s.send(batch);
          tag = (t == DUCKDB_STATEMENT_TYPE_EXPLAIN ? "EXPLAIN" : "SELECT ") + std::string(t == DUCKDB_STATEMENT_TYPE_EXPLAIN ? "" : std::to_string(rows));
        } else if (t == DUCKDB_STATEMENT_TYPE_INSERT || t == DUCKDB_STATEMENT_TYPE_UPDATE || t == DUCKDB_STATEMENT_TYPE_DELETE) {
          int64_t n = r.row_count() && r.column_count() ? r.int64(0, 0) : 0;
          tag = std::string(t == DUCKDB_STATEMENT_TYPE_INSERT ? "INSERT 0 " : t == DUCKDB_STATEMENT_TYPE_UPDATE ? "UPDATE " : "DELETE ") +
                std::to_string(n);
        } else if (t == DUCKDB_STATEMENT_TYPE_TRANSACTION) {
          tag = word == "START" ? "BEGIN" : word == "END" ? "COMMIT" : word == "ABORT" ? "ROLLBACK" : word;
          status = (word == "BEGIN" || word == "START") ? 'T' : 'I';
        } else {
          tag = word;
        }
        s.send(Message('C').str(tag).done());
      } catch (const std::runtime_error& e) { // DuckError or ReadOnly: the rest of the query is skipped
        s.error("ERROR", dynamic_cast<const ReadOnly*>(&e) ? "25006" : sqlstate(e.what()), e.what());
        if (status == 'T') status = 'E';
        break;
      }
    }
    s.send(Message('Z').bytes(std::string(1, status)).done());
  }
}

} // namespace shopflow
