// The one RAII layer over libpq (PostgreSQL's C client). Errors become PgError with the server's
// own message (and its SQLSTATE).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace shopflow {

struct PgError : std::runtime_error {
  PgError(const std::string& what, std::string state = {}) : std::runtime_error(what), sqlstate(std::move(state)) {}
  std::string sqlstate; // e.g. "23505"; empty for a connection or client error
};

class PgResult {
public:
  explicit PgResult(pg_result* r) : r_(r) {}
  ~PgResult();
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&&) = delete;
  size_t rows() const;
  size_t columns() const;
  bool is_null(size_t row, size_t column) const;
  std::string_view text(size_t row, size_t column) const; // the text form
  int64_t int64(size_t row, size_t column) const;         // throws PgError when not an integer
  std::string column_name(size_t column) const;
  uint32_t column_type(size_t column) const; // the type's OID (pg_type), e.g. 1700 numeric
  uint64_t affected() const; // rows an INSERT, UPDATE or DELETE touched

private:
  pg_result* r_;
};

class PgConnection {
public:
  // `conninfo`: a postgresql:// URL or key=value pairs; the password comes from PGPASSWORD or
  // ~/.pgpass as libpq finds it. Throws PgError naming the server when it cannot connect.
  explicit PgConnection(const std::string& conninfo);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one or more statements without parameters.
  void execute(const std::string& sql);
  // Runs one statement with $1.. as text parameters (nullopt: NULL); returns its rows.
  PgResult query(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  // COPY ... FROM STDIN: begins it, then put() sends data in pieces and end() finishes it (the
  // server checks the data; an error is thrown there). Inside a transaction, a failed COPY
  // aborts it.
  void copy_begin(const std::string& copy_sql);
  void copy_put(std::string_view data);
  void copy_end();
  // COPY ... TO STDOUT: `piece` gets the data as the server sends it (a row at a time).
  void copy_out(const std::string& copy_sql, const std::function<void(std::string_view)>& piece);
  // Whether the connection is still usable (a dropped server makes it bad).
  bool ok() const;

private:
  [[noreturn]] void fail(const std::string& what, pg_result* r = nullptr);
  pg_conn* conn_ = nullptr;
};

// PostgreSQL's binary COPY format: a header, tuples of fields (each a length and its bytes in
// network order, -1 for NULL), a trailer. Values as the server's binary input takes them.
class PgCopyEncoder {
public:
  PgCopyEncoder();                 // writes the header
  void row(int16_t fields);        // starts a tuple of `fields` fields
  void null();
  void text(std::string_view s);   // text, varchar (UTF-8, no NUL)
  void int32(int32_t v);
  void int64(int64_t v);
  void timestamp_us(int64_t unix_us); // timestamp without time zone, from Unix microseconds
  void numeric(int64_t unscaled, int scale); // numeric: unscaled / 10^scale, scale 0..4
  // The trailer; then data() is a complete COPY stream.
  void finish();
  const std::string& data() const { return out_; }
  void clear_data() { out_.clear(); } // after sending a piece (the stream continues)

private:
  void be16(uint16_t v);
  void be32(uint32_t v);
  void be64(uint64_t v);
  std::string out_;
};

// A binary COPY ... FROM STDIN in progress: encode each row with encoder(), call row_done() after
// it (the data goes to the server in pieces of about 1 MiB), then finish() (the server's verdict).
class PgCopyIn {
public:
  PgCopyIn(PgConnection& con, const std::string& copy_sql) : con_(con) { con_.copy_begin(copy_sql); }
  PgCopyEncoder& encoder() { return encoder_; }
  void row_done() {
    if (encoder_.data().size() < kPieceBytes) return;
    con_.copy_put(encoder_.data());
    encoder_.clear_data();
  }
  void finish() {
    encoder_.finish();
    con_.copy_put(encoder_.data());
    con_.copy_end();
  }

private:
  static constexpr size_t kPieceBytes = 1 << 20;
  PgConnection& con_;
  PgCopyEncoder encoder_;
};

// The same rows as PgCopyIn takes, loaded by multi-row INSERTs of text parameters instead, for
// servers without COPY ... FROM STDIN (Amazon Redshift): "INSERT INTO t VALUES ($1, $2), ($3,
// $4)", one statement per `rows_per_statement` rows (parameters are never quoted into the text,
// so no value is read as SQL whatever its quotes or backslashes).
class PgTextRowEncoder {
public:
  void row(int16_t fields);
  void null() { values_.emplace_back(std::nullopt); }
  void text(std::string_view s) { values_.emplace_back(std::string(s)); }
  void int32(int32_t v) { values_.emplace_back(std::to_string(v)); }
  void int64(int64_t v) { values_.emplace_back(std::to_string(v)); }
  void timestamp_us(int64_t unix_us); // "YYYY-MM-DD HH:MM:SS.ffffff"
  void numeric(int64_t unscaled, int scale);
  size_t rows() const { return rows_; }
  int16_t fields() const { return fields_; }
  std::vector<std::optional<std::string>>& values() { return values_; }
  void clear() {
    values_.clear();
    rows_ = 0;
  }

private:
  std::vector<std::optional<std::string>> values_;
  size_t rows_ = 0;
  int16_t fields_ = 0;
};

class PgInsertIn {
public:
  // `into`: "INSERT INTO t" or "INSERT INTO t (a, b)"; VALUES follows.
  PgInsertIn(PgConnection& con, std::string into, size_t rows_per_statement = 1000)
      : con_(con), into_(std::move(into)), rows_per_statement_(rows_per_statement) {}
  PgTextRowEncoder& encoder() { return encoder_; }
  void row_done() {
    if (encoder_.rows() >= rows_per_statement_) send();
  }
  void finish() { send(); }

private:
  void send();
  PgConnection& con_;
  std::string into_;
  size_t rows_per_statement_;
  PgTextRowEncoder encoder_;
};

} // namespace shopflow
