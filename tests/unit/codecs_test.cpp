// Table-driven tests of the byte and text formats that are otherwise reached only end to end:
// the log's row and Idempotency-Key records, the tables' keys and values, and the PostgreSQL
// protocol's values and compatibility rewrites.
#include <gtest/gtest.h>

#include "formats/csv_reader.h"
#include "pgwire/protocol/pg_codec.h"
#include "pgwire/protocol/pg_compat.h"
#include "pipeline/idempotency.h"
#include "pipeline/log_record.h"
#include "sinks/tables/tables_format.h"

using namespace shopflow;

namespace {
// The rows of a CSV text (no header), and the reader that owns their bytes.
std::vector<InputRow> csv_rows(const std::string& text, std::unique_ptr<CsvReader>& keep) {
  keep = std::make_unique<CsvReader>(memory_reader(text));
  std::vector<InputRow> rows;
  keep->read_batch(rows, 100);
  return rows;
}
} // namespace

TEST(LogRowCodec, RoundTripsEveryShapeOfRow) {
  const char* lines[] = {
      "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
      "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom",
      "536414,22139,,56,2010-12-01 11:52:00,0,,United Kingdom",
      "\"quoted, comma\",\"x \"\"y\"\"\",é,1,12/1/2010 8:26,1,1,Ünïcode",
      "only,three,fields",
      "",
  };
  for (const char* line : lines) {
    std::unique_ptr<CsvReader> keep;
    auto rows = csv_rows(std::string(line) + "\n", keep);
    for (const InputRow& row : rows) {
      for (bool keep_raw : {false, true}) {
        std::string bytes;
        encode_log_row(bytes, row, 1291191960000000, keep_raw);
        InputRow back;
        int64_t received = 0;
        ASSERT_TRUE(decode_log_row(bytes, back, received)) << line;
        EXPECT_EQ(received, 1291191960000000);
        EXPECT_EQ(back.field_count, row.field_count) << line;
        for (size_t f = 0; f < kFieldCount; ++f) {
          EXPECT_EQ(back.fields[f].text, row.fields[f].text) << line << " field " << f;
          EXPECT_EQ(back.fields[f].kind, row.fields[f].kind) << line << " field " << f;
        }
        EXPECT_EQ(back.raw, keep_raw ? row.raw : std::string_view()) << line;
        EXPECT_EQ(back.valid_utf8, row.valid_utf8);
        // Every proper prefix is refused, never read past its end.
        for (size_t n = 0; n < bytes.size(); n += 7) EXPECT_FALSE(decode_log_row(std::string_view(bytes).substr(0, n), back, received)) << n;
      }
    }
  }
  InputRow row;
  int64_t received;
  EXPECT_FALSE(decode_log_row(std::string("\x02", 1), row, received)); // an unknown version
}

TEST(KeyRecordCodec, RoundTripsAndRefusesTruncation) {
  struct Case {
    std::string key, hash;
    uint32_t shards;
  };
  const Case cases[] = {{"reference-0", std::string(32, '\xab'), 4}, {"k", "", 1}, {std::string(200, 'x'), std::string(32, '\0'), 4096}};
  for (const Case& c : cases) {
    std::string bytes;
    encode_key_record(bytes, c.key, c.hash, c.shards);
    std::string key, hash;
    uint32_t shards = 0;
    ASSERT_TRUE(decode_key_record(bytes, key, hash, shards));
    EXPECT_EQ(key, c.key);
    EXPECT_EQ(hash, c.hash);
    EXPECT_EQ(shards, c.shards);
    EXPECT_FALSE(decode_key_record(std::string_view(bytes).substr(0, bytes.size() - 1), key, hash, shards));
  }
  std::string bytes;
  EXPECT_THROW(encode_key_record(bytes, "k", "not 32 bytes", 1), std::invalid_argument); // a hash is SHA-256's 32 bytes
  // A log row is not a key record, nor the other way round.
  std::unique_ptr<CsvReader> keep;
  auto rows = csv_rows("536365,85123A,X,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n", keep);
  std::string row_bytes, key_bytes;
  encode_log_row(row_bytes, rows.at(0), 0, false);
  encode_key_record(key_bytes, "k", "", 1);
  std::string key, hash;
  uint32_t shards;
  InputRow row;
  int64_t received;
  EXPECT_FALSE(decode_key_record(row_bytes, key, hash, shards));
  EXPECT_FALSE(decode_log_row(key_bytes, row, received));
}

