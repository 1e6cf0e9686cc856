// The record model shared by every path (batch and stream): an input row as it arrived, and the
// cleaned line that the sinks store. See shared/CONTRACT.md; that page is binding.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace shopflow {

// The 8 input fields, in the order of the UCI Online Retail header.
enum class Field : uint8_t { InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country };
inline constexpr size_t kFieldCount = 8;
inline constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"};

// How a field value arrived. CSV only produces Text (an empty CSV field is Text ""); JSON also
// produces Null (null) and Number (the token's exact text, e.g. "17850.0", "1291191960000").
enum class FieldKind : uint8_t { Text, Number, Null };

struct InputField {
  std::string_view text;
  FieldKind kind = FieldKind::Text;
};

// One row as read, before any rule is applied. Views point into the reader's buffer and stay
// valid until the reader is advanced.
struct InputRow {
  std::array<InputField, kFieldCount> fields{};
  uint32_t field_count = 0;       // how many fields the source had (CSV); 8 for a valid JSON object
  std::string_view raw;           // the row's original text, kept for rejected rows
  std::string_view framing_error; // set by a reader that could not split the row (stray quote, bad JSON, ...)
  bool valid_utf8 = true;

  const InputField& operator[](Field f) const { return fields[static_cast<size_t>(f)]; }
  InputField& operator[](Field f) { return fields[static_cast<size_t>(f)]; }
};

enum class Destination : uint8_t { Transactions, Cancellations, Rejected };

enum class RejectReason : uint8_t { None, Malformed, BadDebt, NonPositiveQuantity, NonPositivePrice };
inline constexpr size_t kRejectReasonCount = 5;
std::string_view reason_name(RejectReason r);

enum class LineType : uint8_t { Product, Postage, Fee, Discount, Manual, Sample, Voucher, Other };
std::string_view line_type_name(LineType t);

// A cleaned line (transactions and cancellations). Money is exact: thousandths of a pound.
// Timestamps are shop-local wall-clock time as microseconds since 1970-01-01 00:00 (no zone).
struct CleanLine {
  std::string_view invoice_no;  // trimmed; cancellations keep their C
  std::string_view stock_code;  // trimmed
  std::string_view description; // trimmed; meaningful only when has_description
  bool has_description = false;
  int32_t quantity = 0;
  int64_t invoice_date_us = 0;
  int64_t unit_price_milli = 0; // DECIMAL(12,3)
  std::string_view customer_id; // "17850.0" -> "17850"; missing -> "Unknown"
  std::string_view country;     // trimmed
  LineType line_type = LineType::Other;
  int64_t amount_milli = 0;     // quantity x unit_price, DECIMAL(18,3)
};

// The outcome of the cleaning contract for one row: exactly one destination.
struct CleanResult {
  Destination destination = Destination::Rejected;
  RejectReason reason = RejectReason::None;
  std::string_view detail; // for rejected rows: names the field and the problem (static storage)
  CleanLine line;          // filled unless the row is malformed
};

} // namespace shopflow
