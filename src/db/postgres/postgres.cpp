#include "db/postgres/postgres.h"
#include "core/timestamp.h"

#include <cstdio>

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>

namespace shopflow {

PgResult::~PgResult() {
  if (r_) PQclear(r_);
}
size_t PgResult::rows() const { return static_cast<size_t>(PQntuples(r_)); }
size_t PgResult::columns() const { return static_cast<size_t>(PQnfields(r_)); }
bool PgResult::is_null(size_t row, size_t column) const { return PQgetisnull(r_, static_cast<int>(row), static_cast<int>(column)); }
std::string_view PgResult::text(size_t row, size_t column) const {
  return {PQgetvalue(r_, static_cast<int>(row), static_cast<int>(column)),
          static_cast<size_t>(PQgetlength(r_, static_cast<int>(row), static_cast<int>(column)))};
}
int64_t PgResult::int64(size_t row, size_t column) const {
  std::string_view t = text(row, column);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) throw PgError("PostgreSQL answered '" + std::string(t) + "' where an integer was expected");
  return v;
}

std::string PgResult::column_name(size_t column) const { return PQfname(r_, static_cast<int>(column)); }
uint32_t PgResult::column_type(size_t column) const { return PQftype(r_, static_cast<int>(column)); }
uint64_t PgResult::affected() const { return std::strtoull(PQcmdTuples(r_), nullptr, 10); }

PgConnection::PgConnection(const std::string& conninfo) {
  conn_ = PQconnectdb(conninfo.c_str());
  if (!conn_) throw PgError("PostgreSQL: out of memory connecting");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string error = PQerrorMessage(conn_);
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    PQfinish(conn_);
    conn_ = nullptr;
    throw PgError("cannot connect to PostgreSQL: " + error);
  }
  // Notices (e.g. "relation already exists, skipping") are not errors: not printed.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
}

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

bool PgConnection::ok() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

void PgConnection::fail(const std::string& what, pg_result* r) {
  // The server's message, its detail and hint; not its echo of the statement (LINE 1: ...).
  std::string message;
  if (const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr) {
    message = primary;
    if (const char* detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)) message += std::string(" (") + detail + ")";
    if (const char* hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT)) message += std::string("; ") + hint;
  } else {
    message = PQerrorMessage(conn_);
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  std::string state;
  if (r)
    if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) state = s;
  if (r) PQclear(r);
  throw PgError("PostgreSQL " + what + ": " + message, state);
}

void PgConnection::execute(const std::string& sql) {
  // PQexec runs several statements; results after the first error are not returned.
  pg_result* r = PQexec(conn_, sql.c_str());
  ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) fail("statement failed", r);
  PQclear(r);
}

PgResult PgConnection::query(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  pg_result* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
  ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail("query failed", r);
  return PgResult(r);
}

void PgConnection::copy_begin(const std::string& copy_sql) {
  pg_result* r = PQexec(conn_, copy_sql.c_str());
  if (!r || PQresultStatus(r) != PGRES_COPY_IN) fail("COPY refused", r);
  PQclear(r);
}

void PgConnection::copy_put(std::string_view data) {
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1) fail("COPY data not sent");
}

void PgConnection::copy_end() {
  if (PQputCopyEnd(conn_, nullptr) != 1) fail("COPY end not sent");
  pg_result* r = PQgetResult(conn_);
  ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK) {
    // Drain what follows the failed COPY so the connection takes the next command.
    while (pg_result* more = PQgetResult(conn_)) PQclear(more);
    fail("COPY failed", r);
  }
  PQclear(r);
  while (pg_result* more = PQgetResult(conn_)) PQclear(more);
}

void PgConnection::copy_out(const std::string& copy_sql, const std::function<void(std::string_view)>& piece) {
  pg_result* r = PQexec(conn_, copy_sql.c_str());
  if (!r || PQresultStatus(r) != PGRES_COPY_OUT) fail("COPY refused", r);
  PQclear(r);
  char* buffer = nullptr;
  int n;
  while ((n = PQgetCopyData(conn_, &buffer, 0)) > 0) {
    std::string_view data(buffer, static_cast<size_t>(n));
    try {
      piece(data);
    } catch (...) {
      PQfreemem(buffer);
      throw;
    }
    PQfreemem(buffer);
  }
  if (n == -2) fail("COPY data not received");
  pg_result* end = PQgetResult(conn_);
  if (!end || PQresultStatus(end) != PGRES_COMMAND_OK) {
    while (pg_result* more = PQgetResult(conn_)) PQclear(more);
    fail("COPY failed", end);
  }
  PQclear(end);
  while (pg_result* more = PQgetResult(conn_)) PQclear(more);
}

PgCopyEncoder::PgCopyEncoder() {
  out_.append("PGCOPY\n\377\r\n\0", 11);
  be32(0); // flags: no OIDs
  be32(0); // no header extension
}