TEST(TablesFormat, LinesAndSummariesRoundTrip) {
  struct Case {
    const char *invoice, *stock, *source;
    std::optional<std::string> description;
    int32_t quantity;
    int64_t date, price, amount;
    LineType type;
    const char *customer, *country;
  };
  const Case cases[] = {
      {"536365", "85123A", "batch:1:2", "WHITE HANGING HEART", 6, 1291191960000000, 2550, 15300, LineType::Product, "17850", "United Kingdom"},
      {"C536379", "D", "stream:3:17", std::nullopt, -1, 0, 27500, -27500, LineType::Discount, "Unknown", "EIRE"},
      {"A1", "", "s", "", INT32_MAX, INT64_MIN, INT64_MAX, INT64_MIN, LineType::Other, "", ""},
  };
  for (const Case& c : cases) {
    std::string key, value;
    std::string_view desc = c.description ? std::string_view(*c.description) : std::string_view();
    encode_line(key, value, c.invoice, c.stock, c.source, c.description ? &desc : nullptr, c.quantity, c.date, c.price, c.amount, c.type,
                c.customer, c.country);
    EXPECT_TRUE(key.starts_with(*invoice_prefix(c.invoice, nullptr)));
    std::string stock = c.stock;
    EXPECT_TRUE(key.starts_with(*invoice_prefix(c.invoice, &stock)));
    InvoiceLine l = decode_line(key, value);
    EXPECT_EQ(l.invoice_no, c.invoice);
    EXPECT_EQ(l.stock_code, c.stock);
    EXPECT_EQ(l.source, c.source);
    EXPECT_EQ(l.description, c.description);
    EXPECT_EQ(l.quantity, c.quantity);
    EXPECT_EQ(l.invoice_date_us, c.date);
    EXPECT_EQ(l.unit_price_milli, c.price);
    EXPECT_EQ(l.amount_milli, c.amount);
    EXPECT_EQ(l.line_type, c.type);
    EXPECT_EQ(l.customer_id, c.customer);
    EXPECT_EQ(l.country, c.country);
    EXPECT_THROW(decode_line(key, std::string_view(value).substr(0, value.size() - 1)), std::runtime_error);
  }
  EXPECT_THROW(decode_line("i536365", ""), std::runtime_error); // a key without its parts

  InvoiceSummary s{"17850", "536365", "United Kingdom", 1291191960000000, 7, 40, static_cast<MoneySum>(INT64_MAX) * 4};
  std::string value;
  encode_summary(value, s);
  InvoiceSummary back;
  decode_summary(value, back);
  EXPECT_EQ(back.invoice_date_us, s.invoice_date_us);
  EXPECT_EQ(back.lines, s.lines);
  EXPECT_EQ(back.quantity, s.quantity);
  EXPECT_TRUE(back.amount_milli == s.amount_milli); // past 64 bits: the format's i128
  EXPECT_EQ(back.country, s.country);
  EXPECT_THROW(decode_summary(std::string_view(value).substr(0, 20), back), std::runtime_error);
  std::string key;
  summary_key(key, "17850", "536365");
  EXPECT_TRUE(key.starts_with(*customer_prefix("17850")));
  EXPECT_FALSE(key.starts_with(*customer_prefix("1785")));
  // No key's part holds a \0: a lookup with one has no prefix, so it cannot read another item's lines.
  const std::string item("85123A"), nul_item("85\0", 3);
  EXPECT_EQ(invoice_prefix(std::string_view("536365\0" "85123A", 13), nullptr), std::nullopt);
  EXPECT_EQ(invoice_prefix("536365", &item), std::string("i536365\0" "85123A", 14) + '\0');
  EXPECT_EQ(invoice_prefix("536365", &nul_item), std::nullopt);
  EXPECT_EQ(customer_prefix(std::string_view("17850\0", 6)), std::nullopt);
  EXPECT_EQ(job_key(42), "j42");
}

