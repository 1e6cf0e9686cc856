// The columns of a cleaned line (tables transactions and cancellations), in table order: the one
// definition that the warehouse's CREATE TABLE, the shopflow_lines scan (sinks/warehouse) and
// the readers use. Money is DECIMAL with 3 decimals (thousandths of a pound in LineColumns).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace shopflow {

enum class LineField : uint8_t { InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerId, Country, LineType, Amount, Source };
inline constexpr size_t kLineFieldCount = 11;

struct LineFieldSpec {
  enum class Kind : uint8_t { Text, Int32, Timestamp, Decimal } kind;
  const char* name;
  uint8_t width = 0, scale = 0; // DECIMAL(width, scale)
  bool nullable = false;
};

inline constexpr std::array<LineFieldSpec, kLineFieldCount> kLineFields{{
    {LineFieldSpec::Kind::Text, "invoice_no"},
    {LineFieldSpec::Kind::Text, "stock_code"},
    {LineFieldSpec::Kind::Text, "description", 0, 0, true},
    {LineFieldSpec::Kind::Int32, "quantity"},
    {LineFieldSpec::Kind::Timestamp, "invoice_date"},
    {LineFieldSpec::Kind::Decimal, "unit_price", 12, 3},
    {LineFieldSpec::Kind::Text, "customer_id"},
    {LineFieldSpec::Kind::Text, "country"},
    {LineFieldSpec::Kind::Text, "line_type"},
    {LineFieldSpec::Kind::Decimal, "amount", 18, 3},
    {LineFieldSpec::Kind::Text, "source"},
}};

constexpr size_t field_index(LineField f) { return static_cast<size_t>(f); }
constexpr const LineFieldSpec& line_field(LineField f) { return kLineFields[field_index(f)]; }

enum class SqlDialect : uint8_t { Standard, DuckDb };

// "invoice_no VARCHAR NOT NULL, ..., source VARCHAR NOT NULL": a CREATE TABLE's column list.
// In DuckDB's dialect each text column has its compression set, so that DuckDB does not analyse
// every method for every segment it writes: `source` is unique to each line and stored
// uncompressed (only FSST could compress it, and its analysis and compression cost 15% of a batch
// import to save about 11 bytes a line); the others repeat (invoices, products, customers,
// countries, line types) and are dictionary-compressed, which DuckDB chose for nearly all of their
// segments anyway (the warehouse file is as large; an import spends ~10% less CPU).
inline std::string line_columns_sql(SqlDialect dialect) {
  std::string out;
  for (const LineFieldSpec& f : kLineFields) {
    if (!out.empty()) out += ",\n  ";
    out += f.name;
    switch (f.kind) {
    case LineFieldSpec::Kind::Text: out += " VARCHAR"; break;
    case LineFieldSpec::Kind::Int32: out += " INTEGER"; break;
    case LineFieldSpec::Kind::Timestamp: out += " TIMESTAMP"; break;
    case LineFieldSpec::Kind::Decimal: out += " DECIMAL(" + std::to_string(f.width) + "," + std::to_string(f.scale) + ")"; break;
    }
    if (!f.nullable) out += " NOT NULL";
    if (dialect == SqlDialect::DuckDb && f.kind == LineFieldSpec::Kind::Text)
      out += &f == &line_field(LineField::Source) ? " USING COMPRESSION uncompressed" : " USING COMPRESSION dictionary";
  }
  return out;
}

// The columns as a SELECT list in table order, valued as LineColumns holds them: timestamps as
// epoch microseconds (BIGINT), money as thousandths (BIGINT); for reading lines back in bulk.
inline std::string line_select_sql() {
  std::string out;
  for (const LineFieldSpec& f : kLineFields) {
    if (!out.empty()) out += ", ";
    std::string name = f.name;
    out += f.kind == LineFieldSpec::Kind::Timestamp ? "epoch_us(" + name + ")"
           : f.kind == LineFieldSpec::Kind::Decimal ? "CAST(" + name + " * " + (f.scale == 3 ? "1000" : "1") + " AS BIGINT)"
                                                    : name;
  }
  return out;
}

} // namespace shopflow