void PgCopyEncoder::be16(uint16_t v) {
  char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out_.append(b, 2);
}
void PgCopyEncoder::be32(uint32_t v) {
  be16(static_cast<uint16_t>(v >> 16));
  be16(static_cast<uint16_t>(v));
}
void PgCopyEncoder::be64(uint64_t v) {
  be32(static_cast<uint32_t>(v >> 32));
  be32(static_cast<uint32_t>(v));
}

void PgCopyEncoder::row(int16_t fields) { be16(static_cast<uint16_t>(fields)); }
void PgCopyEncoder::null() { be32(0xFFFFFFFFu); }
void PgCopyEncoder::text(std::string_view s) {
  be32(static_cast<uint32_t>(s.size()));
  out_.append(s);
}
void PgCopyEncoder::int32(int32_t v) {
  be32(4);
  be32(static_cast<uint32_t>(v));
}
void PgCopyEncoder::int64(int64_t v) {
  be32(8);
  be64(static_cast<uint64_t>(v));
}
void PgCopyEncoder::timestamp_us(int64_t unix_us) {
  constexpr int64_t kPostgresEpochUs = 946'684'800LL * 1'000'000; // 2000-01-01 in Unix microseconds
  be32(8);
  be64(static_cast<uint64_t>(unix_us - kPostgresEpochUs));
}

// numeric's binary form: ndigits, weight (of the first digit, in powers of 10000), sign, dscale,
// then base-10000 digits, most significant first.
void PgCopyEncoder::numeric(int64_t unscaled, int scale) {
  static constexpr uint64_t kPow10[] = {1, 10, 100, 1000, 10000};
  const bool negative = unscaled < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(unscaled) : static_cast<uint64_t>(unscaled);
  uint64_t whole = magnitude / kPow10[scale];
  const uint16_t fraction = static_cast<uint16_t>((magnitude % kPow10[scale]) * kPow10[4 - scale]);
  uint16_t groups[8];
  int n = 0;
  for (; whole; whole /= 10000) groups[n++] = static_cast<uint16_t>(whole % 10000);
  const int16_t weight = static_cast<int16_t>(n ? n - 1 : -1);
  const int digits = n + (fraction ? 1 : 0);
  be32(static_cast<uint32_t>(8 + 2 * digits));
  be16(static_cast<uint16_t>(digits));
  be16(static_cast<uint16_t>(digits ? weight : 0));
  be16(negative && digits ? 0x4000 : 0x0000);
  be16(static_cast<uint16_t>(scale));
  for (int i = n - 1; i >= 0; --i) be16(groups[i]);
  if (fraction) be16(fraction);
}

void PgCopyEncoder::finish() { be16(0xFFFF); }

void PgTextRowEncoder::row(int16_t fields) {
  if (rows_ && fields != fields_) throw std::logic_error("PgTextRowEncoder: rows of one statement have one field count");
  fields_ = fields;
  ++rows_;
}

void PgTextRowEncoder::timestamp_us(int64_t unix_us) {
  constexpr int64_t kDay = 86'400'000'000;
  int64_t days = unix_us / kDay, in_day = unix_us % kDay;
  if (in_day < 0) {
    in_day += kDay;
    --days;
  }
  const CivilDate d = civil_from_days(days);
  const int64_t seconds = in_day / 1'000'000;
  char out[48];
  std::snprintf(out, sizeof out, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%06lld", static_cast<long long>(d.year), d.month, d.day,
                static_cast<long long>(seconds / 3600), static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60),
                static_cast<long long>(in_day % 1'000'000));
  values_.emplace_back(out);
}

void PgTextRowEncoder::numeric(int64_t unscaled, int scale) {
  static constexpr uint64_t kPow10[] = {1, 10, 100, 1000, 10000};
  const bool negative = unscaled < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(unscaled) : static_cast<uint64_t>(unscaled);
  std::string out;
  if (negative) out += '-';
  out += std::to_string(magnitude / kPow10[scale]);
  if (scale) {
    std::string fraction = std::to_string(magnitude % kPow10[scale]);
    out.append(".").append(static_cast<size_t>(scale) - fraction.size(), '0').append(fraction);
  }
  values_.emplace_back(std::move(out));
}

void PgInsertIn::send() {
  if (!encoder_.rows()) return;
  std::string sql = into_ + " VALUES ";
  size_t param = 0;
  for (size_t r = 0; r < encoder_.rows(); ++r) {
    sql += r ? ", (" : "(";
    for (int16_t f = 0; f < encoder_.fields(); ++f) sql += (f ? ", $" : "$") + std::to_string(++param);
    sql += ')';
  }
  con_.query(sql, encoder_.values());
  encoder_.clear();
}

} // namespace shopflow