TEST(PgCodec, TextValuesArraysAndBinaryRoundTrips) {
  struct Text {
    const char *duckdb_list, *pg_array;
  };
  const Text arrays[] = {
      {"[]", "{}"},
      {"[1, 2, 3]", "{1,2,3}"},
      {"[a, NULL, 'NULL', '']", "{a,NULL,\"NULL\",\"\"}"},
      {"['a,b', 'x\"y', 'back\\\\slash', ' s']", "{\"a,b\",\"x\\\"y\",\"back\\\\slash\",\" s\"}"},
      {"[[1, 2], [3]]", "{{1,2},{3}}"},
      {"[{'a': 1, 'b': 'x, y'}]", "{\"{'a': 1, 'b': 'x, y'}\"}"},
      {"['it\\'s']", "{it's}"},
  };
  for (const Text& t : arrays) EXPECT_EQ(pg_array_text(t.duckdb_list), t.pg_array) << t.duckdb_list;
  for (const char* bad : {"", "[", "[a", "[a,b]", "x", "[a] x"}) EXPECT_THROW(pg_array_text(bad), std::runtime_error) << bad;

  struct Binary {
    const char* text;
    int32_t oid;
  };
  const Binary values[] = {{"true", 16},           {"false", 16},       {"-32768", 21},  {"2147483647", 23}, {"-9223372036854775808", 20},
                           {"1.5", 701},           {"2010-12-01", 1082}, {"2010-12-01 08:26:00", 1114}, {"hello", 25}};
  for (const Binary& v : values) {
    std::string bytes = encode_value(v.text, v.oid, true);
    std::string back = decode_binary(bytes, v.oid);
    if (v.oid == 1114) EXPECT_TRUE(back.starts_with(v.text)) << back;
    else EXPECT_EQ(back, v.text) << v.oid;
  }
  EXPECT_EQ(encode_value("true", 16, false), "t");
  EXPECT_EQ(encode_value("823746.140", 1700, false), "823746.140");
}

TEST(PgCompat, RewritesSettingsAndDurations) {
  struct Rewrite {
    const char *in, *out;
  };
  const Rewrite rewrites[] = {
      {"SELECT pg_catalog.current_database()", "SELECT shopflow_current_database()"},
      {"SELECT current_database()", "SELECT shopflow_current_database()"},
      {"SELECT x::pg_catalog.text", "SELECT x::VARCHAR"},
      {"SELECT c.oid::pg_catalog.regclass FROM t", "SELECT c.oid FROM t"},
      {"SELECT 1", "SELECT 1"},
  };
  for (const Rewrite& r : rewrites) EXPECT_EQ(pg_compat(r.in), r.out) << r.in;

  struct Duration {
    const char* text;
    std::optional<int64_t> ms;
  };
  const Duration durations[] = {{"250", 250}, {"250ms", 250}, {"5s", 5000}, {"'5s'", 5000}, {"2min", 120000},
                                {"1h", 3600000}, {"x", std::nullopt}, {"", std::nullopt}, {"-1", std::nullopt}};
  for (const Duration& d : durations) EXPECT_EQ(parse_pg_duration_ms(d.text), d.ms) << d.text;

  auto set = session_statement("SET statement_timeout = '5s'");
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->is_set);
  EXPECT_EQ(set->name, "statement_timeout");
  auto show = session_statement("SHOW server_version");
  ASSERT_TRUE(show);
  EXPECT_EQ(show->value, "15.0");
  EXPECT_FALSE(session_statement("SELECT 1"));
}
